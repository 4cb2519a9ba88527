// The plan rules, one per file in this folder; plan_rules() lists them.
#pragma once

#include "analyzer/plan/plan_rule.hpp"

namespace dbadvise::analyzer::plan {

extern const PlanRule k_hash_batches_rule;
extern const PlanRule k_index_filter_rule;
extern const PlanRule k_index_only_heap_fetches_rule;
extern const PlanRule k_jit_dominates_rule;
extern const PlanRule k_lossy_bitmap_rule;
extern const PlanRule k_low_cache_hit_rule;
extern const PlanRule k_nested_loop_inner_scan_rule;
extern const PlanRule k_row_misestimate_rule;
extern const PlanRule k_seq_scan_filter_rule;
extern const PlanRule k_sort_spill_rule;
extern const PlanRule k_workers_not_launched_rule;

} // namespace dbadvise::analyzer::plan
