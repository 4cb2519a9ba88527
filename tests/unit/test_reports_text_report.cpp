#include "reports/report.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;
using analyzer::Category;
using analyzer::Finding;
using analyzer::Location;
using analyzer::RuleId;
using analyzer::Severity;

namespace {

Finding located(RuleId rule, Severity severity, std::string file, int line, int column,
                std::string title, std::string message) {
    Finding f(rule);
    f.severity = severity;
    f.title = std::move(title);
    f.message = std::move(message);
    f.location = Location{std::move(file), line, column, -1, {}};
    return f;
}

reports::Report two_files() {
    reports::Report report;
    report.source.kind = "sql";
    Finding not_in = located(RuleId::not_in_subquery, Severity::warning, "a.sql", 3, 17,
                             "NOT IN over a subquery", "NULLs make NOT IN return no rows.\n"
                                                       "Use NOT EXISTS.");
    not_in.suggestion.rewritten_query = "SELECT 1\nWHERE NOT EXISTS (SELECT 1)";
    Finding parse = located(RuleId::parse_error, Severity::error, "a.sql", 9, 1, "Syntax error",
                            "syntax error at or near \"FORM\"");
    Finding like = located(RuleId::leading_wildcard_like, Severity::info, "b.sql", 1, 30,
                           "LIKE with a leading wildcard", "An index cannot serve it.");
    like.suggestion.sql = "CREATE INDEX CONCURRENTLY t_name_trgm ON t USING gin (name gin_trgm_ops);";
    report.findings = {not_in, parse, like};
    report.stats = {{"files", std::int64_t{2}}, {"statements", std::int64_t{7}}};
    return report;
}

} // namespace

