#include "analyzer/statement_columns.hpp"
#include "analyzer/timestamp.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace dbadvise::analyzer;

namespace {

// pg_stat_statements 1.7 (PostgreSQL 12): total_time, no toplevel, no planning counters.
std::vector<StatementColumn> pg12_columns() {
    return {{"userid", "oid"},
            {"dbid", "oid"},
            {"queryid", "bigint"},
            {"query", "text"},
            {"calls", "bigint"},
            {"total_time", "double precision"},
            {"min_time", "double precision"},
            {"max_time", "double precision"},
            {"mean_time", "double precision"},
            {"stddev_time", "double precision"},
            {"rows", "bigint"},
            {"shared_blks_hit", "bigint"},
            {"shared_blks_read", "bigint"},
            {"temp_blks_read", "bigint"},
            {"temp_blks_written", "bigint"}};
}

} // namespace

TEST_CASE("value_kind") {
    CHECK(value_kind("bigint") == ValueKind::integer);
    CHECK(value_kind("oid") == ValueKind::integer);
    CHECK(value_kind("double precision") == ValueKind::number);
    CHECK(value_kind("numeric") == ValueKind::number);
    CHECK(value_kind("numeric(20,0)") == ValueKind::number);
    CHECK(value_kind("boolean") == ValueKind::boolean);
    CHECK(value_kind("timestamp with time zone") == ValueKind::text);
    CHECK(value_kind("") == ValueKind::text);
}

TEST_CASE("stat_value_from_text") {
    SUBCASE("each kind") {
        CHECK(stat_value_from_text("bigint", "-8123456789012345678") ==
              StatValue{std::int64_t{-8123456789012345678}});
        CHECK(stat_value_from_text("double precision", "12.5") == StatValue{12.5});
        CHECK(stat_value_from_text("numeric", "123456") == StatValue{123456.0});
        CHECK(stat_value_from_text("boolean", "t") == StatValue{true});
        CHECK(stat_value_from_text("boolean", "f") == StatValue{false});
        CHECK(stat_value_from_text("text", "SELECT 1") == StatValue{std::string("SELECT 1")});
    }
    SUBCASE("text that is not of the kind stays text") {
        CHECK(stat_value_from_text("bigint", "12abc") == StatValue{std::string("12abc")});
        CHECK(stat_value_from_text("double precision", "NaN") == StatValue{std::string("NaN")});
        CHECK(stat_value_from_text("double precision", "Infinity") ==
              StatValue{std::string("Infinity")});
        CHECK(stat_value_from_text("bigint", "") == StatValue{std::string()});
    }
}

TEST_CASE("column_role") {
    CHECK(column_role({"queryid", "bigint"}) == ColumnRole::key);
    CHECK(column_role({"toplevel", "boolean"}) == ColumnRole::key);
    CHECK(column_role({"calls", "bigint"}) == ColumnRole::counter);
    CHECK(column_role({"wal_bytes", "numeric"}) == ColumnRole::counter);
    CHECK(column_role({"parallel_workers_launched", "bigint"}) == ColumnRole::counter);
    CHECK(column_role({"mean_exec_time", "double precision"}) == ColumnRole::derived);
    CHECK(column_role({"stddev_time", "double precision"}) == ColumnRole::derived);
    CHECK(column_role({"query", "text"}) == ColumnRole::other);
    CHECK(column_role({"stats_since", "timestamp with time zone"}) == ColumnRole::other);
}

TEST_CASE("check_statement_columns") {
    SUBCASE("PostgreSQL 12's column set is enough") {
        CHECK(check_statement_columns(pg12_columns()).has_value());
    }
    SUBCASE("a missing column is named") {
        auto columns = pg12_columns();
        columns.erase(columns.begin() + 4); // calls
        const auto checked = check_statement_columns(columns);
        REQUIRE_FALSE(checked.has_value());
        CHECK(checked.error() == "pg_stat_statements has no column calls");
    }
    SUBCASE("no total time under either name") {
        auto columns = pg12_columns();
        columns.erase(columns.begin() + 5); // total_time
        const auto checked = check_statement_columns(columns);
        REQUIRE_FALSE(checked.has_value());
        CHECK(checked.error() ==
              "pg_stat_statements has no column total_exec_time (or total_time before 13)");
    }
}

