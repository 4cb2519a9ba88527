// The index advisor against a fake planner: candidates, what-if selection, pruning, failures
// and the fallback without HypoPG.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/index_advisor.hpp"
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

namespace {

using namespace dbadvise::analyzer;
namespace sp = dbadvise::sqlparse;

// Costs 1000 without a useful index and 10 when a hypothetical index leads with `m_column`.
class FakePlanner final : public Planner {
public:
    explicit FakePlanner(std::string column) : m_column(std::move(column)) {}
    std::expected<std::vector<std::string>, PlannerError>
    describe(const std::string& sql, const std::vector<std::string>&) override {
        ++described;
        if (!m_fail_text.empty() && sql.find(m_fail_text) != std::string::npos) {
            PlannerError error{m_fail_message, false};
            error.sqlstate = m_fail_sqlstate;
            error.lock_timeout = m_fail_lock_timeout;
            if (m_fail_lock_timeout) {
                error.sqlstate = "55P03";
            }
            return std::unexpected(error);
        }
        return std::vector<std::string>{"bigint"};
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) override {
        ++m_calls;
        m_created += static_cast<int>(request.hypothetical.size());
        requests.push_back(request);
        PlanResult result;
        result.total_cost = 1000;
        result.full_cost = 1000;
        if (m_plan_json) result.plan_json = m_plan_json(request);
        for (std::size_t i = 0; i < request.hypothetical.size(); ++i) {
            if (!m_refuse.empty() && request.hypothetical[i].keys.front() == m_refuse && m_refusals != 0) {
                if (m_refusals > 0) {
                    --m_refusals;
                }
                PlannerError error(m_refuse_sqlstate.empty()
                                       ? "hypothetical index: functions in index expression must be marked IMMUTABLE"
                                       : "hypothetical index: canceling statement due to statement timeout",
                                   false);
                error.sqlstate = m_refuse_sqlstate;
                error.rejected_index = static_cast<int>(i);
                return std::unexpected(error);
            }
            if (request.hypothetical[i].keys.front() == m_column) {
                result.total_cost = 10;
                result.full_cost = m_early_exit_full_cost > 0 ? m_early_exit_full_cost : 10;
                result.risky_early_exit = m_early_exit_full_cost > 0;
                result.hypothetical_used.push_back(static_cast<int>(i));
            }
        }
        return result;
    }
    int planner_calls() const override { return m_calls; }
    int hypothetical_indexes_created() const override { return m_created; }
    bool supports_hypothetical() const override { return m_hypothetical; }

