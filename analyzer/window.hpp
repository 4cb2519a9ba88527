// The window between two captures of one database: what ran between them. pg_stat_statements
// and the statistics views count since their last reset; subtracting an earlier capture from
// a later one gives the activity in between, per pg_stat_statements entry (queryid, userid,
// toplevel) and per table and index. Resets and evictions in between are detected and
// reported rather than turned into negative numbers. Pure.
#pragma once

#include "analyzer/workload_source.hpp"

#include <expected>
#include <string>

namespace dbadvise::analyzer {

/// How the user named the two captures, for messages: "--since before.json",
/// "snapshot after.json", "the live server".
struct WindowInputs {
    std::string earlier;
    std::string later;
};

/// The window from `earlier` to `later`: the later capture's catalog, column statistics,
/// settings and gauges (live and dead tuples, sizes), with counters replaced by their growth
/// between the captures:
/// - a statement in both: each cumulative column subtracted; mean and stddev recomputed for
///   the window, min and max unknown (NULL); a statement that did not run is left out;
/// - a statement only in `later` (it appeared) counts whole;
/// - a statement whose counters went down, or whose stats_since (17+) is after `earlier`,
///   was reset or evicted and came back: it counts whole (what ran since it came back), and
///   a `window-statements-reset` finding says so;
/// - a statement only in `earlier` (evicted or reset, it did not come back) is left out, and
///   counted in a note; evictions (pg_stat_statements_info.dealloc, 14+) get a
///   `window-statements-evicted` finding;
/// - table and database counters (scans, tuples, blocks) are subtracted the same way, and
///   kept whole when they were reset in between (`window-statistics-reset`); an index's
///   idx_scan stays cumulative, so that an index is never called unused from a short window.
/// The statements are not filtered (select_statements does that).
/// Fails when the captures cannot be combined: another server (system identifier) or
/// database, pg_stat_statements reset as a whole after `earlier` (kind mismatch), or
/// `earlier` taken after `later` (kind usage).
std::expected<Capture, SourceError>
subtract_captures(const Workload& earlier, const Workload& later, const WindowInputs& inputs);

} // namespace dbadvise::analyzer
