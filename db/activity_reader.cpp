#include "db/activity_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <functional>

namespace dbadvise::db {

namespace {

using analyzer::ServerActivity;

std::optional<double> optional_number(const Result& result, int row, std::string_view column) {
    if (result.is_null(row, result.column(column))) return std::nullopt;
    return result.number(row, column);
}

std::vector<int> json_ints(std::string_view text) {
    std::vector<int> out;
    if (text.empty()) return out;
    const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_array()) return out;
    for (const auto& item : parsed)
        if (item.is_number_integer()) out.push_back(item.get<int>());
    return out;
}

// Client backends of every database but this session. clock_timestamp(), not now(): the
// reading transaction began a moment ago. pg_blocking_pids() only for sessions waiting on a
// heavyweight lock: it takes the lock manager's partition locks, so it is not called for
// every session. No query text: it would carry the application's values.
std::string sessions_sql(int version) {
    return fmt::format(
        "SELECT a.pid, coalesce(a.datname, '') AS database, coalesce(a.usename, '') AS username, "
        "coalesce(a.application_name, '') AS application, coalesce(a.state, '') AS state, "
        "extract(epoch FROM clock_timestamp() - a.backend_start)::float8 AS backend_age_s, "
        "extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS xact_age_s, "
        "extract(epoch FROM clock_timestamp() - a.state_change)::float8 AS state_age_s, "
        "age(a.backend_xmin) AS xmin_age, coalesce(a.wait_event_type, '') AS wait_event_type, "
        "coalesce(a.wait_event, '') AS wait_event, "
        "CASE WHEN a.wait_event_type = 'Lock' THEN array_to_json(pg_catalog.pg_blocking_pids(a.pid)) END "
        "AS blocked_by, {} AS queryid "
        "FROM pg_catalog.pg_stat_activity a "
        "WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid() ORDER BY a.pid",
        version >= 140000 ? "coalesce(a.query_id::text, '')" : "''");
}

std::expected<void, DbError> read_sessions(Connection& connection, int version, ServerActivity& activity) {
    auto rows = connection.query(sessions_sql(version), {}, "reading pg_stat_activity");
    if (!rows) return std::unexpected(rows.error());
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::ClientSession session;
        session.pid = static_cast<int>(rows->int64(row, "pid"));
        session.database = std::string(rows->text(row, "database"));
        session.user = std::string(rows->text(row, "username"));
        session.application = std::string(rows->text(row, "application"));
        session.state = std::string(rows->text(row, "state"));
        session.backend_age_s = rows->number(row, "backend_age_s");
        session.xact_age_s = optional_number(*rows, row, "xact_age_s");
        session.state_age_s = optional_number(*rows, row, "state_age_s");
        if (!rows->is_null(row, rows->column("xmin_age"))) session.xmin_age = rows->int64(row, "xmin_age");
        session.wait_event_type = std::string(rows->text(row, "wait_event_type"));
        session.wait_event = std::string(rows->text(row, "wait_event"));
        session.blocked_by = json_ints(rows->text(row, "blocked_by"));
        session.queryid = std::string(rows->text(row, "queryid"));
        activity.sessions.push_back(std::move(session));
    }
    return {};
}

// The statistics windows, and the session counters that 14 added to pg_stat_database. A
// database whose statistics were never reset counts from the server's start.
std::expected<void, DbError> read_counters(Connection& connection, int version, ServerActivity& activity) {
    const bool counters = version >= 140000;
    auto rows = connection.query(
        fmt::format("SELECT extract(epoch FROM clock_timestamp() - coalesce(d.stats_reset, "
                    "pg_catalog.pg_postmaster_start_time()))::float8 AS window_s{} "
                    "FROM pg_catalog.pg_stat_database d WHERE d.datname = pg_catalog.current_database()",
                    counters ? ", d.sessions, d.session_time, d.active_time, d.idle_in_transaction_time, "
                               "d.sessions_abandoned, d.sessions_fatal, d.sessions_killed"
                             : ""),
        {}, "reading pg_stat_database");
    if (!rows) return std::unexpected(rows.error());
    if (rows->rows() != 1) return {};
    activity.stats_window_s = rows->number(0, "window_s");
    if (counters) {
        analyzer::SessionCounters c;
        c.sessions = rows->int64(0, "sessions");
        c.session_time_ms = rows->number(0, "session_time");
        c.active_time_ms = rows->number(0, "active_time");
        c.idle_in_transaction_time_ms = rows->number(0, "idle_in_transaction_time");
        c.abandoned = rows->int64(0, "sessions_abandoned");
        c.fatal = rows->int64(0, "sessions_fatal");
        c.killed = rows->int64(0, "sessions_killed");
        activity.session_counters = c;
    }
    return {};
}