TEST_CASE("render_text") {
    SUBCASE("groups findings by file, locates them and indents suggestions") {
        const std::string expected =
            "dbadvise lint: 2 files\n"
            "  checked: 7 statements\n"
            "\n"
            "a.sql: 2 findings\n"
            "\n"
            "a.sql:3:17: warning: NOT IN over a subquery [not-in-subquery]\n"
            "    NULLs make NOT IN return no rows.\n"
            "    Use NOT EXISTS.\n"
            "    rewritten query:\n"
            "        SELECT 1\n"
            "        WHERE NOT EXISTS (SELECT 1)\n"
            "\n"
            "a.sql:9:1: error: Syntax error [parse-error]\n"
            "    syntax error at or near \"FORM\"\n"
            "\n"
            "b.sql: 1 finding\n"
            "\n"
            "b.sql:1:30: info: LIKE with a leading wildcard [leading-wildcard-like]\n"
            "    An index cannot serve it.\n"
            "    suggested SQL:\n"
            "        CREATE INDEX CONCURRENTLY t_name_trgm ON t USING gin (name gin_trgm_ops);\n"
            "\n"
            "summary: 3 findings (1 error, 1 warning, 1 info); files=2, statements=7\n";
        CHECK(reports::render_text(two_files(), {}) == expected);
    }

    SUBCASE("without colour there is no escape sequence at all") {
        CHECK(reports::render_text(two_files(), {.color = false}).find('\x1b') ==
              std::string::npos);
    }

    SUBCASE("with colour severities are coloured and every sequence is reset") {
        const std::string text = reports::render_text(two_files(), {.color = true});
        CHECK(text.find("\x1b[1;33mwarning\x1b[0m") != std::string::npos);
        CHECK(text.find("\x1b[1;31merror\x1b[0m") != std::string::npos);
        CHECK(text.find("\x1b[1;36minfo\x1b[0m") != std::string::npos);
        CHECK(text.find("\x1b[1ma.sql:3:17\x1b[0m") != std::string::npos);
        std::size_t opened = 0;
        std::size_t resets = 0;
        for (std::size_t at = text.find('\x1b'); at != std::string::npos;
             at = text.find('\x1b', at + 1)) {
            (text.compare(at, 4, "\x1b[0m") == 0 ? resets : opened) += 1;
        }
        CHECK(opened > 0);
        CHECK(opened == resets);
    }

    SUBCASE("groups in the order of their first finding, report order inside a group") {
        reports::Report report;
        report.source.kind = "sql";
        report.findings = {located(RuleId::in_subquery, Severity::warning, "b.sql", 1, 1, "one", ""),
                           located(RuleId::missing_limit, Severity::warning, "a.sql", 1, 1, "two", ""),
                           located(RuleId::select_star, Severity::warning, "b.sql", 2, 1, "three", "")};
        const std::string text = reports::render_text(report, {});
        const auto b_group = text.find("b.sql: 2 findings\n");
        const auto a_group = text.find("a.sql: 1 finding\n");
        REQUIRE(b_group != std::string::npos);
        REQUIRE(a_group != std::string::npos);
        CHECK(b_group < text.find("[in-subquery]"));
        CHECK(text.find("[in-subquery]") < text.find("[select-star]"));
        CHECK(text.find("[select-star]") < a_group);
        CHECK(a_group < text.find("[missing-limit]"));
    }

    SUBCASE("analyze findings group by what to do, in a fixed order") {
        reports::Report report;
        report.source.kind = "database";
        Finding first_rewrite(RuleId::in_subquery);
        first_rewrite.severity = Severity::warning;
        first_rewrite.title = "a";
        Finding index = first_rewrite;
        index.rule = RuleId::missing_index;
        Finding second_rewrite = first_rewrite;
        second_rewrite.rule = RuleId::select_star;
        report.findings = {first_rewrite, index, second_rewrite};
        const std::string text = reports::render_text(report, {});
        const auto create = text.find("\nIndexes to create: 1 finding\n\nwarning: a [missing-index]\n");
        const auto rewrites = text.find("\nQuery rewrites: 2 findings\n\nwarning: a [in-subquery]\n\n"
                                        "warning: a [select-star]\n");
        REQUIRE(create != std::string::npos);
        REQUIRE(rewrites != std::string::npos);
        CHECK(create < rewrites);
    }

    SUBCASE("an empty report says so") {
        reports::Report report;
        report.stats = {{"statements", std::int64_t{4}}};
        report.source.kind = "sql";
        CHECK(reports::render_text(report, {}) ==
              "dbadvise lint: 0 files\n  checked: 4 statements\n\nsummary: no findings; statements=4\n");
    }

    SUBCASE("analyze findings: query, evidence, impact, node, sections, notes, partial") {
        reports::Report report;
        Finding f(RuleId::missing_index);
        f.title = "Index orders (customer_id)";
        f.message = "Saves most of the time.";
        f.query = analyzer::QueryRef{"-42", "SELECT *\n  FROM orders WHERE customer_id = $1", 10,
                                     1234.5678, 123.45678, {}, 0, 0};
        f.evidence = {{"rows", std::int64_t{100}}, {"ratio", 0.123456}, {"verified", true},
                      {"method", std::string("hypopg")}};
        f.impact.cost_before = 1000.0;
        f.impact.cost_after = 8.25;
        f.impact.estimated_ms_saved_per_call = 12.3456;
        f.suggestion.sql = "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);";
        Finding plan(RuleId::seq_scan_filter);
        plan.severity = Severity::info;
        plan.title = "Seq scan discards rows";
        plan.location = Location{{}, 0, 0, -1, "Plan/Plans[0]"};
        report.findings = {f, plan};
        report.hot_nodes = {{"Plan/Plans[0]", "Seq Scan", "orders", 12.5, 0.8123}};
        report.sections = {{"Cache", {"hit ratio 99.1%", "tables: 3"}}};
        report.notes = {"HypoPG is not installed: indexes are unverified."};
        report.partial = true;
        report.source.kind = "database";
        report.source.database = "shop";
        report.source.server_version = "15.4";
        report.statements = {{*f.query, 10, 0, 0}};
        report.workload_total_ms = 1234.5678;
        const std::string expected =
            "dbadvise analyze: database \"shop\", PostgreSQL 15.4\n"
            "  workload: 1 statement from pg_stat_statements, 10 calls, 1.2 s of execution time\n"
            "  covers: the time since pg_stat_statements was last reset (when is unknown: pg_stat_statements_info\n"
            "      needs PostgreSQL 14)\n"
            "  partial: the run stopped early; this report covers only what was analyzed\n"
            "\n"
            "hottest plan nodes (exclusive time):\n"
            "    81.2%      12.500 ms  Seq Scan on orders  (Plan/Plans[0])\n"
            "\n"
            "Indexes to create: 1 finding\n"
            "\n"
            "warning: Index orders (customer_id) [missing-index]\n"
            "    query -42 (10 calls, 1234.568 ms total, 123.457 ms mean): SELECT * FROM orders WHERE customer_id\n"
            "        = $1\n"
            "    Saves most of the time.\n"
            "    evidence: rows=100, ratio=0.123, verified=true, method=hypopg\n"
            "    impact: cost 1000 -> 8.25, saves about 12.346 ms per call\n"
            "    suggested SQL:\n"
            "        CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);\n"
            "\n"
            "Plans and statistics: 1 finding\n"
            "\n"
            "Plan/Plans[0]: info: Seq scan discards rows [seq-scan-filter]\n"
            "\n"
            "Cache\n"
            "  hit ratio 99.1%\n"
            "  tables: 3\n"
            "\n"
            "note: HypoPG is not installed: indexes are unverified.\n"
            "\n"
            "summary: 2 findings (0 errors, 1 warning, 1 info)\n";
        CHECK(reports::render_text(report, {}) == expected);
    }

    SUBCASE("is deterministic") {
        CHECK(reports::render_text(two_files(), {}) == reports::render_text(two_files(), {}));
    }
}
