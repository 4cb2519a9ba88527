// `dbadvise analyze`: picks the workload source (live server, --snapshot, --since window),
// the planner (a live server, when there is one), analyzes and renders the report.
#include "analyzer/analyze.hpp"
#include "analyzer/health.hpp"
#include "cli/analyze_report.hpp"
#include "cli/command.hpp"
#include "cli/fleet.hpp"
#include "cli/input.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "cli/session.hpp"
#include "db/connection.hpp"
#include "db/live_planner.hpp"
#include "db/plan_capture.hpp"
#include "db/plan_safety.hpp"
#include "db/workload_reader.hpp"
#include "reports/report.hpp"
#include "sources/live_source.hpp"
#include "sources/queries_source.hpp"
#include "sources/snapshot_source.hpp"
#include "sources/window_source.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

namespace dbadvise::cli {

namespace {

struct AnalyzeArguments {
    std::vector<std::string> dsns; // --dsn, repeatable: several make a fleet
    std::string fleet;             // --fleet FILE
    std::size_t jobs = 0;          // --jobs; 0: min(databases, 4)
    std::string snapshot;
    std::string since;
    std::string queries;
    std::string queries_format = "auto";
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

analyzer::HypoMode hypo_mode(const std::string& text) {
    if (text == "require") return analyzer::HypoMode::require;
    if (text == "off") return analyzer::HypoMode::off;
    return analyzer::HypoMode::automatic;
}

// Combinations of options that cannot work, found before anything is read: exit 2.
void check_usage(const AnalyzeArguments& args) {
    const auto usage = [](std::string message) {
        throw RunError(std::move(message), k_exit_usage);
    };
    const bool server = args.snapshot.empty() || !args.dsns.empty();
    const bool fleet = args.dsns.size() > 1 || !args.fleet.empty();
    if (fleet && (!args.snapshot.empty() || !args.since.empty() || !args.queries.empty()))
        usage("a fleet (--dsn given more than once, or --fleet) analyzes each database's own "
              "pg_stat_statements: it cannot be combined with --snapshot, --since or --queries");
    if (args.jobs > 0 && !fleet)
        usage("--jobs sets how many databases of a fleet are analyzed at once: give --dsn more "
              "than once, or --fleet");
    if (!args.since.empty() && args.since == args.snapshot)
        usage(fmt::format("--since and --snapshot name the same file '{}': a window needs an "
                          "earlier and a later capture",
                          args.since));
    if (!args.queries.empty() && !args.since.empty())
        usage("--queries and --since cannot be combined: a query file or log is its own "
              "workload, with no counters to subtract");
    if (!args.queries.empty() && args.queries == args.snapshot)
        usage(fmt::format("--queries and --snapshot name the same file '{}': --snapshot gives "
                          "the catalog the queries are checked against",
                          args.queries));
    if (args.queries == "-" && (args.snapshot == "-" || args.since == "-"))
        usage("only one input can be read from standard input (-)");
    if (!server && args.analyze_plans)
        usage("--analyze-plans runs statements on a server: with --snapshot, give --dsn of a "
              "server with the same schema and data");
    if (!server && args.hypopg == "require")
        usage("--hypopg require needs a server to verify on: with --snapshot, give --dsn of a "
              "server with the same schema and the hypopg extension");
}

// The snapshot file's source. The file is read here, before anything connects, so that a
// missing file fails fast (exit 3).
std::unique_ptr<analyzer::WorkloadSource> snapshot_source(Io& io, const std::string& path) {
    // Kept compressed: the snapshot reader decompresses it, with a bound on the size.
    auto bytes = read_input(path, io.in, Gzip::keep);
    if (!bytes)
        throw RunError(bytes.error(), k_exit_runtime);
    return std::make_unique<sources::SnapshotSource>(path, std::move(*bytes), DBADVISE_VERSION);
}

int exit_code(const analyzer::SourceError& error) {
    return error.kind == analyzer::SourceError::Kind::usage ? k_exit_usage : k_exit_runtime;
}

// The report's account of where the workload came from and which server checked it.
void describe_source(reports::Report& report, const analyzer::Capture& capture,
                     const std::optional<sources::ServerIdentity>& planner_server,
                     const std::string& source_text, bool verifies_a_snapshot) {
    const analyzer::Workload& workload = capture.workload;
    reports::Source& source = report.source;
    source.kind = capture.description.kind;
    source.files = capture.description.files;
    source.server_version = workload.server_version;
    source.database = workload.database;
    source.captured_at = workload.capture.captured_at;
    source.stats_reset = workload.capture.statements_reset;
    source.window_start = capture.description.window_start;
    source.window_end = capture.description.window_end;
    if (planner_server) {
        source.planner =
            reports::PlannerSource{planner_server->description, planner_server->database,
                                   planner_server->server_version, planner_server->hypopg};
    }
    // Where the workload came from, when not from the server the report is about; a window
    // says so in its own note.
    std::string note;
    if (capture.description.kind == "queries") {
        note = fmt::format("Workload and weights from {}: the statements normalized and grouped "
                           "by fingerprint; no pg_stat_statements counters (rows, buffers) "
                           "behind them.",
                           source_text);
    } else if (capture.description.kind == "snapshot") {
        note = fmt::format("Workload, weights and statistics from {}: database \"{}\", PostgreSQL "
                           "{}, captured {}.",
                           source_text, workload.database, workload.server_version,
                           workload.capture.captured_at);
    }
    if (planner_server && verifies_a_snapshot) {
        if (!note.empty())
            note += ' ';
        note +=
            fmt::format("What-if checks (index costs{}, statements that no longer plan) ran on {}, "
                        "PostgreSQL {}: its schema and data should match the workload's.",
                        planner_server->hypopg ? " with HypoPG" : "", planner_server->description,
                        planner_server->server_version);
        if (planner_server->server_version_num / 10000 != workload.server_version_num / 10000) {
            note += fmt::format(" Its major version differs from the workload's ({} against {}): "
                                "plans may differ.",
                                planner_server->server_version, workload.server_version);
        }
    }
    if (!note.empty())
        report.notes.push_back(std::move(note));
}

// What analyze reads from files, read before anything connects: a bad path, a corrupt
// snapshot or an unreadable query file fails (exit 3) before any connection is made.
struct Inputs {
    std::unique_ptr<analyzer::WorkloadSource> current; // --snapshot (with --queries over it)
    std::string current_name = "the live server";
    std::unique_ptr<analyzer::WorkloadSource> earlier; // --since
    std::optional<sources::QueryInput> queries;        // --queries without --snapshot
    sources::QueryInputOptions query_options;
};

Inputs read_inputs(Io& io, const AnalyzeArguments& args,
                   const std::function<void(std::string_view)>& progress) {
    Inputs inputs;
    if (!args.snapshot.empty()) {
        inputs.current = snapshot_source(io, args.snapshot);
        inputs.current_name = "--snapshot " + args.snapshot;
    }
    if (!args.since.empty())
        inputs.earlier = snapshot_source(io, args.since);
    if (!args.queries.empty()) {
        auto stream = open_input_stream(args.queries, io.in);
        if (!stream) throw RunError(stream.error(), k_exit_runtime);
        inputs.query_options.name = args.queries;
        inputs.query_options.format = *sources::parse_query_format(args.queries_format);
        // Read whole here (memory grows with the distinct statements, not the file): a log
        // in a format other than --queries-format fails, naming the file and line, before
        // any connection is made.
        progress(fmt::format("reading {}", args.queries));
        // A regular file is read in parts on all CPUs at once (the same result); standard
        // input and pipes as they come.
        std::error_code not_regular;
        const bool regular = args.queries != "-" && std::filesystem::is_regular_file(args.queries, not_regular);
        auto input = regular ? sources::read_query_file(args.queries, inputs.query_options)
                             : sources::read_query_input(**stream, inputs.query_options);
        if (!input) throw RunError(input.error(), k_exit_runtime);
        // With --snapshot, the snapshot gives the catalog and statistics and the file the
        // statements; without, the server does (read once connected).
        if (inputs.current) {
            inputs.current = std::make_unique<sources::QueriesSource>(
                std::move(*input), inputs.query_options, std::move(inputs.current));
        } else {
            inputs.queries = std::move(*input);
        }
    }
    return inputs;
}

// The analysis of one database (or snapshot), as the report of a single-database run.
// Throws RunError when it cannot be done.
reports::Report analyze_one(Io& io, const AnalyzeArguments& args, const std::string& dsn,
                            Inputs inputs, const std::function<void(std::string_view)>& progress,
                            bool show_phases, std::chrono::steady_clock::time_point started) {
    std::unique_ptr<analyzer::WorkloadSource> current = std::move(inputs.current);
    const std::string& current_name = inputs.current_name;
    std::unique_ptr<analyzer::WorkloadSource> earlier = std::move(inputs.earlier);
    const int timeout_ms = static_cast<int>(args.timeout_s * 1000.0);
    // A server: the workload's (no --snapshot) or the one that verifies a snapshot (--dsn).
    std::optional<db::Connection> connection;
    std::optional<sources::ServerIdentity> server;
    if (args.snapshot.empty() || !args.dsns.empty()) {
        connection.emplace(connect(dsn, args.timeout_s, progress));
        if (!current && inputs.queries) {
            current = std::make_unique<sources::QueriesSource>(
                std::move(*inputs.queries), inputs.query_options, *connection, progress);
        } else if (!current) {
            current = std::make_unique<sources::LiveSource>(*connection, progress);
        }
    }
    std::unique_ptr<analyzer::WorkloadSource> source = std::move(current);
    if (earlier) {
        source = std::make_unique<sources::WindowSource>(
            std::move(earlier), "--since " + args.since, std::move(source), current_name);
    }
    const std::string source_text = source->describe();

    const analyzer::StatementFilter filter{args.top, args.min_calls, args.min_mean_ms};
    auto capture = source->capture(filter);
    if (!capture)
        throw RunError(capture.error().message, exit_code(capture.error()));
    const analyzer::Workload& workload = capture->workload;

    analyzer::AnalyzeOptions options;
    options.max_indexes = args.max_indexes;
    if (show_phases) {
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

    // The planner shares the read-only session; the advisor decides from --hypopg and
    // supports_hypothetical() whether to cost with hypothetical indexes.
    std::optional<db::LivePlanner> planner;
    if (connection) {
        auto identity = sources::identify_server(*connection);
        if (!identity)
            throw RunError(identity.error(), k_exit_runtime);
        server = std::move(*identity);
        if (!args.snapshot.empty()) {
            // The snapshot's workload is planned here: this server's locks keep planning away
            // from tables another session locks, as for a live workload (docs/analyze.md).
            auto locks = db::read_table_locks(*connection, capture->workload);
            if (!locks) throw RunError(locks.error().message, k_exit_runtime);
            capture->workload.locks = std::move(*locks);
        }
        db::LivePlannerOptions planning;
        planning.statement_timeout_ms = std::min(planning.statement_timeout_ms, timeout_ms);
        planner.emplace(*connection, planning);
        if (options.hypopg == analyzer::HypoMode::require && !planner->supports_hypothetical()) {
            throw RunError(
                fmt::format("--hypopg require: the hypopg extension is not installed in "
                            "database \"{}\": install the server package (Debian: "
                            "postgresql-{}-hypopg) and run `CREATE EXTENSION hypopg;` in "
                            "the database, or use --hypopg auto|off",
                            server->database, server->server_version_num / 10000),
                k_exit_runtime);
        }
    }

    if (connection) {
        // The planner runs the immutable and stable functions it can evaluate early: statements
        // that would make it run one with side effects are not planned. With --snapshot the
        // functions are the --dsn server's, which plans the statements.
        progress(fmt::format("checking {} statements for functions the planner would run",
                             workload.statements.size()));
        auto planning_catalog =
            db::read_safety_catalog(*connection, analyzer::planning_questions(workload));
        if (planning_catalog) {
            options.unsafe_to_plan = analyzer::unsafe_to_plan(workload, *planning_catalog);
        } else if (planning_catalog.error().kind != db::DbError::Kind::connection_lost) {
            throw RunError(planning_catalog.error().message, k_exit_runtime);
        } // else the planner's first call fails at once and the report is marked partial
    }

    progress(fmt::format("analyzing {} statements", workload.statements.size()));
    analyzer::AnalyzeResult result =
        analyzer::analyze(workload, planner ? &*planner : nullptr, options);
    if (show_phases) {
        io.err << '\r' << std::string(72, ' ') << '\r' << std::flush;
    }
    if (args.analyze_plans && connection && !result.partial) {
        // Executes the top SELECTs proven free of side effects under EXPLAIN ANALYZE, each in a
        // rolled-back read-only transaction (db/plan_capture.cpp), and feeds the plans through
        // the plan rules; the statements passed over become findings with the reason. With
        // --snapshot they run on the --dsn server, whose functions the safety check reads.
        const std::vector<analyzer::PlanCandidate> candidates = analyzer::plan_candidates(workload);
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
                workload, candidates, *catalog, static_cast<std::size_t>(args.plan_statements));
            progress(fmt::format("--analyze-plans: EXPLAIN ANALYZE of {} SELECT statements ({} passed over)",
                                 selection.targets.size(), selection.skipped.size()));
            db::PlanCaptureOptions capture_options;
            capture_options.statement_timeout_ms =
                std::min(static_cast<int>(args.plan_timeout_s * 1000.0), timeout_ms);
            capture_options.budget_ms = static_cast<int>(args.plan_budget_s * 1000.0);
            const std::vector<analyzer::CapturedPlan> captured =
                db::capture_plans(*connection, selection.targets, capture_options);
            analyzer::HealthResult plans = analyzer::check_captured_plans(workload, selection, captured);
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
        }
    }
    for (analyzer::Finding& finding : capture->findings)
        result.findings.push_back(std::move(finding));
    analyzer::sort_by_rank(result.findings);