    std::vector<PlanRequest> requests;
    int described = 0;
    bool m_hypothetical = true;
    std::string m_refuse;              // a hypothetical index leading with this key is refused
    std::string m_refuse_sqlstate;     // ... with this SQLSTATE ("" = none, as for HypoPG's own errors)
    int m_refusals = -1;               // ... this many times (-1: always)
    double m_early_exit_full_cost = 0; // > 0: plans using the index stop early over discarded rows
    std::string m_fail_text;
    std::string m_fail_message;
    std::string m_fail_sqlstate;
    bool m_fail_lock_timeout = false;
    std::function<std::string(const PlanRequest&)> m_plan_json; // EXPLAIN output to return, when set

private:
    std::string m_column;
    int m_calls = 0;
    int m_created = 0;
};

Workload shop(double rows) {
    Workload workload;
    workload.server_version_num = 150004;
    workload.search_path = {"\"$user\"", "public"};
    CatalogTable orders;
    orders.schema = "public";
    orders.name = "orders";
    orders.reltuples = rows;
    orders.relpages = static_cast<std::int64_t>(rows / 100) + 1;
    orders.columns = {{"id", "bigint", 1, true}, {"customer_id", "bigint", 2, true}, {"status", "text", 3, true}};
    workload.tables.push_back(orders);
    CatalogIndex pkey;
    pkey.schema = "public";
    pkey.name = "orders_pkey";
    pkey.table_schema = "public";
    pkey.table = "orders";
    pkey.keys = {"id"};
    pkey.descending = {false};
    pkey.method = "btree";
    pkey.primary = pkey.unique = true;
    workload.indexes.push_back(pkey);
    ColumnStats stats;
    stats.schema = "public";
    stats.table = "orders";
    stats.column = "customer_id";
    stats.n_distinct = 50000;
    stats.histogram_bounds = {"1", "100", "200", "300", "400"};
    workload.column_stats.push_back(stats);
    return workload;
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

// `SELECT ... FROM orders WHERE <column> = $1`, built as sqlparse would.
sp::ParsedStatement lookup(const std::string& column) {
    sp::Statement statement;
    statement.kind = sp::StatementKind::select;
    sp::Relation relation;
    relation.name = "orders";
    statement.query.relations.push_back(relation);
    sp::Predicate predicate;
    predicate.column.name = column;
    predicate.column.relation = 0;
    predicate.op = "=";
    predicate.operand.kind = sp::OperandKind::parameter;
    predicate.operand.param_number = 1;
    predicate.operand.text = "$1";
    statement.query.predicates.push_back(predicate);
    statement.query.has_where = true;
    sp::ParsedStatement parsed;
    parsed.statement = statement;
    return parsed;
}

const Finding* find_rule(const AdvisorResult& result, std::string_view rule) {
    const auto it = std::find_if(result.findings.begin(), result.findings.end(),
                                 [&](const Finding& f) { return f.rule_id() == rule; });
    return it == result.findings.end() ? nullptr : &*it;
}

} // namespace

TEST_CASE("quote_identifier") {
    CHECK(quote_identifier("orders") == "orders");
    CHECK(quote_identifier("Order") == "\"Order\"");
    CHECK(quote_identifier("order") == "\"order\"");
    CHECK(quote_identifier("my col") == "\"my col\"");
    CHECK(quote_identifier("a\"b") == "\"a\"\"b\"");
    CHECK(quote_identifier("1st") == "\"1st\"");
}

TEST_CASE("IndexSpec::create_sql") {
    IndexSpec spec;
    spec.table_schema = "public";
    spec.table = "orders";
    spec.keys = {"customer_id", "created_at DESC"};
    SUBCASE("plain btree") {
        CHECK(spec.create_sql(spec.default_name()) ==
              "CREATE INDEX CONCURRENTLY orders_customer_id_created_at_desc_idx ON public.orders "
              "(customer_id, created_at DESC);");
    }
    SUBCASE("include, predicate and method") {
        spec.include = {"total"};
        spec.predicate = "deleted_at IS NULL";
        spec.method = "hash";
        CHECK(spec.on_clause() ==
              "ON public.orders USING hash (customer_id, created_at DESC) INCLUDE (total) WHERE deleted_at IS NULL");
        CHECK(spec.default_name() == "orders_customer_id_created_at_desc_incl_part_idx");
    }
    SUBCASE("quoted names") {
        spec.table_schema = "Sales";
        spec.table = "order";
        spec.keys = {"(lower(email))"};
        CHECK(spec.create_sql("order_lower_email_idx") ==
              "CREATE INDEX CONCURRENTLY order_lower_email_idx ON \"Sales\".\"order\" ((lower(email)));");
        CHECK(spec.default_name() == "order_lower_email_idx");
    }
    SUBCASE("long names stay within 63 bytes") {
        spec.keys = {std::string(80, 'x')};
        const std::string name = spec.default_name();
        CHECK(name.size() <= 63);
        CHECK(name.ends_with("_idx"));
    }
}

TEST_CASE("advise_indexes") {
    Workload workload = shop(1'000'000);
    workload.statements.push_back(source("1", "SELECT * FROM orders WHERE customer_id = $1", 100, 50.0));
    workload.statements.push_back(source("2", "SELECT * FROM orders WHERE id = $1", 1000, 0.02));
    std::vector<ParsedWorkloadStatement> statements = {{&workload.statements[0], lookup("customer_id")},
                                                       {&workload.statements[1], lookup("id")}};
    AnalyzeOptions options;

    SUBCASE("recommends the index the plan uses, verified") {
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        REQUIRE(result.findings.size() == 1);
        const Finding& finding = result.findings.front();
        CHECK(finding.rule_id() == "missing-index");
        CHECK(finding.category() == Category::index);
        CHECK(finding.suggestion.sql == "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);");
        CHECK(finding.impact.cost_before == doctest::Approx(1000));
        CHECK(finding.impact.cost_after == doctest::Approx(10));
        // 100 calls x 50 ms, 99% of the cost saved.
        CHECK(finding.rank == doctest::Approx(4950));
        REQUIRE(finding.query);
        CHECK(finding.query->queryid == "1");
        CHECK(result.verified);
        CHECK(result.statements_planned == 2);
        // The primary key already serves `id = $1`: never offered as a candidate.
        CHECK(result.candidates == 1);
        // Custom plans with values from pg_stats, not only the generic plan.
        CHECK(std::any_of(planner.requests.begin(), planner.requests.end(),
                          [](const PlanRequest& r) { return !r.params.empty() && r.params.front() == "200"; }));
        REQUIRE(result.sections.size() == 1);
        CHECK(result.sections.front().lines.front().find("orders_customer_id_idx") != std::string::npos);
    }
    SUBCASE("no index when no plan uses it") {
        FakePlanner planner("status");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(result.findings.empty());
        CHECK(result.sections.front().lines.front().starts_with("none"));
    }
    SUBCASE("tiny tables get no index") {
        Workload tiny = shop(500);
        tiny.statements = workload.statements;
        std::vector<ParsedWorkloadStatement> tiny_statements = {{&tiny.statements[0], lookup("customer_id")}};
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(tiny, tiny_statements, &planner, options);
        CHECK(result.findings.empty());
        REQUIRE(!result.notes.empty());
        CHECK(result.notes.front().starts_with("no index considered on public.orders: 500 rows"));
    }
    SUBCASE("a statement that fails to plan is a finding with the server's message") {
        FakePlanner planner("customer_id");
        planner.m_fail_text = "customer_id";
        planner.m_fail_message = "relation \"orders\" does not exist";
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        const Finding* failed = find_rule(result, "statement-not-planned");
        REQUIRE(failed);
        CHECK(failed->category() == Category::input);
        CHECK(failed->message.starts_with("The statement no longer plans: relation \"orders\" does not exist. The "
                                          "object was dropped or renamed since the statement ran"));
        CHECK(result.statements_failed == 1);
        CHECK(find_rule(result, "missing-index") == nullptr);
    }
    SUBCASE("parameters no type plans: dbadvise's limit, never the statement's fault") {
        FakePlanner planner("customer_id");
        planner.m_fail_text = "customer_id";
        planner.m_fail_message = "operator does not exist: bigint = text";
        planner.m_fail_sqlstate = "42883";
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        const Finding* failed = find_rule(result, "statement-not-planned");
        REQUIRE(failed);
        CHECK(failed->message.starts_with("dbadvise could not find parameter types the server accepts for this "
                                          "normalized statement"));
        CHECK(failed->message.find("This is a limit of dbadvise's parameter typing, not a fault of the statement") !=
              std::string::npos);
        const auto cause = std::find_if(failed->evidence.begin(), failed->evidence.end(),
                                        [](const auto& e) { return e.first == "cause"; });
        REQUIRE(cause != failed->evidence.end());
        CHECK(std::get<std::string>(cause->second) == "parameter-types");
    }
    SUBCASE("a lock timeout on a table: its other statements are not tried") {
        FakePlanner planner("customer_id");
        planner.m_fail_text = "customer_id";
        planner.m_fail_message = "a table it reads is locked by another session: lock_timeout expired";
        planner.m_fail_lock_timeout = true;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(planner.described == 1); // the statement on `id` reads the same table
        CHECK(result.statements_failed == 2);
        CHECK(planner.requests.empty());
        const auto locked = std::count_if(result.findings.begin(), result.findings.end(), [](const Finding& f) {
            return f.rule_id() == "statement-not-planned" && f.message.find("locked by another session") != std::string::npos;
        });
        CHECK(locked == 2);
    }
    SUBCASE("without HypoPG: selectivity model, unverified, with instructions") {
        FakePlanner planner("customer_id");
        planner.m_hypothetical = false;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK_FALSE(result.verified);
        const Finding* finding = find_rule(result, "missing-index");
        REQUIRE(finding);
        CHECK(finding->suggestion.sql == "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);");
        const auto verified = std::find_if(finding->evidence.begin(), finding->evidence.end(),
                                           [](const auto& e) { return e.first == "verified"; });
        REQUIRE(verified != finding->evidence.end());
        CHECK(std::get<bool>(verified->second) == false);
        REQUIRE(!result.notes.empty());
        CHECK(result.notes.front().find("apt install postgresql-15-hypopg") != std::string::npos);
        CHECK(result.notes.front().find("CREATE EXTENSION hypopg") != std::string::npos);
    }
    SUBCASE("a budget smaller than any index recommends none") {
        FakePlanner planner("customer_id");
        options.budget_mb = 0.001; // smaller than any index
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(result.findings.empty());
        // The limit is the answer, not "none saves enough" (which would be false).
        REQUIRE(result.sections.front().lines.size() == 1);
        CHECK(result.sections.front().lines.front().starts_with(
            "none: --budget-mb 0.001: the next candidate, ON public.orders (customer_id), would save ~"));
    }
}

TEST_CASE("advise_indexes: one consistent, explained set") {
    Workload workload = shop(1'000'000);
    workload.statements.push_back(source("1", "SELECT * FROM orders WHERE customer_id = $1", 100, 50.0));
    std::vector<ParsedWorkloadStatement> statements = {{&workload.statements[0], lookup("customer_id")}};
    AnalyzeOptions options;

    SUBCASE("--max-indexes 0 recommends none and says that limit stopped it") {
        FakePlanner planner("customer_id");
        options.max_indexes = 0;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(find_rule(result, "missing-index") == nullptr);
        CHECK(result.stopped_by.starts_with("--max-indexes 0: the next candidate, ON public.orders (customer_id), "
                                            "would save ~"));
        REQUIRE(result.candidate_list.size() == 1);
        CHECK_FALSE(result.candidate_list[0].recommended);
        CHECK(result.candidate_list[0].reason.starts_with("over --max-indexes 0 (would save ~4"));
        REQUIRE(result.sections.front().lines.size() == 1);
        CHECK(result.sections.front().lines.front().starts_with(
            "none: --max-indexes 0: the next candidate, ON public.orders (customer_id), would save ~"));
    }
    SUBCASE("every candidate is listed with what became of it, SQL ends with a semicolon") {
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        REQUIRE(result.candidate_list.size() == 1);
        CHECK(result.candidate_list[0].recommended);
        CHECK(result.candidate_list[0].reason == "recommended");
        CHECK(result.candidate_list[0].benefit_ms == doctest::Approx(4950));
        REQUIRE(result.recommended.size() == 1);
        const Finding* finding = find_rule(result, "missing-index");
        REQUIRE(finding);
        CHECK(finding->suggestion.sql.ends_with(";"));
        CHECK(result.stopped_by == "no remaining candidate makes any plan cheaper");
    }
    SUBCASE("an index that costs more on writes than it saves is rejected, saying so, never with a negative saving") {
        workload.statements.push_back(source("2", "UPDATE orders SET status = $1 WHERE id = $2", 1000, 100.0));
        statements = {{&workload.statements[0], lookup("customer_id")},
                      {&workload.statements[1], sp::parse_statement(workload.statements[1].text)}};
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(find_rule(result, "missing-index") == nullptr);
        const auto it = std::find_if(result.candidate_list.begin(), result.candidate_list.end(),
                                     [](const IndexCandidate& c) { return c.index == "ON public.orders (customer_id)"; });
        REQUIRE(it != result.candidate_list.end());
        CHECK_FALSE(it->recommended);
        CHECK(it->benefit_ms == 0);
        CHECK(it->reason == "costs more than it saves: ~4950 ms saved over the workload, ~10000 ms more spent "
                            "keeping it up to date on writes");
    }
    SUBCASE("the recommended name is one no relation of the schema has: an invalid index took it") {
        CatalogIndex invalid;
        invalid.schema = "public";
        invalid.name = "orders_customer_id_idx"; // left by a failed CREATE INDEX CONCURRENTLY
        invalid.table_schema = "public";
        invalid.table = "orders";
        invalid.keys = {"customer_id"};
        invalid.descending = {false};
        invalid.valid = false;
        workload.indexes.push_back(invalid);
        CatalogIndex other = invalid;
        other.name = "orders_customer_id_idx1";
        other.keys = {"created_at"};
        other.valid = true;
        workload.indexes.push_back(other);
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        const Finding* finding = find_rule(result, "missing-index");
        REQUIRE(finding);
        CHECK(finding->suggestion.sql ==
              "CREATE INDEX CONCURRENTLY orders_customer_id_idx2 ON public.orders (customer_id);");
    }
    SUBCASE("a candidate the server refuses is dropped with a note; the statement is still costed") {
        FakePlanner planner("customer_id");
        planner.m_refuse = "customer_id";
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(find_rule(result, "statement-not-planned") == nullptr);
        CHECK(result.statements_failed == 0);
        REQUIRE(result.candidate_list.size() == 1);
        CHECK(result.candidate_list[0].reason ==
              "the server refused it: hypothetical index: functions in index expression must be marked IMMUTABLE");
        CHECK(std::any_of(result.notes.begin(), result.notes.end(), [](const std::string& note) {
            return note.starts_with("candidate index ON public.orders (customer_id) was left out: the server refused it");
        }));
    }
    SUBCASE("a passing failure (a statement timeout) does not drop the candidate for the run") {
        FakePlanner planner("customer_id");
        planner.m_refuse = "customer_id";
        planner.m_refuse_sqlstate = "57014";
        planner.m_refusals = 1;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        REQUIRE(result.candidate_list.size() == 1);
        CHECK(result.candidate_list[0].reason.find("refused") == std::string::npos);
        // Tried once more, it was costed and recommended.
        CHECK(find_rule(result, "missing-index") != nullptr);
        CHECK(result.statements_failed == 0);
    }
    SUBCASE("a saving that exists only when the plan stops early is not counted") {
        FakePlanner planner("customer_id");
        planner.m_early_exit_full_cost = 1200; // reading the LIMIT's whole input: worse than now
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(find_rule(result, "missing-index") == nullptr);
    }
    SUBCASE("a recommendation whose plan stops early is flagged, its saving counted in full") {
        FakePlanner planner("customer_id");
        planner.m_early_exit_full_cost = 100;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        const Finding* finding = find_rule(result, "missing-index");
        REQUIRE(finding);
        CHECK(finding->impact.cost_after == doctest::Approx(100));
        const auto flag = std::find_if(finding->evidence.begin(), finding->evidence.end(),
                                       [](const auto& e) { return e.first == "relies_on_early_exit"; });
        REQUIRE(flag != finding->evidence.end());
        CHECK(finding->message.find("The plan relies on early exit") != std::string::npos);
        CHECK(result.sections.front().lines.front().ends_with("(relies on early exit at a LIMIT)"));
    }
    SUBCASE("planner calls stay within the budget per statement") {
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(planner.planner_calls() <= options.planner_calls_per_statement);
        CHECK(result.findings.size() == 1);
    }
}

namespace {

// A BitmapOr: the plan is cheap only with an index on each arm of the OR, and then uses both.
class BitmapOrPlanner final : public Planner {
public:
    std::expected<std::vector<std::string>, PlannerError> describe(const std::string&,
                                                                   const std::vector<std::string>&) override {
        return std::vector<std::string>{"bigint", "text"};
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) override {
        ++m_calls;
        PlanResult result;
        result.total_cost = result.full_cost = 1000;
        std::vector<int> arms;
        for (std::size_t i = 0; i < request.hypothetical.size(); ++i) {
            const std::string& key = request.hypothetical[i].keys.front();
            if (request.hypothetical[i].keys.size() == 1 && (key == "customer_id" || key == "status")) {
                arms.push_back(static_cast<int>(i));
            }
        }
        if (arms.size() == 2) {
            result.total_cost = result.full_cost = 10;
            result.hypothetical_used = arms;
        }
        return result;
    }
    int planner_calls() const override { return m_calls; }
    int hypothetical_indexes_created() const override { return 0; }
    bool supports_hypothetical() const override { return true; }

private:
    int m_calls = 0;
};

} // namespace

TEST_CASE("advise_indexes: indexes that only help together are chosen together") {
    Workload workload = shop(1'000'000);
    workload.statements.push_back(
        source("1", "SELECT * FROM orders WHERE customer_id = $1 OR status = $2", 100, 50.0));
    std::vector<ParsedWorkloadStatement> statements = {
        {&workload.statements[0], sp::parse_statement(workload.statements[0].text)}};
    BitmapOrPlanner planner;
    const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});
    std::vector<std::string> recommended;
    for (const IndexSpec& spec : result.recommended) {
        recommended.push_back(spec.on_clause());
    }
    std::sort(recommended.begin(), recommended.end());
    CHECK(recommended == std::vector<std::string>{"ON public.orders (customer_id)", "ON public.orders (status)"});
    for (const IndexCandidate& candidate : result.candidate_list) {
        CHECK(candidate.kind == "or-arm");
    }
    CHECK(planner.planner_calls() <= AnalyzeOptions{}.planner_calls_per_statement);
}

