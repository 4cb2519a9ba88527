// Findings about indexes that already exist: unused, duplicate, redundant (a prefix of
// another), invalid; and foreign keys with no supporting index.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/planner.hpp"
#include "analyzer/workload.hpp"

#include <vector>

namespace dbadvise::analyzer {

/// The time one index entry costs a write (a btree insertion with its WAL record, in cache),
/// assumed to rank unused and invalid indexes by the writes they follow: 5 microseconds.
inline constexpr double k_index_entry_write_ms = 0.005;

/// Checks the catalog in `workload`; findings ordered by table, then index name. A foreign key
/// that an index of `recommended` (the index advisor's set) would serve says so and suggests
/// no index of its own, so the report never proposes the same index twice.
std::vector<Finding> check_existing_indexes(const Workload& workload,
                                            const std::vector<IndexSpec>& recommended = {});

} // namespace dbadvise::analyzer
