// Plans as people paste them: every layout psql prints, and the quoted rows pgAdmin and
// DBeaver copy, parse to the same plan as EXPLAIN's own output. The captures in
// testdata/plans/pasted come from one EXPLAIN run on the real server, printed by psql in
// each layout (testdata/plans/capture.sh pasted).
#include "analyzer/plan/pasted_plan.hpp"
#include "analyzer/plan/plan_model.hpp"
#include "plan_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace dbadvise;
using namespace dbadvise::analyzer::plan;

namespace {

Plan parsed(const std::string& text) {
    auto plan = parse_plan(text);
    if (!plan) {
        FAIL("parse_plan failed: " << plan.error().message << " at " << plan.error().line << ":"
                                   << plan.error().column);
    }
    return std::move(*plan);
}

// The lines of `text`, 1-based.
std::string line_of(const std::string& text, int line) {
    std::size_t start = 0;
    for (int l = 1; l < line; ++l) {
        start = text.find('\n', start);
        if (start == std::string::npos) {
            return {};
        }
        ++start;
    }
    return text.substr(start, text.find('\n', start) - start);
}

void check_same_plan(const Plan& expected, const Plan& actual) {
    REQUIRE(actual.nodes.size() == expected.nodes.size());
    CHECK(actual.format == expected.format);
    CHECK(actual.statements.size() == expected.statements.size());
    CHECK(actual.total_ms() == expected.total_ms());
    for (std::size_t i = 0; i < expected.nodes.size(); ++i) {
        CAPTURE(i);
        const PlanNode& e = expected.nodes[i];
        const PlanNode& a = actual.nodes[i];
        CHECK(a.node_type == e.node_type);
        CHECK(a.path == e.path);
        CHECK(a.relation == e.relation);
        CHECK(a.alias == e.alias);
        CHECK(a.total_cost == e.total_cost);
        CHECK(a.actual_total_ms == e.actual_total_ms);
        CHECK(a.actual_rows == e.actual_rows);
        CHECK(a.buffers.shared.hit == e.buffers.shared.hit);
        CHECK(a.filter == e.filter);
        CHECK(a.hash_cond == e.hash_cond);
        CHECK(a.sort_key == e.sort_key);
        CHECK(a.rows_removed_by_filter == e.rows_removed_by_filter);
    }
}

} // namespace

TEST_CASE("pasted plans parse like EXPLAIN's own output") {
    const std::string bare_text = test::read_plan_file("pasted/bare.txt");
    const std::string bare_json = test::read_plan_file("pasted/bare.json");
    const Plan text_plan = parsed(bare_text);
    const Plan json_plan = parsed(bare_json);
    REQUIRE(text_plan.nodes.size() >= 8);
    // The filter holds a non-ASCII literal: widths are counted in characters.
    bool accent = false;
    for (const PlanNode& node : text_plan.nodes) {
        accent = accent || node.filter.find("\xC3\xA9" "cart\xC3\xA9") != std::string::npos;
    }
    CHECK(accent);

    int forms = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(DBADVISE_SOURCE_DIR) + "/testdata/plans/pasted")) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("bare.")) {
            continue;
        }
        CAPTURE(name);
        const std::string input = test::read_plan_file("pasted/" + name);
        const bool json = name.starts_with("json_");
        const Plan plan = parsed(input);
        check_same_plan(json ? json_plan : text_plan, plan);
        // Nodes point at the pasted file's lines (a line psql wrapped is pointed at where it
        // starts, which may hold only its indentation).
        for (const PlanNode& node : plan.nodes) {
            CAPTURE(node.path);
            const std::string line = line_of(input, node.line);
            if (name.find("wrapped") != std::string::npos) {
                CHECK_FALSE(line.empty());
            } else if (json) {
                CHECK(line.find('{') != std::string::npos);
            } else {
                CHECK(line.find(node.node_type == "Aggregate" ? "Aggregate" : node.node_type.substr(0, 4)) !=
                      std::string::npos);
            }
        }
        ++forms;
    }
    CHECK(forms >= 30);
}