namespace {

// Cheap when every key of `needed` leads a visible hypothetical index; the plan then uses all
// the visible indexes whose key is in `used_too` as well (as a plan over several tables uses
// indexes it hardly needs). Per statement: the key sets are looked up by a word of the text.
class KeysPlanner final : public Planner {
public:
    struct Rule {
        std::string word;                 // the statement's text holds it
        std::vector<std::string> needed;  // all of them visible: cost 10, else 1000
        std::vector<std::string> used_too;
    };
    explicit KeysPlanner(std::vector<Rule> rules) : m_rules(std::move(rules)) {}
    std::expected<std::vector<std::string>, PlannerError> describe(const std::string& sql,
                                                                   const std::vector<std::string>&) override {
        return std::vector<std::string>(static_cast<std::size_t>(std::count(sql.begin(), sql.end(), '$')), "bigint");
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) override {
        ++m_calls;
        PlanResult result;
        result.total_cost = result.full_cost = 1000;
        for (const Rule& rule : m_rules) {
            if (request.sql.find(rule.word) == std::string::npos) {
                continue;
            }
            auto visible = [&](const std::string& key) {
                return std::any_of(request.hypothetical.begin(), request.hypothetical.end(),
                                   [&](const IndexSpec& spec) { return spec.keys.front() == key; });
            };
            if (!std::all_of(rule.needed.begin(), rule.needed.end(), visible)) {
                continue;
            }
            result.total_cost = result.full_cost = 10;
            for (std::size_t i = 0; i < request.hypothetical.size(); ++i) {
                const std::string& key = request.hypothetical[i].keys.front();
                const bool wanted = std::find(rule.needed.begin(), rule.needed.end(), key) != rule.needed.end() ||
                                    std::find(rule.used_too.begin(), rule.used_too.end(), key) != rule.used_too.end();
                if (wanted && request.hypothetical[i].keys.size() == 1) {
                    result.hypothetical_used.push_back(static_cast<int>(i));
                }
            }
        }
        return result;
    }
    int planner_calls() const override { return m_calls; }
    int hypothetical_indexes_created() const override { return 0; }
    bool supports_hypothetical() const override { return true; }

private:
    std::vector<Rule> m_rules;
    int m_calls = 0;
};

// Adds orders_1 .. orders_<count>, copies of orders (its columns), as partitions of orders or
// as its INHERITS children, each of `rows` rows on rows / 100 pages.
enum class ChildLink { partition, inheritance };
void add_children(Workload& workload, int count, ChildLink link, double rows) {
    for (int i = 1; i <= count; ++i) {
        CatalogTable child = workload.tables[0];
        child.kind = 'r';
        child.name = "orders_" + std::to_string(i);
        (link == ChildLink::partition ? child.is_partition : child.inherits) = true;
        child.parent_schema = "public";
        child.parent_name = "orders";
        child.reltuples = rows;
        child.relpages = static_cast<std::int64_t>(rows / 100);
        workload.tables.push_back(child);
    }
}

std::vector<std::string> recommended_clauses(const AdvisorResult& result) {
    std::vector<std::string> out;
    for (const IndexSpec& spec : result.recommended) {
        out.push_back(spec.on_clause());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST_CASE("advise_indexes: a pair that only helps together, among more indexes the plan used") {
    // The plan with every candidate visible uses five indexes; it is cheap only with both
    // customer_id and status (an index under each arm of an OR of EXISTS, say). No single
    // index saves anything, and five are more than one step may add: the screening's
    // reduction finds the pair, which the selection then adds as one step.
    Workload workload = shop(1'000'000);
    workload.tables[0].columns.push_back({"region", "bigint", 4, true});
    workload.tables[0].columns.push_back({"kind", "bigint", 5, true});
    workload.tables[0].columns.push_back({"channel", "bigint", 6, true});
    workload.statements.push_back(source(
        "1", "SELECT * FROM orders WHERE (customer_id = $1 OR status = $2) AND (region = $3 OR kind = $4 OR channel = $5)",
        100, 50.0));
    std::vector<ParsedWorkloadStatement> statements = {
        {&workload.statements[0], sp::parse_statement(workload.statements[0].text)}};
    KeysPlanner planner({{"orders", {"customer_id", "status"}, {"region", "kind", "channel"}}});
    const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});
    CHECK(recommended_clauses(result) == std::vector<std::string>{"ON public.orders (customer_id)", "ON public.orders (status)"});
    CHECK(planner.planner_calls() <= AnalyzeOptions{}.planner_calls_per_statement);
}

TEST_CASE("advise_indexes: with --max-indexes binding, the larger saving wins over the better saving per byte") {
    // orders (1M rows) and a small lookup table: the index on orders saves 5 times more, the
    // small one more per byte. With room for one index, it is the one on orders.
    Workload workload = shop(1'000'000);
    CatalogTable codes;
    codes.schema = "public";
    codes.name = "codes";
    codes.reltuples = 20'000;
    codes.relpages = 200;
    codes.columns = {{"code", "bigint", 1, true}, {"label", "text", 2, true}};
    workload.tables.push_back(codes);
    workload.statements.push_back(source("1", "SELECT * FROM orders WHERE customer_id = $1", 1000, 100.0));
    workload.statements.push_back(source("2", "SELECT * FROM codes WHERE code = $1", 1000, 20.0));
    std::vector<ParsedWorkloadStatement> statements;
    for (const WorkloadStatement& statement : workload.statements) {
        statements.push_back({&statement, sp::parse_statement(statement.text)});
    }
    KeysPlanner planner({{"orders", {"customer_id"}, {}}, {"codes", {"code"}, {}}});
    AnalyzeOptions options;
    SUBCASE("room for both") {
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(recommended_clauses(result) == std::vector<std::string>{"ON public.codes (code)", "ON public.orders (customer_id)"});
    }
    SUBCASE("room for one") {
        options.max_indexes = 1;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(recommended_clauses(result) == std::vector<std::string>{"ON public.orders (customer_id)"});
    }
    SUBCASE("a size budget that the orders index does not fit: the small one") {
        options.budget_mb = 1;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, options);
        CHECK(recommended_clauses(result) == std::vector<std::string>{"ON public.codes (code)"});
    }
}

