#include "db/live_planner.hpp"

#include <doctest/doctest.h>

using dbadvise::db::early_exit_extra_cost;

// Plans as PostgreSQL 15 printed them (EXPLAIN (FORMAT JSON) on the shop workload's tables, a
// million orders), shortened to the fields the check reads.
TEST_CASE("early_exit_extra_cost: a LIMIT that stops early over discarded rows") {
    SUBCASE("an index scan in ORDER BY order with a Filter below the LIMIT") {
        const char* plan = R"json([{"Plan": {"Node Type": "Limit", "Startup Cost": 0.42, "Total Cost": 20.18,
            "Plan Rows": 10, "Plans": [{"Node Type": "Index Scan", "Parent Relationship": "Outer",
            "Index Name": "orders_pkey", "Relation Name": "orders", "Startup Cost": 0.42,
            "Total Cost": 37735.58, "Plan Rows": 19100, "Filter": "(status = 'cancelled'::text)"}]}}])json";
        CHECK(early_exit_extra_cost(plan) == doctest::Approx(37735.58 - 20.18));
    }
    SUBCASE("a nested loop whose inner side filters") {
        const char* plan = R"json([{"Plan": {"Node Type": "Limit", "Startup Cost": 0.73, "Total Cost": 19.42,
            "Plans": [{"Node Type": "Nested Loop", "Parent Relationship": "Outer", "Join Type": "Inner",
            "Startup Cost": 0.73, "Total Cost": 190649.15, "Plans": [
              {"Node Type": "Index Scan", "Parent Relationship": "Outer", "Index Name": "orders_pkey",
               "Total Cost": 35235.6},
              {"Node Type": "Memoize", "Parent Relationship": "Inner", "Total Cost": 2.11, "Plans": [
                {"Node Type": "Index Scan", "Parent Relationship": "Outer", "Index Name": "customers_pkey",
                 "Total Cost": 2.1, "Index Cond": "(id = o.customer_id)", "Filter": "(country_id = 3)"}]}]}]}}])json";
        CHECK(early_exit_extra_cost(plan) == doctest::Approx(190649.15 - 19.42));
    }
}

TEST_CASE("early_exit_extra_cost: plans that read what they return, or their whole input anyway") {
    SUBCASE("an index scan with no filter: every row read is returned") {
        const char* plan = R"json([{"Plan": {"Node Type": "Limit", "Total Cost": 0.73, "Plans": [
            {"Node Type": "Index Only Scan", "Parent Relationship": "Outer", "Index Name": "orders_pkey",
             "Total Cost": 30751.5}]}}])json";
        CHECK(early_exit_extra_cost(plan) == 0);
    }
    SUBCASE("a Sort below the LIMIT reads its whole input before the first row") {
        const char* plan = R"json([{"Plan": {"Node Type": "Limit", "Total Cost": 15460.45, "Plans": [
            {"Node Type": "Sort", "Parent Relationship": "Outer", "Total Cost": 15460.45, "Plans": [
              {"Node Type": "Gather", "Parent Relationship": "Outer", "Total Cost": 15460.43, "Plans": [
                {"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Total Cost": 14460.33,
                 "Filter": "(status = 'lost'::text)"}]}]}]}}])json";
        CHECK(early_exit_extra_cost(plan) == 0);
    }
    SUBCASE("no LIMIT, or not a plan") {
        CHECK(early_exit_extra_cost(R"json([{"Plan": {"Node Type": "Seq Scan", "Total Cost": 10, "Filter": "(a = 1)"}}])json") == 0);
        CHECK(early_exit_extra_cost("not json") == 0);
        CHECK(early_exit_extra_cost("{}") == 0);
    }
}
