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
    int top = 50; // statements with the most total time; 0: every statement
    std::int64_t min_calls = 1;
    double min_mean_ms = 0;
    /// Read the data values of pg_stats (most common values, histogram bounds); without them
    /// only their frequencies and counts are read (snapshot --no-values).
    bool include_values = true;
    /// The workload's statements when they come from elsewhere (analyze --queries: a query
    /// file or a server log): pg_stat_statements is not read (it need not be installed), and
    /// the catalog and pg_stats are read for these statements instead.
    const std::vector<analyzer::WorkloadStatement>* statements = nullptr;
};

using Progress = std::function<void(std::string_view)>;

/// Reads the workload of the connection's database, and when and where it was captured
/// (Workload::capture: the server's clock, system identifier, pg_stat_statements_info, ...),
/// with every column of pg_stat_statements. Fails (kind and fix in the message) when
/// pg_stat_statements is not created in the database or not preloaded, when the role cannot
/// read other users' statements, or when the connection is lost.
std::expected<analyzer::Workload, DbError> read_workload(Connection& connection,
                                                         const ReadOptions& options,
                                                         const Progress& progress = {});

/// Other sessions' ACCESS EXCLUSIVE locks, granted or awaited, on the tables of `workload`
/// (by schema and name), their indexes and partitions, as read_workload finds them: for a
/// workload read elsewhere (a snapshot) whose statements are planned on this connection.
std::expected<std::vector<analyzer::RelationLock>, DbError> read_table_locks(Connection& connection,
                                                                           const analyzer::Workload& workload);

/// The SELECT of every column (s.*) of pg_stat_statements (in `schema`, already quoted) of
/// the current database, ordered by total_exec_time (13+) or total_time, then queryid, userid
/// and toplevel (14+). Parameters: $1 min calls, $2 min mean ms, $3 limit (NULL: all),
/// $4 marker prefix. Fails with a message naming the missing column when `columns` lacks one
/// analyze needs (analyzer::check_statement_columns).
std::expected<std::string, std::string> statements_sql(std::string_view schema,
                                                       const std::vector<std::string>& columns);

/// Splits a one-dimensional PostgreSQL array literal ("{a,\"b c\",NULL}") into its elements;
/// NULL elements become "NULL", nested arrays stay as their text. Never throws.
std::vector<std::string> parse_array_literal(std::string_view literal);

/// Lower-cased identifiers (bare words and "quoted" names, by sqlparse's lexer) that occur in
/// `sql`, sorted and unique: what the reader uses to decide which tables a workload touches.
std::vector<std::string> identifiers_in(std::string_view sql);

} // namespace dbadvise::db
