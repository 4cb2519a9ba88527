// `dbadvise explain [--format text|json] [--fail-on info|warning|error] [-o FILE] PLAN | -`:
// reads saved EXPLAIN output (JSON or text), runs the plan rules and reports the hottest
// nodes and the findings.
#include "analyzer/plan/plan_analysis.hpp"
#include "cli/command.hpp"
#include "cli/input.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "reports/report.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <memory>

namespace dbadvise::cli {
namespace {

struct ExplainOptions {
    std::string file;
    OutputOptions output;
};

// "plan.json:3:7: invalid JSON: ..." or "plan.json: not an EXPLAIN plan: ..."
std::string error_text(const std::string& file, const analyzer::plan::PlanError& error) {
    if (error.line > 0 && error.column > 0) {
        return fmt::format("{}:{}:{}: {}", file, error.line, error.column, error.message);
    }
    if (error.line > 0) {
        return fmt::format("{}:{}: {}", file, error.line, error.message);
    }
    return fmt::format("{}: {}", file, error.message);
}

reports::Report make_report(const std::string& file, const analyzer::plan::PlanAnalysis& analysis) {
    const analyzer::plan::Plan& plan = analysis.plan;
    reports::Report report;
    report.source.kind = "plan";
    report.source.files = {file};
    report.stats.emplace_back("statements", static_cast<std::int64_t>(plan.statements.size()));
    report.stats.emplace_back("nodes", static_cast<std::int64_t>(plan.nodes.size()));
    report.stats.emplace_back(
        "format", std::string(plan.format == analyzer::plan::PlanFormat::json ? "json" : "text"));
    report.stats.emplace_back("analyzed", plan.analyzed);
    if (plan.has_timing) {
        report.stats.emplace_back("total_ms", plan.total_ms());
    }
    double planning = 0;
    bool has_planning = false;
    for (const analyzer::plan::PlanStatement& statement : plan.statements) {
        if (statement.planning_ms) {
            planning += *statement.planning_ms;
            has_planning = true;
        }
    }
    if (has_planning) {
        report.stats.emplace_back("planning_ms", planning);
    }
    // The statement a plan came with (auto_explain's Query Text, the EXPLAIN typed at a psql
    // prompt), so that the report says which query it is about.
    for (std::size_t i = 0; i < plan.statements.size(); ++i) {
        const std::string& query = plan.statements[i].query_text;
        if (query.empty()) continue;
        reports::Section section;
        section.title = plan.statements.size() == 1 ? "Statement" : fmt::format("Statement {}", i + 1);
        section.verbatim = true;
        std::size_t start = 0;
        while (start <= query.size()) {
            const std::size_t end = std::min(query.find('\n', start), query.size());
            section.lines.push_back(query.substr(start, end - start));
            start = end + 1;
        }
        report.sections.push_back(std::move(section));
    }
    report.findings = analysis.findings;
    for (const analyzer::plan::HotNode& hot : analysis.hot_nodes) {
        report.hot_nodes.push_back(
            {hot.path, hot.node_type, hot.relation, hot.exclusive_ms, hot.share});
    }
    bool buffers = false;
    for (const analyzer::plan::PlanNode& node : plan.nodes) {
        buffers = buffers || node.has_buffers;
    }
    if (!plan.analyzed) {
        report.notes.push_back(
            "The plan has estimates only (EXPLAIN without ANALYZE): the checks that need actual "
            "rows, times and buffers did not run. Capture it with EXPLAIN (ANALYZE, BUFFERS, "
            "FORMAT JSON) for the full diagnosis.");
    } else if (!plan.has_timing) {
        report.notes.push_back("The plan was captured with TIMING OFF: no per-node times, so no "
                               "hottest nodes and no time-based ranking.");
    }
    if (plan.analyzed && !buffers) {
        report.notes.push_back("The plan has no buffer counts: add BUFFERS to EXPLAIN (ANALYZE) "
                               "for the cache checks.");
    }
    return report;
}

} // namespace

Action configure_explain(CLI::App& subcommand) {
    auto options = std::make_shared<ExplainOptions>();
    subcommand
        .add_option("PLAN", options->file,
                    "EXPLAIN output in JSON or text format; - reads standard input")
        ->type_name("")
        ->required();
    add_output_options(subcommand, options->output);
    return [options](Io& io) -> int {
        Output output = Output::open(io, options->output, std::span(&options->file, 1));
        // A plan that cannot be read or parsed still gets a report in the chosen format (no
        // findings, the error as its note), so that a CI step reading JSON or SARIF sees a run
        // that did not succeed rather than no file; the exit code is 3 and the error is on stderr.
        const auto failed = [&](const std::string& message) {
            reports::Report report;
            report.source.kind = "plan";
            report.source.files = {options->file};
            report.stats.emplace_back("statements", std::int64_t{0});
            report.stats.emplace_back("nodes", std::int64_t{0});
            report.notes.push_back(message);
            report.partial = true;
            report.partial_reason = "the plan could not be read, so nothing was checked (see the note)";
            return output.finish(report, {true, message});
        };
        const std::expected<std::string, std::string> text = read_input(options->file, io.in);
        if (!text) return failed(text.error());
        auto analysis = analyzer::plan::analyze_plan(*text, options->file);
        if (!analysis) return failed(error_text(options->file, analysis.error()));
        reports::Report report = make_report(options->file, *analysis);
        return output.finish(report);
    };
}

} // namespace dbadvise::cli