TEST_CASE("fill_statement") {
    SUBCASE("PostgreSQL 12: total_time, every statement top level") {
        WorkloadStatement s;
        s.values = {std::int64_t{10},
                    std::int64_t{5},
                    std::int64_t{-42},
                    std::string("SELECT 1"),
                    std::int64_t{4},
                    10.0,
                    1.0,
                    4.0,
                    2.5,
                    1.0,
                    std::int64_t{4},
                    std::int64_t{40},
                    std::int64_t{2},
                    std::int64_t{0},
                    std::int64_t{1}};
        fill_statement(s, pg12_columns());
        CHECK(s.queryid == "-42");
        CHECK(s.text == "SELECT 1");
        CHECK(s.calls == 4);
        CHECK(s.total_ms == 10.0);
        CHECK(s.mean_ms == 2.5);
        CHECK(s.rows == 4);
        CHECK(s.shared_blks_hit == 40);
        CHECK(s.shared_blks_read == 2);
        CHECK(s.temp_blks_written == 1);
        CHECK(s.toplevel);
        CHECK(s.userid == 10);
    }
    SUBCASE("PostgreSQL 14+: total_exec_time, toplevel; a NULL mean is total / calls") {
        const std::vector<StatementColumn> columns = {{"userid", "oid"},
                                                      {"toplevel", "boolean"},
                                                      {"queryid", "bigint"},
                                                      {"query", "text"},
                                                      {"calls", "bigint"},
                                                      {"total_exec_time", "double precision"},
                                                      {"mean_exec_time", "double precision"},
                                                      {"rows", "bigint"}};
        WorkloadStatement s;
        s.values = {std::int64_t{10}, false, std::int64_t{7},  std::string("SELECT 2"),
                    std::int64_t{8},  4.0,   std::monostate{}, std::int64_t{8}};
        fill_statement(s, columns);
        CHECK_FALSE(s.toplevel);
        CHECK(s.mean_ms == 0.5);
        CHECK(s.shared_blks_hit == 0); // not in this column set
    }
}

TEST_CASE("looks_truncated") {
    const std::string cut(1023, 'x');
    CHECK(looks_truncated(cut, 1024));
    CHECK_FALSE(looks_truncated(cut.substr(0, 1000), 1024));
    CHECK_FALSE(looks_truncated(cut, 0));
}

TEST_CASE("mark_truncated_statements") {
    Workload w;
    w.settings.push_back({"track_activity_query_size", "100B", "B", "100"});
    WorkloadStatement cut;
    cut.text = "SELECT id FROM orders WHERE status IN (";
    for (int n = 1; cut.text.size() < 99; ++n)
        cut.text += "$" + std::to_string(n) + ", ";
    cut.text.resize(99);
    WorkloadStatement whole;
    whole.text = "SELECT 1";
    w.statements = {cut, whole};
    mark_truncated_statements(w);
    CHECK(w.statements[0].truncated);
    CHECK_FALSE(w.statements[1].truncated);
}

TEST_CASE("parse_timestamp_us") {
    SUBCASE("PostgreSQL's ISO output in UTC, with and without a fraction") {
        CHECK(parse_timestamp_us("1970-01-01 00:00:00+00") == 0);
        CHECK(parse_timestamp_us("2025-03-01 12:34:56.789+00") == 1740832496789000);
        CHECK(parse_timestamp_us("2025-03-01 12:34:56.000001+00") == 1740832496000001);
    }
    SUBCASE("zones, a T, Z and a date alone") {
        CHECK(parse_timestamp_us("2025-03-01 13:34:56+01") == 1740832496000000);
        CHECK(parse_timestamp_us("2025-03-01 07:04:56-05:30") == 1740832496000000);
        CHECK(parse_timestamp_us("2025-03-01T12:34:56Z") == 1740832496000000);
        CHECK(parse_timestamp_us("2025-03-01") == 1740787200000000);
    }
    SUBCASE("anything else") {
        CHECK_FALSE(parse_timestamp_us(""));
        CHECK_FALSE(parse_timestamp_us("yesterday"));
        CHECK_FALSE(parse_timestamp_us("2025-13-01"));
        CHECK_FALSE(parse_timestamp_us("2025-03-01 12:34"));
        CHECK_FALSE(parse_timestamp_us("2025-03-01 12:34:56+00 junk"));
    }
}
