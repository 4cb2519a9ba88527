// EXPLAIN of a statement of the workload, with statement texts that leave no trace of the
// statement or its parameter values in pg_stat_statements.
//
// PostgreSQL 15 records a utility statement such as `EXPLAIN EXECUTE s('2024-07-02', 71)` with
// its text as it is: every new set of values would be a new pg_stat_statements entry (a run
// over many statements evicts the user's workload), and values drawn from pg_stats would be
// shown to every role that may read pg_stat_statements. So the statement is PREPAREd (which
// pg_stat_statements does not record), its values are set as transaction-local settings by
// one statement that takes them as a parameter, and a DO block whose text never changes runs
// the EXPLAIN EXECUTE, casting the settings to the parameter types, and hands the plan back
// through a setting. Every text dbadvise sends for this is the same for every statement and
// every value (so pg_stat_statements holds one entry for each, whatever the workload).
//
// Two variations. A session pg_stat_statements does not track (Connection::untracked) takes
// the short way: EXPLAIN EXECUTE with the values as literals. With track = all, which the role
// may not change, pg_stat_statements records the statements run inside the DO block as well
// (without dbadvise's marker) and each statement's execution under EXPLAIN: there EXPLAIN
// EXECUTE is sent directly, with the argument list that reads the settings back, so its text
// depends on the parameter types alone and carries the marker.
#pragma once

#include "db/connection.hpp"

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::db {

enum class ExplainMode {
    plan,    // EXPLAIN (FORMAT JSON): plans only
    analyze, // EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON): executes the statement
};

/// Whether `type` is one type name as PREPARE's type list takes it (names, dots, type
/// modifiers, array brackets): prepare_statement refuses any other, since the text of a
/// statement's casts reaches the type list.
bool is_one_type(std::string_view type);

/// `PREPARE name [(types)] AS sql` (a trailing `;` and white space removed). An empty type is
/// `unknown`, which PostgreSQL infers from context. `before` is dbadvise's own statements
/// sent ahead of it in the same round trip (`BEGIN READ ONLY; SET LOCAL ...` and
/// k_next_statement), or empty. Fails with the server's error, whose position
/// (DbError::position) is a byte offset into `sql`.
std::expected<void, DbError> prepare_statement(Connection& connection, std::string_view name,
                                               std::string_view sql,
                                               const std::vector<std::string>& types,
                                               std::string_view before = {});

/// The JSON text of EXPLAIN (`mode`) EXECUTE of the prepared statement `name` (which must be
/// one of dbadvise_plan, dbadvise_capture) with `values` for $1..$n: NULL where a value is
/// nullopt or missing. Run it inside a transaction: the settings it uses are local to it.
/// Fails with the server's error.
std::expected<std::string, DbError> explain_prepared(Connection& connection, std::string_view name,
                                                     const std::vector<Param>& values, ExplainMode mode);

} // namespace dbadvise::db
