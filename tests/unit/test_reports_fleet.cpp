#include "reports/report.hpp"

#include "analyzer/rule_registry.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace dbadvise;
using analyzer::Finding;
using analyzer::RuleId;
using analyzer::Severity;
using nlohmann::json;

namespace {

Finding missing_index(double rank) {
    Finding f(RuleId::missing_index);
    f.title = "Missing index on public.orders (customer_id)";
    f.subject = "public.orders (customer_id)";
    f.fingerprint = "abc";
    f.suggestion.sql = "CREATE INDEX CONCURRENTLY ON public.orders (customer_id);";
    f.rank = rank;
    f.evidence = {{"rank_source", std::string(rank > 10 ? "big" : "small")}};
    return f;
}

Finding own_finding(std::string subject) {
    Finding f(RuleId::missing_index);
    f.title = "Missing index on " + subject;
    f.subject = std::move(subject);
    f.rank = 1;
    return f;
}

reports::FleetDatabase analyzed(std::string name, std::vector<Finding> findings, bool partial = false) {
    reports::Report report;
    report.source.kind = "database";
    report.source.database = name;
    report.source.server_version = "15.4";
    report.stats = {{"statements", std::int64_t{3}}};
    report.findings = std::move(findings);
    report.partial = partial;
    report.sections.push_back({"Health", {"all good"}, analyzer::Category::config});
    return {name, "--dsn", std::move(report), {}};
}

} // namespace

TEST_CASE("merge_fleet") {
    SUBCASE("a finding in several databases is listed once, with its databases") {
        std::vector<reports::FleetDatabase> databases;
        databases.push_back(analyzed("h:1/t1", {missing_index(5), own_finding("public.a (x)")}));
        databases.push_back(analyzed("h:1/t2", {missing_index(20)}));
        databases.push_back(analyzed("h:1/t3", {missing_index(1)}));
        const reports::Report fleet = reports::merge_fleet(std::move(databases));
        CHECK(fleet.source.kind == "fleet");
        CHECK_FALSE(fleet.partial);
        REQUIRE(fleet.findings.size() == 2);
        const Finding& repeated = fleet.findings[0];
        CHECK(repeated.rule == RuleId::missing_index);
        // The figures of the database where it weighs most; ranked by the sum.
        CHECK(repeated.databases == std::vector<std::string>{"h:1/t2", "h:1/t1", "h:1/t3"});
        CHECK(std::get<std::string>(repeated.evidence.front().second) == "big");
        CHECK(repeated.rank == doctest::Approx(26));
        CHECK(fleet.findings[1].databases == std::vector<std::string>{"h:1/t1"});
        REQUIRE(fleet.fleet.size() == 3);
        CHECK(fleet.fleet[0].report->findings.size() == 2);
        // A section per database, then each database's own sections under its name.
        REQUIRE(fleet.sections.size() == 6);
        CHECK(fleet.sections[0].title == "Database h:1/t1");
        CHECK_FALSE(fleet.sections[0].category.has_value());
        CHECK(fleet.sections[1].title == "h:1/t1: Health");
        CHECK(fleet.sections[1].category == analyzer::Category::config);
        const auto& lines = fleet.sections[0].lines;
        CHECK(std::find(lines.begin(), lines.end(), "2 findings, 1 only in this database") != lines.end());
        CHECK(std::find(lines.begin(), lines.end(), "analyzed: database \"h:1/t1\", PostgreSQL 15.4") != lines.end());
    }
    SUBCASE("the highest severity of the databases wins") {
        Finding worse = missing_index(1);
        worse.severity = Severity::error;
        std::vector<reports::FleetDatabase> databases;
        databases.push_back(analyzed("a", {missing_index(5)}));
        databases.push_back(analyzed("b", {worse}));
        const reports::Report fleet = reports::merge_fleet(std::move(databases));
        REQUIRE(fleet.findings.size() == 1);
        CHECK(fleet.findings[0].severity == Severity::error);
    }
    SUBCASE("a database that failed is named with its error; the report is partial") {
        std::vector<reports::FleetDatabase> databases;
        databases.push_back(analyzed("a", {missing_index(5)}));
        databases.push_back({"h:9/gone", "f.txt:2", std::nullopt, "cannot connect to ...: refused"});
        const reports::Report fleet = reports::merge_fleet(std::move(databases));
        CHECK(fleet.partial);
        REQUIRE(fleet.findings.size() == 1);
        CHECK(fleet.findings[0].databases == std::vector<std::string>{"a"});
        REQUIRE(fleet.notes.size() == 1);
        CHECK(fleet.notes[0] == "1 of 2 databases could not be analyzed (h:9/gone): their sections say why; "
                                "the report covers the others");
        // Every format's partial line says which database, not that "the run stopped early".
        CHECK(reports::partial_summary(fleet) ==
              "1 of 2 databases could not be analyzed (h:9/gone); this report covers only what was analyzed");
        CHECK(reports::render_text(fleet, {}).find("stopped early") == std::string::npos);
        CHECK(fleet.sections.back().title == "Database h:9/gone");
        CHECK(fleet.sections.back().lines ==
              std::vector<std::string>{"given as f.txt:2", "not analyzed: cannot connect to ...: refused"});
    }
    SUBCASE("a database whose analysis stopped early makes the fleet partial") {
        std::vector<reports::FleetDatabase> databases;
        databases.push_back(analyzed("a", {}));
        databases.push_back(analyzed("b", {}, true));
        const reports::Report fleet = reports::merge_fleet(std::move(databases));
        CHECK(fleet.partial);
        CHECK(reports::partial_summary(fleet) ==
              "the analysis of b stopped early; this report covers only what was analyzed");
    }
    SUBCASE("one failed and one stopped early: the reason names both") {
        std::vector<reports::FleetDatabase> databases;
        databases.push_back(analyzed("a", {}, true));
        databases.push_back({"h:9/gone", "f.txt:2", std::nullopt, "cannot connect"});
        databases.push_back(analyzed("c", {}));
        CHECK(reports::partial_summary(reports::merge_fleet(std::move(databases))) ==
              "1 of 3 databases could not be analyzed (h:9/gone) and the analysis of a stopped early; this "
              "report covers only what was analyzed");
    }
    SUBCASE("a fleet where every database was analyzed is not partial") {
        std::vector<reports::FleetDatabase> databases;
        databases.push_back(analyzed("a", {}));
        databases.push_back(analyzed("b", {}));
        const reports::Report fleet = reports::merge_fleet(std::move(databases));
        CHECK_FALSE(fleet.partial);
        CHECK(fleet.partial_reason.empty());
    }
}

