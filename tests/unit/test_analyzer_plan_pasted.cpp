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
    CHECK(forms >= 38);
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
    SUBCASE("psql border 2 with double lines: the frame is a border") {
        const auto pasted = unwrap_pasted_plan("\u2554\u2550\u2550\u2550\u2550\u2557\n"
                                               "\u2551 QUERY PLAN    \u2551\n"
                                               "\u2560\u2550\u2550\u2550\u2550\u2563\n"
                                               "\u2551 [           \u21B5\u2551\n"
                                               "\u2551   \"a\": 12345\u21B5\u2551\n"
                                               "\u2551 ]            \u2551\n"
                                               "\u255A\u2550\u2550\u2550\u2550\u255D\n(1 row)\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "[\n  \"a\": 12345\n]");
        CHECK(pasted->source_lines == std::vector<int>{4, 5, 6});
    }
    SUBCASE("DBeaver's grid: a border after each row, no marks") {
        // The widest row ends in `.` right before its border: no wrap mark in a grid.
        const auto pasted = unwrap_pasted_plan("QUERY PLAN             |\n"
                                               "-----------------------+\n"
                                               "Seq Scan on t  (cost=1.)|\n"
                                               "  Filter: (a = 'x+')   |\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "Seq Scan on t  (cost=1.)\n  Filter: (a = 'x+')");
        CHECK(pasted->source_lines == std::vector<int>{3, 4});
        CHECK(pasted->layout == "grid");
    }
    SUBCASE("a column named otherwise, when a plan follows its rule") {
        const auto pasted = unwrap_pasted_plan("       explain_filter       \n"
                                               "----------------------------\n"
                                               " Limit (actual rows=70 loops=1)\n"
                                               "   ->  Sort (actual rows=70 loops=1)\n"
                                               "(2 rows)\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "Limit (actual rows=70 loops=1)\n  ->  Sort (actual rows=70 loops=1)");
        // Another one-column table is no plan: `SHOW work_mem` before the EXPLAIN.
        CHECK_FALSE(unwrap_pasted_plan(" work_mem \n----------\n 64MB\n(1 row)\n"));
    }
    SUBCASE("SQL pasted above the plan, without a prompt") {
        // A comment, a SET and its tag, a SHOW and its table, the EXPLAIN over two lines.
        const std::string table = "                      QUERY PLAN\n"
                                  "------------------------------------------------------\n"
                                  " Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)\n"
                                  "(1 row)\n";
        const auto pasted = unwrap_pasted_plan("-- from the nightly job\nSET work_mem = '64MB';\nSET\n"
                                               "show work_mem;\n work_mem \n----------\n 64MB\n(1 row)\n\n"
                                               "explain (analyze, timing off)\n  select * from t ;\n" + table);
        REQUIRE(pasted);
        CHECK(pasted->text == "Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)");
        CHECK(pasted->source_lines == std::vector<int>{14});
        REQUIRE(pasted->queries.size() == 1);
        CHECK(pasted->queries[0].text == "select * from t");
        CHECK(pasted->queries[0].source_line == 10);
        // EXPLAIN's own text under a comment: the comment is passed over.
        const auto bare = unwrap_pasted_plan("-- taken from the report\n\n"
                                             " HashAggregate  (cost=1.00..2.00 rows=1 width=11)\n"
                                             "   Group Key: name\n");
        REQUIRE(bare);
        CHECK(bare->text == " HashAggregate  (cost=1.00..2.00 rows=1 width=11)\n   Group Key: name");
        CHECK(bare->source_lines == std::vector<int>{3, 4});
        CHECK(bare->layout == "text");
        // A plan's root that starts with a keyword is no statement: `Update on t`.
        CHECK_FALSE(unwrap_pasted_plan("Update on t  (cost=0.00..1.00 rows=0 width=0)\n"
                                       "  ->  Seq Scan on t  (cost=0.00..1.00 rows=1 width=10)\n"));
        // Prose is not SQL: the input is no pasted table.
        CHECK_FALSE(unwrap_pasted_plan("Not a plan. Just words;\n"));
    }
    SUBCASE("rows between single quotes, nothing doubled inside") {
        const auto pasted = unwrap_pasted_plan("'Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)'\n"
                                               "'  Filter: ((s)::text = 'PRE'::text)'\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  Filter: ((s)::text = 'PRE'::text)");
        CHECK(pasted->source_columns == std::vector<int>{1, 1});
        CHECK(pasted->layout == "quoted");
    }
    SUBCASE("words above a table, a footer in the client's language, a bare `#` prompt") {
        const auto pasted = unwrap_pasted_plan("Here is the plan of the slow page:\n"
                                               "# explain select * from t;\n"
                                               "                      QUERY PLAN\n"
                                               "------------------------------------------------------\n"
                                               " Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)\n"
                                               "(1 ligne)\n");
        REQUIRE(pasted);
        CHECK(pasted->text == "Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)");
        REQUIRE(pasted->queries.size() == 1);
        CHECK(pasted->queries[0].text == "select * from t");
        CHECK(is_row_count("(37 lignes)"));
        CHECK(is_row_count(" (1 Zeile) "));
        CHECK_FALSE(is_row_count("(cost=0.00..1.00 rows=1 width=4)"));
        CHECK_FALSE(is_row_count("(never executed)"));
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
    // banner, the EXPLAIN typed over four lines, the table, the footer, the next prompt; and
    // with a custom prompt, `(%p)%n@%/%R%# `.
    for (const std::string name : {"text", "json", "text_custom_prompt"}) {
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
        for (const std::string prompt : {"my-db=> ", "postgres@shop=# ", "shop^# ", "shop=!# ", "shop=?> ",
                                         "(12345)postgres@shop=# ", "[local]shop=> "}) {
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

namespace {

// `text` as a terminal `columns` wide shows it: every line longer than that cut into pieces
// of `columns` characters, each on a line of its own.
std::string cut_at(const std::string& text, int columns) {
    std::string out;
    int column = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            out += c;
            column = 0;
            continue;
        }
        const bool starts_character = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (starts_character && column == columns) {
            out += '\n';
            column = 0;
        }
        out += c;
        column += starts_character ? 1 : 0;
    }
    return out;
}

} // namespace

TEST_CASE("parse_plan: lines a terminal or an editor cut") {
    SUBCASE("a text plan cut inside its figures") {
        const Plan plan = parsed("Sort  (cost=32.88..32.96 rows=32 width=224) (actual time=0.532..0.532 \n"
                                 "rows=0 loops=1)\n"
                                 "  Sort Key: n.nspname\n"
                                 "  ->  Seq Scan on pg_class c  (cost=0.00..29.84 rows=64 width=73) (actual time=0.0\n"
                                 "26..0.397 rows=128 loops=1)\n"
                                 "        Filter: (relkind = 'r'::\"char\")\n"
                                 "Planning Time: 0.636 ms\n");
        REQUIRE(plan.statements.size() == 1);
        REQUIRE(plan.nodes.size() == 2);
        CHECK(plan.nodes[0].actual_rows == 0);
        CHECK(plan.nodes[1].actual_rows == 128);
        CHECK(plan.nodes[1].actual_total_ms == doctest::Approx(0.397));
        CHECK(plan.nodes[1].filter == "(relkind = 'r'::\"char\")");
        CHECK(plan.nodes[1].line == 4);
    }
    SUBCASE("a literal's line break, as EXPLAIN prints it, stays in the literal") {
        const Plan plan = parsed("Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n"
                                 "  Filter: (note = 'a\nb (x'::text)\n"
                                 "Planning Time: 0.1 ms\n");
        REQUIRE(plan.nodes.size() == 1);
        CHECK(plan.nodes[0].filter == "(note = 'a\nb (x'::text)");
        CHECK(plan.statements.size() == 1);
    }
    SUBCASE("a line cut just before its figures") {
        const Plan plan = parsed("Hash  (cost=48.64..48.64 rows=10 width=364) (actual time=0.552..0.555 rows=10 loops=3)\n"
                                 "  ->  Index Scan using branches_pkey on branches\n"
                                 "  (cost=0.14..48.64 rows=10 width=364) (actual time=0.102..0.317 rows=10 loops=3)\n"
                                 "        Buffers: shared hit=33\n");
        REQUIRE(plan.nodes.size() == 2);
        CHECK(plan.nodes[1].node_type == "Index Scan");
        CHECK(plan.nodes[1].actual_rows == 10);
        CHECK(plan.nodes[1].buffers.shared.hit == 33);
    }
    SUBCASE("a plan copied in part is read as it is") {
        // Its last line ends inside the figures: nothing follows to join, and nothing is lost.
        const Plan plan = parsed("Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n"
                                 "  ->  Seq Scan on u  (cost=0.00..1.00 rows=1 wi\n");
        CHECK(plan.nodes.size() == 2);
    }
    SUBCASE("captures cut at 80 columns parse like the whole lines") {
        // EXPLAIN's own text and psql's aligned table, as an 80-column terminal shows them:
        // cuts inside figures, inside a filter and between words (`Memory U` / `sage`).
        const std::string bare = test::read_plan_file("pasted/bare.txt");
        const Plan expected = parsed(bare);
        for (const std::string name : {"bare.txt", "text_aligned.txt"}) {
            CAPTURE(name);
            const std::string cut = cut_at(test::read_plan_file("pasted/" + name), 80);
            REQUIRE(cut != test::read_plan_file("pasted/" + name));
            check_same_plan(expected, parsed(cut));
        }
    }
}
