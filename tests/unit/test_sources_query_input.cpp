#include "analyzer/rule_registry.hpp"
#include "sources/gzip.hpp"
#include "sources/query_input.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <expected>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace dbadvise;
using sources::QueryFormat;

namespace {

sources::QueryInput read(const std::string& text, QueryFormat format = QueryFormat::automatic) {
    std::istringstream in(text);
    sources::QueryInputOptions options;
    options.name = "app.log";
    options.format = format;
    auto result = sources::read_query_input(in, options);
    REQUIRE_MESSAGE(result.has_value(), (result.has_value() ? "" : result.error()));
    return std::move(*result);
}

const analyzer::WorkloadStatement* find(const sources::QueryInput& input, std::string_view text) {
    for (const auto& statement : input.statements) {
        if (statement.text == text) return &statement;
    }
    return nullptr;
}

std::int64_t stat(const sources::QueryInput& input, std::string_view name) {
    for (const auto& [key, value] : input.stats) {
        if (key == name) return std::get<std::int64_t>(value);
    }
    FAIL("no stat ", name);
    return -1;
}

bool has_finding(const sources::QueryInput& input, std::string_view rule, int line) {
    return std::ranges::any_of(input.findings, [&](const analyzer::Finding& finding) {
        return finding.rule_id() == rule && finding.location && finding.location->line == line &&
               finding.location->file == "app.log";
    });
}

} // namespace

TEST_CASE("detect_query_format") {
    CHECK(sources::detect_query_format("{\"timestamp\":\"2025-01-01\"}") == QueryFormat::jsonlog);
    CHECK(sources::detect_query_format(
              "2025-01-02 03:04:05.678 UTC,\"postgres\",\"shop\",123,\"[local]\",...") ==
          QueryFormat::csvlog);
    CHECK(sources::detect_query_format("2025-01-02 03:04:05.678 UTC [123] LOG:  duration: 1 ms") ==
          QueryFormat::stderr_log);
    CHECK(sources::detect_query_format("[123] user=app,db=shop LOG:  statement: SELECT 1") ==
          QueryFormat::stderr_log);
    // A stderr prefix with a comma after the timestamp ('%m,%p ') is not csvlog.
    CHECK(sources::detect_query_format("2025-01-02 03:04:05.678 UTC,4242 LOG:  duration: 1 ms  statement: SELECT 1") ==
          QueryFormat::stderr_log);
    CHECK(sources::detect_query_format("2025-01-02 03:04:05.678 UTC,,,4242,,65f1.2,1,,2025-01-02 03:00:00 UTC,,0,LOG,00000,\"x\"") ==
          QueryFormat::csvlog);
    CHECK(sources::detect_query_format("SELECT * FROM orders WHERE id = 1;") == QueryFormat::sql);
    CHECK(sources::detect_query_format("-- calls: 3") == QueryFormat::sql);
}

TEST_CASE("stderr log: durations, execute, parameters, continuation lines, any prefix") {
    const std::string log =
        "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 2.500 ms  statement: SELECT * FROM orders WHERE customer_id = 42\n"
        "2025-01-02 03:04:05.679 UTC [11] LOG:  duration: 1.500 ms  statement: select *\n"
        "\tfrom orders\n"
        "\twhere customer_id = 7\n"
        "2025-01-02 03:04:05.680 UTC [12] LOG:  duration: 0.010 ms  parse <unnamed>: SELECT * FROM items WHERE sku = $1\n"
        "2025-01-02 03:04:05.680 UTC [12] LOG:  duration: 0.020 ms  bind <unnamed>: SELECT * FROM items WHERE sku = $1\n"
        "2025-01-02 03:04:05.680 UTC [12] DETAIL:  parameters: $1 = 'A-1'\n"
        "2025-01-02 03:04:05.681 UTC [12] LOG:  duration: 4.000 ms  execute <unnamed>: SELECT * FROM items WHERE sku = $1\n"
        "2025-01-02 03:04:05.681 UTC [12] DETAIL:  parameters: $1 = 'A-1'\n"
        "2025-01-02 03:04:05.682 UTC [12] LOG:  duration: 6.000 ms  execute S_1: SELECT * FROM items WHERE sku = $1\n"
        "2025-01-02 03:04:05.683 UTC [13] ERROR:  relation \"nope\" does not exist at character 15\n"
        "2025-01-02 03:04:05.683 UTC [13] STATEMENT:  SELECT * FROM nope\n"
        "2025-01-02 03:04:05.684 UTC [13] LOG:  checkpoint starting: time\n";
    const sources::QueryInput input = read(log);
    CHECK(input.format == QueryFormat::stderr_log);
    REQUIRE(input.statements.size() == 2);
    const auto* orders = find(input, "SELECT * FROM orders WHERE customer_id = $1");
    REQUIRE(orders != nullptr);
    CHECK(orders->calls == 2); // the multi-line one groups with the one-line one
    CHECK(orders->total_ms == doctest::Approx(4.0));
    CHECK(orders->mean_ms == doctest::Approx(2.0));
    CHECK(orders->queryid.size() == 16);
    const auto* items = find(input, "SELECT * FROM items WHERE sku = $1");
    REQUIRE(items != nullptr);
    CHECK(items->calls == 2); // parse and bind steps are not executions
    CHECK(items->total_ms == doctest::Approx(10.0));
    CHECK(input.findings.empty());
    CHECK(stat(input, "queries_executions") == 4);
    CHECK(stat(input, "queries_lines") == 13);
}

TEST_CASE("stderr log: bad lines are findings at file:line and the rest is read") {
    const std::string log =
        "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 2.5 ms  statement: SELECT 1\n"
        "some other program wrote this\n"
        "2025-01-02 03:04:05.679 UTC [11] LOG:  duration: 2.x ms  statement: SELECT 2\n"
        "2025-01-02 03:04:05.680 UTC [11] LOG:  duration: 3 ms  statement: SELECT * FROM t WHERE\n"
        "2025-01-02 03:04:05.681 UTC [11] LOG:  duration: 3 ms  statement: SELECT 3\n"
        "2025-01-02 03:04:05.682 UTC [11] LO";
    const sources::QueryInput input = read(log);
    CHECK(has_finding(input, "unreadable-line", 2));
    CHECK(has_finding(input, "unreadable-line", 3));
    CHECK(has_finding(input, "parse-error", 4));
    CHECK(has_finding(input, "unreadable-line", 6)); // cut in the middle, at the end
    CHECK(input.findings.size() == 4);
    REQUIRE(input.statements.size() == 1); // SELECT 1 and SELECT 3 group
    CHECK(input.statements[0].calls == 2);
    CHECK(stat(input, "queries_parse_errors") == 1);
    CHECK(stat(input, "queries_unreadable_lines") == 3);
}

TEST_CASE("csvlog: quoted fields across lines, doubled quotes, a record cut at the end") {
    const std::string log =
        "2025-01-02 03:04:05.678 UTC,\"postgres\",\"shop\",11,\"[local]\",6776a1,1,\"SELECT\",2025-01-02 03:04:00 UTC,3/2,0,LOG,00000,\"duration: 1.250 ms  statement: SELECT name FROM customers\n"
        "WHERE email = 'a@b.c' AND note = 'say \"\"hi\"\"'\",,,,,,,,,\"psql\",\"client backend\",,0\n"
        "2025-01-02 03:04:05.679 UTC,\"postgres\",\"shop\",11,\"[local]\",6776a1,2,\"SELECT\",2025-01-02 03:04:00 UTC,3/3,0,LOG,00000,\"duration: 0.750 ms  execute <unnamed>: SELECT name FROM customers WHERE email = $1 AND note = $2\",\"parameters: $1 = 'x', $2 = 'y'\",,,,,,,,\"app\",\"client backend\",,0\n"
        "2025-01-02 03:04:05.680 UTC,\"postgres\",\"shop\",11,\"[local]\",6776a1,3,\"SELECT\",2025-01-02 03:04:00 UTC,3/4,0,LOG,00000,\"duration: 9 ms  statement: SELECT 'never\n"
        "closed\n";
    const sources::QueryInput input = read(log);
    CHECK(input.format == QueryFormat::csvlog);
    REQUIRE(input.statements.size() == 1);
    CHECK(input.statements[0].text == "SELECT name FROM customers\nWHERE email = $1 AND note = $2");
    CHECK(input.statements[0].calls == 2);
    CHECK(input.statements[0].total_ms == doctest::Approx(2.0));
    CHECK(has_finding(input, "unreadable-line", 4));
    CHECK(input.findings.size() == 1);
}

