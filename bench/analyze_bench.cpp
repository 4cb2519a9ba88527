// Times the index advisor on a live database: reads the workload (pg_stat_statements,
// catalogs, pg_stats), parses each statement and runs advise_indexes through the live planner.
//   analyze_bench 'host=/tmp/x port=5432 dbname=shop' [--hypopg off]
// Prints the recommendations, then wall time split into reading and advising, planner calls
// and hypothetical indexes per analyzed statement, and the share of time spent in the server.
#include "analyzer/index_advisor.hpp"
#include "db/connection.hpp"
#include "db/live_planner.hpp"
#include "db/workload_reader.hpp"
#include "sqlparse/parser.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <string_view>

namespace {

double cpu_seconds() {
    return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

} // namespace

int main(int argc, char** argv) {
    using namespace dbadvise;
    if (argc < 2) {
        fmt::print(stderr, "usage: analyze_bench DSN [--hypopg off]\n");
        return 2;
    }
    analyzer::AnalyzeOptions options;
    if (argc >= 4 && std::string_view(argv[2]) == "--hypopg" && std::string_view(argv[3]) == "off") {
        options.hypopg = analyzer::HypoMode::off;
    }
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    auto connection = db::Connection::open(argv[1]);
    if (!connection) {
        fmt::print(stderr, "analyze_bench: {}\n", connection.error().message);
        return 3;
    }
    auto workload = db::read_workload(*connection, db::ReadOptions{});
    if (!workload) {
        fmt::print(stderr, "analyze_bench: {}\n", workload.error().message);
        return 3;
    }
    const auto read_done = std::chrono::steady_clock::now();

    std::vector<analyzer::ParsedWorkloadStatement> statements;
    for (const analyzer::WorkloadStatement& statement : workload->statements) {
        statements.push_back({&statement, sqlparse::parse_statement(statement.text)});
    }
    db::LivePlanner planner(*connection);
    const analyzer::AdvisorResult result = analyzer::advise_indexes(*workload, statements, &planner, options);
    const auto done = std::chrono::steady_clock::now();
    const double cpu = cpu_seconds() - cpu_start;

    for (const analyzer::ReportSection& section : result.sections) {
        fmt::print("{}\n", section.title);
        for (const std::string& line : section.lines) {
            fmt::print("  {}\n", line);
        }
    }
    for (const analyzer::Finding& finding : result.findings) {
        fmt::print("[{}] {}\n", finding.rule_id(), finding.title);
        for (const auto& [key, value] : finding.evidence) {
            if (key.starts_with("statement_") || key == "server_message" || key == "relies_on_early_exit") {
                std::visit([&](const auto& v) { fmt::print("    {}: {}\n", key, v); }, value);
            }
        }
    }
    for (const std::string& note : result.notes) {
        fmt::print("note: {}\n", note);
    }
    const double wall = std::chrono::duration<double>(done - start).count();
    const double read = std::chrono::duration<double>(read_done - start).count();
    const int analyzed = std::max(1, result.statements_planned + result.statements_failed);
    fmt::print("statements analyzed: {} (failed {}), candidates: {}, verified: {}\n", result.statements_planned,
               result.statements_failed, result.candidates, result.verified);
    fmt::print("wall time: {:.3f} s (read workload {:.3f} s, advise {:.3f} s); client CPU {:.3f} s ({:.0f}% of wall, "
               "the rest is the server and the socket)\n",
               wall, read, wall - read, cpu, 100.0 * cpu / std::max(1e-9, wall));
    fmt::print("planner calls: {} ({:.1f} per statement), hypothetical indexes created: {} ({:.1f} per statement)\n",
               planner.planner_calls(), static_cast<double>(planner.planner_calls()) / analyzed,
               planner.hypothetical_indexes_created(),
               static_cast<double>(planner.hypothetical_indexes_created()) / analyzed);
    return 0;
}
