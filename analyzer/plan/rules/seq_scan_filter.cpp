// seq-scan-filter: a sequential scan that throws away most of the rows it reads.
//
// Rationale: a Seq Scan reads every page of the table and evaluates the Filter on every
// row; when nearly all rows fail it, the time goes into reading rows nobody wants. An index
// on the filtered columns lets PostgreSQL fetch only the matching rows.
// PostgreSQL behaviour: "Rows Removed by Filter" is an average per loop, like "Actual Rows";
// both are multiplied by loops (and for a Parallel Seq Scan, loops count every process).
// Known false positives: a table small enough that a scan is cheaper than any index; a
// query run rarely enough that the index's write cost outweighs its benefit; a filter on a
// column too unselective for an index (the share threshold keeps most of those out).
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_min_rows_removed = 1000; // over all loops
constexpr double k_min_removed_share = 0.9;

void check(const Plan& plan, PlanCheckContext& context, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        if (node.node_type != "Seq Scan" || !node.has_actual || !node.rows_removed_by_filter) {
            continue;
        }
        const double removed = *node.rows_removed_by_filter * node.actual_loops;
        const double returned = node.total_rows();
        const double read = removed + returned;
        if (removed < k_min_rows_removed || read <= 0 || removed / read < k_min_removed_share) {
            continue;
        }
        const std::vector<std::string> keys = index_keys(node, context.columns(node.filter));
        std::string keys_text;
        for (const std::string& key : keys) {
            keys_text += (keys_text.empty() ? "" : ", ") + key;
        }
        std::string message = fmt::format(
            "{} read {:.0f} rows and its Filter {} discarded {:.0f} of them ({:.1f}%), "
            "taking {:.3f} ms of its own. ",
            describe(node), read, node.filter, removed, 100.0 * removed / read, node.exclusive_ms);
        if (keys.empty()) {
            message += "No column of the filter can lead an index as written (OR, functions or "
                       "casts around the columns); consider rewriting the condition or an "
                       "expression index.";
        } else {
            message += fmt::format("An index on ({}) lets PostgreSQL read only the matching "
                                   "rows instead of the whole table.",
                                   keys_text);
        }
        Finding f =
            make_plan_finding(RuleId::seq_scan_filter, node,
                              fmt::format("Seq Scan on {} discards {:.1f}% of the rows it reads",
                                          node.relation, 100.0 * removed / read),
                              std::move(message));
        f.evidence.emplace_back("rows_read", static_cast<std::int64_t>(read));
        f.evidence.emplace_back("rows_removed_by_filter", static_cast<std::int64_t>(removed));
        f.evidence.emplace_back("rows_returned", static_cast<std::int64_t>(returned));
        f.evidence.emplace_back("removed_share", removed / read);
        f.evidence.emplace_back("exclusive_ms", node.exclusive_ms);
        f.evidence.emplace_back("filter", node.filter);
        f.evidence.emplace_back("filter_columns", keys_text);
        if (!keys.empty()) {
            f.suggestion.sql = create_index_sql(node, keys);
        }
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_seq_scan_filter_rule = {RuleId::seq_scan_filter, check};

} // namespace dbadvise::analyzer::plan