// pg_stat_statements_info (extension 1.9, PostgreSQL 14+): when its counters were last reset
// as a whole. A reset of one database's entries does not move it.
std::expected<void, DbError> read_statements_window(Connection& connection, int version,
                                                    ServerActivity& activity) {
    if (version < 140000) return {};
    auto where = connection.query(
        "SELECT quote_ident(n.nspname) AS schema FROM pg_catalog.pg_extension e "
        "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_stat_statements' "
        "AND to_regclass(quote_ident(n.nspname) || '.pg_stat_statements_info') IS NOT NULL",
        {}, "reading pg_extension");
    if (!where) return std::unexpected(where.error());
    if (where->rows() == 0) return {};
    auto rows = connection.query(
        fmt::format("SELECT extract(epoch FROM clock_timestamp() - stats_reset)::float8 AS window_s "
                    "FROM {}.pg_stat_statements_info",
                    where->text(0, "schema")),
        {}, "reading pg_stat_statements_info");
    if (!rows) return std::unexpected(rows.error());
    if (rows->rows() == 1) activity.statements_window_s = optional_number(*rows, 0, "window_s");
    return {};
}

// Transaction ID ages: every database that accepts connections, and this database's 20 tables
// (and materialized views) closest to their forced freeze. A table's own
// autovacuum_freeze_max_age (reloptions) can only lower the server's.
std::expected<void, DbError> read_freeze_ages(Connection& connection, ServerActivity& activity) {
    auto databases = connection.query(
        "SELECT datname, age(datfrozenxid)::bigint AS age, "
        "current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age "
        "FROM pg_catalog.pg_database WHERE datallowconn ORDER BY 2 DESC, 1",
        {}, "reading pg_database");
    if (!databases) return std::unexpected(databases.error());
    for (int row = 0; row < databases->rows(); ++row) {
        activity.databases.push_back({"", std::string(databases->text(row, "datname")),
                                      databases->int64(row, "age"), databases->int64(row, "freeze_max_age"), 0});
    }
    auto tables = connection.query(
        "SELECT * FROM (SELECT n.nspname AS schema, c.relname AS name, age(c.relfrozenxid)::bigint AS age, "
        "least(current_setting('autovacuum_freeze_max_age')::bigint, coalesce((SELECT "
        "o.option_value::bigint FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE "
        "o.option_name = 'autovacuum_freeze_max_age'), current_setting('autovacuum_freeze_max_age')::bigint)) "
        "AS freeze_max_age, "
        "greatest(c.relpages, 0)::bigint * current_setting('block_size')::bigint AS size_bytes "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'm') AND c.relfrozenxid::text <> '0') t "
        "ORDER BY t.age::float8 / greatest(t.freeze_max_age, 1) DESC, t.schema, t.name LIMIT 20",
        {}, "reading the tables' transaction ID ages (pg_class)");
    if (!tables) return std::unexpected(tables.error());
    for (int row = 0; row < tables->rows(); ++row) {
        activity.tables.push_back({std::string(tables->text(row, "schema")), std::string(tables->text(row, "name")),
                                   tables->int64(row, "age"), tables->int64(row, "freeze_max_age"),
                                   tables->int64(row, "size_bytes")});
    }
    return {};
}

