#include "analyzer/health.hpp"
#include "test_analyzer_health_fakes.hpp"

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

} // namespace

TEST_CASE("choose_plan_targets") {
    SUBCASE("only SELECTs, most total time first, up to the limit") {
        const auto workload = workload_with({
            test::healthy_statement("1", "UPDATE orders SET status = $1 WHERE id = $2", 10, 5000),
            test::healthy_statement("2", "SELECT * FROM orders WHERE customer_id = $1", 10, 100),
            test::healthy_statement("3", "SELECT count(*) FROM orders WHERE status = $1", 10, 900),
            test::healthy_statement("4", "SELECT 1", 10, 1),
        });
        const auto targets = analyzer::choose_plan_targets(workload, 2);
        REQUIRE(targets.size() == 2);
        CHECK(targets[0].queryid == "3");
        CHECK(targets[1].queryid == "2");
    }
    SUBCASE("never row locks, SELECT INTO, data-modifying WITH, nested or truncated text") {
        auto nested = test::healthy_statement("5", "SELECT * FROM orders WHERE id = $1", 1, 50);
        nested.toplevel = false;
        auto truncated = test::healthy_statement("6", "SELECT * FROM orders WHERE id = $1", 1, 40);
        truncated.truncated = true;
        const auto workload = workload_with({
            test::healthy_statement("1", "SELECT * FROM orders WHERE id = $1 FOR UPDATE", 1, 90),
            test::healthy_statement("2", "SELECT * INTO copy FROM orders", 1, 80),
            test::healthy_statement(
                "3", "WITH d AS (DELETE FROM orders WHERE id = $1 RETURNING *) SELECT * FROM d", 1,
                70),
            test::healthy_statement("4", "select * from orders where id = $1 for key share", 1, 60),
            nested,
            truncated,
        });
        CHECK(analyzer::choose_plan_targets(workload, 10).empty());
    }
    SUBCASE("parameters from pg_stats, LIMIT and unknowns") {
        const auto workload = workload_with({test::healthy_statement(
            "1",
            "SELECT id FROM orders WHERE customer_id = $1 AND created_at > $2 AND status = $3 "
            "AND total > $4 ORDER BY created_at DESC LIMIT $5",
            1, 10)});
        const auto targets = analyzer::choose_plan_targets(workload, 10);
        REQUIRE(targets.size() == 1);
        const auto& params = targets[0].params;
        REQUIRE(params.size() == 5);
        CHECK(params[0] == "20");         // histogram median
        CHECK(params[1] == "2024-10-01"); // upper quartile
        CHECK(params[2] == "shipped");    // middle most-common value
        CHECK_FALSE(params[3]);           // no statistics for total: NULL
        CHECK(params[4] == "10");
        CHECK(targets[0].param_sources[0] == "orders.customer_id typical value");
        CHECK(targets[0].param_sources[3] == "unknown (NULL)");
        CHECK(targets[0].param_sources[4] == "LIMIT");
    }
    SUBCASE("BETWEEN takes a central slice; parameters behind aliases resolve") {
        const auto workload = workload_with({test::healthy_statement(
            "1", "SELECT o.id FROM orders o WHERE o.created_at BETWEEN $1 AND $2 OFFSET $3", 1,
            10)});
        const auto targets = analyzer::choose_plan_targets(workload, 10);
        REQUIRE(targets.size() == 1);
        REQUIRE(targets[0].params.size() == 3);
        CHECK(targets[0].params[0] == "2024-07-01");
        CHECK(targets[0].params[1] == "2024-07-01");
        CHECK(targets[0].params[2] == "0");
    }
    SUBCASE("to_timestamp($n) against a timestamp gets epoch seconds") {
        auto workload = workload_with({test::healthy_statement(
            "1",
            "SELECT count(*) FROM orders WHERE created_at BETWEEN to_timestamp($1) AND "
            "to_timestamp($2)",
            1, 10)});
        workload.column_stats[1].histogram_bounds = {
            "2024-01-01 00:00:00+00", "2024-06-30 12:00:00.25+02", "2025-01-01 00:00:00-01:30"};
        const auto targets = analyzer::choose_plan_targets(workload, 10);
        REQUIRE(targets.size() == 1);
        REQUIRE(targets[0].params.size() == 2);
        // 2024-06-30 12:00:00+02 is 10:00 UTC.
        CHECK(targets[0].params[0] == "1719741600");
        CHECK(targets[0].params[1] == "1719741600");
        CHECK(targets[0].param_sources[0] == "orders.created_at 45th percentile as epoch seconds");
        workload.column_stats[1].histogram_bounds = {"2025-01-01 00:00:00-01:30"};
        CHECK(analyzer::choose_plan_targets(workload, 10)[0].params[0] == "1735695000");
    }
    SUBCASE("a statement that does not parse is skipped") {
        const auto workload =
            workload_with({test::healthy_statement("1", "SELECT FROM WHERE (", 1, 10)});
        CHECK(analyzer::choose_plan_targets(workload, 10).empty());
    }
}
