#include "analyzer/plan/plan_analysis.hpp"
#include "plan_test_support.hpp"

#include <doctest/doctest.h>

using namespace dbadvise::analyzer;
using namespace dbadvise::analyzer::plan;
using dbadvise::test::read_plan_file;

TEST_CASE("analyze_plan") {
    SUBCASE("hot nodes by exclusive time, with their share") {
        const auto analysis = analyze_plan(read_plan_file("sort_spill.json"), "sort_spill.json");
        REQUIRE(analysis.has_value());
        REQUIRE(analysis->hot_nodes.size() == 2);
        const HotNode& sort = analysis->hot_nodes[0];
        CHECK(sort.path == "Plan");
        CHECK(sort.node_type == "Sort");
        CHECK(sort.relation.empty());
        CHECK(sort.exclusive_ms == doctest::Approx(161.856 - 17.914));
        CHECK(sort.share == doctest::Approx((161.856 - 17.914) / 168.808));
        CHECK(analysis->hot_nodes[1].relation == "orders");
        REQUIRE(analysis->findings.size() == 1);
        CHECK(analysis->findings[0].location->file == "sort_spill.json");
        CHECK(analysis->findings[0].rank == doctest::Approx(161.856 - 17.914));
    }
    SUBCASE("at most five hot nodes, hottest first") {
        const auto analysis = analyze_plan(read_plan_file("subplans.json"), "-");
        REQUIRE(analysis.has_value());
        CHECK(analysis->hot_nodes.size() == 5);
        for (std::size_t i = 1; i < analysis->hot_nodes.size(); ++i) {
            CHECK(analysis->hot_nodes[i - 1].exclusive_ms >= analysis->hot_nodes[i].exclusive_ms);
        }
        CHECK(analysis->findings[0].location->file == "-");
    }
    SUBCASE("no timing, no hot nodes") {
        const auto analysis = analyze_plan(read_plan_file("estimate_only.json"), "p.json");
        REQUIRE(analysis.has_value());
        CHECK(analysis->hot_nodes.empty());
        CHECK(analysis->findings.empty());
    }
    SUBCASE("errors pass through") {
        const auto analysis = analyze_plan("[{\"Plan\": ", "p.json");
        REQUIRE_FALSE(analysis.has_value());
        CHECK(analysis.error().line == 1);
        CHECK(
            analysis.error().message.starts_with("invalid JSON: syntax error while parsing value"));
    }
}

TEST_CASE("check_plan orders by rank") {
    const auto plan = parse_plan(read_plan_file("hash_batches.json"));
    REQUIRE(plan.has_value());
    const std::vector<Finding> findings = check_plan(*plan, "x");
    REQUIRE(findings.size() == 2);
    CHECK(findings[0].rank >= findings[1].rank);
    CHECK(findings[0].id() != findings[1].id());
}
