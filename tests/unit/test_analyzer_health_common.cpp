#include "analyzer/health/checks.hpp"
#include "test_analyzer_health_fakes.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;
namespace health = dbadvise::analyzer::health;

TEST_CASE("setting_bytes") {
    analyzer::Workload workload;
    workload.settings = {
        test::memory_setting("shared_buffers", "16384", "8kB", "128MB"),
        test::memory_setting("work_mem", "4096", "kB", "4MB"),
        test::plain_setting("effective_cache_size", "4GB"),
        test::plain_setting("track_io_timing", "off"),
        test::memory_setting("statement_timeout", "5000", "ms", "5s"),
    };
    SUBCASE("raw value times the unit") {
        CHECK(health::setting_bytes(workload, "shared_buffers") == 128LL << 20);
        CHECK(health::setting_bytes(workload, "work_mem") == 4LL << 20);
    }
    SUBCASE("display value when there is no unit") {
        CHECK(health::setting_bytes(workload, "effective_cache_size") == 4LL << 30);
    }
    SUBCASE("not a memory amount") {
        CHECK_FALSE(health::setting_bytes(workload, "track_io_timing"));
        CHECK_FALSE(health::setting_bytes(workload, "statement_timeout"));
        CHECK_FALSE(health::setting_bytes(workload, "missing"));
    }
}

TEST_CASE("format helpers") {
    CHECK(health::format_bytes(512) == "512 bytes");
    CHECK(health::format_bytes(8192) == "8.0 kB");
    CHECK(health::format_bytes(1.5 * 1024 * 1024 * 1024) == "1.5 GB");
    CHECK(health::format_percent(0.97314) == "97.31%");
    CHECK(health::work_mem_value(0) == "1MB");
    CHECK(health::work_mem_value(1024 * 1024) == "1MB");
    CHECK(health::work_mem_value(1024 * 1024 + 1) == "2MB");
    CHECK(health::work_mem_value(3.0 * 1024 * 1024 * 1024) == "4GB");
    CHECK(analyzer::excerpt("SELECT  a,\n  b FROM t", 100) == "SELECT a, b FROM t");
    CHECK(analyzer::excerpt("SELECT abcdef", 6) == "SELECT...");
}

TEST_CASE("quote_identifier") {
    CHECK(analyzer::quote_identifier("orders") == "orders");
    CHECK(analyzer::quote_identifier("order") == "\"order\"");
    CHECK(analyzer::quote_identifier("Orders") == "\"Orders\"");
    CHECK(analyzer::quote_identifier("a\"b") == "\"a\"\"b\"");
    CHECK(health::qualified_name("sales", "user") == "sales.\"user\"");
    SUBCASE("names a terminal would obey are Unicode-escaped") {
        CHECK(analyzer::quote_identifier("evil\x1b[2J\u202e") == "U&\"evil\\001B[2J\\202E\"");
        CHECK(analyzer::quote_identifier("two\nlines \"q\" a\\b") ==
              "U&\"two\\000Alines \"\"q\"\" a\\\\b\"");
        CHECK(analyzer::quote_identifier("caf\u00e9 \\") == "\"caf\u00e9 \\\"");
    }
}

TEST_CASE("recommendation_for") {
    analyzer::WorkloadStatement statement;
    statement.queryid = "-42";
    statement.text = "SELECT 1 FROM t WHERE a = $1";
    SUBCASE("query id in an evidence list") {
        const std::vector<analyzer::Finding> recommendations{
            test::index_recommendation("[7,-42]", "CREATE INDEX CONCURRENTLY i ON t (a);")};
        CHECK(health::recommendation_for(recommendations, statement) == &recommendations[0]);
    }
    SUBCASE("a longer id that merely contains it does not match") {
        const std::vector<analyzer::Finding> recommendations{
            test::index_recommendation("-421", "CREATE INDEX CONCURRENTLY i ON t (a);")};
        CHECK(health::recommendation_for(recommendations, statement) == nullptr);
    }
    SUBCASE("the index advisor's statement lines") {
        auto recommendation =
            test::index_recommendation("", "CREATE INDEX CONCURRENTLY i ON t (a);");
        recommendation.evidence = {
            {"statements_helped", std::int64_t{2}},
            {"statement_1", std::string("queryid 7: 120 calls, mean 71.736 ms, cost 15466.71 -> "
                                        "12.50: SELECT 2 FROM t")},
            {"statement_2", std::string("queryid -42: 60 calls, mean 1.000 ms, cost 42.00 -> "
                                        "8.00: SELECT 1 FROM t WHERE a = $1")}};
        const std::vector<analyzer::Finding> recommendations{recommendation};
        CHECK(health::recommendation_for(recommendations, statement) == &recommendations[0]);
        // In such lines only the number after "queryid" is an id, not the calls or costs.
        statement.queryid = "60";
        statement.text = "SELECT 3";
        CHECK(health::recommendation_for(recommendations, statement) == nullptr);
    }
    SUBCASE("query id as a number in evidence") {
        auto recommendation =
            test::index_recommendation("", "CREATE INDEX CONCURRENTLY i ON t (a);");
        recommendation.evidence = {{"queryid", std::int64_t{-42}}};
        const std::vector<analyzer::Finding> recommendations{recommendation};
        CHECK(health::recommendation_for(recommendations, statement) == &recommendations[0]);
    }
}