TEST_CASE("csvlog: a record cut in the middle of a quoted field does not swallow the records after it") {
    const std::string record =
        "2025-01-02 03:04:05.678 UTC,\"postgres\",\"shop\",11,\"[local]\",6776a1,1,\"SELECT\",2025-01-02 03:04:00 "
        "UTC,3/2,0,LOG,00000,\"duration: 2.000 ms  statement: SELECT name FROM customers WHERE id = 7\",,,,,,,,,"
        "\"psql\",\"client backend\",,0\n";
    SUBCASE("cut inside the message") {
        const std::string cut = record.substr(0, record.find("WHERE")) + "\n";
        const sources::QueryInput input = read(record + cut + record + record);
        CHECK(has_finding(input, "unreadable-line", 2));
        CHECK(input.findings.size() == 1);
        REQUIRE(input.statements.size() == 1);
        CHECK(input.statements[0].calls == 3);
    }
    SUBCASE("cut inside an earlier quoted field (the user name)") {
        const std::string cut = record.substr(0, record.find("postgres") + 4) + "\n";
        const sources::QueryInput input = read(record + record + cut + record);
        CHECK(has_finding(input, "unreadable-line", 3));
        CHECK(input.findings.size() == 1);
        REQUIRE(input.statements.size() == 1);
        CHECK(input.statements[0].calls == 3);
    }
    SUBCASE("a message line inside a quoted field that only starts with a date is not a new record") {
        const std::string multi =
            "2025-01-02 03:04:05.678 UTC,\"postgres\",\"shop\",11,\"[local]\",6776a1,1,\"SELECT\",2025-01-02 03:04:00 "
            "UTC,3/2,0,LOG,00000,\"duration: 2.000 ms  statement: SELECT name FROM customers WHERE note = 'a\n"
            "2025-01-02 03:04:05,\"\"x\"\",\"\"y\"\", not a record'\",,,,,,,,,\"psql\",\"client backend\",,0\n";
        const sources::QueryInput input = read(multi + record);
        CHECK(input.findings.empty());
        CHECK(input.statements.size() == 2);
    }
}

TEST_CASE("jsonlog: records, a line cut in the middle, other severities") {
    const std::string log =
        R"({"timestamp":"2025-01-02 03:04:05.678 UTC","pid":11,"error_severity":"LOG","message":"duration: 3.000 ms  statement: UPDATE orders SET status = 'x' WHERE id = 5"})" "\n"
        R"({"timestamp":"2025-01-02 03:04:05.679 UTC","pid":11,"error_severity":"LOG","message":"duration: 5.000 ms  statement: UPDATE orders SET status = 'y' WHERE id = 6"})" "\n"
        R"({"timestamp":"2025-01-02 03:04:05.680 UTC","pid":11,"error_severity":"ERROR","message":"oops","statement":"SELECT 1"})" "\n"
        R"({"timestamp":"2025-01-02 03:04:05.681 UTC","pid":11,"error_severity":"LOG","mess)" "\n";
    const sources::QueryInput input = read(log);
    CHECK(input.format == QueryFormat::jsonlog);
    REQUIRE(input.statements.size() == 1);
    CHECK(input.statements[0].text == "UPDATE orders SET status = $1 WHERE id = $2");
    CHECK(input.statements[0].calls == 2);
    CHECK(input.statements[0].total_ms == doctest::Approx(8.0));
    CHECK(has_finding(input, "unreadable-line", 4));
}

TEST_CASE("auto_explain plans, text and JSON, weigh by their durations") {
    const std::string log =
        "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 12.000 ms  plan:\n"
        "\tQuery Text: SELECT *\n"
        "\t  FROM orders WHERE customer_id = 3\n"
        "\tSeq Scan on orders  (cost=0.00..35.50 rows=10 width=4) (actual time=0.01..1.0 rows=3 loops=1)\n"
        "\t  Filter: (customer_id = 3)\n"
        "2025-01-02 03:04:05.679 UTC [11] LOG:  duration: 8.000 ms  plan:\n"
        "\t{\n"
        "\t  \"Query Text\": \"SELECT * FROM orders WHERE customer_id = 9\",\n"
        "\t  \"Plan\": {\"Node Type\": \"Seq Scan\"}\n"
        "\t}\n";
    const sources::QueryInput input = read(log);
    REQUIRE(input.statements.size() == 1);
    CHECK(input.statements[0].text == "SELECT *\n  FROM orders WHERE customer_id = $1");
    CHECK(input.statements[0].calls == 2);
    CHECK(input.statements[0].total_ms == doctest::Approx(20.0));
    CHECK(input.findings.empty());
}

TEST_CASE("a log with both duration lines and plans counts each execution once") {
    const std::string log =
        "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 12.000 ms  plan:\n"
        "\tQuery Text: SELECT 1\n"
        "\tResult  (cost=0.00..0.01 rows=1 width=4)\n"
        "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 12.100 ms  statement: SELECT 1\n";
    const sources::QueryInput input = read(log);
    REQUIRE(input.statements.size() == 1);
    CHECK(input.statements[0].calls == 1);
    CHECK(input.statements[0].total_ms == doctest::Approx(12.1));
    REQUIRE(input.notes.size() == 1);
    CHECK(input.notes[0].find("1 auto_explain plans were left out") != std::string::npos);
}

TEST_CASE("log_statement lines without durations count calls when nothing else is there") {
    const std::string log = "[11] LOG:  statement: SELECT * FROM t WHERE a = 1\n"
                            "[11] LOG:  statement: SELECT * FROM t WHERE a = 2\n";
    const sources::QueryInput input = read(log);
    REQUIRE(input.statements.size() == 1);
    CHECK(input.statements[0].calls == 2);
    CHECK(input.statements[0].total_ms == 0);
}

TEST_CASE("SQL files: one statement per query, weight comments, parse errors at line:column") {
    const std::string text = "-- calls: 120, ms: 2.5\n"
                             "SELECT * FROM orders WHERE customer_id = 42;\n"
                             "SELECT * FROM orders WHERE customer_id = 7;\n"
                             "-- weight: 3\n"
                             "UPDATE items SET stock = stock - 1\n"
                             "  WHERE sku = 'A';\n"
                             "SELECT * FORM orders;\n"
                             "-- calls: many\n"
                             "SELECT 1;\n";
    const sources::QueryInput input = read(text);
    CHECK(input.format == QueryFormat::sql);
    const auto* orders = find(input, "SELECT * FROM orders WHERE customer_id = $1");
    REQUIRE(orders != nullptr);
    CHECK(orders->calls == 121);
    CHECK(orders->total_ms == doctest::Approx(301.0)); // 120 x 2.5 + 1 x 1 (no ms: 1 ms a call)
    const auto* items = find(input, "UPDATE items SET stock = stock - $1\n  WHERE sku = $2");
    REQUIRE(items != nullptr);
    CHECK(items->calls == 3);
    CHECK(items->total_ms == doctest::Approx(3.0));
    REQUIRE(has_finding(input, "parse-error", 7));
    const auto error = std::ranges::find_if(input.findings, [](const auto& f) { return f.rule_id() == "parse-error"; });
    CHECK(error->location->column == 10);
    CHECK(has_finding(input, "unreadable-line", 9));
    CHECK(find(input, "SELECT $1") != nullptr);
    REQUIRE(!input.notes.empty());
}

TEST_CASE("SQL files are read as psql reads them: meta-commands are no statements and swallow none") {
    const std::string text = "\\set ON_ERROR_STOP on\n"
                             "SELECT * FROM orders WHERE customer_id = 5;\n"
                             "\\echo next\n"
                             "-- calls: 10\n"
                             "SELECT * FROM items WHERE sku = :'sku';\n"
                             "SELECT count(*) FROM orders \\gset\n"
                             "SELEC 1;\n";
    const sources::QueryInput input = read(text);
    CHECK(input.format == QueryFormat::sql);
    CHECK(find(input, "SELECT * FROM orders WHERE customer_id = $1") != nullptr);
    const auto* items = find(input, "SELECT * FROM items WHERE sku = $1");
    REQUIRE(items != nullptr);
    CHECK(items->calls == 10);
    CHECK(find(input, "SELECT count(*) FROM orders") != nullptr);
    // Only the typo is a parse error, at its own line, and it says it is not valid SQL
    // (nothing about logs).
    std::vector<int> errors;
    for (const auto& f : input.findings) {
        if (f.rule_id() == "parse-error") {
            errors.push_back(f.location->line);
            CHECK(f.message.find("not valid SQL") != std::string::npos);
            CHECK(f.message.find("log") == std::string::npos);
        }
    }
    CHECK(errors == std::vector<int>{7});
}

