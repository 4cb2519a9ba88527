// row-misestimate: a node whose actual row count is 10 times (or more) off the estimate.
//
// Rationale: every choice above a node (join method, join order, memory, parallelism) rests
// on its row estimate; a 10x error makes nested loops over "a few" rows that are really
// thousands, or hashes sized for far too few. Only the lowest misestimated node of a
// subtree is reported: the error propagates upwards from there.
// PostgreSQL behaviour: estimates and actual rows are both per loop. Stale statistics
// (a table grown since its last ANALYZE) are fixed by ANALYZE; correlated columns filtered
// together (city and country) are multiplied as if independent, which only extended
// statistics (CREATE STATISTICS ... (dependencies, mcv)) correct.
// Known false positives: nodes below a LIMIT, or on the inner side of a semi or anti join,
// stop early and return fewer rows than estimated by design (skipped); estimates of a
// generic plan for a parameter with skewed values.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_min_factor = 10;
constexpr double k_min_rows = 100; // the larger of estimate and actual, per loop

// The factor between estimate and actual, >= 1; 0 when the node is not judged.
double factor(const PlanNode& node) {
    if (!node.has_actual || node.never_executed || node.actual_loops <= 0) {
        return 0;
    }
    const double estimated = std::max(node.plan_rows, 1.0);
    const double actual = std::max(node.actual_rows, 1.0);
    if (std::max(node.plan_rows, node.actual_rows) < k_min_rows) {
        return 0;
    }
    return std::max(estimated / actual, actual / estimated);
}

// True when the node may legitimately stop before producing every row it estimated.
bool may_stop_early(const Plan& plan, const PlanNode& node) {
    int child = static_cast<int>(&node - plan.nodes.data());
    for (int at = node.parent; at >= 0; child = at, at = plan.nodes[at].parent) {
        const PlanNode& ancestor = plan.nodes[at];
        if (ancestor.node_type == "Limit") {
            return true;
        }
        const bool inner = plan.nodes[child].parent_relationship == "Inner";
        if (inner && (ancestor.join_type == "Semi" || ancestor.join_type == "Anti")) {
            return true;
        }
    }
    return false;
}

// The relations read below `index` (iterative: plans can nest thousands of levels deep).
void collect_relations(const Plan& plan, int index, std::set<std::string>& out) {
    std::vector<int> pending{index};
    while (!pending.empty()) {
        const PlanNode& node = plan.nodes[pending.back()];
        pending.pop_back();
        if (!node.relation.empty()) {
            out.insert(qualified_relation(node));
        }
        pending.insert(pending.end(), node.children.begin(), node.children.end());
    }
}

void check(const Plan& plan, PlanCheckContext& context, std::vector<Finding>& out) {
    // flagged[i]: some node in i's subtree (subplans aside) is misestimated.
    std::vector<bool> own(plan.nodes.size(), false);
    std::vector<bool> below(plan.nodes.size(), false);
    for (std::size_t i = plan.nodes.size(); i-- > 0;) {
        const PlanNode& node = plan.nodes[i];
        own[i] = factor(node) >= k_min_factor &&
                 !(node.actual_rows < node.plan_rows && may_stop_early(plan, node));
        for (const int child : node.children) {
            const std::string& rel = plan.nodes[child].parent_relationship;
            if (rel != "InitPlan" && rel != "SubPlan" && (own[child] || below[child])) {
                below[i] = true;
            }
        }
    }
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        if (!own[i] || below[i]) {
            continue;
        }
        const PlanNode& node = plan.nodes[i];
        const double ratio = factor(node);
        const bool under = node.actual_rows > node.plan_rows;
        std::string message = fmt::format(
            "{} was estimated at {:.0f} row{} per loop but produced {:.0f} ({:.1f}x {}). The "
            "plan above it was chosen for the wrong number of rows. ",
            describe(node), node.plan_rows, node.plan_rows == 1 ? "" : "s", node.actual_rows, ratio,
            under ? "more" : "fewer");
        std::string sql;
        std::vector<std::string> columns;
        if (!node.relation.empty()) {
            std::vector<ConditionColumn> found = context.columns(node.filter);
            const std::vector<ConditionColumn> index = context.columns(node.index_cond);
            found.insert(found.end(), index.begin(), index.end());
            const std::vector<ConditionColumn> recheck = context.columns(node.recheck_cond);
            found.insert(found.end(), recheck.begin(), recheck.end());
            for (const ConditionColumn& column : found) {
                const bool own_column = column.qualifier.empty() ||
                                        column.qualifier == node.alias ||
                                        column.qualifier == node.relation;
                if (own_column &&
                    std::find(columns.begin(), columns.end(), column.name) == columns.end()) {
                    columns.push_back(column.name);
                }
            }
        }
        if (columns.size() >= 2) {
            std::string list;
            std::string name = node.relation;
            for (const std::string& column : columns) {
                list += (list.empty() ? "" : ", ") + quote_identifier(column);
                name += "_" + column;
            }
            if (name.size() > 57) {
                name.resize(57);
            }
            name += "_stats";
            message += fmt::format(
                "The condition combines {} columns of {} ({}); PostgreSQL multiplies their "
                "selectivities as if they were independent. Extended statistics capture the "
                "correlation; then ANALYZE the table.",
                columns.size(), node.relation, list);
            sql = fmt::format("CREATE STATISTICS {} (dependencies, ndistinct, mcv) ON {} FROM {};\n"
                              "ANALYZE {};",
                              quote_identifier(name), list, qualified_relation(node),
                              qualified_relation(node));
        } else {
            std::set<std::string> relations;
            collect_relations(plan, static_cast<int>(i), relations);
            std::string list;
            for (const std::string& relation : relations) {
                list += (list.empty() ? "" : ", ") + relation;
            }
            if (list.empty()) {
                message += "Refresh the statistics of the tables below this node.";
            } else {
                message += fmt::format(
                    "Refresh the statistics of {} (ANALYZE); if the table changes fast, lower "
                    "its autovacuum_analyze_scale_factor.",
                    list);
                sql = fmt::format("ANALYZE {};", list);
            }
        }
        Finding f = make_plan_finding(
            RuleId::row_misestimate, node,
            fmt::format("{}: row estimate off by {:.0f}x ({:.0f} estimated, {:.0f} actual)",
                        node.label(), ratio, node.plan_rows, node.actual_rows),
            std::move(message));
        f.evidence.emplace_back("plan_rows", node.plan_rows);
        f.evidence.emplace_back("actual_rows", node.actual_rows);
        f.evidence.emplace_back("loops", node.actual_loops);
        f.evidence.emplace_back("factor", ratio);
        f.evidence.emplace_back("direction", std::string(under ? "underestimate" : "overestimate"));
        f.evidence.emplace_back("exclusive_ms", node.exclusive_ms);
        f.suggestion.sql = std::move(sql);
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_row_misestimate_rule = {RuleId::row_misestimate, check};

} // namespace dbadvise::analyzer::plan
