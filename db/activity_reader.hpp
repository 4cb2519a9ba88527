// Reads analyzer::ServerActivity from a live server: client sessions and what they wait for,
// pg_stat_database's session counters (14+), the statistics windows, transaction and
// multixact ID ages of databases and tables, prepared transactions with their locks, and
// sequences with their owning columns. Cheap catalog and statistics views only, read-only,
// inside the caller's read-only transaction; no query text is read (it would carry values).
// Version-aware: pg_stat_activity.query_id and the session counters on
// 14+, pg_stat_statements_info on 14+.
#pragma once

#include "analyzer/workload.hpp"
#include "db/connection.hpp"

#include <expected>

namespace dbadvise::db {

/// Reads what the server shows about sessions, transactions, locks and maintenance. Each part
/// is read under a savepoint: a part the role may not read, or a sequence another session
/// locks past lock_timeout, is left out and named in ServerActivity::unavailable, and the rest
/// is read. Fails only when the connection is lost. Must run inside a transaction.
/// `include_values` false (snapshot --no-values): the extremes of integer keys, data values
/// of pg_stats, are not read (IntegerKey::max_value and min_value stay empty).
std::expected<analyzer::ServerActivity, DbError> read_server_activity(Connection& connection,
                                                                      int server_version_num,
                                                                      bool include_values = true);

} // namespace dbadvise::db
