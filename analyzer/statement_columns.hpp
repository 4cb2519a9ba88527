// pg_stat_statements rows kept column by column, whatever the server version: the typed view
// the analyzer reads (calls, total time, rows, ...) comes from the generic columns, so that a
// snapshot keeps every column the server has (PostgreSQL 12 to 17 and later) and a window
// between two captures can subtract each counter. Pure functions.
#pragma once

#include "analyzer/workload.hpp"

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

/// The kind of value a column of `type` (format_type() text) holds.
enum class ValueKind { boolean, integer, number, text };
ValueKind value_kind(std::string_view type);

/// The value of `text` as libpq prints a column of `type`: "t"/"f" for booleans, decimal
/// integers, numbers (numeric becomes a double), anything else kept as text. Text that does
/// not read as the type's kind is kept as text rather than guessed.
StatValue stat_value_from_text(std::string_view type, std::string_view text);

/// How the window between two captures treats a column.
enum class ColumnRole {
    key,     // userid, dbid, queryid, toplevel: identify the entry
    counter, // cumulative: calls, total_exec_time, rows, shared_blks_hit, wal_bytes, ...
    derived, // min_*, max_*, mean_*, stddev_*: not additive, recomputed or dropped
    other,   // query text, stats_since and other non-numeric columns: the later value
};
ColumnRole column_role(const StatementColumn& column);

/// Position of the column named `name`, or -1.
int column_index(const std::vector<StatementColumn>& columns, std::string_view name);

/// Fails with a message naming the first missing column when `columns` lacks one analyze
/// needs: queryid, query, calls, rows and total_exec_time (13+) or total_time (before 13).
std::expected<void, std::string>
check_statement_columns(const std::vector<StatementColumn>& columns);

/// Fills the typed members of `statement` (queryid, text, calls, total_ms, mean_ms, rows,
/// block counters, toplevel, userid) from statement.values. Missing or NULL columns leave
/// zero (toplevel: true, before 14 there is no such column); mean_ms is total_ms / calls
/// when the mean column is missing or NULL.
void fill_statement(WorkloadStatement& statement, const std::vector<StatementColumn>& columns);

/// track_activity_query_size in bytes from the workload's settings (1024 when unknown).
std::int64_t track_activity_query_size(const Workload& workload);

/// True when `text` is as long as track_activity_query_size allows (`limit_bytes` - 1), so
/// it may have been cut.
bool looks_truncated(std::string_view text, std::int64_t limit_bytes);

/// Marks each statement truncated when its text reaches track_activity_query_size and does
/// not parse: only such text was cut; a long statement that parses is whole.
void mark_truncated_statements(Workload& workload);

} // namespace dbadvise::analyzer