TEST_CASE("SQL files: a table or column named by a psql variable leaves its statement out, with a note") {
    // `orders` is a real table name: the placeholder must not be taken for it.
    const std::string text = "SELECT * FROM :\"orders\" WHERE id = 1;\n"
                             "SELECT * FROM :tbl WHERE id = 2;\n"
                             "SELECT * FROM items i JOIN (SELECT * FROM :sch.t) s ON s.id = i.id;\n"
                             "SELECT :\"col\" FROM items WHERE id = 3;\n"
                             "SELECT * FROM orders WHERE id = :id AND note = :'note';\n";
    const sources::QueryInput input = read(text);
    REQUIRE(input.statements.size() == 1);
    // Each variable is replaced in place, same length, so that locations stay the file's.
    CHECK(input.statements[0].text == "SELECT * FROM orders WHERE id = $1   AND note = $2");
    CHECK(input.findings.empty());
    CHECK(std::ranges::any_of(input.notes, [](const std::string& note) {
        return note.find("4 statements name a table or column through a psql variable") != std::string::npos &&
               note.find("the first at line 1") != std::string::npos;
    }));
}

TEST_CASE("unknown log format and findings capped") {
    std::istringstream in("2025-01-02 03:04:05 some syslog-like line without a marker\n");
    sources::QueryInputOptions options;
    options.name = "x.log";
    const auto result = sources::read_query_input(in, options);
    REQUIRE(!result.has_value());
    CHECK(result.error().starts_with("x.log:1: unknown log format"));

    std::string garbage = "[1] LOG:  duration: 1 ms  statement: SELECT 1\n";
    for (int i = 0; i < 500; ++i) garbage += "garbage line\n";
    std::istringstream many(garbage);
    options.max_findings = 10;
    const auto capped = sources::read_query_input(many, options);
    REQUIRE(capped.has_value());
    CHECK(capped->findings.size() == 10);
    CHECK(stat(*capped, "queries_unreadable_lines") == 500);
    CHECK(std::ranges::any_of(capped->notes, [](const std::string& note) {
        return note.find("490 more bad lines") != std::string::npos;
    }));
}

// Logs captured from PostgreSQL 15 by tests/queries/live.sh (log_min_duration_statement = 0
// through psql and pgbench -M extended, then auto_explain in text and JSON), one file per
// format: every format reads to the same workload.
TEST_CASE("logs captured from a real server read alike in every format") {
    const std::string dir = std::string(DBADVISE_SOURCE_DIR) + "/testdata/queries/captured/";
    for (const char* name : {"durations.log", "durations.csv", "durations.json"}) {
        CAPTURE(name);
        std::ifstream in(dir + name, std::ios::binary);
        REQUIRE(in.is_open());
        sources::QueryInputOptions options;
        options.name = name;
        const auto input = sources::read_query_input(in, options);
        REQUIRE(input.has_value());
        CHECK(input->findings.empty());
        CHECK(input->statements.size() == 4);
        CHECK(stat(*input, "queries_executions") == 10);
        const auto* count = find(*input, "SELECT count(*) FROM orders WHERE customer_id = $1");
        REQUIRE(count != nullptr);
        CHECK(count->calls == 7); // 2 with literals (psql), 5 executes with $1 (pgbench)
        CHECK(find(*input, "SELECT id, status\n  FROM orders\n WHERE customer_id = $1 AND note = $2") != nullptr);
    }
    for (const char* name : {"plans.log", "plans.csv", "plans.json"}) {
        CAPTURE(name);
        std::ifstream in(dir + name, std::ios::binary);
        REQUIRE(in.is_open());
        sources::QueryInputOptions options;
        options.name = name;
        const auto input = sources::read_query_input(in, options);
        REQUIRE(input.has_value());
        CHECK(input->findings.empty());
        REQUIRE(input->statements.size() == 1);
        CHECK(input->statements[0].text == "SELECT count(*) FROM orders WHERE status = $1");
        CHECK(input->statements[0].calls == 2);
        CHECK(input->statements[0].total_ms > 0);
    }
}

TEST_CASE("every statement keeps where it was first seen") {
    const auto origin = [](const analyzer::WorkloadStatement* s) {
        REQUIRE(s != nullptr);
        return s->origin_file + ":" + std::to_string(s->origin_line) + ":" + std::to_string(s->origin_column);
    };
    SUBCASE("SQL file: file, line and column of the first occurrence") {
        const sources::QueryInput input = read("-- calls: 3\n"
                                               "  SELECT * FROM orders WHERE customer_id = 42; SELECT 1;\n"
                                               "\n"
                                               "select *\n"
                                               "  from orders where customer_id = 7;\n"
                                               "UPDATE items SET stock = 0 WHERE sku = 'A';\n");
        CHECK(origin(find(input, "SELECT * FROM orders WHERE customer_id = $1")) == "app.log:2:3");
        CHECK(origin(find(input, "SELECT $1")) == "app.log:2:48");
        CHECK(origin(find(input, "UPDATE items SET stock = $1 WHERE sku = $2")) == "app.log:6:1");
    }
    SUBCASE("columns count characters, not bytes") {
        const sources::QueryInput input = read("SELECT 'é'; SELECT * FROM t;\n");
        CHECK(origin(find(input, "SELECT * FROM t")) == "app.log:1:13");
    }
    SUBCASE("stderr log: the line of the first record, no column") {
        const sources::QueryInput input = read(
            "2025-01-02 03:04:05.678 UTC [11] LOG:  checkpoint starting: time\n"
            "2025-01-02 03:04:05.679 UTC [11] LOG:  duration: 1.500 ms  statement: select *\n"
            "\tfrom orders\n"
            "\twhere customer_id = 7\n"
            "2025-01-02 03:04:05.680 UTC [11] LOG:  duration: 2.500 ms  statement: SELECT * FROM orders WHERE customer_id = 42\n");
        REQUIRE(input.statements.size() == 1);
        CHECK(origin(&input.statements[0]) == "app.log:2:0");
    }
    SUBCASE("jsonlog: the line of the first record") {
        const sources::QueryInput input = read(
            R"({"timestamp":"2025-01-02 03:04:05.678 UTC","pid":11,"error_severity":"ERROR","message":"oops"})" "\n"
            R"({"timestamp":"2025-01-02 03:04:05.679 UTC","pid":11,"error_severity":"LOG","message":"duration: 3.000 ms  statement: UPDATE orders SET status = 'x' WHERE id = 5"})" "\n"
            R"({"timestamp":"2025-01-02 03:04:05.680 UTC","pid":11,"error_severity":"LOG","message":"duration: 3.000 ms  statement: UPDATE orders SET status = 'y' WHERE id = 6"})" "\n");
        CHECK(origin(find(input, "UPDATE orders SET status = $1 WHERE id = $2")) == "app.log:2:0");
    }
}

