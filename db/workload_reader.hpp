// Reads what `analyze` needs from a live server into an analyzer::Workload: the workload
// (pg_stat_statements), the catalog, column statistics, activity counters and settings.
// Everything is read in one read-only transaction; nothing is written.
#pragma once

#include "analyzer/workload.hpp"
#include "db/connection.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::db {

struct ReadOptions {
    int top = 50;                 // statements with the most total time
    std::int64_t min_calls = 1;
    double min_mean_ms = 0;
};

using Progress = std::function<void(std::string_view)>;

/// Reads the workload of the connection's database. Fails (kind and fix in the message) when
/// pg_stat_statements is not created in the database or not preloaded, when the role cannot
/// read other users' statements, or when the connection is lost.
std::expected<analyzer::Workload, DbError> read_workload(Connection& connection,
                                                         const ReadOptions& options,
                                                         const Progress& progress = {});

/// The SELECT over pg_stat_statements (in `schema`, already quoted) for the columns the
/// installed version has: total_exec_time/mean_exec_time (13+) or total_time/mean_time,
/// toplevel (14+). Parameters: $1 min calls, $2 min mean ms, $3 limit, $4 marker prefix.
/// Fails with a message naming the missing column when `columns` lacks a required one.
std::expected<std::string, std::string> statements_sql(std::string_view schema,
                                                       const std::vector<std::string>& columns);

/// Splits a one-dimensional PostgreSQL array literal ("{a,\"b c\",NULL}") into its elements;
/// NULL elements become "NULL", nested arrays stay as their text. Never throws.
std::vector<std::string> parse_array_literal(std::string_view literal);

/// Lower-cased identifiers (bare words and "quoted" names, by sqlparse's lexer) that occur in
/// `sql`, sorted and unique: what the reader uses to decide which tables a workload touches.
std::vector<std::string> identifiers_in(std::string_view sql);

/// True when `text` is as long as track_activity_query_size allows (`limit_bytes` - 1), so
/// it may have been cut. The reader marks a statement truncated when this holds and the text
/// does not parse.
bool looks_truncated(std::string_view text, std::int64_t limit_bytes);

} // namespace dbadvise::db
