// Index types beyond btree: BRIN, hash and GIN candidates from the statements' operators and
// pg_stats, their sizes, how the selection treats them against btrees, and the unverified GIN
// estimate that never outranks a verified saving.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/existing_indexes.hpp"
#include "analyzer/index_advisor.hpp"
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <deque>

namespace {

using namespace dbadvise::analyzer;
namespace sp = dbadvise::sqlparse;
namespace adv = dbadvise::analyzer::advisor;

void add_stats(Workload& workload, const std::string& table, const std::string& column, int width,
               double correlation, double n_distinct = -1) {
    ColumnStats stats;
    stats.schema = "public";
    stats.table = table;
    stats.column = column;
    stats.avg_width = width;
    stats.correlation = correlation;
    stats.n_distinct = n_distinct;
    workload.column_stats.push_back(stats);
}

CatalogTable table(const std::string& name, double rows, std::int64_t pages, std::vector<CatalogColumn> columns) {
    CatalogTable t;
    t.schema = "public";
    t.name = name;
    t.reltuples = rows;
    t.relpages = pages;
    t.ever_analyzed = true;
    t.columns = std::move(columns);
    return t;
}

CatalogIndex index(const std::string& name, const std::string& on, std::vector<std::string> keys,
                   const std::string& method, const std::string& definition = {}) {
    CatalogIndex i;
    i.schema = "public";
    i.name = name;
    i.table_schema = "public";
    i.table = on;
    i.keys = std::move(keys);
    i.descending.assign(i.keys.size(), false);
    i.method = method;
    i.definition = definition;
    return i;
}

// A workload with the tables the tests need:
//   log       2,000,000 rows, 20,000 pages: at in physical order, reading random;
//   sessions    500,000 rows,  8,000 pages: token 65 bytes wide, user_name 40, id 8;
//   documents   300,000 rows,  6,000 pages: attrs jsonb, tags text[], title text, body_tsv tsvector;
//   flags           300 rows,      3 pages: attrs jsonb.
Workload types_workload() {
    Workload w;
    w.server_version_num = 150004;
    w.search_path = {"public"};
    w.extensions = {"hypopg", "pg_trgm"};
    w.tables.push_back(table("log", 2'000'000, 20'000,
                             {{"id", "bigint", 1, true}, {"at", "timestamp with time zone", 2, true},
                              {"reading", "double precision", 3, true}}));
    w.tables.push_back(table("sessions", 500'000, 8'000,
                             {{"id", "bigint", 1, true}, {"token", "text", 2, true}, {"user_name", "text", 3, true}}));
    w.tables.push_back(table("documents", 300'000, 6'000,
                             {{"id", "bigint", 1, true}, {"attrs", "jsonb", 2, true}, {"tags", "text[]", 3, true},
                              {"title", "text", 4, true}, {"body_tsv", "tsvector", 5, true},
                              {"body", "text", 6, true}}));
    w.tables.push_back(table("flags", 300, 3, {{"id", "integer", 1, true}, {"attrs", "jsonb", 2, true}}));
    add_stats(w, "log", "at", 8, 0.999);
    add_stats(w, "log", "reading", 8, 0.01);
    add_stats(w, "sessions", "token", 65, 0.0);
    add_stats(w, "sessions", "user_name", 40, 0.0, 20000);
    add_stats(w, "sessions", "id", 8, 1.0);
    add_stats(w, "documents", "attrs", 120, 0.0);
    add_stats(w, "documents", "tags", 40, 0.0);
    add_stats(w, "documents", "title", 42, 0.0);
    add_stats(w, "documents", "body_tsv", 300, 0.0);
    add_stats(w, "flags", "attrs", 30, 0.0);
    return w;
}

WorkloadStatement source(std::string queryid, std::string text, std::int64_t calls, double mean_ms) {
    WorkloadStatement s;
    s.queryid = std::move(queryid);
    s.text = std::move(text);
    s.calls = calls;
    s.mean_ms = mean_ms;
    s.total_ms = mean_ms * static_cast<double>(calls);
    s.rows = calls;
    return s;
}

// The candidates generate_candidates builds for `texts` on `workload`, as `ON ...` clauses.
std::vector<std::string> candidates_for(Workload& workload, const std::vector<std::string>& texts,
                                        std::vector<std::string>* kinds = nullptr) {
    workload.statements.clear();
    for (std::size_t i = 0; i < texts.size(); ++i) {
        workload.statements.push_back(source(std::to_string(i + 1), texts[i], 10, 10.0));
    }
    std::vector<ParsedWorkloadStatement> parsed;
    for (const WorkloadStatement& statement : workload.statements) {
        parsed.push_back({&statement, sp::parse_statement(statement.text)});
    }
    std::vector<adv::StatementSetup> setups;
    for (std::size_t i = 0; i < parsed.size(); ++i) {
        setups.push_back(adv::setup_statement(workload, parsed[i], static_cast<int>(i)));
    }
    std::vector<std::string> notes;
    std::vector<std::string> out;
    for (const adv::Candidate& candidate : adv::generate_candidates(workload, setups, notes)) {
        out.push_back(candidate.spec.on_clause());
        if (kinds) {
            kinds->emplace_back(adv::to_string(candidate.kind));
        }
    }
    return out;
}

bool has(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

bool any_containing(const std::vector<std::string>& list, const std::string& part) {
    return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

} // namespace

TEST_CASE("index types: BRIN candidates") {
    Workload w = types_workload();
    SUBCASE("a range on a large table in the column's physical order") {
        std::vector<std::string> kinds;
        const auto c = candidates_for(w, {"SELECT count(*) FROM log WHERE at >= $1 AND at < $2"}, &kinds);
        CHECK(has(c, "ON public.log USING brin (at)"));
        CHECK(has(c, "ON public.log (at)")); // the btree stays a candidate; the selection decides
        CHECK(has(kinds, "brin"));
    }
    SUBCASE("BETWEEN counts as a range") {
        CHECK(has(candidates_for(w, {"SELECT * FROM log WHERE at BETWEEN $1 AND $2"}), "ON public.log USING brin (at)"));
    }
    SUBCASE("a negative correlation is an order too") {
        w.column_stats[0].correlation = -0.95;
        CHECK(has(candidates_for(w, {"SELECT * FROM log WHERE at > $1"}), "ON public.log USING brin (at)"));
    }
    SUBCASE("trap: a column in random physical order") {
        const auto c = candidates_for(w, {"SELECT count(*) FROM log WHERE reading BETWEEN $1 AND $2"});
        CHECK(has(c, "ON public.log (reading)"));
        CHECK_FALSE(any_containing(c, "brin"));
    }
    SUBCASE("trap: a table under the BRIN size threshold") {
        w.tables[0].relpages = 1500;
        const auto c = candidates_for(w, {"SELECT count(*) FROM log WHERE at >= $1"});
        CHECK_FALSE(any_containing(c, "brin"));
    }
    SUBCASE("trap: equality is not a BRIN candidate") {
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT * FROM log WHERE at = $1"}), "brin"));
    }
    SUBCASE("an existing btree or BRIN index on the column serves it") {
        w.indexes.push_back(index("log_at_idx", "log", {"at"}, "btree"));
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT * FROM log WHERE at > $1"}), "brin"));
        w.indexes.back().method = "brin";
        const auto c = candidates_for(w, {"SELECT * FROM log WHERE at > $1"});
        CHECK_FALSE(any_containing(c, "brin"));
        CHECK(has(c, "ON public.log (at)")); // a BRIN index does not serve what a btree would
    }
}

TEST_CASE("index types: hash candidates") {
    Workload w = types_workload();
    SUBCASE("equality lookups on a wide key") {
        std::vector<std::string> kinds;
        const auto c = candidates_for(w, {"SELECT id FROM sessions WHERE token = $1"}, &kinds);
        CHECK(has(c, "ON public.sessions USING hash (token)"));
        CHECK(has(c, "ON public.sessions (token)"));
        CHECK(has(kinds, "hash"));
    }
    SUBCASE("trap: a narrow key") {
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT * FROM sessions WHERE id = $1"}), "hash"));
    }
    SUBCASE("trap: a key another statement reads in order or by range") {
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT id FROM sessions WHERE user_name = $1",
                                                      "SELECT id FROM sessions ORDER BY user_name LIMIT $1"}),
                                   "hash"));
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT id FROM sessions WHERE token = $1",
                                                      "SELECT id FROM sessions WHERE token > $1"}),
                                   "hash"));
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT id FROM sessions WHERE token = $1",
                                                      "SELECT id FROM sessions WHERE token LIKE $1"}),
                                   "hash"));
    }
    SUBCASE("trap: a btree already serves the column (a unique constraint, a composite leading with it)") {
        w.indexes.push_back(index("sessions_token_key", "sessions", {"token", "id"}, "btree"));
        const auto c = candidates_for(w, {"SELECT id FROM sessions WHERE token = $1"});
        CHECK(c.empty());
    }
    SUBCASE("an existing hash index serves it") {
        w.indexes.push_back(index("sessions_token_hash", "sessions", {"token"}, "hash"));
        const auto c = candidates_for(w, {"SELECT id FROM sessions WHERE token = $1"});
        CHECK_FALSE(any_containing(c, "hash"));
    }
    SUBCASE("no statistics: no width to judge by") {
        std::erase_if(w.column_stats, [](const ColumnStats& s) { return s.column == "token"; });
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT id FROM sessions WHERE token = $1"}), "hash"));
    }
}

