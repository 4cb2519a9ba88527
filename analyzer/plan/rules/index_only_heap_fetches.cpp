// index-only-heap-fetches: an index-only scan that still visits the heap for many rows.
//
// Rationale: an Index Only Scan skips the heap only for pages the visibility map marks
// all-visible; for the others it fetches the heap tuple to check visibility, and becomes an
// ordinary index scan with extra overhead.
// PostgreSQL behaviour: "Heap Fetches" counts those visits over all loops. VACUUM sets the
// visibility-map bits; autovacuum does so only after enough dead tuples, so insert-mostly
// tables (before 13's autovacuum_vacuum_insert_threshold) or tables vacuumed rarely stay
// unmarked.
// Known false positives: a table modified continuously, where the bits are cleared again as
// soon as VACUUM sets them.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_min_heap_fetches = 1000;
constexpr double k_min_fetch_share = 0.1; // of the rows returned

void check(const Plan& plan, PlanCheckContext&, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        if (node.node_type != "Index Only Scan" || !node.heap_fetches) {
            continue;
        }
        const double fetches = static_cast<double>(*node.heap_fetches);
        const double rows = std::max(node.total_rows(), 1.0);
        if (fetches < k_min_heap_fetches || fetches / rows < k_min_fetch_share) {
            continue;
        }
        Finding f = make_plan_finding(
            RuleId::index_only_heap_fetches, node,
            fmt::format("Index Only Scan on {} fetched {} heap tuples", node.relation,
                        *node.heap_fetches),
            fmt::format("{} returned {:.0f} rows but had to visit the heap {} times ({:.0f}%) "
                        "because the visibility map does not mark those pages all-visible; it "
                        "took {:.3f} ms of its own. VACUUM the table to set the visibility map "
                        "(and tune autovacuum for it if it keeps happening).",
                        describe(node), node.total_rows(), *node.heap_fetches,
                        100.0 * fetches / rows, node.exclusive_ms));
        f.evidence.emplace_back("heap_fetches", *node.heap_fetches);
        f.evidence.emplace_back("rows", node.total_rows());
        f.evidence.emplace_back("fetch_share", fetches / rows);
        f.evidence.emplace_back("exclusive_ms", node.exclusive_ms);
        f.suggestion.sql = fmt::format("VACUUM (ANALYZE) {};", qualified_relation(node));
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_index_only_heap_fetches_rule = {RuleId::index_only_heap_fetches, check};

} // namespace dbadvise::analyzer::plan
