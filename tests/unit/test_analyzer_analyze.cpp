#include "analyzer/analyze.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace dbadvise::analyzer;

namespace {

WorkloadStatement make_statement(std::string queryid, std::string text, double total_ms,
                                 std::int64_t calls = 10) {
    WorkloadStatement statement;
    statement.queryid = std::move(queryid);
    statement.text = std::move(text);
    statement.calls = calls;
    statement.total_ms = total_ms;
    statement.mean_ms = total_ms / static_cast<double>(calls);
    return statement;
}

std::int64_t stat(const AnalyzeResult& result, const std::string& name) {
    for (const auto& [key, value] : result.stats) {
        if (key == name) return std::get<std::int64_t>(value);
    }
    FAIL("no stat " << name);
    return -1;
}

const Finding* find_rule(const AnalyzeResult& result, const std::string& rule,
                         const std::string& subject = "") {
    const auto found = std::ranges::find_if(result.findings, [&](const Finding& finding) {
        return finding.rule_id() == rule && (subject.empty() || finding.subject == subject);
    });
    return found == result.findings.end() ? nullptr : &*found;
}

Workload base_workload() {
    Workload workload;
    workload.database = "shop";
    workload.search_path = {"public"};
    workload.settings.push_back({"track_activity_query_size", "1kB", "B", "1024"});
    CatalogTable orders;
    orders.schema = "public";
    orders.name = "orders";
    orders.columns = {{"id", "bigint", 1, true}, {"customer_id", "bigint", 2, true}};
    workload.tables.push_back(orders);
    return workload;
}

// A planner whose server has gone away: every call fails fatally.
class LostPlanner final : public Planner {
public:
    std::expected<std::vector<std::string>, PlannerError>
    describe(const std::string&, const std::vector<std::string>&) override {
        ++m_calls;
        return std::unexpected(PlannerError{"server closed the connection unexpectedly", true});
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest&) override {
        ++m_calls;
        return std::unexpected(PlannerError{"server closed the connection unexpectedly", true});
    }
    int planner_calls() const override { return m_calls; }
    int hypothetical_indexes_created() const override { return 0; }
    bool supports_hypothetical() const override { return true; }

private:
    int m_calls = 0;
};

} // namespace

