// Cache-hit and health diagnostics from server statistics: database, table and index hit
// ratios; per-statement hit ratio, reads and temp spills; stale statistics, dead tuples;
// settings such as track_io_timing.
#pragma once

#include "analyzer/analyze.hpp"

namespace dbadvise::analyzer {

struct HealthResult {
    std::vector<Finding> findings;        // categories cache, plan, schema, config
    std::vector<ReportSection> sections;  // the cache-hit overview for the text report
};

/// Runs the health checks over `workload`. `recommendations` are the index advisor's findings,
/// so that a statement's reads can be tied to the index that removes them.
HealthResult check_health(const Workload& workload,
                          const std::vector<Finding>& recommendations);

} // namespace dbadvise::analyzer