TEST_CASE("index types: GIN candidates") {
    Workload w = types_workload();
    SUBCASE("jsonb containment: jsonb_path_ops") {
        std::vector<std::string> kinds;
        const auto c = candidates_for(w, {"SELECT id FROM documents WHERE attrs @> $1"}, &kinds);
        CHECK(c == std::vector<std::string>{"ON public.documents USING gin (attrs jsonb_path_ops)"});
        CHECK(kinds == std::vector<std::string>{"gin"});
    }
    SUBCASE("containment written the other way round") {
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE $1 <@ attrs"}),
                  "ON public.documents USING gin (attrs jsonb_path_ops)"));
    }
    SUBCASE("a key test anywhere in the workload needs the default jsonb_ops") {
        const auto c = candidates_for(w, {"SELECT id FROM documents WHERE attrs @> $1",
                                          "SELECT id FROM documents WHERE attrs ? $1"});
        CHECK(c == std::vector<std::string>{"ON public.documents USING gin (attrs)"});
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE attrs ?| $1"}), "ON public.documents USING gin (attrs)"));
    }
    SUBCASE("arrays: containment and overlap") {
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE tags && $1"}), "ON public.documents USING gin (tags)"));
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE tags @> $1"}), "ON public.documents USING gin (tags)"));
    }
    SUBCASE("text search on a tsvector column and on an expression without parameters") {
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE body_tsv @@ to_tsquery($1)"}),
                  "ON public.documents USING gin (body_tsv)"));
        const auto c = candidates_for(
            w, {"SELECT id FROM documents WHERE to_tsvector('english'::regconfig, body) @@ to_tsquery('english', 'cat')"});
        CHECK(has(c, "ON public.documents USING gin ((to_tsvector('english'::regconfig, body)))"));
        // Normalization replaced the configuration with a parameter: no index can match it.
        CHECK(candidates_for(w, {"SELECT id FROM documents WHERE to_tsvector($1, body) @@ to_tsquery($2)"}).empty());
        // One argument: the configuration comes from a setting, so the function is only STABLE
        // and cannot be an index expression.
        CHECK(candidates_for(w, {"SELECT id FROM documents WHERE to_tsvector(body) @@ to_tsquery('cat')"}).empty());
    }
    SUBCASE("trigram patterns with pg_trgm") {
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE title ILIKE $1"}),
                  "ON public.documents USING gin (title gin_trgm_ops)"));
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE title LIKE '%cat%'"}),
                  "ON public.documents USING gin (title gin_trgm_ops)"));
        // An anchored constant pattern is a btree's prefix range, not a trigram search.
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT id FROM documents WHERE title LIKE 'cat%'"}), "gin"));
        w.extensions = {"hypopg"};
        CHECK_FALSE(any_containing(candidates_for(w, {"SELECT id FROM documents WHERE title ILIKE $1"}), "gin"));
    }
    SUBCASE("traps: operators on types GIN does not serve here, a tiny table, an existing index") {
        CHECK(candidates_for(w, {"SELECT id FROM documents WHERE id @> $1"}).empty());
        CHECK(candidates_for(w, {"SELECT id FROM flags WHERE attrs @> $1"}).empty());
        w.indexes.push_back(index("documents_attrs_idx", "documents", {"attrs"}, "gin",
                                  "CREATE INDEX documents_attrs_idx ON public.documents USING gin (attrs)"));
        CHECK(candidates_for(w, {"SELECT id FROM documents WHERE attrs @> $1"}).empty());
        // An existing jsonb_path_ops index cannot serve a key test.
        w.indexes.back().definition = "CREATE INDEX documents_attrs_idx ON public.documents USING gin (attrs jsonb_path_ops)";
        CHECK(has(candidates_for(w, {"SELECT id FROM documents WHERE attrs ? $1"}), "ON public.documents USING gin (attrs)"));
        // A GiST trigram index serves patterns.
        w.indexes.push_back(index("documents_title_trgm", "documents", {"title"}, "gist"));
        CHECK(candidates_for(w, {"SELECT id FROM documents WHERE title ILIKE $1"}).empty());
    }
}