    reports::Report report;
    describe_source(report, *capture, server, source_text, !args.snapshot.empty());
    for (std::string& note : capture->notes)
        report.notes.push_back(std::move(note));
    if (workload.statements.empty() && capture->description.kind == "queries") {
        report.notes.push_back(fmt::format(
            "No statement to analyze: {} holds none that parses (or none with a duration: "
            "set log_min_duration_statement, see docs/workloads.md). The existing-index and "
            "health checks ran.",
            args.queries));
    } else if (workload.statements.empty()) {
        report.notes.push_back(fmt::format(
            "No statement to analyze: {} holds none of database \"{}\"{}. The existing-index "
            "and health checks ran; run the workload (or lower --min-calls/--min-mean-ms) and "
            "capture again.",
            source_text, workload.database,
            capture->description.kind == "window" ? " that ran in the window" : ""));
    }
    add_analysis(report, std::move(result));
    for (auto& stat : capture->stats)
        report.stats.push_back(std::move(stat));
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    report.stats.emplace_back("elapsed_ms", static_cast<std::int64_t>(elapsed.count()));
    return report;
}

// A fleet: every database analyzed as a single one would be, at most `jobs` at once, each on
// its own thread with its own connection (libpq connections are not shared; the analyzer and
// the parser keep no mutable global state: docs/analyze.md). A database that fails is named
// in the report with its error and the others go on.
reports::Report analyze_fleet(Io& io, const AnalyzeArguments& args, const std::vector<FleetEntry>& fleet,
                              std::chrono::steady_clock::time_point started) {
    const std::size_t jobs = fleet_jobs(args.jobs, fleet.size());
    std::mutex err_mutex; // progress lines of concurrent analyses, one line at a time
    {
        std::lock_guard lock(err_mutex);
        io.err << progress_line(fmt::format("analyzing {} databases, {} at a time", fleet.size(), jobs));
    }
    std::vector<reports::FleetDatabase> databases(fleet.size());
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t i = next++; i < fleet.size(); i = next++) {
            const FleetEntry& entry = fleet[i];
            const auto progress = [&io, &err_mutex, &entry](std::string_view step) {
                std::lock_guard lock(err_mutex);
                io.err << progress_line(fmt::format("{}: {}", entry.name, step));
            };
            reports::FleetDatabase& database = databases[i];
            database.name = entry.name;
            database.origin = entry.origin;
            try {
                database.report = analyze_one(io, args, entry.dsn, Inputs{}, progress, false,
                                              std::chrono::steady_clock::now());
            } catch (const RunError& error) {
                database.error = error.what();
            } catch (const std::exception& error) {
                database.error = error.what();
            }
            if (!database.error.empty()) progress("not analyzed: " + database.error);
        }
    };
    std::vector<std::jthread> threads;
    for (std::size_t j = 1; j < jobs; ++j) threads.emplace_back(work);
    work();
    for (std::jthread& thread : threads) thread.join();