TEST_CASE("hypopg_instructions") {
    CHECK(hypopg_instructions(160002).find("postgresql-16-hypopg") != std::string::npos);
    CHECK(hypopg_instructions(0).find("postgresql-15-hypopg") != std::string::npos);
}

TEST_CASE("index_on_partitioned_sql") {
    IndexSpec spec;
    spec.table_schema = "public";
    spec.table = "events";
    spec.keys = {"kind"};
    const std::string sql = index_on_partitioned_sql(
        spec, "events_kind_idx",
        {{"public", "events_2025", "public", "events", true},
         {"public", "events_2025q1", "public", "events_2025", false},
         {"archive", "events_old", "public", "events", false},
         {"public", "events_remote", "public", "events", false, true}});
    CHECK(sql == "CREATE INDEX events_kind_idx ON ONLY public.events (kind);\n"
                 "CREATE INDEX events_2025_kind_idx ON ONLY public.events_2025 (kind);\n"
                 "ALTER INDEX public.events_kind_idx ATTACH PARTITION public.events_2025_kind_idx;\n"
                 "CREATE INDEX CONCURRENTLY events_2025q1_kind_idx ON public.events_2025q1 (kind);\n"
                 "ALTER INDEX public.events_2025_kind_idx ATTACH PARTITION public.events_2025q1_kind_idx;\n"
                 "CREATE INDEX CONCURRENTLY events_old_kind_idx ON archive.events_old (kind);\n"
                 "ALTER INDEX public.events_kind_idx ATTACH PARTITION archive.events_old_kind_idx;");
    // The foreign-table partition gets no statement: PostgreSQL cannot index it.
    CHECK(sql.find("events_remote") == std::string::npos);
}

