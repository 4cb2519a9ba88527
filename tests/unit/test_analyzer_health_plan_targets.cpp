#include "analyzer/health.hpp"
#include "test_analyzer_health_fakes.hpp"
#include "test_analyzer_plan_safety_fakes.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;

namespace {

analyzer::ColumnStats histogram(std::string table, std::string column,
                                std::vector<std::string> bounds) {
    analyzer::ColumnStats stats;
    stats.schema = "public";
    stats.table = std::move(table);
    stats.column = std::move(column);
    stats.histogram_bounds = std::move(bounds);
    return stats;
}

analyzer::Workload workload_with(std::vector<analyzer::WorkloadStatement> statements) {
    auto workload = test::healthy_workload();
    workload.search_path = {"public"};
    workload.statements = std::move(statements);
    workload.column_stats = {
        histogram("orders", "customer_id", {"1", "10", "20", "30", "40"}),
        histogram("orders", "created_at",
                  {"2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01", "2025-01-01"}),
        histogram("customers", "email", {"a@x", "B@x", "c@x", "D@x", "e@x"}),
    };
    analyzer::ColumnStats status;
    status.schema = "public";
    status.table = "orders";
    status.column = "status";
    status.most_common_vals = {"delivered", "shipped", "cancelled"};
    status.most_common_freqs = {0.9, 0.07, 0.03};
    workload.column_stats.push_back(status);
    return workload;
}

// Candidates judged against a catalog where everything resolves to harmless built-ins.
analyzer::PlanSelection choose(const analyzer::Workload& workload, std::size_t limit,
                               test::FakeSafetyCatalog fake = {}) {
    const auto candidates = analyzer::plan_candidates(workload);
    return analyzer::choose_plan_targets(workload, candidates, fake.answer(analyzer::plan_questions(candidates)),
                                         limit);
}

} // namespace

TEST_CASE("plan_candidates") {
    SUBCASE("only top-level, whole SELECTs, most total time first") {
        auto nested = test::healthy_statement("5", "SELECT * FROM orders WHERE id = $1", 1, 50);
        nested.toplevel = false;
        auto truncated = test::healthy_statement("6", "SELECT * FROM orders WHERE id = $1", 1, 40);
        truncated.truncated = true;
        const auto workload = workload_with({
            test::healthy_statement("1", "UPDATE orders SET status = $1 WHERE id = $2", 10, 5000),
            test::healthy_statement("2", "SELECT * FROM orders WHERE customer_id = $1", 10, 100),
            test::healthy_statement("3", "SELECT count(*) FROM orders WHERE status = $1", 10, 900),
            test::healthy_statement("4", "SELECT FROM WHERE (", 10, 800),
            nested,
            truncated,
        });
        const auto candidates = analyzer::plan_candidates(workload);
        REQUIRE(candidates.size() == 2);
        CHECK(candidates[0].statement->queryid == "3");
        CHECK(candidates[1].statement->queryid == "2");
        CHECK(candidates[1].inventory.relations.contains({"", "orders"}));
    }
}

