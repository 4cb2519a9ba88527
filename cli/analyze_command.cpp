// `dbadvise analyze`: connects, reads the workload, analyzes it and renders the report.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"

#include "analyzer/analyze.hpp"
#include "analyzer/health.hpp"
#include "db/connection.hpp"
#include "db/live_planner.hpp"
#include "db/plan_capture.hpp"
#include "db/plan_safety.hpp"
#include "db/workload_reader.hpp"
#include "reports/report.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
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
    bool analyze_plans = false;
    int plan_statements = 5;
    double plan_timeout_s = 5;
    double plan_budget_s = 30;
    double timeout_s = 30;
    OutputOptions output;
};

// The client waits this much longer than the server's statement_timeout for a reply, so that
// the server's own cancel normally comes first (db/connection.hpp).
constexpr int k_reply_margin_ms = 2000;

analyzer::HypoMode hypo_mode(const std::string& text) {
    if (text == "require") return analyzer::HypoMode::require;
    if (text == "off") return analyzer::HypoMode::off;
    return analyzer::HypoMode::automatic;
}

int run_analyze(Io& io, const AnalyzeArguments& args) {
    // Elapsed time is the CLI's business: the analyzer has no clock.
    const auto started = std::chrono::steady_clock::now();
    // -o is checked before connecting: a report path that cannot work fails at once.
    Output output = Output::open(io, args.output, {});
    const auto progress = [&io](std::string_view step) { io.err << progress_line(step); };

    progress("connecting");
    const int timeout_ms = static_cast<int>(args.timeout_s * 1000.0);
    db::SessionOptions session;
    session.statement_timeout_ms = timeout_ms;
    session.reply_deadline_ms = timeout_ms + k_reply_margin_ms;
    session.connect_timeout_s = std::clamp(static_cast<int>(args.timeout_s), 2, 10);
    auto connection = db::Connection::open(args.dsn, session);
    if (!connection) throw RunError(connection.error().message, k_exit_runtime);
    progress(fmt::format("connected to {}", connection->describe()));
    if (!connection->untracked())
        progress("the role may not set pg_stat_statements.track: dbadvise's statements are recorded "
                 "in pg_stat_statements, normalized (no values) and marked /* dbadvise */");

    db::ReadOptions read;
    read.top = args.top;
    read.min_calls = args.min_calls;
    read.min_mean_ms = args.min_mean_ms;
    auto workload = db::read_workload(*connection, read, progress);
    if (!workload) throw RunError(workload.error().message, k_exit_runtime);

    analyzer::AnalyzeOptions options;
    options.max_indexes = args.max_indexes;
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

    // The planner runs the immutable and stable functions it can evaluate early: statements
    // that would make it run one with side effects are not planned.
    progress(fmt::format("checking {} statements for functions the planner would run",
                         workload->statements.size()));
    auto planning_catalog = db::read_safety_catalog(*connection, analyzer::planning_questions(*workload));
    if (planning_catalog) {
        options.unsafe_to_plan = analyzer::unsafe_to_plan(*workload, *planning_catalog);
    } else if (planning_catalog.error().kind != db::DbError::Kind::connection_lost) {
        throw RunError(planning_catalog.error().message, k_exit_runtime);
    } // else the planner's first call fails at once and the report is marked partial


    progress(fmt::format("analyzing {} statements", workload->statements.size()));
    // The planner shares the read-only session; the advisor decides from --hypopg and
    // supports_hypothetical() whether to cost with hypothetical indexes.
    db::LivePlannerOptions planning;
    planning.statement_timeout_ms = std::min(planning.statement_timeout_ms, timeout_ms);
    db::LivePlanner planner(*connection, planning);
    analyzer::AnalyzeResult result = analyzer::analyze(*workload, &planner, options);
    if (args.analyze_plans && !result.partial) {
        // Executes the top SELECTs proven free of side effects under EXPLAIN ANALYZE, each in a
        // rolled-back read-only transaction (db/plan_capture.cpp), and feeds the plans through
        // the plan rules; the statements passed over become findings with the reason.
        const std::vector<analyzer::PlanCandidate> candidates = analyzer::plan_candidates(*workload);
        progress(fmt::format("--analyze-plans: checking {} SELECT statements for side effects",
                             candidates.size()));
        auto catalog = db::read_safety_catalog(*connection, analyzer::plan_questions(candidates));
        if (!catalog) {
            if (catalog.error().kind != db::DbError::Kind::connection_lost)
                throw RunError(catalog.error().message, k_exit_runtime);
            result.partial = true;
            result.notes.push_back(catalog.error().message);
        } else {
            const analyzer::PlanSelection selection = analyzer::choose_plan_targets(
                *workload, candidates, *catalog, static_cast<std::size_t>(args.plan_statements));
            progress(fmt::format("--analyze-plans: EXPLAIN ANALYZE of {} SELECT statements ({} passed over)",
                                 selection.targets.size(), selection.skipped.size()));
            db::PlanCaptureOptions capture;
            capture.statement_timeout_ms =
                std::min(static_cast<int>(args.plan_timeout_s * 1000.0), timeout_ms);
            capture.budget_ms = static_cast<int>(args.plan_budget_s * 1000.0);
            const std::vector<analyzer::CapturedPlan> captured =
                db::capture_plans(*connection, selection.targets, capture);
            analyzer::HealthResult plans = analyzer::check_captured_plans(*workload, selection, captured);
            for (analyzer::Finding& finding : plans.findings)
                result.findings.push_back(std::move(finding));
            for (analyzer::ReportSection& section : plans.sections)
                result.sections.push_back(std::move(section));
            for (const analyzer::CapturedPlan& plan : captured) {
                if (plan.connection_lost) {
                    result.partial = true;
                    break;
                }
            }
            analyzer::sort_by_rank(result.findings);
        }
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

    Outcome outcome;
    if (report.partial) {
        outcome = {true, "the analysis stopped early (the connection to the server was lost, or the "
                         "server stopped answering within --timeout); the report is partial"};
    }
    return output.finish(report, outcome);
}

} // namespace

