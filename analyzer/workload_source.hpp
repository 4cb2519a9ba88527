// The workload-source seam: where `analyze` gets its workload and statistics from. The
// analyzer sees a WorkloadSource and a Planner, never a server or a file: a live server
// (sources/live_source), a snapshot file (sources/snapshot_source), the window between two
// captures (sources/window_source), and next to them query files, server logs and fleets.
// Unit tests fake it, in the spirit of ninja's DiskInterface.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/workload.hpp"

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace dbadvise::analyzer {

/// Which statements analyze looks at: --top, --min-calls, --min-mean-ms.
struct StatementFilter {
    int top = 0;                // the N statements with the most total time; 0: all
    std::int64_t min_calls = 0; // skip statements called fewer times
    double min_mean_ms = 0;     // skip statements faster than this on average
};

/// Keeps the statements that pass `filter`, ordered by total time (descending; ties by
/// queryid, userid, top level first), the `top` first.
void select_statements(Workload& workload, const StatementFilter& filter);

/// What the report says about where the workload came from.
struct SourceDescription {
    std::string kind;               // "database", "snapshot", "window"
    std::vector<std::string> files; // snapshot files read, earliest first
    std::string window_start;       // window: captured_at of the earlier capture
    std::string window_end;         // window: captured_at of the later capture
};

/// What a source delivers: the workload, and what it noticed about its input (resets and
/// evictions in a window, ...) as findings, notes and counts for the report.
struct Capture {
    Workload workload;
    SourceDescription description;
    std::vector<Finding> findings; // category input
    std::vector<std::string> notes;
    Evidence stats; // "window_statements_new": N, ...
};

struct SourceError {
    enum class Kind {
        unreadable, // cannot connect, read, decompress or parse: exit 3
        mismatch,   // the captures cannot be combined (other server, reset in between): exit 3
        usage,      // the inputs were given the wrong way round: exit 2
    };
    Kind kind = Kind::unreadable;
    std::string message; // complete: names the file or server, what is wrong and the fix
};

class WorkloadSource {
public:
    virtual ~WorkloadSource() = default;
    /// For progress and messages: `snapshot shop.json.gz`, `database "shop" on host:5432`.
    virtual std::string describe() const = 0;
    /// Reads the workload; its statements pass `filter` (select_statements), the catalog,
    /// column statistics and counters are whole. Called once per run.
    virtual std::expected<Capture, SourceError> capture(const StatementFilter& filter) = 0;
};

} // namespace dbadvise::analyzer