TEST_CASE("choose_plan_targets") {
    SUBCASE("most total time first, up to the limit; nothing passed over") {
        const auto workload = workload_with({
            test::healthy_statement("2", "SELECT * FROM orders WHERE customer_id = $1", 10, 100),
            test::healthy_statement("3", "SELECT count(*) FROM orders WHERE status = $1", 10, 900),
            test::healthy_statement("4", "SELECT 1", 10, 1),
        });
        const auto selection = choose(workload, 2);
        REQUIRE(selection.targets.size() == 2);
        CHECK(selection.targets[0].queryid == "3");
        CHECK(selection.targets[1].queryid == "2");
        CHECK(selection.skipped.empty());
    }
    SUBCASE("statements with side effects are passed over with the reason, and the limit counts runs") {
        const auto workload = workload_with({
            test::healthy_statement("1", "SELECT * FROM orders WHERE id = $1 FOR UPDATE", 1, 90),
            test::healthy_statement("2", "SELECT * INTO copy FROM orders", 1, 80),
            test::healthy_statement(
                "3", "WITH d AS (DELETE FROM orders WHERE id = $1 RETURNING *) SELECT * FROM d", 1, 70),
            test::healthy_statement("4", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity", 1, 60),
            test::healthy_statement("5", "SELECT count(*) FROM orders", 1, 50),
        });
        const auto selection = choose(workload, 1);
        REQUIRE(selection.targets.size() == 1);
        CHECK(selection.targets[0].queryid == "5");
        REQUIRE(selection.skipped.size() == 4);
        CHECK(selection.skipped[0].queryid == "1");
        CHECK(selection.skipped[0].unsafe);
        CHECK(selection.skipped[0].reason == "it takes row locks (FOR UPDATE/SHARE), which would block other sessions");
        CHECK(selection.skipped[1].reason == "it creates a table (SELECT INTO)");
        CHECK(selection.skipped[2].reason == "it modifies data (INSERT, UPDATE, DELETE or MERGE in a WITH query)");
        CHECK(selection.skipped[3].reason == "it calls pg_terminate_backend(), which signals another session");
    }
    SUBCASE("a table another session locks") {
        auto workload = workload_with({test::healthy_statement("1", "SELECT count(*) FROM orders", 1, 90)});
        workload.locks.push_back({"public", "orders", 4242, "AccessExclusiveLock", true, ""});
        const auto selection = choose(workload, 5);
        CHECK(selection.targets.empty());
        REQUIRE(selection.skipped.size() == 1);
        CHECK_FALSE(selection.skipped[0].unsafe);
        CHECK(selection.skipped[0].reason == "it reads public.orders, on which session 4242 holds AccessExclusiveLock");
    }
    SUBCASE("parameters from pg_stats (the middle row quantile) and LIMIT from rows per call") {
        auto statement = test::healthy_statement(
            "1",
            "SELECT id FROM orders WHERE customer_id = $1 AND created_at > $2 AND status = $3 "
            "ORDER BY created_at DESC LIMIT $4",
            4, 10);
        statement.rows = 30; // 7.5 rows per call: LIMIT 8
        const auto selection = choose(workload_with({statement}), 10);
        REQUIRE(selection.targets.size() == 1);
        const auto& target = selection.targets[0];
        REQUIRE(target.params.size() == 4);
        CHECK(target.params[0] == "20");         // equality: the median
        CHECK(target.params[1] == "2025-01-01"); // > : the 95th percentile
        CHECK(target.params[2] == "delivered");  // the value of the middle row
        CHECK(target.params[3] == "8");
        CHECK(target.param_sources[0] == "orders.customer_id = $n, from pg_stats");
        CHECK(target.param_sources[3] == "LIMIT: 8 rows per call measured by pg_stat_statements (30 rows / 4 calls)");
        CHECK(target.param_types[3] == "bigint");
    }
    SUBCASE("lower(column) = lower($n) takes a value of the column") {
        const auto selection = choose(
            workload_with({test::healthy_statement("1", "SELECT id FROM customers WHERE lower(email) = lower($1)", 1, 10)}),
            10);
        REQUIRE(selection.targets.size() == 1);
        CHECK(selection.targets[0].params[0] == "c@x");
    }
    SUBCASE("a parameter without a value is never a NULL stand-in: the statement is passed over") {
        const auto workload = workload_with({
            test::healthy_statement("1", "SELECT id FROM orders WHERE total > $1", 1, 30),
            test::healthy_statement("2", "SELECT date_trunc($1, created_at), count(*) FROM orders GROUP BY 1", 1, 20),
            test::healthy_statement("3", "SELECT id FROM orders ORDER BY id LIMIT 10 OFFSET $1", 1, 10),
        });
        const auto selection = choose(workload, 10);
        CHECK(selection.targets.empty());
        REQUIRE(selection.skipped.size() == 3);
        CHECK(selection.skipped[0].reason ==
              "parameter $1 (orders.total) has no representative value: pg_stats holds no values for that column "
              "(run ANALYZE, or grant SELECT on it)");
        CHECK(selection.skipped[1].reason.starts_with("parameter $1 is not compared with a plain column"));
        CHECK(selection.skipped[2].reason ==
              "OFFSET $1 is a parameter: the workload does not tell which offsets the application asks for");
    }
    SUBCASE("to_timestamp($n) against a timestamp gets epoch seconds") {
        auto workload = workload_with({test::healthy_statement(
            "1", "SELECT count(*) FROM orders WHERE created_at BETWEEN to_timestamp($1) AND to_timestamp($2)", 1,
            10)});
        workload.column_stats[1].histogram_bounds = {"2024-01-01 00:00:00+00", "2024-06-30 12:00:00.25+02",
                                                     "2025-01-01 00:00:00-01:30"};
        const auto selection = choose(workload, 10);
        REQUIRE(selection.targets.size() == 1);
        REQUIRE(selection.targets[0].params.size() == 2);
        // 2024-06-30 12:00:00+02 is 10:00 UTC; the window is one histogram bucket wide.
        CHECK(selection.targets[0].params[0] == "1719741600");
        CHECK(selection.targets[0].params[1] == "1735695000");
        CHECK(selection.targets[0].param_sources[0] == "orders.created_at BETWEEN $n, from pg_stats as epoch seconds");
    }
}
