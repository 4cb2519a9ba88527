#include "analyzer/health.hpp"
#include "test_analyzer_health_fakes.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <fstream>
#include <sstream>

using namespace dbadvise;
using analyzer::Finding;

namespace {

std::string read_testdata(const std::string& name) {
    std::ifstream in(std::string(DBADVISE_SOURCE_DIR) + "/testdata/health/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

constexpr const char* k_queryid = "8083203924890002310";

analyzer::Workload shop_workload() {
    auto workload = test::healthy_workload();
    workload.statements = {test::healthy_statement(
        k_queryid,
        "SELECT id, status, total, created_at FROM orders WHERE customer_id = $1 ORDER BY "
        "created_at DESC LIMIT $2",
        120, 8608.0)};
    return workload;
}

analyzer::PlanTarget shop_target() {
    analyzer::PlanTarget target;
    target.queryid = k_queryid;
    target.sql = shop_workload().statements[0].text;
    target.params = {std::string("26544"), std::string("10")};
    target.param_sources = {"orders.customer_id typical value", "LIMIT"};
    return target;
}

} // namespace

TEST_CASE("check_captured_plans") {
    const auto workload = shop_workload();
    const analyzer::PlanSelection targets{{shop_target()}, {}};

    SUBCASE("a captured plan goes through the plan rules, tied to its statement") {
        const std::string json = read_testdata("customer_orders.plan.json");
        REQUIRE_FALSE(json.empty());
        const auto result =
            analyzer::check_captured_plans(workload, targets, {{k_queryid, json, ""}});
        REQUIRE_FALSE(result.findings.empty());
        const auto scan =
            std::find_if(result.findings.begin(), result.findings.end(),
                         [](const Finding& f) { return f.rule_id() == "seq-scan-filter"; });
        REQUIRE(scan != result.findings.end());
        for (const Finding& finding : result.findings) {
            CHECK(finding.category() == analyzer::Category::plan);
            REQUIRE(finding.query);
            CHECK(finding.query->queryid == k_queryid);
            // The node's share of the measured statement time.
            CHECK(finding.rank >= 0);
            CHECK(finding.rank <= 8608.0);
            // The id takes the node path and the statement's fingerprint, not the queryid.
            CHECK(finding.subject.starts_with("Plan"));
            CHECK(finding.fingerprint.size() == 16);
            if (finding.location) {
                CHECK(finding.location->line == 0);
                CHECK(finding.location->file.empty());
            }
        }
        // The scan of orders takes most of the plan's time.
        CHECK(scan->rank > 0.5 * 8608.0);
        REQUIRE(result.sections.size() == 1);
        const auto& lines = result.sections[0].lines;
        CHECK(result.sections[0].title == "Plans (EXPLAIN ANALYZE)");
        REQUIRE(lines.size() >= 3);
        CHECK(lines[0].starts_with("Statement 8083203924890002310: SELECT id, status"));
        CHECK(lines[1] == "  parameters: $1 = '26544' (orders.customer_id typical value); "
                          "$2 = '10' (LIMIT)");
        CHECK(lines[2].starts_with("  execution "));
        CHECK(lines[2].find("shared buffers 530 hit / 8840 read") != std::string::npos);
    }
    SUBCASE("a statement the server cancelled is reported and the others go on") {
        const std::string json = read_testdata("customer_orders.plan.json");
        auto second = workload;
        second.statements.push_back(test::healthy_statement("77", "SELECT 1", 1, 1));
        const auto result = analyzer::check_captured_plans(
            second, targets,
            {{"77", "", "canceling statement due to statement timeout"}, {k_queryid, json, ""}});
        const auto failed =
            std::find_if(result.findings.begin(), result.findings.end(),
                         [](const Finding& f) { return f.rule_id() == "analyze-plans-failed"; });
        REQUIRE(failed != result.findings.end());
        CHECK(failed->category() == analyzer::Category::input);
        CHECK(failed->title == "EXPLAIN ANALYZE of statement 77 gave no plan");
        CHECK(failed->message == "canceling statement due to statement timeout");
        REQUIRE(failed->query);
        CHECK(failed->query->text == "SELECT 1");
        CHECK(std::any_of(result.findings.begin(), result.findings.end(),
                          [](const Finding& f) { return f.rule_id() == "seq-scan-filter"; }));
        CHECK(std::find(result.sections[0].lines.begin(), result.sections[0].lines.end(),
                        "  failed: canceling statement due to statement timeout") !=
              result.sections[0].lines.end());
    }
    SUBCASE("output that is not a plan is reported with the parser's message") {
        const auto result =
            analyzer::check_captured_plans(workload, targets, {{k_queryid, "[{\"Plan\": ", ""}});
        REQUIRE(result.findings.size() == 1);
        CHECK(result.findings[0].rule_id() == "analyze-plans-failed");
        CHECK(result.findings[0].message.starts_with("the server's plan could not be read: "));
    }
    SUBCASE("statements passed over: unsafe, skipped, and not run for the budget") {
        auto more = workload;
        more.statements.push_back(test::healthy_statement("5", "SELECT pg_terminate_backend($1)", 1, 1));
        more.statements.push_back(test::healthy_statement("6", "SELECT * FROM t OFFSET $1", 1, 1));
        analyzer::PlanSelection selection = targets;
        selection.skipped = {{"5", "it calls pg_terminate_backend(), which signals another session", true},
                             {"6", "OFFSET $1 is a parameter", false}};
        analyzer::CapturedPlan late{k_queryid, "", "the time budget of 30.0 s for --analyze-plans was used up", true};
        const auto result = analyzer::check_captured_plans(more, selection, {late});
        REQUIRE(result.findings.size() == 3);
        const auto find = [&](const std::string& rule, const std::string& id) {
            return std::find_if(result.findings.begin(), result.findings.end(), [&](const Finding& f) {
                // The statement's queryid; subject only when the statement is unknown (the
                // finding's id comes from the statement's fingerprint, never the queryid).
                return f.rule_id() == rule && (f.query ? f.query->queryid : f.subject) == id;
            });
        };
        const auto unsafe = find("analyze-plans-unsafe", "5");
        REQUIRE(unsafe != result.findings.end());
        CHECK(unsafe->title == "Statement 5 not run under EXPLAIN ANALYZE: it may have side effects");
        CHECK(unsafe->message.find("it calls pg_terminate_backend(), which signals another session") !=
              std::string::npos);
        REQUIRE(unsafe->query);
        CHECK(unsafe->query->text == "SELECT pg_terminate_backend($1)");
        const auto offset = find("analyze-plans-skipped", "6");
        REQUIRE(offset != result.findings.end());
        CHECK(offset->message == "--analyze-plans did not run this statement: OFFSET $1 is a parameter.");
        const auto budget = find("analyze-plans-skipped", k_queryid);
        REQUIRE(budget != result.findings.end());
        CHECK(budget->message.find("time budget") != std::string::npos);
        const auto& lines = result.sections[0].lines;
        CHECK(std::find(lines.begin(), lines.end(),
                        "  not run: it calls pg_terminate_backend(), which signals another session") != lines.end());
    }
    SUBCASE("nothing captured: an empty section") {
        const auto result = analyzer::check_captured_plans(workload, targets, {});
        CHECK(result.findings.empty());
        REQUIRE(result.sections.size() == 1);
        CHECK(result.sections[0].lines.empty());
    }
}