TEST_CASE("advise_indexes: partitioned tables") {
    // orders partitioned in two; the planner uses an index on `customer_id` shown either on
    // the parent or on its partitions.
    Workload workload = shop(1'000'000);
    CatalogTable& parent = workload.tables[0];
    parent.kind = 'p';
    parent.reltuples = -1;
    parent.relpages = -1;
    add_children(workload, 2, ChildLink::partition, 500'000);
    workload.statements.push_back(source("1", "SELECT * FROM orders WHERE customer_id = $1", 100, 50.0));
    std::vector<ParsedWorkloadStatement> statements = {{&workload.statements[0], lookup("customer_id")}};

    SUBCASE("recommended on the parent, sized from its partitions, built without blocking writes") {
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});
        const Finding* finding = find_rule(result, "missing-index");
        REQUIRE(finding);
        CHECK(finding->suggestion.sql.starts_with("CREATE INDEX orders_customer_id_idx ON ONLY public.orders (customer_id);\n"
                                                  "CREATE INDEX CONCURRENTLY orders_1_customer_id_idx ON public.orders_1"));
        CHECK(finding->suggestion.sql.ends_with(
            "ALTER INDEX public.orders_customer_id_idx ATTACH PARTITION public.orders_2_customer_id_idx;"));
        CHECK(finding->message.find("orders is partitioned") != std::string::npos);
        CHECK(finding->message.find("foreign") == std::string::npos);
    }
    SUBCASE("a foreign-table partition gets no CREATE INDEX, and the finding says why") {
        workload.tables[2].kind = 'f';
        FakePlanner planner("customer_id");
        const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});
        const Finding* finding = find_rule(result, "missing-index");
        REQUIRE(finding);
        CHECK(finding->suggestion.sql.find("orders_2") == std::string::npos);
        CHECK(finding->suggestion.sql.find("ON public.orders_1 (customer_id);\n"
                                           "ALTER INDEX public.orders_customer_id_idx ATTACH PARTITION") != std::string::npos);
        CHECK(finding->message.find("1 of its partitions is a foreign table") != std::string::npos);
        CHECK(finding->message.find("built on its one local partition with") != std::string::npos);
    }
    SUBCASE("when HypoPG refuses the parent, the index is shown on each leaf partition") {
        class LeavesOnly final : public Planner {
        public:
            std::vector<PlanRequest> requests;
            std::expected<std::vector<std::string>, PlannerError> describe(const std::string&,
                                                                           const std::vector<std::string>&) override {
                return std::vector<std::string>{"bigint"};
            }
            std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) override {
                requests.push_back(request);
                PlanResult result;
                result.total_cost = result.full_cost = 1000;
                for (std::size_t i = 0; i < request.hypothetical.size(); ++i) {
                    if (request.hypothetical[i].table == "orders") {
                        PlannerError error("hypopg: cannot create an index on a partitioned table", false);
                        error.rejected_index = static_cast<int>(i);
                        return std::unexpected(error);
                    }
                    result.total_cost = result.full_cost = 10;
                    result.hypothetical_used.push_back(static_cast<int>(i));
                }
                return result;
            }
            int planner_calls() const override { return static_cast<int>(requests.size()); }
            int hypothetical_indexes_created() const override { return 0; }
            bool supports_hypothetical() const override { return true; }
        } planner;
        const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});
        const Finding* finding = find_rule(result, "missing-index");
        REQUIRE(finding);
        CHECK(finding->title == "Create index orders_customer_id_idx ON public.orders (customer_id)");
        CHECK(std::any_of(planner.requests.begin(), planner.requests.end(), [](const PlanRequest& r) {
            return r.hypothetical.size() == 2 && r.hypothetical[0].table == "orders_1" && r.hypothetical[1].table == "orders_2";
        }));
    }
}

