// nested-loop-inner-scan: a nested loop that rescans an unindexed inner table for every
// outer row.
//
// Rationale: a Nested Loop runs its inner side once per outer row. With an index on the
// join column the inner side is a cheap lookup; without one, each loop is a full Seq Scan
// whose rows are then mostly thrown away by the Join Filter: work grows with outer rows x
// inner rows.
// PostgreSQL behaviour: the inner child has Parent Relationship "Inner" and "Actual Loops"
// equal to the number of outer rows; the join condition appears as the Nested Loop's Join
// Filter or, when parameterised, as the inner scan's Filter.
// Known false positives: a tiny inner table (a few pages) where the scan is as cheap as an
// index lookup; the loop threshold keeps one-off joins out. A Materialize or Memoize above
// the scan is not reported: the table is scanned once.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_min_loops = 100;

void check(const Plan& plan, PlanCheckContext& context, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        if (node.node_type != "Nested Loop" || !node.has_actual) {
            continue;
        }
        const PlanNode* inner = nullptr;
        for (const int child : node.children) {
            if (plan.nodes[child].parent_relationship == "Inner") {
                inner = &plan.nodes[child];
            }
        }
        if (inner == nullptr || inner->node_type != "Seq Scan" ||
            inner->actual_loops < k_min_loops) {
            continue;
        }
        std::vector<ConditionColumn> columns = context.columns(node.join_filter);
        const std::vector<ConditionColumn> filter = context.columns(inner->filter);
        columns.insert(columns.end(), filter.begin(), filter.end());
        const std::vector<std::string> keys = index_keys(*inner, columns);
        std::string keys_text;
        for (const std::string& key : keys) {
            keys_text += (keys_text.empty() ? "" : ", ") + key;
        }
        const double removed_by_join =
            node.rows_removed_by_join_filter.value_or(0) * node.actual_loops;
        const double inner_rows_read =
            (inner->actual_rows + inner->rows_removed_by_filter.value_or(0)) * inner->actual_loops;
        std::string message = fmt::format(
            "{} scans {} {:.0f} times, once per outer row, reading {:.0f} rows in all{}; the "
            "inner scans took {:.3f} ms. ",
            describe(node), inner->label(), inner->actual_loops, inner_rows_read,
            removed_by_join > 0 ? fmt::format(" of which the Join Filter {} discarded {:.0f}",
                                              node.join_filter, removed_by_join)
                                : std::string(),
            inner->inclusive_ms);
        if (keys.empty()) {
            message += fmt::format("Index the join column of {} so that each loop becomes an "
                                   "index lookup.",
                                   inner->relation);
        } else {
            message += fmt::format("An index on {} ({}) turns each loop into an index lookup "
                                   "(and lets the planner consider other join methods).",
                                   inner->relation, keys_text);
        }
        Finding f =
            make_plan_finding(RuleId::nested_loop_inner_scan, node,
                              fmt::format("Nested Loop rescans {} {:.0f} times without an index",
                                          inner->relation, inner->actual_loops),
                              std::move(message));
        f.evidence.emplace_back("inner_path", inner->path);
        f.evidence.emplace_back("inner_relation", qualified_relation(*inner));
        f.evidence.emplace_back("loops", inner->actual_loops);
        f.evidence.emplace_back("inner_rows_read", inner_rows_read);
        f.evidence.emplace_back("rows_removed_by_join_filter", removed_by_join);
        f.evidence.emplace_back("inner_ms", inner->inclusive_ms);
        f.evidence.emplace_back("join_filter", node.join_filter);
        if (!keys.empty()) {
            f.suggestion.sql = create_index_sql(*inner, keys);
        }
        f.rank = node.exclusive_ms + inner->exclusive_ms;
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_nested_loop_inner_scan_rule = {RuleId::nested_loop_inner_scan, check};

} // namespace dbadvise::analyzer::plan