TEST_CASE("render_json of a fleet") {
    std::vector<reports::FleetDatabase> databases;
    databases.push_back(analyzed("h:1/t1", {missing_index(5)}));
    databases.push_back(analyzed("h:1/t2", {missing_index(20)}));
    databases.push_back({"h:9/gone", "f.txt:2", std::nullopt, "cannot connect"});
    const json doc = json::parse(reports::render_json(reports::merge_fleet(std::move(databases))));
    CHECK(doc["source"]["kind"] == "fleet");
    CHECK(doc["partial"] == true);
    CHECK(doc["partial_reason"] == "1 of 3 databases could not be analyzed (h:9/gone); this report covers only "
                                   "what was analyzed");
    REQUIRE(doc["findings"].size() == 1);
    CHECK(doc["findings"][0]["databases"] == json::array({"h:1/t2", "h:1/t1"}));
    const json& list = doc["fleet"]["databases"];
    REQUIRE(list.size() == 3);
    CHECK(list[0]["name"] == "h:1/t1");
    CHECK(list[0]["status"] == "analyzed");
    CHECK(list[0]["report"]["source"]["kind"] == "database");
    CHECK(list[0]["report"]["findings"].size() == 1);
    CHECK_FALSE(list[0]["report"]["findings"][0].contains("databases"));
    CHECK(list[0]["report"]["schema_version"] == 1);
    CHECK(list[2]["status"] == "failed");
    CHECK(list[2]["error"] == "cannot connect");
    CHECK(list[2]["origin"] == "f.txt:2");
    CHECK_FALSE(list[2].contains("report"));
}

TEST_CASE("render_text of a fleet") {
    std::vector<reports::FleetDatabase> databases;
    databases.push_back(analyzed("h:1/t1", {missing_index(5)}));
    databases.push_back(analyzed("h:1/t2", {missing_index(20)}));
    const std::string text = reports::render_text(reports::merge_fleet(std::move(databases)), {});
    CHECK(text.find("dbadvise analyze: fleet of 2 databases") != std::string::npos);
    CHECK(text.find("in 2 databases: h:1/t2, h:1/t1 (figures from h:1/t2)") != std::string::npos);
    CHECK(text.find("Database h:1/t1") != std::string::npos);
    CHECK(text.find("h:1/t2: Health") != std::string::npos);
}