namespace {

// The text read in parts beginning at (or after) `cuts`, each part by a reader of its own.
// `in_parts`, when given, is set to whether it was read in more than one part: once to find
// the format, once per cut to find where a part begins, then once per part (read at once, a
// text is opened once), and once more for each part read again after the one before.
// `opened`, when given, is set to how many times the text was opened.
sources::QueryInput read_in_parts(const std::string& text, std::vector<std::size_t> cuts,
                                  std::size_t max_findings = sources::QueryInputOptions{}.max_findings,
                                  bool* in_parts = nullptr, std::size_t* opened_count = nullptr) {
    sources::QueryInputOptions options;
    options.name = "app.log";
    options.max_findings = max_findings;
    const std::size_t cut_count = cuts.size();
    options.cuts = std::move(cuts);
    std::atomic<std::size_t> opened = 0; // the parts' threads open the text at once
    const auto open = [&text, &opened]() -> std::unique_ptr<std::istream> {
        ++opened;
        return std::make_unique<std::istringstream>(text);
    };
    auto result = sources::read_query_parts(open, text.size(), options);
    REQUIRE_MESSAGE(result.has_value(), (result.has_value() ? "" : result.error()));
    if (in_parts != nullptr) *in_parts = opened >= cut_count + 3;
    if (opened_count != nullptr) *opened_count = opened;
    return std::move(*result);
}

// Everything a read gives, field by field: the statements in order with their figures and
// where each was first seen, the findings with their lines and texts, the notes and counts.
void check_same(const sources::QueryInput& one, const sources::QueryInput& parts) {
    REQUIRE(one.statements.size() == parts.statements.size());
    for (std::size_t i = 0; i < one.statements.size(); ++i) {
        const auto& a = one.statements[i];
        const auto& b = parts.statements[i];
        CAPTURE(a.text);
        CHECK(a.text == b.text);
        CHECK(a.queryid == b.queryid);
        CHECK(a.calls == b.calls);
        CHECK(a.total_ms == b.total_ms); // exactly: times are summed in whole nanoseconds
        CHECK(a.mean_ms == b.mean_ms);
        CHECK(a.origin_line == b.origin_line);
    }
    REQUIRE(one.findings.size() == parts.findings.size());
    for (std::size_t i = 0; i < one.findings.size(); ++i) {
        const auto& a = one.findings[i];
        const auto& b = parts.findings[i];
        CHECK(a.rule_id() == b.rule_id());
        CHECK(a.title == b.title);
        CHECK(a.message == b.message);
        CHECK(a.subject == b.subject);
        REQUIRE(a.location);
        REQUIRE(b.location);
        CHECK(a.location->line == b.location->line);
    }
    CHECK(one.notes == parts.notes);
    CHECK(one.stats == parts.stats);
}

std::vector<std::size_t> line_starts(const std::string& text) {
    std::vector<std::size_t> starts;
    for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) starts.push_back(at + 1);
    return starts;
}

// Reads `text` whole and then in two parts cut at every line (and one byte after each line's
// start), and in three parts at some pairs of lines: every read must give the same. Returns
// how many of the two-part reads were read in two parts (a cut after the last line a part may
// begin with is read whole). With `each_part_once`, no part may be read again after the one
// before (nothing the second part needs is left open by the first, or it was handed over).
std::size_t check_every_cut(const std::string& text, std::size_t max_findings = sources::QueryInputOptions{}.max_findings,
                            bool each_part_once = false) {
    std::istringstream in(text);
    sources::QueryInputOptions options;
    options.name = "app.log";
    options.max_findings = max_findings;
    auto whole = sources::read_query_input(in, options);
    REQUIRE(whole.has_value());
    const std::vector<std::size_t> starts = line_starts(text);
    std::size_t split = 0;
    for (const std::size_t start : starts) {
        for (const std::size_t cut : {start, start + 1}) {
            CAPTURE(cut);
            bool in_parts = false;
            std::size_t opened = 0;
            check_same(*whole, read_in_parts(text, {cut}, max_findings, &in_parts, &opened));
            split += in_parts ? 1 : 0;
            // In two parts: the format, where the second begins, each part, and the second
            // again if it was read again.
            if (each_part_once && in_parts) CHECK(opened == 4);
        }
    }

    // Three parts: at every pair of lines in a short text, else at pairs three lines apart.
    for (std::size_t i = 0; i < starts.size(); ++i) {
        for (std::size_t j = i + 1; j < starts.size(); ++j) {
            if (starts.size() > 40 && (i % 3 != 0 || j != i + 3)) continue;
            CAPTURE(starts[i]);
            CAPTURE(starts[j]);
            check_same(*whole, read_in_parts(text, {starts[i], starts[j]}, max_findings));
        }
    }
    return split;
}

} // namespace

TEST_CASE("a log read in parts gives what one read gives, wherever it is cut") {
    SUBCASE("the captured logs and the bad lines of testdata/queries") {
        for (const char* name : {"captured/durations.log", "captured/durations.csv", "captured/durations.json",
                                 "captured/plans.log", "captured/plans.csv", "captured/plans.json", "bad_lines.log"}) {
            CAPTURE(name);
            std::ifstream in(std::string(DBADVISE_SOURCE_DIR) + "/testdata/queries/" + name, std::ios::binary);
            const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            REQUIRE(!text.empty());
            CHECK(check_every_cut(text) > 0);
        }
    }
    SUBCASE("stderr: continuation lines, EXECUTE and its DETAIL, log_statement pairs, bad lines") {
        const std::string log =
            "\n"
            "2025-01-02 03:04:05.001 UTC [11] LOG:  duration: 2.500 ms  statement: SELECT * FROM a WHERE x = 1\n"
            "2025-01-02 03:04:05.002 UTC [11] LOG:  duration: 1.500 ms  statement: select *\n"
            "\tfrom a\n"
            "\twhere x = 7\n"
            "2025-01-02 03:04:05.003 UTC [12] LOG:  duration: 4.000 ms  statement: EXECUTE p(5)\n"
            "2025-01-02 03:04:05.003 UTC [12] DETAIL:  prepare: PREPARE p(int) AS SELECT * FROM b WHERE y = $1\n"
            "2025-01-02 03:04:05.004 UTC [13] LOG:  statement: SELECT * FROM a WHERE x = 2\n"
            "2025-01-02 03:04:05.005 UTC [14] LOG:  duration: 0.250 ms  execute <unnamed>: SELECT * FROM b WHERE y = $1\n"
            "2025-01-02 03:04:05.005 UTC [14] DETAIL:  parameters: $1 = '3'\n"
            "not a log line\n"
            "2025-01-02 03:04:05.006 UTC [13] LOG:  duration: 3.000 ms\n"
            "2025-01-02 03:04:05.007 UTC [15] LOG:  duration: 1.000 ms  statement: SELECT * FROM a WHERE\n"
            "\tcontinued but with no record\n"
            "2025-01-02 03:04:05.008 UTC [15] LOG:  duration: 0.001 ms  statement: UPDATE c SET z = 1\n"
            "2025-01-02 03:04:05.008 UTC [18] LOG:  duration: 2.000 ms  statement: EXECUTE q(1)\n"
            "2025-01-02 03:04:05.008 UTC [19] LOG:  duration: 6.000 ms  statement: DELETE FROM d\n"
            "\tWHERE w = 4\n"
            "2025-01-02 03:04:05.009 UTC [16] LOG:  statement: SELECT 1\n"
            "2025-01-02 03:04:05.010 UTC [16] LOG:  duration: 7.125 ms  statement: SELECT * FROM a WHERE x = 3\n"
            "2025-01-02 03:04:05.011 UTC [17] LOG:  duration: 0.5 ms  statement: SELECT * FROM b WHERE y = 8\n";
        CHECK(check_every_cut(log) > 20);
        check_every_cut(log, 2); // findings past the limit are counted, wherever the parts begin
    }
    SUBCASE("csvlog: records over several lines, a record cut in the middle") {
        const std::string row = "2025-01-02 03:04:05.001 UTC,\"app\",\"shop\",21,\"[local]\",1.1,1,\"SELECT\",2025-01-02 03:00:00 UTC,3/1,0,LOG,00000,";
        const std::string tail = ",,,,,,,,,\"psql\",\"client backend\",,0\n";
        const std::string log = row + "\"duration: 1.000 ms  statement: SELECT * FROM a WHERE x = 1\"" + tail +
                                row + "\"duration: 2.000 ms  statement: SELECT *\nFROM a\nWHERE x = 2\"" + tail +
                                row + "\"statement: SELECT * FROM b WHERE y = 1\"" + tail +
                                row + "\"duration: 3.000 ms  statement: SELECT \"\"q\"\" FROM a WHERE x = 'open\n" +
                                row + "\"duration: 4.000 ms\"" + tail +
                                row + "\"duration: 5.000 ms  statement: SELECT * FROM a WHERE x = 5\"" + tail;
        CHECK(check_every_cut(log) > 5);
    }
    SUBCASE("jsonlog") {
        const std::string log =
            R"({"timestamp":"2025-01-02 03:04:05.001 UTC","pid":31,"error_severity":"LOG","message":"statement: SELECT 1 FROM t WHERE a = 2"})" "\n"
            R"({"timestamp":"2025-01-02 03:04:05.002 UTC","pid":32,"error_severity":"LOG","message":"duration: 1.000 ms  statement: SELECT 1 FROM u WHERE b = 3"})" "\n"
            "not json\n"
            R"({"timestamp":"2025-01-02 03:04:05.003 UTC","pid":31,"error_severity":"LOG","message":"duration: 5.000 ms"})" "\n"
            R"({"timestamp":"2025-01-02 03:04:05.004 UTC","pid":32,"error_severity":"LOG","message":"duration: 7.000 ms  statement: SELECT 1 FROM u WHERE b = 4"})" "\n";
        CHECK(check_every_cut(log) > 5);
    }
}

