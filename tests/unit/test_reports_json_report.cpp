#include "reports/report.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <limits>

using namespace dbadvise;
using analyzer::Category;
using analyzer::Finding;
using analyzer::Location;
using analyzer::Severity;
using nlohmann::json;

namespace {

Finding not_in_finding() {
    Finding f(analyzer::RuleId::not_in_subquery);
    f.title = "NOT IN over a subquery";
    f.message = "Use NOT EXISTS.";
    f.subject = "orders.customer_id";
    f.location = Location{"q.sql", 3, 17, 40, {}};
    f.suggestion.rewritten_query = "SELECT 1 WHERE NOT EXISTS (SELECT 1)";
    return f;
}

} // namespace

TEST_CASE("render_json") {
    SUBCASE("a lint report, byte for byte") {
        reports::Report report;
        report.source.kind = "sql";
        report.source.files = {"q.sql"};
        report.stats = {{"files", std::int64_t{1}}, {"statements", std::int64_t{2}}};
        report.findings = {not_in_finding()};
        const std::string id = not_in_finding().id();
        const std::string expected = "{\n"
                                     "  \"schema_version\": 1,\n"
                                     "  \"tool\": {\n"
                                     "    \"name\": \"dbadvise\",\n"
                                     "    \"version\": \"" DBADVISE_TEST_VERSION "\"\n"
                                     "  },\n"
                                     "  \"source\": {\n"
                                     "    \"kind\": \"sql\",\n"
                                     "    \"files\": [\n"
                                     "      \"q.sql\"\n"
                                     "    ]\n"
                                     "  },\n"
                                     "  \"stats\": {\n"
                                     "    \"files\": 1,\n"
                                     "    \"statements\": 2\n"
                                     "  },\n"
                                     "  \"findings\": [\n"
                                     "    {\n"
                                     "      \"id\": \"" + id + "\",\n"
                                     "      \"rule\": \"not-in-subquery\",\n"
                                     "      \"category\": \"rewrite\",\n"
                                     "      \"severity\": \"warning\",\n"
                                     "      \"title\": \"NOT IN over a subquery\",\n"
                                     "      \"message\": \"Use NOT EXISTS.\",\n"
                                     "      \"location\": {\n"
                                     "        \"file\": \"q.sql\",\n"
                                     "        \"line\": 3,\n"
                                     "        \"column\": 17\n"
                                     "      },\n"
                                     "      \"suggestion\": {\n"
                                     "        \"rewritten_query\": \"SELECT 1 WHERE NOT EXISTS (SELECT 1)\"\n"
                                     "      }\n"
                                     "    }\n"
                                     "  ]\n"
                                     "}\n";
        CHECK(reports::render_json(report) == expected);
    }

    SUBCASE("an empty report still has every required member") {
        const json doc = json::parse(reports::render_json(reports::Report{}));
        CHECK(doc["schema_version"] == 1);
        CHECK(doc["findings"] == json::array());
        CHECK(doc["stats"] == json::object());
        CHECK(doc.contains("tool"));
        CHECK(doc.contains("source"));
        CHECK_FALSE(doc.contains("notes"));
        CHECK_FALSE(doc.contains("partial"));
        CHECK_FALSE(doc.contains("hot_nodes"));
        CHECK_FALSE(doc.contains("sections"));
    }

    SUBCASE("numbers are rounded to 3 decimals; NaN and infinity become null") {
        reports::Report report;
        Finding f = not_in_finding();
        f.location.reset();
        f.query = analyzer::QueryRef{"7", "SELECT $1", 3, 10.00049, 3.3335, {}, 0, 0};
        f.evidence = {{"ratio", 2.0 / 3.0},
                      {"nan", std::numeric_limits<double>::quiet_NaN()},
                      {"rows", std::int64_t{5}},
                      {"tiny", -0.0001},
                      {"ok", false}};
        f.impact.cost_before = std::numeric_limits<double>::infinity();
        f.impact.cost_after = 1.23456;
        report.findings = {f};
        const std::string text = reports::render_json(report);
        CHECK(text.find("\"ratio\": 0.667,") != std::string::npos);
        CHECK(text.find("\"nan\": null,") != std::string::npos);
        CHECK(text.find("\"tiny\": 0.0,") != std::string::npos);
        CHECK(text.find("\"total_ms\": 10.0,") != std::string::npos);
        CHECK(text.find("\"mean_ms\": 3.334") != std::string::npos);
        CHECK(text.find("\"cost_before\": null,") != std::string::npos);
        CHECK(text.find("\"cost_after\": 1.235") != std::string::npos);
        const json doc = json::parse(text);
        const json& finding = doc["findings"][0];
        CHECK_FALSE(finding.contains("location"));
        CHECK(finding.contains("impact"));
        CHECK_FALSE(finding["impact"].contains("estimated_ms_saved_per_call"));
        CHECK(finding["query"]["queryid"] == "7");
        CHECK(finding["query"]["calls"] == 3);
        CHECK(finding["evidence"]["ok"] == false);
        CHECK(finding["evidence"]["rows"] == 5);
    }

    SUBCASE("empty suggestion parts are omitted") {
        reports::Report report;
        Finding f = not_in_finding();
        f.suggestion = {};
        report.findings = {f};
        f.suggestion.sql = "ANALYZE orders;";
        report.findings.push_back(f);
        const json doc = json::parse(reports::render_json(report));
        CHECK_FALSE(doc["findings"][0].contains("suggestion"));
        CHECK(doc["findings"][1]["suggestion"] == json{{"sql", "ANALYZE orders;"}});
    }

    SUBCASE("plan node locations, hot nodes, sections, partial and notes") {
        reports::Report report;
        report.source.kind = "plan";
        Finding f = not_in_finding();
        f.location = Location{{}, 0, 0, -1, "Plan/Plans[1]"};
        report.findings = {f};
        report.hot_nodes = {{"Plan/Plans[1]", "Sort", "", 5.55555, 0.5}};
        report.sections = {{"Cache", {"a", "b"}}};
        report.partial = true;
        report.notes = {"one note"};
        const json doc = json::parse(reports::render_json(report));
        CHECK(doc["findings"][0]["location"] == json{{"node", "Plan/Plans[1]"}});
        CHECK(doc["hot_nodes"][0] ==
              json{{"path", "Plan/Plans[1]"}, {"node_type", "Sort"}, {"exclusive_ms", 5.556},
                   {"share", 0.5}});
        CHECK(doc["sections"] == json::array({json{{"title", "Cache"}, {"lines", {"a", "b"}}}}));
        CHECK(doc["partial"] == true);
        CHECK(doc["notes"] == json::array({"one note"}));
    }

    SUBCASE("bytes that are not UTF-8 are replaced, not fatal") {
        reports::Report report;
        Finding f = not_in_finding();
        f.message = "bad \xff byte";
        report.findings = {f};
        const json doc = json::parse(reports::render_json(report));
        CHECK(doc["findings"][0]["message"] == "bad \xEF\xBF\xBD byte");
    }

    SUBCASE("SQL that is not UTF-8 is given byte for byte, in base64") {
        reports::Report report;
        Finding f = not_in_finding();
        f.suggestion.sql = "CREATE INDEX ON t (a);";
        f.suggestion.rewritten_query = "SELECT 1 WHERE name = 'caf\xe9'";
        report.findings = {f};
        const json doc = json::parse(reports::render_json(report));
        const json& suggestion = doc["findings"][0]["suggestion"];
        CHECK(suggestion["sql"] == "CREATE INDEX ON t (a);");
        CHECK_FALSE(suggestion.contains("rewritten_query"));
        // base64 of the statement's bytes, 0xE9 included.
        CHECK(suggestion["rewritten_query_base64"] == "U0VMRUNUIDEgV0hFUkUgbmFtZSA9ICdjYWbpJw==");
    }

    SUBCASE("keeps the findings' order and ends with a newline") {
        reports::Report report;
        Finding a = not_in_finding();
        a.rule = analyzer::RuleId::union_vs_union_all;
        Finding b = not_in_finding();
        b.rule = analyzer::RuleId::binary_input;
        report.findings = {a, b};
        const std::string text = reports::render_json(report);
        CHECK(text.back() == '\n');
        const json doc = json::parse(text);
        CHECK(doc["findings"][0]["rule"] == "union-vs-union-all");
        CHECK(doc["findings"][1]["rule"] == "binary-input");
    }
}