TEST_CASE("index types: SQL and sizes") {
    Workload w = types_workload();
    IndexSpec gin;
    gin.table_schema = "public";
    gin.table = "documents";
    gin.keys = {"attrs"};
    gin.method = "gin";
    gin.opclass = "jsonb_path_ops";
    CHECK(gin.create_sql("documents_attrs_idx") ==
          "CREATE INDEX CONCURRENTLY documents_attrs_idx ON public.documents USING gin (attrs jsonb_path_ops);");
    IndexSpec brin;
    brin.table_schema = "public";
    brin.table = "log";
    brin.keys = {"at"};
    brin.method = "brin";
    IndexSpec btree = brin;
    btree.method = "btree";
    IndexSpec hash;
    hash.table_schema = "public";
    hash.table = "sessions";
    hash.keys = {"token"};
    hash.method = "hash";
    IndexSpec token_btree = hash;
    token_btree.method = "btree";
    const auto bytes = [&](const IndexSpec& spec) {
        return adv::estimate_index_bytes(w, *w.find_table("public", spec.table), spec);
    };
    // BRIN: a handful of pages for 20,000 heap pages; a btree on the same column, tens of MB.
    CHECK(bytes(brin) <= 4 * 8192);
    CHECK(bytes(btree) > 100 * bytes(brin));
    // Hash on a 65-byte key: well under half the btree.
    CHECK(bytes(hash) * 2 < bytes(token_btree));
    CHECK(bytes(hash) > 0);
    // GIN jsonb_path_ops: a fraction of the indexed data.
    CHECK(bytes(gin) < static_cast<std::int64_t>(300'000.0 * 120));
    CHECK(bytes(gin) > static_cast<std::int64_t>(300'000.0 * 120 * 0.3));
}

namespace {

// Plans a fixed cost of 1000; a hypothetical index whose `method (key)` is in `m_cheap` makes it
// the given cost. Records what it was shown.
class MethodPlanner final : public Planner {
public:
    std::expected<std::vector<std::string>, PlannerError> describe(const std::string&,
                                                                  const std::vector<std::string>&) override {
        return std::vector<std::string>{"text"};
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) override {
        ++m_calls;
        PlanResult result;
        result.total_cost = 1000;
        result.full_cost = 1000;
        for (std::size_t i = 0; i < request.hypothetical.size(); ++i) {
            const IndexSpec& spec = request.hypothetical[i];
            shown.push_back(spec.method);
            for (const auto& [key, cost] : m_cheap) {
                if (spec.method + " " + spec.keys.front() == key && cost < result.total_cost) {
                    result.total_cost = cost;
                    result.full_cost = cost;
                    result.hypothetical_used = {static_cast<int>(i)};
                }
            }
        }
        return result;
    }
    int planner_calls() const override { return m_calls; }
    int hypothetical_indexes_created() const override { return 0; }
    bool supports_hypothetical() const override { return true; }

    std::vector<std::pair<std::string, double>> m_cheap;
    std::vector<std::string> shown;

private:
    int m_calls = 0;
};

struct Run {
    std::deque<WorkloadStatement> sources;
    std::vector<ParsedWorkloadStatement> parsed;
};

Run statements_of(Workload& w, const std::vector<std::pair<std::string, double>>& texts) {
    Run run;
    w.statements.clear();
    int id = 0;
    for (const auto& [text, mean_ms] : texts) {
        w.statements.push_back(source(std::to_string(++id), text, 100, mean_ms));
    }
    for (const WorkloadStatement& s : w.statements) {
        run.parsed.push_back({&s, sp::parse_statement(s.text)});
    }
    return run;
}

std::vector<std::string> recommended(const AdvisorResult& result) {
    std::vector<std::string> out;
    for (const IndexSpec& spec : result.recommended) {
        out.push_back(spec.on_clause());
    }
    return out;
}

} // namespace

TEST_CASE("index types: selection") {
    Workload w = types_workload();
    SUBCASE("a hash index the planner uses as well as a btree wins by its size, and no btree duplicates it") {
        Run run = statements_of(w, {{"SELECT id FROM sessions WHERE token = $1", 20.0}});
        MethodPlanner planner;
        planner.m_cheap = {{"hash token", 10}, {"btree token", 10}};
        const AdvisorResult result = advise_indexes(w, run.parsed, &planner, AnalyzeOptions{});
        CHECK(recommended(result) == std::vector<std::string>{"ON public.sessions USING hash (token)"});
        REQUIRE(!result.findings.empty());
        CHECK(result.findings.front().suggestion.sql ==
              "CREATE INDEX CONCURRENTLY sessions_token_idx ON public.sessions USING hash (token);");
    }
    SUBCASE("BRIN over a btree that saves little more (under min_saving of the baseline); the btree when the "
            "BRIN saves too little") {
        Run run = statements_of(w, {{"SELECT count(*) FROM log WHERE at >= $1 AND at < $2", 50.0}});
        MethodPlanner planner;
        planner.m_cheap = {{"brin at", 60}, {"btree at", 40}};
        AdvisorResult result = advise_indexes(w, run.parsed, &planner, AnalyzeOptions{});
        CHECK(recommended(result) == std::vector<std::string>{"ON public.log USING brin (at)"});
        MethodPlanner planner2;
        planner2.m_cheap = {{"brin at", 980}, {"btree at", 40}};
        result = advise_indexes(w, run.parsed, &planner2, AnalyzeOptions{});
        CHECK(recommended(result) == std::vector<std::string>{"ON public.log (at)"});
    }
    SUBCASE("--without brin leaves BRIN out") {
        Run run = statements_of(w, {{"SELECT count(*) FROM log WHERE at >= $1 AND at < $2", 50.0}});
        MethodPlanner planner;
        planner.m_cheap = {{"brin at", 60}, {"btree at", 40}};
        AnalyzeOptions options;
        options.without_candidate_kinds = {"brin"};
        const AdvisorResult result = advise_indexes(w, run.parsed, &planner, options);
        CHECK(recommended(result) == std::vector<std::string>{"ON public.log (at)"});
        CHECK(std::none_of(result.candidate_list.begin(), result.candidate_list.end(),
                           [](const IndexCandidate& c) { return c.kind == "brin"; }));
    }
}

TEST_CASE("index types: GIN is estimated, unverified, never outranks a verified saving") {
    Workload w = types_workload();
    Run run = statements_of(w, {{"SELECT id FROM sessions WHERE token = $1", 1.0},
                                {"SELECT id FROM documents WHERE attrs @> $1", 400.0},
                                {"SELECT id FROM flags WHERE attrs @> $1", 1.0}});
    MethodPlanner planner;
    planner.m_cheap = {{"hash token", 10}, {"btree token", 10}};
    AnalyzeOptions options;
    const AdvisorResult result = advise_indexes(w, run.parsed, &planner, options);
    // HypoPG is never shown a GIN index.
    CHECK(std::none_of(planner.shown.begin(), planner.shown.end(), [](const std::string& m) { return m == "gin"; }));
    const auto recs = recommended(result);
    CHECK(has(recs, "ON public.documents USING gin (attrs jsonb_path_ops)"));
    CHECK(has(recs, "ON public.sessions USING hash (token)"));
    CHECK_FALSE(any_containing(recs, "flags"));
    const Finding* gin = nullptr;
    const Finding* hash = nullptr;
    for (const Finding& f : result.findings) {
        if (f.subject.find("USING gin") != std::string::npos) gin = &f;
        if (f.subject.find("USING hash") != std::string::npos) hash = &f;
    }
    REQUIRE(gin);
    REQUIRE(hash);
    // The GIN estimate is far larger than the hash index's verified saving, yet ranks below it.
    CHECK(gin->impact.estimated_ms_saved_per_call.value_or(0) * 100 > hash->rank);
    CHECK(gin->rank < hash->rank);
    CHECK(gin->message.find("Unverified: HypoPG cannot create hypothetical GIN indexes") != std::string::npos);
    const auto verified = std::find_if(gin->evidence.begin(), gin->evidence.end(),
                                       [](const auto& e) { return e.first == "verified"; });
    REQUIRE(verified != gin->evidence.end());
    const auto listed = std::find_if(result.candidate_list.begin(), result.candidate_list.end(),
                                     [](const IndexCandidate& c) { return c.kind == "gin"; });
    REQUIRE(listed != result.candidate_list.end());
    CHECK(listed->recommended);
    CHECK(listed->reason.find("unverified") != std::string::npos);
    REQUIRE(!result.sections.empty());
    CHECK(any_containing(result.sections.front().lines, "(unverified: HypoPG cannot cost GIN)"));

    SUBCASE("--max-indexes counts it, after the verified ones") {
        options.max_indexes = 1;
        const AdvisorResult limited = advise_indexes(w, run.parsed, &planner, options);
        CHECK(recommended(limited) == std::vector<std::string>{"ON public.sessions USING hash (token)"});
        const auto left = std::find_if(limited.candidate_list.begin(), limited.candidate_list.end(),
                                       [](const IndexCandidate& c) { return c.kind == "gin"; });
        REQUIRE(left != limited.candidate_list.end());
        CHECK(left->reason.starts_with("over --max-indexes 1"));
    }
    SUBCASE("a statement that runs fast saves too little") {
        w.statements[1].mean_ms = 0.001;
        w.statements[1].total_ms = 0.1;
        const AdvisorResult small = advise_indexes(w, run.parsed, &planner, options);
        CHECK_FALSE(any_containing(recommended(small), "gin"));
    }
}

TEST_CASE("index types: a recommended hash index serves a single-column foreign key") {
    Workload w = types_workload();
    ForeignKey key;
    key.name = "sessions_token_fkey";
    key.table_schema = "public";
    key.table = "sessions";
    key.columns = {"token"};
    key.referenced_schema = "public";
    key.referenced_table = "tokens";
    key.referenced_columns = {"token"};
    w.foreign_keys.push_back(key);
    IndexSpec hash;
    hash.table_schema = "public";
    hash.table = "sessions";
    hash.keys = {"token"};
    hash.method = "hash";
    const auto served = [&](const IndexSpec& spec) {
        for (const Finding& f : check_existing_indexes(w, {spec})) {
            if (f.rule_id() == "unindexed-foreign-key") {
                return f.suggestion.sql.empty();
            }
        }
        FAIL("no unindexed-foreign-key finding");
        return false;
    };
    CHECK(served(hash));
    hash.method = "brin";
    CHECK_FALSE(served(hash));
}

namespace {

// Returns a fixed EXPLAIN (FORMAT JSON) for every plan, as if a hypothetical BRIN index were used.
class JsonPlanner final : public Planner {
public:
    explicit JsonPlanner(std::string json, double total) : m_json(std::move(json)), m_total(total) {}
    std::expected<std::vector<std::string>, PlannerError> describe(const std::string&,
                                                                  const std::vector<std::string>&) override {
        return std::vector<std::string>{};
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) override {
        PlanResult result;
        result.total_cost = request.hypothetical.empty() ? 7802 : m_total;
        result.full_cost = result.total_cost;
        if (!request.hypothetical.empty()) {
            result.plan_json = m_json;
            result.hypothetical_used = {0};
        }
        return result;
    }
    int planner_calls() const override { return 0; }
    int hypothetical_indexes_created() const override { return 0; }
    bool supports_hypothetical() const override { return true; }

private:
    std::string m_json;
    double m_total;
};

} // namespace

TEST_CASE("index types: a BRIN scan's heap pages are priced in physical order") {
    // 2,000,000 rows in 20,000 pages (100 a page); the planner prices the heap side of the
    // bitmap scan over 12,800 rows (one 128-page block range) at 3,935.
    Workload w = types_workload();
    w.statements.push_back(source("1", "SELECT count(*) FROM log WHERE at >= $1 AND at < $2", 10, 50));
    const ParsedWorkloadStatement parsed{&w.statements.front(), sp::parse_statement(w.statements.front().text)};
    adv::StatementSetup setup = adv::setup_statement(w, parsed, 0);
    const std::string json = R"([{"Plan": {"Node Type": "Aggregate", "Total Cost": 3945.3, "Plan Rows": 1,
        "Plans": [{"Node Type": "Bitmap Heap Scan", "Parent Relationship": "Outer", "Relation Name": "log",
                   "Total Cost": 3944.7, "Plan Rows": 116,
                   "Plans": [{"Node Type": "Bitmap Index Scan", "Parent Relationship": "Outer",
                              "Index Name": "<13556>brin_log_at", "Total Cost": 9.0, "Plan Rows": 12800}]}]}}])";
    IndexSpec brin;
    brin.table_schema = "public";
    brin.table = "log";
    brin.keys = {"at"};
    brin.method = "brin";
    JsonPlanner planner(json, 3945.3);
    adv::PlannerCostModel model(planner, &w);
    const auto costed = model.cost(setup, {brin});
    REQUIRE(costed);
    // In order: 128 pages + 12,800 rows x (cpu_tuple_cost + cpu_operator_cost) = 288, instead
    // of 3,935.7 for the heap: 3,945.3 - 3,647.7.
    CHECK(costed->cost == doctest::Approx(3945.3 - (3944.7 - 9.0 - 288.0)));
    CHECK(costed->planner_cost == doctest::Approx(3945.3));

    SUBCASE("not on the inner side of a nested loop, nor for a btree") {
        std::string looped = json;
        looped.replace(looped.find(R"("Node Type": "Aggregate")"), 24, R"("Node Type": "Nested Loop")");
        looped.replace(looped.find(R"("Parent Relationship": "Outer", "Relation Name")"), 30,
                       R"("Parent Relationship": "Inner")");
        JsonPlanner inner(looped, 3945.3);
        adv::PlannerCostModel inner_model(inner, &w);
        CHECK(inner_model.cost(setup, {brin})->cost == doctest::Approx(3945.3));
        std::string btree_json = json;
        btree_json.replace(btree_json.find("brin_log_at"), 11, "btree_log_at");
        JsonPlanner btree(btree_json, 3945.3);
        adv::PlannerCostModel btree_model(btree, &w);
        CHECK(btree_model.cost(setup, {brin})->cost == doctest::Approx(3945.3));
    }
}
