// The plan driver: parse an EXPLAIN plan, run the plan rules over it, and find its hottest
// nodes. Used by `dbadvise explain` and by analyze's --analyze-plans. Pure: text in, results
// out.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/plan/plan_model.hpp"

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer::plan {

/// A node among the plan's hottest, by exclusive time.
struct HotNode {
    std::string path;      // "Plan/Plans[0]"
    std::string node_type; // "Seq Scan"
    std::string relation;  // relation, else index, CTE or function name; empty when none
    double exclusive_ms = 0;
    double share = 0; // of the plan's total time, 0..1
};

struct PlanAnalysis {
    Plan plan;
    std::vector<Finding> findings;  // ranked: highest exclusive time first
    std::vector<HotNode> hot_nodes; // hottest first
};

/// Runs every plan rule over `plan`. Findings get `file_name` as their location's file and
/// come ranked by their node's exclusive time (then by location).
std::vector<Finding> check_plan(const Plan& plan, std::string_view file_name);

/// The `limit` nodes with the highest exclusive time (ties by path), with their share of
/// the plan's total time. Empty when the plan has no timing (no ANALYZE, or TIMING OFF).
std::vector<HotNode> hot_nodes(const Plan& plan, std::size_t limit);

/// parse_plan, check_plan and hot_nodes (5 nodes) in one call; fails as parse_plan does.
/// For analyze: feed it the text of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON).
std::expected<PlanAnalysis, PlanError> analyze_plan(std::string_view text,
                                                    std::string_view file_name);

} // namespace dbadvise::analyzer::plan