TEST_CASE("analyze") {
    Workload workload = base_workload();

    SUBCASE("statements are parsed; utility statements are counted and left alone") {
        workload.statements = {
            make_statement("1", "SELECT id FROM orders WHERE customer_id = $1", 500),
            make_statement("2", "BEGIN", 1), make_statement("3", "COMMIT", 1),
            make_statement("4", "SET work_mem = '8MB'", 1)};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        CHECK(stat(result, "statements") == 4);
        CHECK(stat(result, "statements_analyzed") == 1);
        CHECK(stat(result, "utility_statements") == 3);
        CHECK(stat(result, "unparsable_statements") == 0);
        CHECK(stat(result, "planner_calls") == 0);
        CHECK(stat(result, "hypothetical_indexes") == 0);
        CHECK(find_rule(result, "parse-error") == nullptr);
        CHECK_FALSE(result.partial);
    }

    SUBCASE("every statement says what the index advisor made of it, and why it got no candidate") {
        workload.tables.front().reltuples = 1'000'000;
        workload.tables.front().relpages = 10'000;
        CatalogTable audit;
        audit.schema = "public";
        audit.name = "audit";
        audit.reltuples = 500'000;
        audit.relpages = 5'000;
        audit.columns = {{"id", "bigint", 1, true}, {"at", "timestamptz", 2, true}};
        workload.tables.push_back(audit);
        workload.locks.push_back({"public", "audit", 4242, "AccessExclusiveLock", true, ""});
        ColumnStats stats;
        stats.schema = "public";
        stats.table = "orders";
        stats.column = "customer_id";
        stats.n_distinct = 50000;
        workload.column_stats.push_back(stats);
        workload.statements = {make_statement("1", "SELECT id FROM orders WHERE customer_id = $1", 5000, 1000),
                               make_statement("2", "SELECT id FROM audit WHERE at > $1", 900),
                               make_statement("3", "SELECT now()", 800),
                               make_statement("4", "SELEC id FROM orders", 700),
                               make_statement("5", "BEGIN", 1)};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        const auto advice = [&](std::string_view id) {
            const auto it = std::ranges::find_if(result.statements, [&](const StatementSummary& s) {
                return s.query.queryid == id;
            });
            REQUIRE(it != result.statements.end());
            return it->index_advice;
        };
        CHECK(advice("1").status == "recommended");
        CHECK(advice("1").reason == "ON public.orders (customer_id)");
        // Locked before planning: never planned, and said so (the cache check must not blame
        // memory for it either).
        CHECK(advice("2").status == "not-analyzed");
        CHECK(advice("2").reason == "public.audit is locked by another session (AccessExclusiveLock), so it was not planned");
        // Other statements got candidates; this one's own reason is still given.
        CHECK(advice("3").status == "no-candidate");
        CHECK(advice("3").reason.starts_with("it reads no table the catalog knows"));
        CHECK(advice("4").status == "not-analyzed");
        CHECK(advice("4").reason == "its text does not parse");
        CHECK(advice("5").status.empty());
    }

    SUBCASE("--queries statements: the file is named; a statement over the size limit says so, briefly") {
        WorkloadStatement from_file = make_statement("42", "SELEC id FROM orders", 900, 3);
        from_file.origin_file = "app.log";
        std::string huge = "SELECT id FROM orders WHERE id IN (";
        while (huge.size() < (std::size_t{3} << 20)) huge += "$1, ";
        huge += "$1)";
        WorkloadStatement large = make_statement("43", huge, 800, 1);
        large.origin_file = "app.log";
        workload.statements = {from_file, large};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        std::vector<const Finding*> errors;
        for (const Finding& f : result.findings)
            if (f.rule_id() == "parse-error") errors.push_back(&f);
        REQUIRE(errors.size() == 2);
        const auto by_id = [&](std::string_view id) {
            return *std::ranges::find_if(errors, [&](const Finding* f) { return f->query->queryid == id; });
        };
        CHECK(by_id("42")->message.starts_with("app.log holds text the parser rejects (syntax error"));
        CHECK(by_id("43")->title == "Statement too large to analyze (queryid 43)");
        CHECK(by_id("43")->message.find("MiB limit") != std::string::npos);
        CHECK(by_id("43")->message.find("pg_stat_statements") == std::string::npos);
        CHECK(by_id("43")->query->text.size() < 2100);
    }

    SUBCASE("a statement that does not parse becomes a finding with its query; the run goes on") {
        workload.statements = {make_statement("42", "SELEC id FROM orders", 900, 3),
                               make_statement("7", "SELECT id FROM orders WHERE id = $1", 5)};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        const Finding* finding = find_rule(result, "parse-error");
        REQUIRE(finding != nullptr);
        CHECK(finding->category() == Category::input);
        CHECK(finding->severity == Severity::warning);
        CHECK(finding->title == "Statement does not parse (queryid 42)");
        CHECK(finding->message.starts_with("pg_stat_statements holds text the parser rejects (syntax error at or near \"SELEC\")"));
        REQUIRE(finding->query.has_value());
        CHECK(finding->query->queryid == "42");
        CHECK(finding->query->calls == 3);
        CHECK(finding->query->total_ms == 900);
        CHECK(finding->rank == 900);
        CHECK(stat(result, "unparsable_statements") == 1);
        CHECK(stat(result, "statements_analyzed") == 1);
    }

    SUBCASE("text cut at track_activity_query_size is reported as truncated") {
        std::string text = "SELECT id FROM orders WHERE customer_id IN (";
        while (text.size() < 1023) text += "1, ";
        text.resize(1023);
        WorkloadStatement cut = make_statement("99", text, 100);
        cut.truncated = true;
        workload.statements = {cut};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        const Finding* finding = find_rule(result, "parse-error");
        REQUIRE(finding != nullptr);
        CHECK(finding->title == "Statement text looks truncated (queryid 99)");
        CHECK(finding->message.starts_with(
            "The text is 1023 bytes long, the limit of track_activity_query_size (1024 bytes), "
            "and does not parse ("));
        CHECK(finding->suggestion.sql == "ALTER SYSTEM SET track_activity_query_size = '16kB';");
    }

    SUBCASE("a long statement that parses is analyzed even when it reaches the limit") {
        std::string text = "SELECT id FROM orders WHERE id IN (1";
        while (text.size() < 1100) text += ", 1";
        text += ")";
        WorkloadStatement long_one = make_statement("5", text, 10);
        long_one.truncated = true;
        workload.statements = {long_one};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        CHECK(find_rule(result, "parse-error") == nullptr);
        CHECK(stat(result, "statements_analyzed") == 1);
    }

    SUBCASE("existing-index findings are part of the result, after findings with measured time") {
        CatalogIndex unused;
        unused.schema = unused.table_schema = "public";
        unused.name = "orders_customer_id_idx";
        unused.table = "orders";
        unused.keys = {"customer_id"};
        unused.descending = {false};
        unused.method = "btree";
        workload.indexes = {unused};
        workload.statements = {make_statement("1", "SELEC 1", 50)};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        REQUIRE(find_rule(result, "unused-index", "public.orders_customer_id_idx") != nullptr);
        REQUIRE(result.findings.size() >= 2);
        CHECK(result.findings.front().rule_id() == "parse-error");
    }

    SUBCASE("a planner that loses the server makes the result partial; the rest still runs") {
        workload.hypopg_available = true;
        workload.statements = {make_statement("1", "SELECT id FROM orders WHERE customer_id = $1", 500)};
        CatalogIndex unused;
        unused.schema = unused.table_schema = "public";
        unused.name = "orders_customer_id_idx";
        unused.table = "orders";
        unused.keys = {"id", "customer_id"};
        unused.descending = {false, false};
        unused.method = "btree";
        workload.indexes = {unused};
        LostPlanner planner;
        const AnalyzeResult result = analyze(workload, &planner, {});
        CHECK(result.partial);
        CHECK(stat(result, "planner_calls") >= 1);
        CHECK(find_rule(result, "unused-index", "public.orders_customer_id_idx") != nullptr);
        // Nothing is known about the statement's indexes, and the report says so.
        REQUIRE(result.statements.size() == 1);
        CHECK(result.statements[0].index_advice.status == "not-analyzed");
        CHECK(result.statements[0].index_advice.reason.find("server could not plan it: planning stopped") ==
              std::string::npos);
    }

    SUBCASE("without a planner the result is complete") {
        workload.statements = {make_statement("1", "SELECT id FROM orders WHERE customer_id = $1", 500)};
        const AnalyzeResult result = analyze(workload, nullptr, {});
        CHECK_FALSE(result.partial);
    }
}