TEST_CASE("index_on_inheritance_tree_sql") {
    IndexSpec spec;
    spec.table_schema = "public";
    spec.table = "readings";
    spec.keys = {"sensor"};
    const std::string sql = index_on_inheritance_tree_sql(
        spec, "readings_sensor_idx",
        {{"public", "readings_2024", "public", "readings", false},
         {"archive", "readings_old", "public", "readings_2024", false},
         {"public", "readings_remote", "public", "readings", false, true}});
    // The parent and each child, concurrently: an index on a parent covers none of its children.
    CHECK(sql == "CREATE INDEX CONCURRENTLY readings_sensor_idx ON public.readings (sensor);\n"
                 "CREATE INDEX CONCURRENTLY readings_2024_sensor_idx ON public.readings_2024 (sensor);\n"
                 "CREATE INDEX CONCURRENTLY readings_old_sensor_idx ON archive.readings_old (sensor);");
}

TEST_CASE("advise_indexes: inheritance parents") {
    // orders holds no row itself; its two INHERITS children hold 500,000 each. One statement
    // reads orders (and so both children), one reads orders_2 alone.
    Workload workload = shop(1'000'000);
    CatalogTable& parent = workload.tables[0];
    parent.reltuples = 0;
    parent.relpages = 0;
    parent.ever_analyzed = true;
    add_children(workload, 2, ChildLink::inheritance, 500'000);
    workload.statements.push_back(source("1", "SELECT * FROM orders WHERE customer_id = $1", 100, 50.0));
    workload.statements.push_back(source("2", "SELECT * FROM orders_2 WHERE customer_id = $1", 100, 25.0));
    sp::ParsedStatement on_child = lookup("customer_id");
    on_child.statement->query.relations[0].name = "orders_2";
    std::vector<ParsedWorkloadStatement> statements = {{&workload.statements[0], lookup("customer_id")},
                                                       {&workload.statements[1], on_child}};
    FakePlanner planner("customer_id");
    const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});

    // Sized with its children (not "too small"), recommended once, on the parent and each child.
    CHECK(recommended_clauses(result) == std::vector<std::string>{"ON public.orders (customer_id)"});
    const Finding* finding = find_rule(result, "missing-index");
    REQUIRE(finding);
    CHECK(finding->suggestion.sql ==
          "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);\n"
          "CREATE INDEX CONCURRENTLY orders_1_customer_id_idx ON public.orders_1 (customer_id);\n"
          "CREATE INDEX CONCURRENTLY orders_2_customer_id_idx ON public.orders_2 (customer_id);");
    CHECK(finding->message.find("orders has 2 inheritance children") != std::string::npos);
    const auto evidence = [&](std::string_view key) -> const EvidenceValue* {
        for (const auto& [name, value] : finding->evidence) {
            if (name == key) return &value;
        }
        return nullptr;
    };
    REQUIRE(evidence("inheritance_children"));
    CHECK(std::get<std::int64_t>(*evidence("inheritance_children")) == 2);
    REQUIRE(evidence("statements_helped"));
    CHECK(std::get<std::int64_t>(*evidence("statements_helped")) == 2); // the child's statement too
    // HypoPG was shown the index on the parent and on each child at once.
    CHECK(std::any_of(planner.requests.begin(), planner.requests.end(), [](const PlanRequest& r) {
        return r.hypothetical.size() == 3 && r.hypothetical[0].table == "orders" &&
               r.hypothetical[1].table == "orders_1" && r.hypothetical[2].table == "orders_2";
    }));
}

