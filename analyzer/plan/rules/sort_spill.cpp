// sort-spill: a sort that did not fit in work_mem and wrote its runs to disk.
//
// Rationale: an external merge sort writes and reads temporary files instead of sorting in
// memory; the I/O and merge passes make it several times slower than a quicksort.
// PostgreSQL behaviour: "Sort Space Used" is the disk space when "Sort Space Type" is Disk.
// The same rows sorted in memory need more than that: every tuple carries a SortTuple and
// palloc overhead. On PostgreSQL 15 an in-memory sort needed 2x (wide rows) to 3.8x (narrow
// rows) the disk figure, so the suggestion asks for 4x.
// Known false positives: a rare report query where a few spilled MB do no harm; raising
// work_mem globally multiplies by every concurrent sort and hash, so set it per session or
// per role for the statements that need it.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_memory_per_disk = 4.0;

void check(const Plan& plan, PlanCheckContext&, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        if (node.sort_space_type != "Disk" || !node.sort_space_kb) {
            continue;
        }
        const double disk_kb = static_cast<double>(*node.sort_space_kb);
        const std::string work_mem = work_mem_value(disk_kb * k_memory_per_disk);
        Finding f = make_plan_finding(
            RuleId::sort_spill, node,
            fmt::format("Sort spilled {} kB to disk ({})", *node.sort_space_kb, node.sort_method),
            fmt::format("{} sorted with \"{}\" and wrote {} kB to temporary files because the "
                        "rows did not fit in work_mem; it took {:.3f} ms of its own. Sorting the "
                        "same rows in memory needs about 2 to 4 times that space: set work_mem "
                        "to {} for this statement (per session or role, not globally: every "
                        "sort and hash of every connection may use that much).",
                        describe(node), node.sort_method, *node.sort_space_kb, node.exclusive_ms,
                        work_mem));
        f.evidence.emplace_back("sort_method", node.sort_method);
        f.evidence.emplace_back("sort_space_kb", *node.sort_space_kb);
        f.evidence.emplace_back("temp_written_blocks", node.exclusive_buffers.temp_written);
        f.evidence.emplace_back("exclusive_ms", node.exclusive_ms);
        f.evidence.emplace_back("suggested_work_mem", work_mem);
        f.suggestion.sql = fmt::format("SET work_mem = '{}';", work_mem);
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_sort_spill_rule = {RuleId::sort_spill, check};

} // namespace dbadvise::analyzer::plan
