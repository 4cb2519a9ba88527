// Cache-hit and health diagnostics from server statistics: database, table and index hit
// ratios; per-statement hit ratio, reads and temp spills; stale statistics, dead tuples;
// settings such as track_io_timing.
#pragma once

#include "analyzer/analyze.hpp"
#include "analyzer/plan_safety.hpp"
#include "sqlparse/call_inventory.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dbadvise::analyzer {

struct HealthResult {
    std::vector<Finding> findings;       // categories cache, plan, schema, config
    std::vector<ReportSection> sections; // the cache-hit overview for the text report
};

/// Runs the health checks over `workload`. `recommendations` are the index advisor's findings,
/// so that a statement's reads can be tied to the index that removes them.
HealthResult check_health(const Workload& workload, const std::vector<Finding>& recommendations);

// --- --analyze-plans: EXPLAIN (ANALYZE, BUFFERS) of the top SELECT statements -------------

/// A SELECT --analyze-plans may run: a top-level, whole statement of the workload that parses
/// as a SELECT, with everything it names (for the catalog lookup of plan_safety.hpp).
struct PlanCandidate {
    const WorkloadStatement* statement = nullptr;
    sqlparse::ParsedStatement parsed;
    sqlparse::CallInventory inventory;
};

/// The SELECT statements of `workload`, most total time first (queryid breaks ties).
std::vector<PlanCandidate> plan_candidates(const Workload& workload);

/// What the catalog must answer to judge `candidates`.
SafetyQuestions plan_questions(const std::vector<PlanCandidate>& candidates);

/// A statement chosen for EXPLAIN ANALYZE, with the values to run it with.
struct PlanTarget {
    std::string queryid;
    std::string sql;                                // text for PREPARE, $n kept (typed literals repaired)
    std::vector<std::string> param_types;           // explicit PREPARE types ("" = infer)
    std::vector<std::optional<std::string>> params; // values for $1..$n
    std::vector<std::string> param_sources;         // per parameter: where its value comes from
};

/// A statement passed over, and why.
struct PlanSkip {
    std::string queryid;
    std::string reason;
    bool unsafe = false; // it may have side effects (else: locked table, parameters, ...)
};

struct PlanSelection {
    std::vector<PlanTarget> targets;
    std::vector<PlanSkip> skipped; // the statements before the last target that do not run
};

/// Up to `limit` candidates, in their order, that are safe to execute (judge_statement with
/// `catalog`), read no table another session locks (Workload::locks), have no parameter in
/// OFFSET and get a value for every parameter (the index advisor's representative values:
/// pg_stats of the column each parameter meets, rows per call for LIMIT). The candidates
/// passed over on the way are `skipped`, with the reason.
PlanSelection choose_plan_targets(const Workload& workload, const std::vector<PlanCandidate>& candidates,
                                  const SafetyCatalog& catalog, std::size_t limit);

/// The outcome of running one PlanTarget: the EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) text,
/// or why there is none.
struct CapturedPlan {
    std::string queryid;
    std::string plan_json;        // empty when it failed or did not run
    std::string error;            // the server's message, or why it did not run
    bool not_run = false;         // skipped: the time budget was used up or the connection lost
    bool connection_lost = false; // the connection was lost (or given up) at this statement
};

/// Feeds each captured plan through the plan rules (analyzer/plan/). Findings carry the
/// statement they are about and rank by the statement's total time times the node's share of
/// the plan's time. A plan that failed to run or to parse becomes an `analyze-plans-failed`
/// finding (category input, info) with the message; a statement passed over becomes
/// `analyze-plans-unsafe` (it may have side effects) or `analyze-plans-skipped` (a locked
/// table, a parameter without a value, the time budget), with the reason. The section
/// "Plans (EXPLAIN ANALYZE)" lists each statement's parameters and where they come from,
/// time and buffers, or why it did not run.
HealthResult check_captured_plans(const Workload& workload, const PlanSelection& selection,
                                  const std::vector<CapturedPlan>& plans);

} // namespace dbadvise::analyzer
