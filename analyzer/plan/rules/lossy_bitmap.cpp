// lossy-bitmap: a bitmap heap scan whose bitmap degraded to whole pages.
//
// Rationale: when a bitmap exceeds work_mem, PostgreSQL keeps only "this page has matches"
// for some pages (lossy) and must recheck every row of those pages against the condition.
// PostgreSQL behaviour: "Heap Blocks: exact=N lossy=M"; "Rows Removed by Index Recheck"
// counts the rows the recheck threw away. An exact bitmap takes one page-table entry per
// heap page, about 64 bytes on 64-bit builds (PagetableEntry plus hash overhead); on
// PostgreSQL 15, 1915 pages fitted exactly in 128 kB. The suggestion adds a 25% margin.
// Known false positives: a scan that reads most of the table anyway, where a lossy page
// costs little more than an exact one.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_bytes_per_page = 64;
constexpr double k_margin = 1.25;

void check(const Plan& plan, PlanCheckContext&, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        if (node.node_type != "Bitmap Heap Scan" || node.lossy_heap_blocks.value_or(0) <= 0) {
            continue;
        }
        const std::int64_t lossy = *node.lossy_heap_blocks;
        const std::int64_t exact = node.exact_heap_blocks.value_or(0);
        const double needed_kb =
            static_cast<double>(exact + lossy) * k_bytes_per_page * k_margin / 1024.0;
        const std::string work_mem = work_mem_value(needed_kb);
        const double rechecked = node.rows_removed_by_index_recheck.value_or(0) * node.actual_loops;
        Finding f = make_plan_finding(
            RuleId::lossy_bitmap, node,
            fmt::format("Bitmap Heap Scan on {} went lossy on {} pages", node.relation, lossy),
            fmt::format("{}: its bitmap did not fit in work_mem, so {} of {} heap pages were "
                        "kept as whole pages and every row on them was rechecked ({:.0f} rows "
                        "removed by the recheck); it took {:.3f} ms of its own. An exact bitmap "
                        "of {} pages needs about {:.0f} kB: set work_mem to {} for this "
                        "statement.",
                        describe(node), lossy, exact + lossy, rechecked, node.exclusive_ms,
                        exact + lossy, needed_kb, work_mem));
        f.evidence.emplace_back("exact_heap_blocks", exact);
        f.evidence.emplace_back("lossy_heap_blocks", lossy);
        f.evidence.emplace_back("rows_removed_by_index_recheck", rechecked);
        f.evidence.emplace_back("needed_kb", needed_kb);
        f.evidence.emplace_back("suggested_work_mem", work_mem);
        f.suggestion.sql = fmt::format("SET work_mem = '{}';", work_mem);
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_lossy_bitmap_rule = {RuleId::lossy_bitmap, check};

} // namespace dbadvise::analyzer::plan