// A large log read in parts: calls and times per statement, where each was first seen, and
// findings in file order (unreadable lines and parse errors in every part), whatever the cuts.
TEST_CASE("a large log read in parts groups as one read record by record") {
    constexpr int k_records = 20000;
    std::string log;
    int line = 0;
    std::vector<int> unreadable_lines;
    std::vector<int> parse_error_lines;
    int first_update = 0;
    for (int i = 0; i < k_records; ++i) {
        ++line;
        if (i % 4999 == 4998) {
            log += "some other program wrote this\n";
            unreadable_lines.push_back(line);
            continue;
        }
        if (i % 7001 == 7000) {
            // A new shape each time, so that no earlier failure is reused.
            log += "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 1 ms  statement: SELECT * FROM t" +
                   std::to_string(i) + " WHERE\n";
            parse_error_lines.push_back(line);
            continue;
        }
        switch (i % 3) {
        case 0:
            log += "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 2.0 ms  statement: SELECT * FROM orders "
                   "WHERE id = " + std::to_string(i) + "\n";
            break;
        case 1:
            log += "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 1.0 ms  statement: SELECT name FROM "
                   "customers WHERE email = 'u" + std::to_string(i) + "@example.com'\n";
            break;
        default:
            if (first_update == 0) first_update = line;
            // Over two lines, as the server writes a statement with a newline.
            log += "2025-01-02 03:04:05.678 UTC [11] LOG:  duration: 0.5 ms  statement: UPDATE items\n"
                   "\tSET stock = stock - " + std::to_string(i % 10) + " WHERE sku = 'S-" + std::to_string(i) + "'\n";
            ++line;
            break;
        }
    }
    const sources::QueryInput whole = read(log);
    for (const std::vector<std::size_t>& cuts :
         {std::vector<std::size_t>{log.size() / 2}, {log.size() / 3, 2 * log.size() / 3},
          {1000, 2000, 3000, log.size() / 2, log.size() - 100}}) {
        check_same(whole, read_in_parts(log, cuts));
    }
    const sources::QueryInput input = read_in_parts(log, {log.size() / 4, log.size() / 2, 3 * log.size() / 4});
    REQUIRE(input.statements.size() == 3);
    std::int64_t calls = 0;
    for (const auto& statement : input.statements) calls += statement.calls;
    const auto skipped = static_cast<std::int64_t>(unreadable_lines.size() + parse_error_lines.size());
    CHECK(calls == k_records - skipped);
    const analyzer::WorkloadStatement* orders = find(input, "SELECT * FROM orders WHERE id = $1");
    const auto update_at = std::ranges::find_if(
        input.statements, [](const auto& statement) { return statement.text.starts_with("UPDATE items"); });
    const analyzer::WorkloadStatement* update = update_at == input.statements.end() ? nullptr : &*update_at;
    REQUIRE(orders != nullptr);
    REQUIRE(update != nullptr);
    CHECK(orders->origin_line == 1);
    CHECK(update->origin_line == first_update);
    // Every third record of the first kind, 2 ms each, less the replaced ones.
    CHECK(orders->total_ms == doctest::Approx(2.0 * static_cast<double>(orders->calls)));
    // Findings in file order: the unreadable lines and parse errors interleaved by line.
    std::vector<int> expected = unreadable_lines;
    expected.insert(expected.end(), parse_error_lines.begin(), parse_error_lines.end());
    std::ranges::sort(expected);
    std::vector<int> found;
    for (const auto& finding : input.findings) {
        REQUIRE(finding.location);
        found.push_back(finding.location->line);
    }
    CHECK(found == expected);
    CHECK(stat(input, "queries_parse_errors") == static_cast<std::int64_t>(parse_error_lines.size()));
    CHECK(stat(input, "queries_unreadable_lines") == static_cast<std::int64_t>(unreadable_lines.size()));
}

TEST_CASE("log_statement with durations: each bare duration line weighs its session's statement") {
    // Two server processes interleaved; the statement of 12 never gets a duration (it failed).
    const std::string log =
        "2025-01-02 03:04:05.001 UTC [11] app@shop LOG:  statement: SELECT * FROM orders WHERE id = 1\n"
        "2025-01-02 03:04:05.002 UTC [12] app@shop LOG:  statement: UPDATE items SET n = 0 WHERE id = 7\n"
        "2025-01-02 03:04:05.003 UTC [13] app@shop LOG:  execute <unnamed>: SELECT * FROM orders WHERE id = $1\n"
        "2025-01-02 03:04:05.003 UTC [13] app@shop DETAIL:  parameters: $1 = '5'\n"
        "2025-01-02 03:04:05.004 UTC [11] app@shop LOG:  duration: 4.000 ms\n"
        "2025-01-02 03:04:05.005 UTC [12] app@shop ERROR:  deadlock detected\n"
        "2025-01-02 03:04:05.006 UTC [13] app@shop LOG:  duration: 6.500 ms\n"
        "2025-01-02 03:04:05.007 UTC [12] app@shop LOG:  statement: SELECT * FROM orders WHERE id = 9\n"
        "2025-01-02 03:04:05.008 UTC [12] app@shop LOG:  duration: 1.500 ms\n";
    const sources::QueryInput input = read(log);
    REQUIRE(input.statements.size() == 1);
    const analyzer::WorkloadStatement& orders = input.statements[0];
    CHECK(orders.text == "SELECT * FROM orders WHERE id = $1");
    CHECK(orders.calls == 3);
    CHECK(orders.total_ms == doctest::Approx(12.0));
    CHECK(orders.origin_line == 1);
    CHECK(stat(input, "queries_executions") == 3);
    CHECK(std::ranges::any_of(input.notes, [](const std::string& note) {
        return note.find("3 statements logged when they started (log_statement) took their duration") !=
               std::string::npos;
    }));
    // The UPDATE that failed has no time: left out, and the note says why.
    CHECK(std::ranges::any_of(input.notes, [](const std::string& note) {
        return note.find("1 statements logged without a duration line after them") != std::string::npos;
    }));
    CHECK(input.findings.empty());
}

TEST_CASE("log_statement with durations in csvlog and jsonlog pair by pid") {
    const std::string csv =
        "2025-01-02 03:04:05.001 UTC,\"app\",\"shop\",21,\"[local]\",1.1,1,\"SELECT\",2025-01-02 03:00:00 UTC,3/1,0,LOG,00000,\"statement: SELECT 1 FROM t WHERE a = 2\",,,,,,,,,\"psql\",\"client backend\",,0\n"
        "2025-01-02 03:04:05.002 UTC,\"app\",\"shop\",22,\"[local]\",1.2,1,\"SELECT\",2025-01-02 03:00:00 UTC,3/2,0,LOG,00000,\"statement: SELECT 1 FROM u WHERE b = 3\",,,,,,,,,\"psql\",\"client backend\",,0\n"
        "2025-01-02 03:04:05.003 UTC,\"app\",\"shop\",22,\"[local]\",1.2,2,\"SELECT\",2025-01-02 03:00:00 UTC,3/2,0,LOG,00000,\"duration: 9.000 ms\",,,,,,,,,\"psql\",\"client backend\",,0\n"
        "2025-01-02 03:04:05.004 UTC,\"app\",\"shop\",21,\"[local]\",1.1,2,\"SELECT\",2025-01-02 03:00:00 UTC,3/1,0,LOG,00000,\"duration: 2.000 ms\",,,,,,,,,\"psql\",\"client backend\",,0\n";
    sources::QueryInput input = read(csv, QueryFormat::csvlog);
    REQUIRE(input.statements.size() == 2);
    CHECK(find(input, "SELECT $1 FROM t WHERE a = $2")->total_ms == doctest::Approx(2.0));
    CHECK(find(input, "SELECT $1 FROM u WHERE b = $2")->total_ms == doctest::Approx(9.0));
    const std::string json =
        R"({"timestamp":"2025-01-02 03:04:05.001 UTC","pid":31,"error_severity":"LOG","message":"statement: SELECT 1 FROM t WHERE a = 2"})" "\n"
        R"({"timestamp":"2025-01-02 03:04:05.002 UTC","pid":32,"error_severity":"LOG","message":"statement: SELECT 1 FROM u WHERE b = 3"})" "\n"
        R"({"timestamp":"2025-01-02 03:04:05.003 UTC","pid":31,"error_severity":"LOG","message":"duration: 5.000 ms"})" "\n"
        R"({"timestamp":"2025-01-02 03:04:05.004 UTC","pid":32,"error_severity":"LOG","message":"duration: 7.000 ms"})" "\n";
    input = read(json, QueryFormat::jsonlog);
    REQUIRE(input.statements.size() == 2);
    CHECK(find(input, "SELECT $1 FROM t WHERE a = $2")->total_ms == doctest::Approx(5.0));
    CHECK(find(input, "SELECT $1 FROM u WHERE b = $2")->total_ms == doctest::Approx(7.0));
}

