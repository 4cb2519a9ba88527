// `dbadvise analyze`: connects, reads the workload, analyzes it and renders the report.
#include "cli/command.hpp"
#include "cli/run.hpp"

#include "analyzer/analyze.hpp"
#include "analyzer/health.hpp"
#include "db/connection.hpp"
#include "db/live_planner.hpp"
#include "db/plan_capture.hpp"
#include "db/workload_reader.hpp"
#include "reports/report.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>

namespace dbadvise::cli {

namespace {

struct AnalyzeArguments {
    std::string dsn;
    int top = 50;
    std::int64_t min_calls = 1;
    double min_mean_ms = 0;
    std::string hypopg = "auto";
    int max_indexes = 10;
    double budget_mb = 0;
    std::string format = "text";
    std::string fail_on;
    std::string output_file;
    bool analyze_plans = false;
    bool verbose = false;
};

// --analyze-plans: how many SELECTs run under EXPLAIN ANALYZE (docs/health.md).
constexpr std::size_t k_analyze_plans_statements = 5;

analyzer::HypoMode hypo_mode(const std::string& text) {
    if (text == "require") return analyzer::HypoMode::require;
    if (text == "off") return analyzer::HypoMode::off;
    return analyzer::HypoMode::automatic;
}

// Renders the report, writes it to -o FILE or standard output, and returns the exit code
// for --fail-on.
int write_report(Io& io, const AnalyzeArguments& args, const reports::Report& report) {
    const bool json = args.format == "json";
    const bool color = !json && args.output_file.empty() && io.out_is_terminal && !io.no_color;
    const std::string text = json ? reports::render_json(report)
                                  : reports::render_text(report, reports::TextOptions{color, args.verbose});
    if (args.output_file.empty()) {
        io.out << text;
    } else {
        std::ofstream file(args.output_file, std::ios::binary | std::ios::trunc);
        file << text;
        if (!file.flush())
            throw RunError(fmt::format("cannot write {}", args.output_file), k_exit_runtime);
    }
    const std::optional<analyzer::Severity> threshold = analyzer::parse_severity(args.fail_on);
    const std::optional<analyzer::Severity> worst = analyzer::max_severity(report.findings);
    return threshold && worst && *worst >= *threshold ? k_exit_findings : k_exit_ok;
}

int run_analyze(Io& io, const AnalyzeArguments& args) {
    // Elapsed time is the CLI's business: the analyzer has no clock.
    const auto started = std::chrono::steady_clock::now();
    const auto progress = [&io](std::string_view step) { io.err << "dbadvise: " << step << "\n"; };

    progress("connecting");
    auto connection = db::Connection::open(args.dsn);
    if (!connection) throw RunError(connection.error().message, k_exit_runtime);
    progress(fmt::format("connected to {}", connection->describe()));

    db::ReadOptions read;
    read.top = args.top;
    read.min_calls = args.min_calls;
    read.min_mean_ms = args.min_mean_ms;
    auto workload = db::read_workload(*connection, read, progress);
    if (!workload) throw RunError(workload.error().message, k_exit_runtime);

    analyzer::AnalyzeOptions options;
    options.max_indexes = args.max_indexes;
    if (io.err_is_terminal) {
        // One line, rewritten in place, at most every 5% of each phase.
        options.progress = [&io, last = std::string(), shown = std::size_t{0}](
                               std::string_view phase, std::size_t done, std::size_t total) mutable {
            const std::size_t step = std::max<std::size_t>(1, total / 20);
            if (phase == last && done % step != 0 && done + 1 != total) {
                return;
            }
            last = std::string(phase);
            const std::string line = fmt::format("dbadvise: {} {}/{}", phase, done + 1, total);
            io.err << '\r' << line << std::string(shown > line.size() ? shown - line.size() : 0, ' ') << std::flush;
            shown = line.size();
        };
    }
    options.budget_mb = args.budget_mb;
    options.hypopg = hypo_mode(args.hypopg);
    if (options.hypopg == analyzer::HypoMode::require && !workload->hypopg_available) {
        throw RunError(fmt::format("--hypopg require: the hypopg extension is not installed in "
                                   "database \"{}\": install the server package (Debian: "
                                   "postgresql-{}-hypopg) and run `CREATE EXTENSION hypopg;` in "
                                   "the database, or use --hypopg auto|off",
                                   workload->database, workload->server_version_num / 10000),
                       k_exit_runtime);
    }

    progress(fmt::format("analyzing {} statements", workload->statements.size()));
    // The planner shares the read-only session; the advisor decides from --hypopg and
    // supports_hypothetical() whether to cost with hypothetical indexes.
    db::LivePlanner planner(connection->handle());
    analyzer::AnalyzeResult result = analyzer::analyze(*workload, &planner, options);
    if (io.err_is_terminal) {
        io.err << '\r' << std::string(72, ' ') << '\r' << std::flush;
    }
    if (args.analyze_plans && !result.partial) {
        // Executes the top SELECTs under EXPLAIN ANALYZE, each in a rolled-back read-only
        // transaction (db/plan_capture.cpp), and feeds the plans through the plan rules.
        const auto targets =
            analyzer::choose_plan_targets(*workload, k_analyze_plans_statements);
        progress(fmt::format("--analyze-plans: EXPLAIN ANALYZE of {} SELECT statements",
                             targets.size()));
        analyzer::HealthResult plans = analyzer::check_captured_plans(
            *workload, targets, db::capture_plans(*connection, targets));
        for (analyzer::Finding& finding : plans.findings)
            result.findings.push_back(std::move(finding));
        for (analyzer::ReportSection& section : plans.sections)
            result.sections.push_back(std::move(section));
        analyzer::sort_by_rank(result.findings);
    }

    reports::Report report;
    report.source.kind = "database";
    report.source.server_version = workload->server_version;
    report.source.database = workload->database;
    report.stats = result.stats;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    report.stats.emplace_back("elapsed_ms", static_cast<std::int64_t>(elapsed.count()));
    report.findings = std::move(result.findings);
    for (analyzer::ReportSection& section : result.sections)
        report.sections.push_back({std::move(section.title), std::move(section.lines)});
    report.partial = result.partial;
    report.notes = std::move(result.notes);
    report.index_selection.present = true;
    report.index_selection.stopped_by = result.index_selection_stopped_by;
    for (const analyzer::IndexCandidate& candidate : result.index_candidates) {
        report.index_selection.candidates.push_back({candidate.index, candidate.recommended, candidate.reason,
                                                     candidate.statements, candidate.estimated_size_bytes,
                                                     candidate.benefit_ms});
    }

    const int code = write_report(io, args, report);
    if (report.partial) {
        io.err << "dbadvise: error: the analysis stopped early (the connection to the server was "
                  "lost); the report is partial\n";
        return k_exit_runtime;
    }
    return code;
}

} // namespace

Action configure_analyze(CLI::App& subcommand) {
    auto args = std::make_shared<AnalyzeArguments>();
    subcommand.add_option("--dsn", args->dsn,
                          "libpq connection string or URI; without it the PG* environment "
                          "variables and ~/.pgpass apply, as in psql");
    subcommand.add_option("--top", args->top, "analyze the N statements with the most total time")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    subcommand.add_option("--min-calls", args->min_calls, "skip statements called fewer times")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    subcommand.add_option("--min-mean-ms", args->min_mean_ms,
                          "skip statements faster than this on average")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    subcommand.add_option("--hypopg", args->hypopg,
                          "what-if costing with HypoPG: auto (when installed), require, off")
        ->check(CLI::IsMember({"auto", "require", "off"}))
        ->capture_default_str();
    subcommand.add_option("--max-indexes", args->max_indexes, "recommend at most N indexes (0: none)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    subcommand.add_option("--budget-mb", args->budget_mb,
                          "total size of recommended indexes, in MB (0: no limit)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    subcommand.add_option("--format", args->format, "report format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    subcommand.add_option("--fail-on", args->fail_on,
                          "exit 1 when a finding has this severity or higher")
        ->check(CLI::IsMember({"info", "warning", "error"}));
    subcommand.add_option("-o,--output", args->output_file, "write the report to FILE");
    subcommand.add_flag("-v,--verbose", args->verbose,
                        "also list every index candidate considered and why it was left out (JSON always "
                        "has them)");
    subcommand.add_flag("--analyze-plans", args->analyze_plans,
                        "run EXPLAIN (ANALYZE, BUFFERS) of the top SELECT statements in a "
                        "rolled-back read-only transaction and report what their plans show");
    return [args](Io& io) { return run_analyze(io, *args); };
}

} // namespace dbadvise::cli