    reports::Report report = reports::merge_fleet(std::move(databases));
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    report.stats.emplace_back("jobs", static_cast<std::int64_t>(jobs));
    report.stats.emplace_back("elapsed_ms", static_cast<std::int64_t>(elapsed.count()));
    return report;
}

int run_analyze(Io& io, const AnalyzeArguments& args) {
    // Elapsed time is the CLI's business: the analyzer has no clock.
    const auto started = std::chrono::steady_clock::now();
    const auto progress = [&io](std::string_view step) { io.err << progress_line(step); };
    check_usage(args);
    // -o is checked before any work, and may not name a file this run reads.
    std::vector<std::string> files;
    for (const std::string* file : {&args.snapshot, &args.since, &args.queries, &args.fleet}) {
        if (!file->empty()) files.push_back(*file);
    }
    Output output = Output::open(io, args.output, files);

    if (args.dsns.size() > 1 || !args.fleet.empty()) {
        std::vector<FleetEntry> listed;
        if (!args.fleet.empty()) {
            auto text = read_input(args.fleet, io.in);
            if (!text) throw RunError(text.error(), k_exit_runtime);
            auto parsed = parse_fleet_file(*text, args.fleet);
            if (!parsed) throw RunError(parsed.error(), k_exit_runtime);
            listed = std::move(*parsed);
        }
        auto fleet = make_fleet(args.dsns, std::move(listed));
        if (!fleet) throw RunError(fleet.error(), k_exit_runtime);
        reports::Report report = analyze_fleet(io, args, *fleet, started);
        Outcome outcome;
        if (report.partial) outcome = {true, reports::partial_summary(report)};
        return output.finish(report, outcome);
    }

    // Files first: a bad path fails before any connection is made.
    Inputs inputs = read_inputs(io, args, progress);
    reports::Report report =
        analyze_one(io, args, args.dsns.empty() ? std::string() : args.dsns.front(), std::move(inputs),
                    progress, io.err_is_terminal, started);
    Outcome outcome;
    if (report.partial) {
        outcome = {true, "the analysis stopped early (the connection to the server was lost, or the "
                         "server stopped answering within --timeout); the report is partial"};
    }
    return output.finish(report, outcome);
}

} // namespace

