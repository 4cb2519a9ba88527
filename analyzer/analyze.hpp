// The analyze driver: turns a Workload (read from a live server by db/) into findings and
// report sections, using the planner interface for what-if costing. Pure: no I/O, no clock.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/overview.hpp"
#include "analyzer/planner.hpp"
#include "analyzer/workload.hpp"
#include "sqlparse/query_model.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

/// A workload statement with its parse (text offsets point into `source->text`).
struct ParsedWorkloadStatement {
    const WorkloadStatement* source = nullptr;
    sqlparse::ParsedStatement parsed;
};

enum class HypoMode { automatic, require, off };

struct AnalyzeOptions {
    int max_indexes = 10;      // 0: recommend none; negative: no limit
    double budget_mb = 0;      // 0: no size budget
    HypoMode hypopg = HypoMode::automatic;
    double min_saving = 0.05;  // stop when the next index saves less than this share of cost
    /// ... or less than this share of the whole workload's measured time.
    double min_workload_share = 0.002;
    /// Planner calls the index advisor spends on one statement (baseline, screening,
    /// verification); the work stays linear in the statements.
    int planner_calls_per_statement = 10;
    /// Candidate kinds left out ("composite", "join-pair", "include", "partial", "or-arm", "brin",
    /// "hash", "gin"), to measure what each kind adds (bench/advisor_quality --without).
    std::vector<std::string> without_candidate_kinds;
    /// Called as the advisor works through the statements (phase, done, total); may be empty.
    /// The analyzer does no I/O itself: the CLI shows it on a terminal.
    std::function<void(std::string_view phase, std::size_t done, std::size_t total)> progress;
    /// Statements not to plan, by queryid, with the reason: planning them would run a function
    /// declared IMMUTABLE or STABLE that has side effects (judge_statement, SafetyUse::plan).
    std::map<std::string, std::string> unsafe_to_plan;
};

/// A text block for the report (index summary, cache health, ...).
struct ReportSection {
    std::string title;
    std::vector<std::string> lines;
    /// The findings it belongs with: reports show it in their group (index: the indexes to
    /// create; cache: health; plan: plans). Unset: after the groups.
    std::optional<Category> category{};
};

/// One candidate index the advisor considered, and what became of it.
struct IndexCandidate {
    std::string index;                // `ON schema.table (keys) ...`
    std::string kind;                 // single, composite, join-pair, include, partial, or-arm, brin, hash, gin
    bool recommended = false;
    std::string reason;               // "recommended", or why it was left out
    int statements = 0;               // statements it was built for
    std::int64_t estimated_size_bytes = 0;
    double benefit_ms = 0;            // estimated saving over the workload, when costed
};

struct AnalyzeResult {
    std::vector<Finding> findings; // ranked: highest measured time first
    std::vector<ReportSection> sections;
    std::vector<std::string> notes; // run-level remarks: "HypoPG is not installed: ..."
    Evidence stats;                 // statements, planner_calls, hypothetical_indexes, ...
    bool partial = false;           // planning stopped early (connection lost)
    std::vector<IndexCandidate> index_candidates; // every candidate, recommended first
    std::string index_selection_stopped_by;       // what ended the selection, in words
    std::vector<StatementSummary> statements; // the workload's statements, by total time
    double workload_total_ms = 0;             // their total execution time
    std::vector<CacheCounters> cache;         // database, then the tables and indexes with
                                              // the most reads (at most 10 each)
};

/// The fingerprint that identifies a workload statement in finding ids: sqlparse's token
/// fingerprint of its text (constants, comments and formatting ignored), or, for text that
/// does not parse, a hash of the text with white space collapsed. Never the queryid, which
/// differs between servers and after a table is re-created.
std::string statement_fingerprint(std::string_view text);

/// Sets Finding::fingerprint from the statement of every finding that has a query and no
/// fingerprint yet, and ObjectRef::partition_of from `workload`'s catalog for findings about
/// a partition, its indexes or keys.
void complete_findings(const Workload& workload, std::vector<Finding>& findings);

/// Parses each workload statement, runs the lint rules on it (ranked by its total time), the
/// index advisor (through `planner`, null when what-if costing is off), the existing-index
/// checks and the health checks.
AnalyzeResult analyze(const Workload& workload, Planner* planner, const AnalyzeOptions& options);

} // namespace dbadvise::analyzer
