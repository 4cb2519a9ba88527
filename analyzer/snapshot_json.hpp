// The snapshot document: a Workload as versioned JSON (docs/snapshot.md, described by
// docs/snapshot.schema.json), written by `dbadvise snapshot` and read by
// `dbadvise analyze --snapshot/--since`. Pure: text in, text out; files and gzip are the
// business of sources/ and cli/.
#pragma once

#include "analyzer/workload.hpp"

#include <expected>
#include <string>
#include <string_view>

namespace dbadvise::analyzer {

/// The snapshot format this dbadvise writes and the newest it reads. A reader of format N
/// reads every snapshot of format N, whatever members later versions of it add.
inline constexpr int k_snapshot_version = 1;

struct SnapshotError {
    std::string message; // "invalid JSON: ...", "/tables/3/name: expected a string, got 12"
    int line = 0;        // 1-based position of a JSON syntax error; 0 otherwise
    int column = 0;
};

/// The snapshot of `workload` as JSON text (newline-terminated), `tool_version` recorded as
/// the dbadvise that wrote it. The same workload gives the same bytes. Text that is not
/// valid UTF-8 has the offending bytes replaced by U+FFFD: JSON cannot carry them.
std::string write_snapshot(const Workload& workload, std::string_view tool_version);

/// Reads a snapshot document. Fails, never throws, on: text that is not JSON (with the line
/// and column), JSON that is not a snapshot (a dbadvise report, say), a snapshot of a newer
/// format (naming the dbadvise that wrote it and `tool_version`), and a member of the wrong
/// type or a pg_stat_statements row that does not match its columns (naming the member by
/// its JSON pointer). Members it does not know are ignored; missing optional ones default.
/// Statements keep the document's order; their typed members are filled from the columns.
std::expected<Workload, SnapshotError> read_snapshot(std::string_view json,
                                                     std::string_view tool_version);

} // namespace dbadvise::analyzer