Action configure_analyze(CLI::App& subcommand) {
    auto args = std::make_shared<AnalyzeArguments>();
    // Help style shared by every command: metavariables name the value (N, MS, MB, FILE),
    // descriptions start with a capital and have no final period, defaults show as =VALUE.
    const CLI::Validator positive = CLI::PositiveNumber.description("");
    const CLI::Validator non_negative = CLI::NonNegativeNumber.description("");
    subcommand.add_option("--dsn", args->dsn,
                          "A libpq connection string or URI; without it the PG* environment "
                          "variables and ~/.pgpass apply, as in psql")
        ->type_name("DSN");
    subcommand.add_option("--top", args->top, "Analyze the N statements with the most total time")
        ->type_name("N")
        ->check(positive)
        ->capture_default_str();
    subcommand.add_option("--min-calls", args->min_calls, "Skip statements called fewer than N times")
        ->type_name("N")
        ->check(non_negative)
        ->capture_default_str();
    subcommand.add_option("--min-mean-ms", args->min_mean_ms,
                          "Skip statements whose mean execution time is below MS milliseconds")
        ->type_name("MS")
        ->check(non_negative)
        ->capture_default_str();
    subcommand.add_option("--hypopg", args->hypopg,
                          "What-if costing with HypoPG: auto (when installed), require, off")
        ->type_name("MODE")
        ->check(CLI::IsMember({"auto", "require", "off"}))
        ->capture_default_str();
    subcommand.add_option("--max-indexes", args->max_indexes, "Recommend at most N indexes")
        ->type_name("N")
        ->check(non_negative)
        ->capture_default_str();
    subcommand.add_option("--budget-mb", args->budget_mb,
                          "Total size of recommended indexes, in MB (0: no limit)")
        ->type_name("MB")
        ->check(non_negative)
        ->capture_default_str();
    subcommand.add_option("--timeout", args->timeout_s,
                          "The server's statement_timeout for every statement dbadvise sends, in "
                          "seconds; a reply 2 s later than that is cancelled and the run ends (exit 3)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.1, 3600.0).description(""))
        ->capture_default_str();
    subcommand.add_flag("--analyze-plans", args->analyze_plans,
                        "Run EXPLAIN (ANALYZE, BUFFERS) of the top SELECT statements proven free "
                        "of side effects, in a rolled-back read-only transaction, and report what "
                        "their plans show");
    subcommand.add_option("--analyze-plans-statements", args->plan_statements,
                          "Run at most N statements under --analyze-plans")
        ->type_name("N")
        ->check(CLI::Range(1, 1000).description(""))
        ->capture_default_str();
    subcommand.add_option("--analyze-plans-timeout", args->plan_timeout_s,
                          "The statement_timeout of each statement --analyze-plans runs, in seconds")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.1, 3600.0).description(""))
        ->capture_default_str();
    subcommand.add_option("--analyze-plans-budget", args->plan_budget_s,
                          "Start no statement under --analyze-plans after this many seconds in all")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.1, 86400.0).description(""))
        ->capture_default_str();
    add_output_options(subcommand, args->output);
    return [args](Io& io) { return run_analyze(io, *args); };
}

} // namespace dbadvise::cli
