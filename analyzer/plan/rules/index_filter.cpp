// index-filter: an index scan whose Filter rejects most of the rows the index found.
//
// Rationale: the index narrows the search by its Index Cond only; every row it returns is
// then fetched from the heap and tested by the Filter. When the Filter rejects most of them,
// the heap visits are wasted; putting the filtered columns into the index (as further keys,
// equality columns first) lets the index itself skip those rows.
// PostgreSQL behaviour: "Rows Removed by Filter" is per loop; multiplied by loops. For a
// Bitmap Heap Scan the index columns are those of the Recheck Cond.
// Known false positives: a filter on an expression or a column type the index method cannot
// hold; rows removed because of a LIMIT stopping early do not show here.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_min_rows_removed = 1000;
constexpr double k_min_removed_share = 0.5;

void check(const Plan& plan, PlanCheckContext& context, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        const bool index_scan = node.node_type == "Index Scan" ||
                                node.node_type == "Index Only Scan" ||
                                node.node_type == "Bitmap Heap Scan";
        if (!index_scan || !node.has_actual || !node.rows_removed_by_filter) {
            continue;
        }
        const double removed = *node.rows_removed_by_filter * node.actual_loops;
        const double returned = node.total_rows();
        const double found = removed + returned;
        if (removed < k_min_rows_removed || found <= 0 || removed / found < k_min_removed_share) {
            continue;
        }
        const std::string& index_condition =
            node.node_type == "Bitmap Heap Scan" ? node.recheck_cond : node.index_cond;
        std::vector<ConditionColumn> columns = context.columns(index_condition);
        const std::vector<ConditionColumn> filter_columns = context.columns(node.filter);
        columns.insert(columns.end(), filter_columns.begin(), filter_columns.end());
        const std::vector<std::string> keys = index_keys(node, columns);
        const std::vector<std::string> filter_keys = index_keys(node, filter_columns);
        std::string keys_text;
        for (const std::string& key : keys) {
            keys_text += (keys_text.empty() ? "" : ", ") + key;
        }
        std::string filter_text;
        for (const std::string& key : filter_keys) {
            filter_text += (filter_text.empty() ? "" : ", ") + key;
        }
        const std::string index =
            node.index_name.empty() ? std::string("the index") : node.index_name;
        std::string message = fmt::format(
            "{} found {:.0f} rows through {} ({}), then its Filter {} discarded {:.0f} of them "
            "({:.1f}%), taking {:.3f} ms of its own. ",
            describe(node), found, index,
            index_condition.empty() ? std::string("no index condition") : index_condition,
            node.filter, removed, 100.0 * removed / found, node.exclusive_ms);
        if (filter_keys.empty() || keys.empty()) {
            message += "The filter's columns cannot be index keys as written; consider an "
                       "expression index or a partial index matching the filter.";
        } else {
            message += fmt::format(
                "Extend the index with {} (index on ({})) so the index itself skips the rows "
                "the filter rejects; drop {} afterwards if nothing else needs it.",
                filter_text, keys_text, index);
        }
        Finding f =
            make_plan_finding(RuleId::index_filter, node,
                              fmt::format("{} on {} discards {:.1f}% of the rows its index finds",
                                          node.node_type, node.relation, 100.0 * removed / found),
                              std::move(message));
        f.evidence.emplace_back("rows_found", static_cast<std::int64_t>(found));
        f.evidence.emplace_back("rows_removed_by_filter", static_cast<std::int64_t>(removed));
        f.evidence.emplace_back("removed_share", removed / found);
        f.evidence.emplace_back("exclusive_ms", node.exclusive_ms);
        f.evidence.emplace_back("index_cond", index_condition);
        f.evidence.emplace_back("filter", node.filter);
        if (!filter_keys.empty() && !keys.empty()) {
            f.suggestion.sql = create_index_sql(node, keys);
        }
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_index_filter_rule = {RuleId::index_filter, check};

} // namespace dbadvise::analyzer::plan