TEST_CASE("advise_indexes: an index on an inheritance parent does not serve its children") {
    // The usual mistake with INHERITS: the index was created on the parent, where no row is.
    // The candidate is not taken as served, and the SQL creates it on the children only, the
    // one that already has its own index left out.
    Workload workload = shop(1'000'000);
    workload.tables[0].reltuples = 0;
    workload.tables[0].relpages = 0;
    workload.tables[0].ever_analyzed = true;
    add_children(workload, 3, ChildLink::inheritance, 400'000);
    const auto index_on = [&](const std::string& table) {
        CatalogIndex index;
        index.schema = "public";
        index.name = table + "_by_customer";
        index.table_schema = "public";
        index.table = table;
        index.keys = {"customer_id"};
        index.descending = {false};
        index.method = "btree";
        workload.indexes.push_back(index);
    };
    index_on("orders");
    index_on("orders_3");
    workload.statements.push_back(source("1", "SELECT * FROM orders WHERE customer_id = $1", 100, 50.0));
    std::vector<ParsedWorkloadStatement> statements = {{&workload.statements[0], lookup("customer_id")}};
    FakePlanner planner("customer_id");
    const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});
    const Finding* finding = find_rule(result, "missing-index");
    REQUIRE(finding);
    CHECK(finding->suggestion.sql ==
          "CREATE INDEX CONCURRENTLY orders_1_customer_id_idx ON public.orders_1 (customer_id);\n"
          "CREATE INDEX CONCURRENTLY orders_2_customer_id_idx ON public.orders_2 (customer_id);");
    CHECK(finding->title == "Create index ON public.orders (customer_id) on the inheritance children of orders that lack it");
    CHECK(finding->message.find("its index orders_by_customer serves only the rows of orders itself") != std::string::npos);
    CHECK(finding->message.find("the 2 of its 3 children that have none yet") != std::string::npos);

    SUBCASE("every child indexed as well: served, nothing to recommend") {
        index_on("orders_1");
        index_on("orders_2");
        FakePlanner again("customer_id");
        const AdvisorResult served = advise_indexes(workload, statements, &again, AnalyzeOptions{});
        CHECK(find_rule(served, "missing-index") == nullptr);
    }
}