TEST_CASE("a statement of --queries FILE carries where it was first seen: JSON, SARIF, text") {
    reports::Report report;
    report.source.kind = "queries";
    Finding from_file(analyzer::RuleId::missing_index);
    from_file.title = "Index orders (customer_id)";
    from_file.query = analyzer::QueryRef{"ab12", "SELECT * FROM orders WHERE customer_id = $1", 3, 6, 2,
                                         "sql/app.sql", 12, 5};
    Finding from_log = from_file;
    from_log.query->file = "pg.log";
    from_log.query->line = 40;
    from_log.query->column = 0;
    Finding from_stdin = from_file;
    from_stdin.query->file = "-";
    Finding from_pgss = from_file;
    from_pgss.query->file.clear();
    from_pgss.query->line = from_pgss.query->column = 0;
    report.findings = {from_file, from_log, from_stdin, from_pgss};
    report.statements = {{*from_file.query, 3, 0, 0}};

    const json doc = json::parse(reports::render_json(report));
    CHECK(doc["findings"][0]["query"]["location"] == json{{"file", "sql/app.sql"}, {"line", 12}, {"column", 5}});
    CHECK(doc["findings"][1]["query"]["location"] == json{{"file", "pg.log"}, {"line", 40}});
    CHECK(doc["findings"][2]["query"]["location"] == json{{"file", "-"}, {"line", 12}, {"column", 5}});
    CHECK_FALSE(doc["findings"][3]["query"].contains("location"));
    CHECK_FALSE(doc["findings"][0].contains("location")); // the finding's own: none
    CHECK(doc["workload"]["statements"][0]["location"]["line"] == 12);

    std::string sarif_text;
    reports::render_sarif(report, [&](std::string_view part) { sarif_text += part; });
    const json sarif = json::parse(sarif_text);
    const json& results = sarif["runs"][0]["results"];
    REQUIRE(results.size() == 4);
    const json& physical = results[0]["locations"][0]["physicalLocation"];
    CHECK(physical["artifactLocation"]["uri"] == "sql/app.sql");
    CHECK(physical["region"] == json{{"startLine", 12}, {"startColumn", 5}});
    CHECK(results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "queryid:ab12");
    CHECK(results[1]["locations"][0]["physicalLocation"]["region"] == json{{"startLine", 40}});
    CHECK_FALSE(results[2]["locations"][0].contains("physicalLocation")); // standard input
    CHECK_FALSE(results[3]["locations"][0].contains("physicalLocation"));

    const std::string text = reports::render_text(report, {});
    CHECK(text.find("query ab12 at sql/app.sql:12:5 (3 calls") != std::string::npos);
    CHECK(text.find("query ab12 at pg.log:40 (3 calls") != std::string::npos);
}