void add_analysis(reports::Report& report, analyzer::AnalyzeResult&& result) {
    report.stats = std::move(result.stats);
    report.findings = std::move(result.findings);
    for (analyzer::ReportSection& section : result.sections)
        report.sections.push_back(
            {std::move(section.title), std::move(section.lines), section.category});
    report.partial = result.partial;
    for (std::string& note : result.notes) report.notes.push_back(std::move(note));
    report.statements = std::move(result.statements);
    report.workload_total_ms = result.workload_total_ms;
    report.cache = std::move(result.cache);
    report.index_selection.present = true;
    report.index_selection.stopped_by = std::move(result.index_selection_stopped_by);
    for (const analyzer::IndexCandidate& candidate : result.index_candidates) {
        report.index_selection.candidates.push_back({candidate.index, candidate.kind, candidate.recommended,
                                                     candidate.reason, candidate.statements,
                                                     candidate.estimated_size_bytes, candidate.benefit_ms});
    }
}

Action configure_analyze(CLI::App& subcommand) {
    auto args = std::make_shared<AnalyzeArguments>();
    // Help style shared by every command: metavariables name the value (N, MS, MB, FILE),
    // descriptions start with a capital and have no final period, defaults show as =VALUE.
    const CLI::Validator positive = CLI::PositiveNumber.description("");
    const CLI::Validator non_negative = CLI::NonNegativeNumber.description("");
    subcommand.add_option("--dsn", args->dsns,
                          "A libpq connection string or URI of the server to analyze, or with "
                          "--snapshot of the server that verifies the recommendations; without it "
                          "the PG* environment variables and ~/.pgpass apply, as in psql. Given "
                          "more than once: a fleet, one report for all")
        ->type_name("DSN")
        ->expected(1)
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    subcommand.add_option("--fleet", args->fleet,
                          "Analyze every database listed in FILE (one libpq connection string or "
                          "service=NAME per line, # comments) as a fleet, with any --dsn")
        ->type_name("FILE");
    subcommand.add_option("--jobs", args->jobs,
                          "Analyze at most N databases of a fleet at once (0: as many as there "
                          "are databases, at most 4)")
        ->type_name("N")
        ->check(CLI::Range(0, 64).description(""))
        ->capture_default_str();
    subcommand.add_option("--snapshot", args->snapshot,
                          "Analyze a snapshot taken by dbadvise snapshot (JSON or gzip; - reads "
                          "standard input) instead of a live server")
        ->type_name("FILE");
    subcommand.add_option("--since", args->since,
                          "Analyze only what ran after this earlier snapshot: up to now on the "
                          "live server, or up to --snapshot")
        ->type_name("FILE");
    subcommand.add_option("--queries", args->queries,
                          "Take the workload from a file of SQL queries or a PostgreSQL server log "
                          "(stderr, csvlog, jsonlog; gzip-compressed too; - reads standard input), "
                          "checked against the --dsn server's catalog, or --snapshot's")
        ->type_name("FILE");
    subcommand.add_option("--queries-format", args->queries_format,
                          "The format of --queries: auto (detected from the first line), sql, "
                          "stderr, csvlog, jsonlog")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"auto", "sql", "stderr", "csvlog", "jsonlog"}))
        ->capture_default_str();
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
    subcommand.add_option("--max-indexes", args->max_indexes, "Recommend at most N indexes (0: none)")
        ->type_name("N")
        ->check(non_negative)
        ->capture_default_str();
    subcommand.add_option("--budget-mb", args->budget_mb,
                          "Total size of recommended indexes, in MB (0: no limit)")
        ->type_name("MB")
        ->check(non_negative)
        ->capture_default_str();
    add_timeout_option(subcommand, args->timeout_s);
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