TEST_CASE("key_target and normalized_key") {
    using dbadvise::analyzer::advisor::key_target;
    using dbadvise::analyzer::advisor::normalized_key;
    bool expression = true;
    CHECK(key_target("\"Order Date\" DESC", &expression) == "Order Date");
    CHECK_FALSE(expression);
    CHECK(key_target("email") == "email");
    CHECK(key_target("(lower(email))", &expression) == "lower(email)");
    CHECK(expression);
    CHECK(key_target("(a) + (b)", &expression) == "(a) + (b)");
    // pg_get_indexdef's casts, parentheses and quotes do not count.
    CHECK(normalized_key("lower((email)::text)") == normalized_key("lower(email)"));
    CHECK(normalized_key("(status)::character varying(20)") == normalized_key("status"));
    CHECK(normalized_key("\"Status\"") == "status");
    CHECK(normalized_key("lower(email)") != normalized_key("upper(email)"));
    CHECK(normalized_key("(a = '::x')") == normalized_key("a = '::x'"));
}

TEST_CASE("advise_indexes compares the generic plan with custom plans of statements whose time varies widely") {
    Workload workload = shop(1'000'000);
    workload.statements.push_back(source("1", "SELECT * FROM orders WHERE customer_id = $1", 100, 50.0));
    workload.statements.push_back(source("2", "SELECT * FROM orders WHERE status = $1", 100, 50.0));
    workload.statements[0].stddev_ms = 60; // varies widely
    workload.statements[0].toplevel = true;
    workload.statements[1].stddev_ms = 10; // steady
    workload.statements[1].toplevel = true;
    std::vector<ParsedWorkloadStatement> statements = {{&workload.statements[0], lookup("customer_id")},
                                                       {&workload.statements[1], lookup("status")}};
    FakePlanner planner("nothing");
    planner.m_plan_json = [](const PlanRequest& request) {
        if (!request.hypothetical.empty()) return std::string();
        const std::string scan = request.params.empty()
                                     ? R"({"Node Type": "Seq Scan", "Relation Name": "orders", "Total Cost": 1000})"
                                     : R"({"Node Type": "Index Scan", "Relation Name": "orders", "Index Name": "orders_c", "Total Cost": 8})";
        return R"([{"Plan": {"Node Type": "Limit", "Total Cost": 1000, "Plans": [)" + scan + "]}}]";
    };
    const AdvisorResult result = advise_indexes(workload, statements, &planner, AnalyzeOptions{});
    REQUIRE(result.plans.contains("1"));
    CHECK_FALSE(result.plans.contains("2"));
    const PlanSensitivity& plans = result.plans.at("1");
    CHECK(plans.generic.label == "generic plan");
    CHECK(plans.generic.shape == "Limit > Seq Scan on orders");
    REQUIRE_FALSE(plans.custom.empty());
    CHECK(plans.custom.front().shape == "Limit > Index Scan using orders_c on orders");
    CHECK(plans.custom.front().label.ends_with(" values"));
    CHECK(plans.generic_differs());
    CHECK_FALSE(plans.custom_differ());
    // The plans asked for: no hypothetical index, the generic one without values.
    const auto generic = std::count_if(planner.requests.begin(), planner.requests.end(), [](const PlanRequest& r) {
        return r.hypothetical.empty() && r.params.empty() && r.sql.find("customer_id") != std::string::npos;
    });
    CHECK(generic == 1);
}