namespace {

// A log_statement log with durations as a busy server writes one: processes interleaved, each
// statement logged when it starts and its bare duration when it ends, with what else such a
// log holds: statements that never get a duration (they failed), statements logged with their
// duration (log_min_duration_statement for a statement log_statement did not log), durations
// of nothing, EXECUTE with its DETAIL (in stderr, written after another process's record),
// extended-protocol executes, statements that do not parse, other severities and lines from
// other programs. `format` is "stderr", "csvlog" or "jsonlog".
std::string statement_log(std::uint32_t seed, int records, const std::string& format) {
    std::mt19937 random(seed);
    const auto pick = [&random](int n) { return static_cast<int>(random() % static_cast<std::uint32_t>(n)); };
    std::string log;
    int written = 0;
    const auto write = [&](int pid, std::string_view severity, const std::string& message, const std::string& detail = {}) {
        const std::string time = fmt::format("2025-01-02 03:04:{:02}.{:03} UTC", written / 1000 % 60, written % 1000);
        ++written;
        if (format == "csvlog") {
            const auto quoted = [](const std::string& text) {
                std::string out = "\"";
                for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
                return out + "\"";
            };
            log += fmt::format("{},\"app\",\"shop\",{},\"[local]\",1.{},1,\"SELECT\",2025-01-02 03:00:00 UTC,3/1,0,{},00000,{},{},,,,,,,,"
                               "\"psql\",\"client backend\",,0\n",
                               time, pid, pid, severity, quoted(message), detail.empty() ? "" : quoted(detail));
        } else if (format == "jsonlog") {
            const auto quoted = [](const std::string& text) {
                std::string out = "\"";
                for (char c : text) out += c == '"' ? std::string("\\\"") : std::string(1, c);
                return out + "\"";
            };
            log += fmt::format(R"({{"timestamp":"{}","pid":{},"error_severity":"{}","message":{}{}}})" "\n", time, pid,
                               severity, quoted(message), detail.empty() ? "" : ",\"detail\":" + quoted(detail));
        } else {
            log += fmt::format("{} [{}] app@shop {}:  {}\n", time, pid, severity, message);
            if (!detail.empty()) log += fmt::format("{} [{}] app@shop DETAIL:  {}\n", time, pid, detail);
        }
    };
    const auto duration = [&] { return fmt::format("duration: {}.{:03} ms", pick(50), pick(1000)); };
    std::vector<bool> open(8, false);
    std::string late_detail; // stderr: a DETAIL written after the next record
    int late_pid = 0;
    for (int i = 0; i < records; ++i) {
        const int session = pick(8);
        const int pid = 100 + session;
        const int roll = pick(100);
        const int shape = pick(2 + i / 8); // new statements appear all along the log
        std::string pending_detail = std::exchange(late_detail, {});
        const int pending_pid = late_pid;
        if (roll < 40 && open[session]) {
            write(pid, "LOG", duration());
            open[session] = false;
        } else if (roll < 75) {
            const int kind = pick(10);
            if (kind < 6) {
                write(pid, "LOG", fmt::format("statement: SELECT * FROM t{} WHERE a = {}", shape, pick(1000)));
            } else if (kind < 7) {
                // Does not parse; a new text each time, so that no failure is remembered.
                write(pid, "LOG", fmt::format("statement: SELECT * FROM t{} WHERE", i));
            } else if (kind < 8) {
                write(pid, "LOG", fmt::format("execute <unnamed>: SELECT b FROM u{} WHERE id = $1", shape),
                      fmt::format("parameters: $1 = '{}'", pick(1000)));
            } else {
                const std::string detail =
                    fmt::format("prepare: PREPARE p{}(int) AS SELECT c FROM v{} WHERE id = $1", shape, shape);
                if (format == "stderr" && pick(2) == 0) {
                    write(pid, "LOG", fmt::format("statement: EXECUTE p{}({})", shape, pick(100)));
                    late_detail = detail;
                    late_pid = pid;
                } else {
                    write(pid, "LOG", fmt::format("statement: EXECUTE p{}({})", shape, pick(100)), detail);
                }
            }
            open[session] = true;
        } else if (roll < 85) {
            write(pid, "LOG", fmt::format("{}  statement: UPDATE w{} SET n = {}", duration(), shape, pick(10)));
            open[session] = false;
        } else if (roll < 90) {
            write(pid, "LOG", duration()); // nothing open, or closes what is
            open[session] = false;
        } else if (roll < 95) {
            write(pid, "ERROR", "canceling statement due to statement timeout");
        } else if (roll < 97) {
            log += "some other program wrote this\n";
        } else {
            write(pid, "LOG", "checkpoint starting: time");
        }
        if (!pending_detail.empty()) log += fmt::format("2025-01-02 03:04:05.000 UTC [{}] app@shop DETAIL:  {}\n", pending_pid, pending_detail);
    }
    return log;
}

} // namespace

TEST_CASE("a log_statement log read in parts hands its open statements on: each part is read once") {
    for (const std::string format : {"stderr", "csvlog", "jsonlog"}) {
        for (std::uint32_t seed = 1; seed <= 6; ++seed) {
            CAPTURE(format);
            CAPTURE(seed);
            const std::string log = statement_log(seed, 120, format);
            const sources::QueryInput whole = read(log);
            // The log is what it should be: statements paired across sessions, some never
            // timed, statements that fail to parse.
            REQUIRE(stat(whole, "queries_statements") > 5);
            REQUIRE(stat(whole, "queries_parse_errors") > 0);
            REQUIRE(std::ranges::any_of(whole.notes, [](const std::string& note) {
                return note.find("took their duration from the `duration:` line") != std::string::npos;
            }));
            CHECK(check_every_cut(log, sources::QueryInputOptions{}.max_findings, true) > 100);
            check_every_cut(log, 3, true); // findings past the limit, wherever they fall
        }
    }
}

