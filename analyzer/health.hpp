// Cache-hit and health diagnostics from server statistics: database, table and index hit
// ratios; per-statement hit ratio, reads and temp spills; stale statistics, dead tuples;
// settings such as track_io_timing.
#pragma once

#include "analyzer/analyze.hpp"

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

/// A statement chosen for EXPLAIN ANALYZE, with parameter values to run it with.
struct PlanTarget {
    std::string queryid;
    std::string sql;                                // the normalized text, $n parameters kept
    std::vector<std::optional<std::string>> params; // values for $1..$n; nullopt is NULL
    std::vector<std::string> param_sources;         // per parameter: "orders.customer_id
                                                    // histogram median", "LIMIT", "unknown"
};

/// The `limit` SELECT statements with the most total time that are safe to execute: plain
/// SELECT (never DML, no FOR UPDATE/SHARE row locks), top level, text not truncated. Values
/// for $n come from pg_stats of the column each parameter meets (histogram median or middle
/// most-common value for equality, quartiles for ranges), 10 for LIMIT, 0 for OFFSET, NULL
/// when nothing tells. A statement that does not parse is skipped.
std::vector<PlanTarget> choose_plan_targets(const Workload& workload, std::size_t limit);

/// The outcome of running one PlanTarget: the EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) text,
/// or the server's error.
struct CapturedPlan {
    std::string queryid;
    std::string plan_json; // empty when it failed
    std::string error;     // the server's message when it failed
};

/// Feeds each captured plan through the plan rules (analyzer/plan/). Findings carry the
/// statement they are about and rank by the statement's total time times the node's share of
/// the plan's time. A plan that failed to run or to parse becomes an `analyze-plans-failed`
/// finding (category input, info) with the message; the others go on. The section
/// "Plans (EXPLAIN ANALYZE)" lists each statement's parameters, time and buffers.
HealthResult check_captured_plans(const Workload& workload, const std::vector<PlanTarget>& targets,
                                  const std::vector<CapturedPlan>& plans);

} // namespace dbadvise::analyzer
