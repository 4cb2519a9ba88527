// What a report's overview shows besides findings: where the workload's time went and how
// well the cache serves it. Plain data that analyze fills from the Workload and the reports
// chart (the HTML report's share of time by statement and its hit ratios).
#pragma once

#include "analyzer/finding.hpp"

#include <cstdint>
#include <string>

namespace dbadvise::analyzer {

/// A workload statement as the report's overview shows it.
struct StatementSummary {
    QueryRef query;
    std::int64_t rows = 0;
    std::int64_t shared_blks_hit = 0;
    std::int64_t shared_blks_read = 0;
    /// What the index advisor made of it: status "recommended" (reason: the index that serves
    /// it), "no-saving", "no-candidate" (reason: why none was generated), "not-analyzed"
    /// (reason: not parsed, not planned, locked, planning stopped); empty for statements it
    /// does not consider (BEGIN, SET, ...).
    struct IndexAdvice {
        std::string status;
        std::string reason;
    } index_advice{};
};

/// Buffer hits and reads of one scope, for the report's hit-ratio overview.
struct CacheCounters {
    std::string scope; // "database", "table" or "index"
    std::string name;  // the database, or "schema.table" / "schema.index"
    std::int64_t hits = 0;
    std::int64_t reads = 0;
};

} // namespace dbadvise::analyzer
