// Findings about indexes that already exist: unused, duplicate, redundant (a prefix of
// another), invalid; and foreign keys with no supporting index.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/workload.hpp"

#include <vector>

namespace dbadvise::analyzer {

/// Checks the catalog in `workload`; findings ordered by table, then index name.
std::vector<Finding> check_existing_indexes(const Workload& workload);

} // namespace dbadvise::analyzer