// Sequences the role may read, with the column that owns them (serial: pg_depend 'a',
// identity: 'i'). pg_sequence_last_value() opens the sequence with a row-exclusive lock, the
// lock nextval() takes: sequences on which another session holds or awaits a lock that
// conflicts with it (ALTER SEQUENCE, DROP) are left out, so the read never queues behind one.
std::expected<void, DbError> read_sequences(Connection& connection, ServerActivity& activity) {
    auto rows = connection.query(
        "SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS data_type, "
        "pg_catalog.pg_sequence_last_value(c.oid) AS last_value, s.seqmin, s.seqmax, s.seqincrement, "
        "coalesce(quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname), '') "
        "AS column_name, coalesce(format_type(a.atttypid, a.atttypmod), '') AS column_type "
        "FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid "
        "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
        "LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE NOT pg_catalog.pg_is_other_temp_schema(n.oid) "
        "AND pg_catalog.has_sequence_privilege(c.oid, 'SELECT,USAGE') "
        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'relation' "
        "AND l.relation = c.oid AND l.pid <> pg_catalog.pg_backend_pid() AND l.mode IN ('ShareLock', "
        "'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')) "
        "ORDER BY 1, 2",
        {}, "reading sequences (pg_sequence)");
    if (!rows) return std::unexpected(rows.error());
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::SequenceUse sequence;
        sequence.schema = std::string(rows->text(row, "schema"));
        sequence.name = std::string(rows->text(row, "name"));
        sequence.data_type = std::string(rows->text(row, "data_type"));
        if (!rows->is_null(row, rows->column("last_value"))) sequence.last_value = rows->int64(row, "last_value");
        sequence.min_value = rows->int64(row, "seqmin");
        sequence.max_value = rows->int64(row, "seqmax");
        sequence.increment = rows->int64(row, "seqincrement");
        sequence.column = std::string(rows->text(row, "column_name"));
        sequence.column_type = std::string(rows->text(row, "column_type"));
        activity.sequences.push_back(std::move(sequence));
    }
    return {};
}

// Runs one part under a savepoint: a failure other than a lost connection is rolled back and
// recorded, and the caller's transaction goes on.
std::expected<void, DbError> part(Connection& connection, std::string_view what, ServerActivity& activity,
                                  const std::function<std::expected<void, DbError>()>& read) {
    if (auto saved = connection.execute("SAVEPOINT dbadvise_activity", "reading server activity"); !saved)
        return std::unexpected(saved.error());
    auto done = read();
    if (!done) {
        if (done.error().kind == DbError::Kind::connection_lost) return std::unexpected(done.error());
        activity.unavailable.push_back(
            fmt::format("{}: {}", what, done.error().server_message.empty() ? done.error().message
                                                                          : done.error().server_message));
        if (auto undone = connection.execute("ROLLBACK TO SAVEPOINT dbadvise_activity", "reading server activity");
            !undone)
            return std::unexpected(undone.error());
    }
    if (auto released = connection.execute("RELEASE SAVEPOINT dbadvise_activity", "reading server activity");
        !released)
        return std::unexpected(released.error());
    return {};
}

} // namespace

std::expected<ServerActivity, DbError> read_server_activity(Connection& connection, int server_version_num) {
    ServerActivity activity;
    const int version = server_version_num;
    const std::pair<std::string_view, std::function<std::expected<void, DbError>()>> parts[] = {
        {"sessions (pg_stat_activity)", [&] { return read_sessions(connection, version, activity); }},
        {"session counters (pg_stat_database)", [&] { return read_counters(connection, version, activity); }},
        {"pg_stat_statements_info", [&] { return read_statements_window(connection, version, activity); }},
        {"transaction ID ages", [&] { return read_freeze_ages(connection, activity); }},
        {"sequences", [&] { return read_sequences(connection, activity); }},
    };
    for (const auto& [what, read] : parts) {
        if (auto done = part(connection, what, activity, read); !done) return std::unexpected(done.error());
    }
    return activity;
}

} // namespace dbadvise::db