TEST_CASE("a log_statement log read in parts: more open statements than one reader holds are read again") {
    const auto line = [](int pid, const std::string& message) {
        return fmt::format("2025-01-02 03:04:05.000 UTC [{}] LOG:  {}\n", pid, message);
    };
    // `open` processes start a statement before the cut. After it, `more` processes start one
    // (`all_at_once`: all before any is timed; else each timed right away), then the first 100
    // processes time theirs, and the first 100 of the `more` if still open.
    const auto log = [&](int open, int more, bool all_at_once) {
        std::pair<std::string, std::string> parts;
        for (int pid = 1; pid <= open; ++pid)
            parts.first += line(pid, fmt::format("statement: SELECT * FROM a WHERE x = {}", pid));
        for (int pid = open + 1; pid <= open + more; ++pid) {
            parts.second += line(pid, fmt::format("statement: SELECT * FROM b WHERE y = {}", pid));
            if (!all_at_once) parts.second += line(pid, "duration: 3.000 ms");
        }
        for (int pid = 1; pid <= 100; ++pid) parts.second += line(pid, "duration: 1.000 ms");
        if (all_at_once) {
            for (int pid = open + 1; pid <= open + 100; ++pid) parts.second += line(pid, "duration: 2.000 ms");
        }
        return parts;
    };
    const auto check = [](const std::pair<std::string, std::string>& parts, std::int64_t timed, std::size_t opens) {
        const std::string text = parts.first + parts.second;
        const sources::QueryInput whole = read(text);
        CHECK(stat(whole, "queries_executions") == timed);
        std::size_t opened = 0;
        check_same(whole, read_in_parts(text, {parts.first.size()}, sources::QueryInputOptions{}.max_findings, nullptr, &opened));
        CHECK(opened == opens);
    };
    SUBCASE("few open: handed over") {
        check(log(3000, 3000, true), 200, 4); // the format, where the part begins, two parts
        check(log(3000, 3000, false), 3100, 4);
    }
    SUBCASE("one reader would hold more than 10,000 at once: the part is read again") {
        // 6,000 + 4,500: at the 10,001st one reader flushes the 10,000 it holds, untimed, and no
        // duration after finds its statement: all 10,500 are untimed. The part is read again,
        // after the one before.
        check(log(6000, 4500, true), 10500, 5);
    }
    SUBCASE("one reader would flush though the part ends with few open: read again") {
        // 6,000 open before the cut; after it 4,500 start, then 4,100 of those are timed: the
        // part ends with 400 open, but one reader held 10,000 at its 4,000th start and flushed
        // them all, untimed. What counts is the most the part held at once.
        auto parts = log(6000, 4500, true);
        parts.second.clear();
        for (int pid = 6001; pid <= 10500; ++pid)
            parts.second += line(pid, fmt::format("statement: SELECT * FROM b WHERE y = {}", pid));
        for (int pid = 6001; pid <= 10100; ++pid) parts.second += line(pid, "duration: 1.000 ms");
        // One reader flushed pids 1 to 10,000 untimed: of the durations, only those of 10,001
        // to 10,100 find their statement.
        check(parts, 100, 5);
    }
    SUBCASE("the part after meets more processes than it keeps events for") {
        // 10,500 processes after the cut, each timed at once (a log of short connections): the
        // part keeps what the first 10,000 did, then only which processes it met. The first 100
        // processes open before the cut log their durations after all that: the part is read
        // again.
        check(log(500, 10500, false), 10600, 5);
        // Processes open before the cut that log their duration among the first 10,000 are
        // handed over; those never met again stay open (and count untimed at the log's end).
        std::pair<std::string, std::string> early;
        for (int pid = 1; pid <= 500; ++pid)
            early.first += line(pid, fmt::format("statement: SELECT * FROM a WHERE x = {}", pid));
        for (int pid = 1; pid <= 100; ++pid) early.second += line(pid, "duration: 1.000 ms");
        for (int pid = 501; pid <= 11000; ++pid) {
            early.second += line(pid, fmt::format("statement: SELECT * FROM b WHERE y = {}", pid));
            early.second += line(pid, "duration: 3.000 ms");
        }
        check(early, 10600, 4);
    }
}

TEST_CASE("a log read in parts: a duration whose statement was left open before the cut and fails to parse") {
    // One read pairs the duration with its statement (which does not parse: a finding), so the
    // duration is not one "without its statement"; read in parts, the same.
    const std::string log =
        "2025-01-02 03:04:05.001 UTC [1] LOG:  statement: SELECT * FROM\n"
        "2025-01-02 03:04:05.002 UTC [2] LOG:  statement: SELECT * FROM t WHERE\n"
        "2025-01-02 03:04:05.003 UTC [2] LOG:  duration: 2.000 ms\n"
        "2025-01-02 03:04:05.004 UTC [1] LOG:  duration: 1.000 ms\n";
    const sources::QueryInput whole = read(log);
    CHECK(whole.statements.empty());
    CHECK(stat(whole, "queries_parse_errors") == 2);
    CHECK(std::ranges::none_of(whole.notes, [](const std::string& note) {
        return note.find("without their statement") != std::string::npos;
    }));
    CHECK(check_every_cut(log, sources::QueryInputOptions{}.max_findings, true) > 3);
}

TEST_CASE("a log whose messages are not in English says so") {
    const std::string log =
        "2025-01-02 03:04:05.001 UTC [11] LOG:  Dauer: 17.755 ms  Anweisung: SELECT 1\n"
        "2025-01-02 03:04:05.002 UTC [11] LOG:  Dauer: 2.000 ms  Anweisung: SELECT 2\n";
    const sources::QueryInput input = read(log);
    CHECK(input.statements.empty());
    CHECK(std::ranges::any_of(input.notes, [](const std::string& note) {
        return note.find("none of its 2 LOG records is a `duration:`, `statement:` or `execute` message in English") !=
                   std::string::npos &&
               note.find("lc_messages = 'C'") != std::string::npos;
    }));
}

TEST_CASE("SQL files: a weight after a statement's ; weighs it; keys in any case; absurd counts are findings") {
    const sources::QueryInput input = read("SELECT * FROM a WHERE x = 1; -- calls: 9, ms: 2\n"
                                           "-- CALLS: 5, MS: 4\n"
                                           "SELECT * FROM b WHERE y = 2;\n"
                                           "SELECT * FROM c WHERE z = 3; -- Weight: 7\n"
                                           "-- calls: 9223372036854775807\n"
                                           "SELECT * FROM d WHERE w = 4;\n");
    const auto* a = find(input, "SELECT * FROM a WHERE x = $1");
    const auto* b = find(input, "SELECT * FROM b WHERE y = $1");
    const auto* c = find(input, "SELECT * FROM c WHERE z = $1");
    const auto* d = find(input, "SELECT * FROM d WHERE w = $1");
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    REQUIRE(c != nullptr);
    REQUIRE(d != nullptr);
    CHECK(a->calls == 9);
    CHECK(a->total_ms == doctest::Approx(18.0));
    CHECK(b->calls == 5);
    CHECK(b->total_ms == doctest::Approx(20.0));
    CHECK(c->calls == 7);
    // More executions than 10^12 is a typo: a finding at the statement, one call of 1 ms.
    CHECK(d->calls == 1);
    CHECK(has_finding(input, "unreadable-line", 6));
    CHECK(stat(input, "queries_executions") == 9 + 5 + 7 + 1);
}

TEST_CASE("SQL-level EXECUTE in a log is weighed as the statement it prepared") {
    // The server logs `EXECUTE p(5)` with `DETAIL:  prepare: PREPARE p(bigint) AS ...`.
    const std::string stderr_log =
        "2025-01-02 03:04:05.001 UTC [11] LOG:  duration: 81.800 ms  statement: EXECUTE p(5)\n"
        "2025-01-02 03:04:05.001 UTC [11] DETAIL:  prepare: PREPARE p(bigint) AS SELECT * FROM orders WHERE customer_id = $1\n"
        "2025-01-02 03:04:05.002 UTC [11] LOG:  duration: 80.200 ms  statement: execute p(6)\n"
        "2025-01-02 03:04:05.002 UTC [11] DETAIL:  prepare: prepare p (bigint) as SELECT * FROM orders WHERE customer_id = $1\n"
        "2025-01-02 03:04:05.003 UTC [11] LOG:  duration: 1.000 ms  statement: EXECUTE gone(1)\n";
    sources::QueryInput input = read(stderr_log);
    const auto* prepared = find(input, "SELECT * FROM orders WHERE customer_id = $1");
    REQUIRE(prepared != nullptr);
    CHECK(prepared->calls == 2);
    CHECK(prepared->total_ms == doctest::Approx(162.0));
    CHECK(prepared->origin_line == 1);
    // No DETAIL (the prepared statement is unknown): kept as written.
    CHECK(std::ranges::any_of(input.statements,
                              [](const auto& statement) { return statement.text.starts_with("EXECUTE gone("); }));
    const std::string json =
        R"J({"timestamp":"2025-01-02 03:04:05.001 UTC","pid":11,"error_severity":"LOG","message":"duration: 5.000 ms  statement: EXECUTE q('x')","detail":"prepare: PREPARE q(text) AS UPDATE items SET note = $1"})J" "\n";
    input = read(json, QueryFormat::jsonlog);
    REQUIRE(input.statements.size() == 1);
    CHECK(input.statements[0].text == "UPDATE items SET note = $1");
    CHECK(input.statements[0].total_ms == doctest::Approx(5.0));
}

