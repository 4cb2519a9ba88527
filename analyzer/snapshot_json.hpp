// The snapshot document: a Workload as versioned JSON (docs/snapshot.md, described by
// docs/snapshot.schema.json), written by `dbadvise snapshot` and read by
// `dbadvise analyze --snapshot/--since`. Pure: text in, text out; files and gzip are the
// business of sources/ and cli/.
#pragma once

#include "analyzer/workload.hpp"

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

/// The snapshot format this dbadvise writes and the newest it reads. A reader of format N
/// reads every snapshot of format N, whatever members later versions of it add.
inline constexpr int k_snapshot_version = 1;

struct SnapshotError {
    std::string message; // "invalid JSON: ...", "/tables/3/name: expected a string, got 12"
    int line = 0;        // 1-based position of a JSON syntax error; 0 otherwise
    int column = 0;
};

/// A part of a snapshot that read_snapshot left out, the rest being read: a
/// pg_stat_statements row with a value the server cannot have produced (a negative counter,
/// an empty calls, a stats_since that is not a timestamp), a second row for the same entry,
/// or a pg_stats row with a fraction out of its range.
struct SnapshotProblem {
    enum class Kind { invalid_value, duplicate_statement };
    Kind kind = Kind::invalid_value;
    std::string where;   // JSON pointer, and the entry: "/pg_stat_statements/rows/3 (queryid 42)"
    std::string message; // "calls is -5: a counter is never negative"
};

/// The snapshot of `workload` as JSON text (newline-terminated), `tool_version` recorded as
/// the dbadvise that wrote it. The same workload gives the same bytes. Text that is not
/// valid UTF-8 has the offending bytes replaced by U+FFFD: JSON cannot carry them. Numbers
/// that JSON cannot carry (NaN, infinities) are written as the strings PostgreSQL prints for
/// them, "NaN", "Infinity" and "-Infinity", which read_snapshot reads back as the same value.
std::string write_snapshot(const Workload& workload, std::string_view tool_version);

/// Reads a snapshot document. Fails, never throws, on: text that is not JSON (with the line
/// and column), JSON that is not a snapshot (a dbadvise report, say), a snapshot of a newer
/// format (naming the dbadvise that wrote it and `tool_version`), a member of the wrong
/// type, a timestamp that is not one, a catalog counter below zero or a row estimate below
/// -1, or a pg_stat_statements row that does not match its columns (naming the member by its
/// JSON pointer). Rows with impossible values and repeated pg_stat_statements entries are
/// left out and described in `problems` (when given), the rest is read. Members it does not
/// know are ignored; missing optional ones default. Numbers may be the strings "NaN",
/// "Infinity" and "-Infinity", as write_snapshot writes them. Statements keep the document's
/// order; their typed members are filled from the columns.
std::expected<Workload, SnapshotError>
read_snapshot(std::string_view json, std::string_view tool_version,
              std::vector<SnapshotProblem>* problems = nullptr);

} // namespace dbadvise::analyzer