TEST_CASE("unwrap_pasted_plan") {
    SUBCASE("the + after the longest line has no space before it") {
        const std::string text = "   QUERY PLAN  \n---------------\n [            +\n   \"a\": 12345,+\n ]\n(1 row)\n";
        const auto pasted = unwrap_pasted_plan(text);
        REQUIRE(pasted);
        CHECK(pasted->text == "[\n  \"a\": 12345,\n]");
        CHECK(pasted->source_lines == std::vector<int>{3, 4, 5});
        CHECK(pasted->source_columns == std::vector<int>{1, 1, 1});
        CHECK(pasted->layout == "aligned");
    }
    SUBCASE("wrapped lines join without a newline, their spaces kept") {
        const std::string text = "Output format is wrapped.\n QUERY PLAN \n------------\n"
                                 " Seq Scan o.\n.n t\n   Filter: x\n(2 rows)\n";
        const auto pasted = unwrap_pasted_plan(text);
        REQUIRE(pasted);
        CHECK(pasted->text == "Seq Scan on t\n  Filter: x");
        CHECK(pasted->source_lines == std::vector<int>{4, 6});
        CHECK(pasted->layout == "wrapped");
    }
    SUBCASE("wide characters take two columns") {
        // 日本 is four columns wide: the line with it and the mark is as wide as the rule.
        const std::string text = " QUERY PLAN \n-----------\n \xE6\x97\xA5\xE6\x9C\xAC\"x\"  +\n ]\n";
        const auto pasted = unwrap_pasted_plan(text);
        REQUIRE(pasted);
        CHECK(pasted->text == "\xE6\x97\xA5\xE6\x9C\xAC\"x\"\n]");
    }
    SUBCASE("a plan as EXPLAIN prints it is left alone") {
        CHECK_FALSE(unwrap_pasted_plan("Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n"));
        CHECK_FALSE(unwrap_pasted_plan("[{\"Plan\": {}}]"));
        CHECK_FALSE(unwrap_pasted_plan(""));
    }
    SUBCASE("pgAdmin's copy: quoted rows, quotes doubled inside") {
        const auto pasted = unwrap_pasted_plan("\"QUERY PLAN\"\n\"Seq Scan on \"\"T\"\"\"\n\"  Filter: (a = 'x')\"\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "Seq Scan on \"T\"\n  Filter: (a = 'x')");
        CHECK(pasted->source_lines == std::vector<int>{2, 3});
        CHECK(pasted->layout == "csv");
    }
    SUBCASE("psql -t: an aligned JSON cell without header, its + marks after the widest line") {
        const auto pasted = unwrap_pasted_plan(" [         +\n   {       +\n     \"a\": 1+\n   }       +\n ]\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "[\n  {\n    \"a\": 1\n  }\n]");
        CHECK(pasted->source_lines == std::vector<int>{1, 2, 3, 4, 5});
        CHECK(pasted->layout == "tuples-only");
    }
    SUBCASE("psql -A: the header, the JSON as it is, the row count") {
        const auto pasted = unwrap_pasted_plan("QUERY PLAN\n[\n  {\"Plan\": {}}\n]\n(1 row)\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "[\n  {\"Plan\": {}}\n]");
        CHECK(pasted->source_lines == std::vector<int>{2, 3, 4});
        CHECK(pasted->layout == "unaligned");
    }
    SUBCASE("an empty first row still counts as a line") {
        // A blank field before the plan: its line must not be merged away, or every line
        // after it maps to the input line before its own (found by fuzz/pasted_plan.cpp).
        const auto csv = unwrap_pasted_plan("\"QUERY PLAN\"\n\"\"\n\"Seq Scan on t\"\n");
        REQUIRE(csv);
        CHECK(csv->text == "\nSeq Scan on t");
        CHECK(csv->source_lines == std::vector<int>{2, 3});
        // psql \x: one record per plan row, the first one blank.
        const auto expanded = unwrap_pasted_plan("-[ RECORD 1 ]-----\n"
                                                 "QUERY PLAN | \n"
                                                 "-[ RECORD 2 ]-----\n"
                                                 "QUERY PLAN | Result\n");
        REQUIRE(expanded);
        CHECK(expanded->text == "\nResult");
        CHECK(expanded->source_lines == std::vector<int>{2, 4});
        CHECK(expanded->layout == "expanded");
    }
    SUBCASE("EXPLAIN's JSON followed by psql's row count") {
        const auto pasted = unwrap_pasted_plan("[{\"Plan\": {}}]\n(1 row)\n\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "[{\"Plan\": {}}]");
        CHECK(pasted->layout == "unaligned");
        // Without the row count the JSON is read as it is.
        CHECK_FALSE(unwrap_pasted_plan("[{\"Plan\": {}}]\n"));
    }
}

namespace {

// What auto_explain and a psql session carry with the plan in the captures of the case below.
constexpr std::string_view k_captured_query =
    "SELECT c.region_code, count(*) AS orders\n"
    "FROM orders o JOIN customers c ON c.id = o.customer_id\n"
    "WHERE o.status <> '\xC3\xA9" "cart\xC3\xA9' AND o.city LIKE 'city1%'\n"
    "GROUP BY c.region_code ORDER BY 2 DESC LIMIT 5";

// The first line of `text` (1-based) that contains `needle`.
int line_with(const std::string& text, std::string_view needle) {
    const std::size_t at = text.find(needle);
    REQUIRE(at != std::string::npos);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

} // namespace

TEST_CASE("parse_plan: auto_explain records from the server log") {
    // Captured from PostgreSQL 15 (testdata/plans/capture.sh auto_explain): the stderr log's
    // record, its log_line_prefix, and a tab before every line after the first.
    for (const std::string name : {"text_analyze_on", "text_analyze_off", "json_analyze_on", "json_analyze_off"}) {
        CAPTURE(name);
        const std::string input = test::read_plan_file("auto_explain/" + name + ".txt");
        const Plan plan = parsed(input);
        CHECK(plan.format == (name.starts_with("json") ? PlanFormat::json : PlanFormat::text));
        CHECK(plan.nodes.size() == 10);
        REQUIRE(plan.statements.size() == 1);
        CHECK(plan.analyzed == name.ends_with("_on"));
        // The logged statement, as it was sent (with its `;`).
        CHECK(plan.statements[0].query_text == std::string(k_captured_query) + ";");
        // Nodes point at the log's lines.
        CHECK(plan.nodes[0].line == line_with(input, name.starts_with("json") ? "\"Plan\"" : "Limit  (cost="));
        CHECK(plan.nodes[0].node_type == "Limit");
    }
    const std::string record = test::read_plan_file("auto_explain/text_analyze_on.txt");
    const Plan expected = parsed(record);
    const auto without_tabs = [](std::string text) {
        for (std::size_t at = text.find("\n\t"); at != std::string::npos; at = text.find("\n\t", at)) {
            text.erase(at + 1, 1);
        }
        return text;
    };
    SUBCASE("without the log_line_prefix") {
        const std::string input = record.substr(record.find("LOG:  "));
        const Plan plan = parsed(input);
        check_same_plan(expected, plan);
        CHECK(plan.statements[0].query_text == expected.statements[0].query_text);
    }
    SUBCASE("with the tabs lost: the record ends at a blank line") {
        const std::string input = without_tabs(record) + "\nsome notes of the user\n";
        const Plan plan = parsed(input);
        check_same_plan(expected, plan);
        CHECK(plan.statements[0].query_text == expected.statements[0].query_text);
    }
    SUBCASE("from the Query Text line on") {
        const std::string input = without_tabs(record.substr(record.find("Query Text: ")));
        const Plan plan = parsed(input);
        check_same_plan(expected, plan);
        CHECK(plan.statements[0].query_text == expected.statements[0].query_text);
    }
    SUBCASE("several records between other log messages") {
        const std::string other = test::read_plan_file("auto_explain/text_analyze_off.txt");
        const std::string input =
            "2026-12-02 10:00:00.000 UTC [1] LOG:  checkpoint starting: time\n" + record +
            "2026-12-02 10:00:00.100 UTC [2] ERROR:  relation \"nope\" does not exist at character 15\n"
            "2026-12-02 10:00:00.100 UTC [2] STATEMENT:  SELECT * FROM nope;\n" +
            other;
        const Plan plan = parsed(input);
        REQUIRE(plan.statements.size() == 2);
        CHECK(plan.nodes.size() == 20);
        CHECK(plan.statements[0].query_text == expected.statements[0].query_text);
        CHECK(plan.statements[1].query_text == expected.statements[0].query_text);
        CHECK(plan.nodes[static_cast<std::size_t>(plan.statements[1].root)].line ==
              line_with(input, "STATEMENT:  ") + line_with(other, "Limit  (cost="));
    }
    SUBCASE("the parameters PostgreSQL 16 logs after the query are not the plan") {
        const Plan plan = parsed("LOG:  duration: 0.051 ms  plan:\n"
                                 "\tQuery Text: SELECT * FROM t WHERE id = $1\n"
                                 "\tQuery Parameters: $1 = '42'\n"
                                 "\tIndex Scan using t_pkey on t  (cost=0.15..8.17 rows=1 width=36)\n"
                                 "\t  Index Cond: (id = $1)\n");
        REQUIRE(plan.nodes.size() == 1);
        CHECK(plan.nodes[0].index_cond == "(id = $1)");
        CHECK(plan.nodes[0].line == 4);
        CHECK(plan.statements[0].query_text == "SELECT * FROM t WHERE id = $1");
    }
    SUBCASE("a JSON record with its tabs lost") {
        const std::string json = test::read_plan_file("auto_explain/json_analyze_on.txt");
        const Plan plan = parsed(without_tabs(json));
        CHECK(plan.nodes.size() == 10);
        CHECK(plan.statements[0].query_text == std::string(k_captured_query) + ";");
    }
}

TEST_CASE("parse_plan: a psql session pasted with its prompts") {
    // Captured from psql 15 on a terminal (testdata/plans/capture.sh psql_session): the
    // banner, the EXPLAIN typed over four lines, the table, the footer, the next prompt.
    for (const std::string name : {"text", "json"}) {
        CAPTURE(name);
        const std::string input = test::read_plan_file("psql_session/" + name + ".txt");
        const Plan plan = parsed(input);
        CHECK(plan.nodes.size() == 10);
        REQUIRE(plan.statements.size() == 1);
        CHECK(plan.analyzed);
        CHECK(plan.statements[0].query_text == k_captured_query);
        CHECK(plan.nodes[0].line == line_with(input, name == "json" ? "\"Plan\"" : " Limit  (cost="));
    }
    const std::string table =
        "                      QUERY PLAN\n"
        "------------------------------------------------------\n"
        " Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)\n"
        "(1 row)\n\n";
    SUBCASE("several statements: each table takes the one typed before it") {
        const std::string input = "shop=# SET work_mem = '64MB';\nSET\n"
                                  "shop=# \\timing\nTiming is on.\n"
                                  "shop=*# explain analyze verbose select *\nshop-*# from t;\n" + table +
                                  "Time: 0.512 ms\n"
                                  "shop=# select 1;\n ?column? \n----------\n        1\n(1 row)\n\n"
                                  "shop=# EXPLAIN (COSTS on, FORMAT TEXT)\nshop(# SELECT * FROM (SELECT 1) s\n"
                                  "shop(# ;\n" + table +
                                  "shop=# \n" + table + "shop=# ";
        const Plan plan = parsed(input);
        REQUIRE(plan.statements.size() == 3);
        CHECK(plan.statements[0].query_text == "select *\nfrom t");
        CHECK(plan.statements[1].query_text == "SELECT * FROM (SELECT 1) s");
        CHECK(plan.statements[2].query_text.empty()); // nothing typed before the third table
        CHECK(plan.nodes[0].line == 9);
    }
    SUBCASE("prompts of other names and states") {
        for (const std::string prompt : {"my-db=> ", "postgres@shop=# ", "shop^# ", "shop=!# ", "shop=?> "}) {
            CAPTURE(prompt);
            const Plan plan = parsed(prompt + "EXPLAIN SELECT * FROM t;\n" + table + prompt);
            REQUIRE(plan.statements.size() == 1);
            CHECK(plan.statements[0].query_text == "SELECT * FROM t");
        }
    }
    SUBCASE("a plan line that looks like a prompt is not one") {
        const Plan plan = parsed("Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)\n"
                                 "  Filter: (f(a => 1) = 2)\n");
        CHECK(plan.nodes.size() == 1);
        CHECK(plan.nodes[0].filter == "(f(a => 1) = 2)");
    }
}