namespace {

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.is_open());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::expected<sources::QueryInput, std::string> read_bytes(const std::string& bytes, const char* name) {
    std::istringstream in(bytes);
    sources::QueryInputOptions options;
    options.name = name;
    return sources::read_query_input(in, options);
}

} // namespace

// Rotated logs are often compressed (logrotate's compress, gzip of old postgresql-*.log).
TEST_CASE("a log compressed with gzip reads as the log itself; a cut one up to where it stops") {
    const std::string dir = std::string(DBADVISE_SOURCE_DIR) + "/testdata/queries/";
    SUBCASE("every format, a SQL file, one member or several") {
        for (const char* name : {"captured/durations.log", "captured/durations.csv", "captured/durations.json",
                                 "captured/plans.log", "bad_lines.log", "shop_queries.sql"}) {
            CAPTURE(name);
            const std::string text = file_text(dir + name);
            const auto plain = read_bytes(text, name);
            REQUIRE(plain.has_value());
            const auto packed = read_bytes(sources::gzip_compress(text), name);
            REQUIRE(packed.has_value());
            CHECK(packed->format == plain->format);
            check_same(*plain, *packed);
            // Members cut at a line: as `cat a.gz b.gz` writes them, with zero padding.
            const std::size_t half = text.find('\n', text.size() / 2) + 1;
            const auto members = read_bytes(sources::gzip_compress(text.substr(0, half)) + std::string(4, '\0') +
                                                sources::gzip_compress(text.substr(half)),
                                            name);
            REQUIRE(members.has_value());
            check_same(*plain, *members);
        }
    }
    SUBCASE("a file on disk, read by read_query_file: on one thread, with the same result") {
        std::string text;
        const std::string log = file_text(dir + "captured/durations.log");
        while (text.size() < (std::size_t{3} << 20)) text += log;
        const std::string path = (std::filesystem::temp_directory_path() / "dbadvise-test-gzip-log.log.gz").string();
        {
            std::ofstream out(path, std::ios::binary);
            out << sources::gzip_compress(text);
        }
        sources::QueryInputOptions options;
        options.name = "app.log.gz";
        options.part_bytes = 1 << 16; // the plain text would be read in parts
        const auto packed = sources::read_query_file(path, options);
        std::filesystem::remove(path);
        REQUIRE(packed.has_value());
        const auto plain = read_bytes(text, "app.log.gz");
        REQUIRE(plain.has_value());
        check_same(*plain, *packed);
        CHECK(stat(*packed, "queries_executions") == stat(*plain, "queries_executions"));
    }
    SUBCASE("cut short: the lines before it are read, and a finding says where it stops") {
        std::string text;
        const std::string log = file_text(dir + "captured/durations.log");
        while (text.size() < (std::size_t{1} << 20)) text += log;
        const std::string packed = sources::gzip_compress(text);
        const auto cut = read_bytes(packed.substr(0, packed.size() / 2), "app.log.gz");
        REQUIRE(cut.has_value());
        REQUIRE_FALSE(cut->findings.empty());
        const analyzer::Finding& last = cut->findings.back();
        CHECK(last.title == "A compressed input cut short or corrupt");
        CHECK(last.message.find("truncated gzip data") != std::string::npos);
        const std::int64_t lines = stat(*cut, "queries_lines");
        CHECK(lines > 1000);
        CHECK(last.location->line == lines);
        CHECK(last.message.find(fmt::format("after line {}:", lines)) != std::string::npos);
        CHECK(stat(*cut, "queries_executions") > 0);
        CHECK(stat(*cut, "queries_executions") < stat(*read_bytes(text, "app.log"), "queries_executions"));
    }
    SUBCASE("nothing to read: the input fails, naming the file") {
        const std::string packed = sources::gzip_compress(file_text(dir + "captured/durations.log"));
        const auto header_only = read_bytes(packed.substr(0, 10), "app.log.gz");
        REQUIRE_FALSE(header_only.has_value());
        CHECK(header_only.error() ==
              "app.log.gz: cannot read: truncated gzip data: the file ends before the compressed stream does");
        const auto not_gzip = read_bytes("\x1f\x1f not gzip", "odd.log");
        REQUIRE_FALSE(not_gzip.has_value());
        CHECK(not_gzip.error() == "odd.log: cannot read: invalid gzip data: incorrect header check");
    }
    SUBCASE("the compressed file fails to read (a disk error): the run fails, as for a plain file") {
        // A stream buffer that gives `bytes` up to `fail_at`, then throws, as a file buffer does
        // when read(2) fails: the istream's read() that meets it is bad, and what it had copied
        // is not counted.
        struct Failing : std::streambuf {
            std::string bytes;
            std::size_t fail_at = 0;
            std::size_t at = 0;
            int_type underflow() override {
                if (at >= fail_at) throw std::ios_base::failure("disk error");
                const std::size_t n = std::min<std::size_t>(fail_at - at, 4096);
                setg(bytes.data() + at, bytes.data() + at, bytes.data() + at + n);
                at += n;
                return traits_type::to_int_type(bytes[at - n]);
            }
        };
        // Statements with random names, which compress poorly: the compressed file is read in
        // several blocks, and fails after some of its lines were read.
        std::mt19937_64 random(3);
        std::string text;
        for (int i = 0; text.size() < (std::size_t{4} << 20); ++i)
            text += fmt::format("2025-03-01 12:00:00.000 UTC [{}] LOG:  duration: 1.5 ms  statement: SELECT c_{:x} FROM t\n",
                                4000 + i % 8, random());
        for (const bool compressed : {true, false}) {
            CAPTURE(compressed);
            Failing buffer;
            buffer.bytes = compressed ? sources::gzip_compress(text) : text;
            buffer.fail_at = buffer.bytes.size() * 3 / 4;
            REQUIRE(buffer.fail_at > (std::size_t{1} << 18)); // after the first block read
            std::istream in(&buffer);
            sources::QueryInputOptions options;
            options.name = "app.log";
            const auto input = sources::read_query_input(in, options);
            REQUIRE_FALSE(input.has_value());
            CHECK(input.error().starts_with("app.log:"));
            CHECK(input.error().ends_with(": cannot read: I/O error"));
        }
    }
    SUBCASE("other bytes after the compressed log: a finding, the log is read") {
        const std::string text = file_text(dir + "captured/durations.log");
        const auto after = read_bytes(sources::gzip_compress(text) + "garbage", "app.log.gz");
        REQUIRE(after.has_value());
        REQUIRE(after->findings.size() == 1);
        CHECK(after->findings[0].message.find("unexpected bytes after the compressed stream") != std::string::npos);
        CHECK(after->statements.size() == read_bytes(text, "app.log")->statements.size());
    }
}

TEST_CASE("stderr logs: the severity words the server writes mark a record, no other word does") {
    // A line after a record of the log: a finding at line 2 when it is not a record.
    const auto record_at_line_2 = [](const std::string& marker) {
        const sources::QueryInput input = read("2024-01-02 03:04:05.000 UTC [7] LOG:  duration: 1.000 ms  statement: SELECT 1\n"
                                               "2024-01-02 03:04:05.000 UTC [7] " + marker + ":  some text\n");
        CAPTURE(marker);
        return std::ranges::none_of(input.findings, [](const analyzer::Finding& finding) {
            return finding.location && finding.location->line == 2;
        });
    };
    for (const char* word : {"LOG", "DETAIL", "HINT", "CONTEXT", "STATEMENT", "ERROR", "WARNING", "NOTICE", "INFO", "FATAL",
                             "PANIC", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "LOCATION", "QUERY",
                             "app LOG", "[7] ERROR"}) {
        CHECK(record_at_line_2(word));
    }
    for (const char* word : {"DEBUG0", "DEBUG6", "DEBUGX", "LOGS", "XLOG", "xLOG", "_LOG", "Log", "LO", "INFOS", "ERRORS",
                             "NOTICES", "LOCATIONS", "STATEMENTS", "QUERYS", "CONTEXTS", "WARNINGS", "HINTS", "PANICS",
                             "FATAL1", "DETAIL2", "L", "A1", "12345"}) {
        CHECK_FALSE(record_at_line_2(word));
    }
}
