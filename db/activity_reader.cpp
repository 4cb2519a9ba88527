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
        c.window_s = activity.stats_window_s;
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

// What read_id_ages() reads: transaction IDs or multixact IDs.
struct IdAges {
    std::string_view age;      // age, mxid_age
    std::string_view database; // pg_database's column: datfrozenxid, datminmxid
    std::string_view table;    // pg_class's column: relfrozenxid, relminmxid
    std::string_view setting;  // the server setting, also a table's reloption of that name
};

// Transaction (or multixact) ID ages: every database that accepts connections, and this
// database's 20 tables (and materialized views) closest to their forced freeze. A table's own
// setting (reloptions) can only lower the server's.
std::expected<void, DbError> read_id_ages(Connection& connection, const IdAges& ids,
                                          std::vector<analyzer::FreezeAge>& databases_out,
                                          std::vector<analyzer::FreezeAge>& tables_out) {
    auto databases = connection.query(
        fmt::format("SELECT datname, {0}({1})::bigint AS age, current_setting('{2}')::bigint AS freeze_max_age "
                    "FROM pg_catalog.pg_database WHERE datallowconn ORDER BY 2 DESC, 1",
                    ids.age, ids.database, ids.setting),
        {}, "reading pg_database");
    if (!databases) return std::unexpected(databases.error());
    for (int row = 0; row < databases->rows(); ++row) {
        databases_out.push_back({"", std::string(databases->text(row, "datname")), databases->int64(row, "age"),
                                 databases->int64(row, "freeze_max_age"), 0});
    }
    auto tables = connection.query(
        fmt::format("SELECT * FROM (SELECT n.nspname AS schema, c.relname AS name, {0}(c.{1})::bigint AS age, "
                    "least(current_setting('{2}')::bigint, coalesce((SELECT o.option_value::bigint FROM "
                    "pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = '{2}'), "
                    "current_setting('{2}')::bigint)) AS freeze_max_age, "
                    "greatest(c.relpages, 0)::bigint * current_setting('block_size')::bigint AS size_bytes "
                    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'm') AND c.{1}::text <> '0') t "
                    "ORDER BY t.age::float8 / greatest(t.freeze_max_age, 1) DESC, t.schema, t.name LIMIT 20",
                    ids.age, ids.table, ids.setting),
        {},
        fmt::format("reading the tables' {} ages (pg_class)", ids.age == "age" ? "transaction ID" : "multixact ID"));
    if (!tables) return std::unexpected(tables.error());
    for (int row = 0; row < tables->rows(); ++row) {
        tables_out.push_back({std::string(tables->text(row, "schema")), std::string(tables->text(row, "name")),
                              tables->int64(row, "age"), tables->int64(row, "freeze_max_age"),
                              tables->int64(row, "size_bytes")});
    }
    return {};
}

// Transactions prepared for two-phase commit, in every database, and the locks each holds. A
// prepared transaction's locks are in pg_locks under no pid, with the virtual transaction of
// its transaction ID's lock; pg_locks is read only when there are prepared transactions
// (usually none). The gid is the application's name for the transaction, shown as it is.
std::expected<void, DbError> read_prepared(Connection& connection, ServerActivity& activity) {
    auto rows = connection.query(
        "SELECT p.transaction::text AS xid, p.gid, coalesce(p.database::text, '') AS database, "
        "coalesce(p.owner::text, '') AS owner, extract(epoch FROM clock_timestamp() - p.prepared)::float8 AS age_s, "
        "age(p.transaction)::bigint AS xid_age FROM pg_catalog.pg_prepared_xacts p ORDER BY p.prepared, p.gid "
        "LIMIT 100",
        {}, "reading pg_prepared_xacts");
    if (!rows) return std::unexpected(rows.error());
    if (rows->rows() == 0) return {};
    auto locks = connection.query(
        "SELECT p.transaction::text AS xid, count(*) AS locks, coalesce(array_to_json(array_agg(DISTINCT "
        "quote_ident(n.nspname) || '.' || quote_ident(c.relname)) FILTER (WHERE c.oid IS NOT NULL))::text, '[]') "
        "AS relations FROM pg_catalog.pg_prepared_xacts p JOIN pg_catalog.pg_locks t ON t.pid IS NULL "
        "AND t.locktype = 'transactionid' AND t.transactionid = p.transaction "
        "JOIN pg_catalog.pg_locks k ON k.pid IS NULL AND k.virtualtransaction = t.virtualtransaction "
        "LEFT JOIN pg_catalog.pg_class c ON c.oid = k.relation AND k.database = (SELECT d.oid FROM "
        "pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) "
        "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace GROUP BY p.transaction::text",
        {}, "reading the locks of prepared transactions (pg_locks)");
    if (!locks) return std::unexpected(locks.error());
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::PreparedTransaction prepared;
        prepared.gid = std::string(rows->text(row, "gid"));
        prepared.database = std::string(rows->text(row, "database"));
        prepared.owner = std::string(rows->text(row, "owner"));
        prepared.age_s = rows->number(row, "age_s");
        prepared.xid_age = rows->int64(row, "xid_age");
        for (int held = 0; held < locks->rows(); ++held) {
            if (locks->text(held, "xid") != rows->text(row, "xid")) continue;
            prepared.locks = locks->int64(held, "locks");
            const nlohmann::json relations = nlohmann::json::parse(locks->text(held, "relations"), nullptr, false);
            if (relations.is_array())
                for (const auto& relation : relations)
                    if (relation.is_string()) prepared.relations.push_back(relation.get<std::string>());
        }
        activity.prepared.push_back(std::move(prepared));
    }
    return {};
}

// The tables whose dead tuples are past their own autovacuum trigger (reloptions, else the
// server's settings; reltuples counted as 0 while unknown, as autovacuum does), furthest past it
// first, at most 50.
std::expected<void, DbError> read_vacuum(Connection& connection, ServerActivity& activity) {
    auto rows = connection.query(
        "SELECT * FROM (SELECT s.schemaname AS schema, s.relname AS name, greatest(c.reltuples, 0)::float8 AS "
        "reltuples, s.n_live_tup, s.n_dead_tup, coalesce((SELECT o.option_value::bigint FROM "
        "pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'autovacuum_vacuum_threshold'), "
        "current_setting('autovacuum_vacuum_threshold')::bigint) AS threshold, coalesce((SELECT "
        "o.option_value::float8 FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = "
        "'autovacuum_vacuum_scale_factor'), current_setting('autovacuum_vacuum_scale_factor')::float8) AS "
        "scale_factor, coalesce((SELECT o.option_value::boolean FROM pg_catalog.pg_options_to_table(c.reloptions) o "
        "WHERE o.option_name = 'autovacuum_enabled'), true) AS table_autovacuum, "
        "extract(epoch FROM clock_timestamp() - greatest(s.last_vacuum, s.last_autovacuum))::float8 AS vacuumed_age_s, "
        "extract(epoch FROM clock_timestamp() - s.last_autovacuum)::float8 AS autovacuumed_age_s, "
        "greatest(c.relpages, 0)::bigint * current_setting('block_size')::bigint AS size_bytes "
        "FROM pg_catalog.pg_stat_user_tables s JOIN pg_catalog.pg_class c ON c.oid = s.relid "
        "WHERE s.n_dead_tup > 0) t WHERE t.n_dead_tup > t.threshold + t.scale_factor * t.reltuples "
        "ORDER BY t.n_dead_tup / (t.threshold + t.scale_factor * t.reltuples + 1) DESC, t.schema, t.name LIMIT 50",
        {}, "reading the tables' dead tuples (pg_stat_user_tables)");
    if (!rows) return std::unexpected(rows.error());
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::VacuumState table;
        table.schema = std::string(rows->text(row, "schema"));
        table.name = std::string(rows->text(row, "name"));
        table.reltuples = rows->number(row, "reltuples");
        table.n_live_tup = rows->int64(row, "n_live_tup");
        table.n_dead_tup = rows->int64(row, "n_dead_tup");
        table.vacuum_threshold = rows->int64(row, "threshold");
        table.vacuum_scale_factor = rows->number(row, "scale_factor");
        table.table_autovacuum = rows->boolean(row, "table_autovacuum");
        table.vacuumed_age_s = optional_number(*rows, row, "vacuumed_age_s");
        table.autovacuumed_age_s = optional_number(*rows, row, "autovacuumed_age_s");
        table.size_bytes = rows->int64(row, "size_bytes");
        activity.vacuum.push_back(std::move(table));
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
        // has_sequence_privilege() raises an error on a relation that is not a sequence, and the
        // planner may apply this filter to pg_class before the join with pg_sequence (it did once
        // the database had a few more tables): CASE keeps it to sequences.
        "AND CASE WHEN c.relkind = 'S' THEN pg_catalog.has_sequence_privilege(c.oid, 'SELECT,USAGE') END "
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

// Single-column primary and unique keys of type smallint or integer that no owned sequence
// (serial, 'a') or identity feeds, with the extremes pg_stats saw in them: the histogram's and
// the most common values' (the statistics of a partitioned table's whole tree for its parent;
// partitions are left to it), the 50 closest to their type's limits. The table itself is never
// read.
std::expected<void, DbError> read_integer_keys(Connection& connection, bool include_values,
                                               ServerActivity& activity) {
    // Without values (snapshot --no-values) pg_stats' bounds are not read: the extremes are
    // data values, and the keys are kept with none (integer-key-near-max then skips them).
    const std::string_view extremes =
        include_values
            ? "LEFT JOIN LATERAL (SELECT (SELECT max(b) FROM unnest(coalesce(s.histogram_bounds::text::bigint[], '{}') || "
              "coalesce(s.most_common_vals::text::bigint[], '{}')) b) AS max_value, (SELECT min(b) FROM "
              "unnest(coalesce(s.histogram_bounds::text::bigint[], '{}') || coalesce(s.most_common_vals::text::bigint[], "
              "'{}')) b) AS min_value FROM pg_catalog.pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = "
              "c.relname AND s.attname = a.attname ORDER BY s.inherited LIMIT 1) v ON true "
            : "CROSS JOIN LATERAL (SELECT NULL::bigint AS max_value, NULL::bigint AS min_value) v ";
    auto rows = connection.query(
        std::string("SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS column_name, "
        "format_type(a.atttypid, NULL) AS type, i.relname AS index_name, v.max_value, v.min_value, "
        "extract(epoch FROM clock_timestamp() - greatest(st.last_analyze, st.last_autoanalyze))::float8 "
        "AS analyzed_age_s "
        "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_catalog.pg_class c ON c.oid = x.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0] "
        "LEFT JOIN pg_catalog.pg_stat_all_tables st ON st.relid = c.oid ") + std::string(extremes) +
            "WHERE x.indisunique AND x.indnatts = 1 AND x.indkey[0] <> 0 AND x.indpred IS NULL "
        "AND a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype) "
        "AND a.attidentity = '' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' "
        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class q ON q.oid = d.objid "
        "AND q.relkind = 'S' WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
        "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid "
        "AND d.refobjsubid = a.attnum AND d.deptype IN ('a', 'i')) "
        "ORDER BY greatest(coalesce(v.max_value, 0)::float8 / CASE WHEN a.atttypid = "
        "'pg_catalog.int2'::pg_catalog.regtype THEN 32767 ELSE 2147483647 END, coalesce(v.min_value, 0)::float8 / "
        "CASE WHEN a.atttypid = 'pg_catalog.int2'::pg_catalog.regtype THEN -32768 ELSE -2147483648 END) DESC, "
        "1, 2, 3, 5 LIMIT 50",
        {}, "reading integer keys and their statistics (pg_index, pg_stats)");
    if (!rows) return std::unexpected(rows.error());
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::IntegerKey key;
        key.schema = std::string(rows->text(row, "schema"));
        key.table = std::string(rows->text(row, "table_name"));
        key.column = std::string(rows->text(row, "column_name"));
        key.type = std::string(rows->text(row, "type"));
        key.index = std::string(rows->text(row, "index_name"));
        if (!rows->is_null(row, rows->column("max_value"))) key.max_value = rows->int64(row, "max_value");
        if (!rows->is_null(row, rows->column("min_value"))) key.min_value = rows->int64(row, "min_value");
        key.analyzed_age_s = optional_number(*rows, row, "analyzed_age_s");
        activity.integer_keys.push_back(std::move(key));
    }
    return {};
}

// The 50 largest tables (and materialized views) of at least 1,000 pages, with what their size
// should be: row count, fillfactor, each live column's alignment (pg_type) and, from pg_stats,
// its average width and null fraction.
std::expected<void, DbError> read_footprints(Connection& connection, ServerActivity& activity) {
    auto rows = connection.query(
        "SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples, c.relpages::bigint AS "
        "relpages, current_setting('block_size')::int AS block_size, coalesce((SELECT o.option_value::int FROM "
        "pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'fillfactor'), 100) AS fillfactor, "
        "a.columns, a.max_padding, s.with_stats, s.data_width, s.nullable, "
        "extract(epoch FROM clock_timestamp() - greatest(st.last_analyze, st.last_autoanalyze, st.last_vacuum, "
        "st.last_autovacuum))::float8 AS analyzed_age_s "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_stat_all_tables st ON st.relid = c.oid "
        "CROSS JOIN LATERAL (SELECT count(*) AS columns, coalesce(sum(CASE t.typalign WHEN 'd' THEN 7 WHEN 'i' "
        "THEN 3 WHEN 's' THEN 1 ELSE 0 END), 0) AS max_padding FROM pg_catalog.pg_attribute at JOIN "
        "pg_catalog.pg_type t ON t.oid = at.atttypid WHERE at.attrelid = c.oid AND at.attnum > 0 AND NOT "
        "at.attisdropped) a "
        "CROSS JOIN LATERAL (SELECT count(*) AS with_stats, coalesce(sum((1 - ps.null_frac) * ps.avg_width), "
        "0)::float8 AS data_width, coalesce(bool_or(ps.null_frac > 0), false) AS nullable FROM pg_catalog.pg_stats "
        "ps WHERE ps.schemaname = n.nspname AND ps.tablename = c.relname AND NOT ps.inherited) s "
        "WHERE c.relkind IN ('r', 'm') AND c.relpages >= 1000 AND c.reltuples >= 0 "
        "AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' "
        "ORDER BY c.relpages DESC, 1, 2 LIMIT 50",
        {}, "reading the tables' sizes and column statistics (pg_class, pg_stats)");
    if (!rows) return std::unexpected(rows.error());
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::TableFootprint table;
        table.schema = std::string(rows->text(row, "schema"));
        table.name = std::string(rows->text(row, "name"));
        table.reltuples = rows->number(row, "reltuples");
        table.relpages = rows->int64(row, "relpages");
        table.block_size = static_cast<int>(rows->int64(row, "block_size"));
        table.fillfactor = static_cast<int>(rows->int64(row, "fillfactor"));
        table.columns = static_cast<int>(rows->int64(row, "columns"));
        table.max_padding = static_cast<int>(rows->int64(row, "max_padding"));
        table.columns_with_stats = static_cast<int>(rows->int64(row, "with_stats"));
        table.data_width = rows->number(row, "data_width");
        table.nullable = rows->boolean(row, "nullable");
        table.analyzed_age_s = optional_number(*rows, row, "analyzed_age_s");
        activity.footprints.push_back(std::move(table));
    }
    return {};
}

// The 50 largest valid btree indexes of at least 1,000 pages on tables and materialized views,
// without expressions, with what their size should be: entry count, fillfactor, each column's
// alignment (the first column starts aligned: only the others can be padded) and, from the
// table's pg_stats, its average width and null fraction.
std::expected<void, DbError> read_index_footprints(Connection& connection, ServerActivity& activity) {
    auto rows = connection.query(
        "SELECT n.nspname AS schema, ic.relname AS name, tn.nspname AS table_schema, tc.relname AS table_name, "
        "ic.reltuples::float8 AS reltuples, ic.relpages::bigint AS relpages, "
        "current_setting('block_size')::int AS block_size, coalesce((SELECT o.option_value::int FROM "
        "pg_catalog.pg_options_to_table(ic.reloptions) o WHERE o.option_name = 'fillfactor'), 90) AS fillfactor, "
        "k.columns, k.with_stats, k.data_width, k.nullable, k.max_padding, "
        "extract(epoch FROM clock_timestamp() - greatest(st.last_analyze, st.last_autoanalyze, st.last_vacuum, "
        "st.last_autovacuum))::float8 AS analyzed_age_s "
        "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace "
        "JOIN pg_catalog.pg_am am ON am.oid = ic.relam AND am.amname = 'btree' "
        "JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = "
        "tc.relnamespace LEFT JOIN pg_catalog.pg_stat_all_tables st ON st.relid = tc.oid "
        "CROSS JOIN LATERAL (SELECT count(*) AS columns, count(ps.attname) AS with_stats, "
        "coalesce(sum((1 - ps.null_frac) * ps.avg_width), 0)::float8 AS data_width, "
        "coalesce(bool_or(ps.null_frac > 0), false) AS nullable, coalesce(sum(CASE t.typalign WHEN 'd' THEN 7 "
        "WHEN 'i' THEN 3 WHEN 's' THEN 1 ELSE 0 END) FILTER (WHERE key.position > 1), 0) AS max_padding "
        "FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS key(attnum, position) JOIN pg_catalog.pg_attribute a ON a.attrelid = tc.oid "
        "AND a.attnum = key.attnum JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_catalog.pg_stats ps ON ps.schemaname = tn.nspname AND ps.tablename = tc.relname "
        "AND ps.attname = a.attname AND NOT ps.inherited) k "
        "WHERE i.indisvalid AND i.indexprs IS NULL AND tc.relkind IN ('r', 'm') AND ic.relpages >= 1000 "
        "AND ic.reltuples >= 0 AND tn.nspname <> 'information_schema' AND tn.nspname !~ '^pg_' "
        "ORDER BY ic.relpages DESC, 1, 2 LIMIT 50",
        {}, "reading the btree indexes' sizes and column statistics (pg_class, pg_index, pg_stats)");
    if (!rows) return std::unexpected(rows.error());
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::IndexFootprint index;
        index.schema = std::string(rows->text(row, "schema"));
        index.name = std::string(rows->text(row, "name"));
        index.table_schema = std::string(rows->text(row, "table_schema"));
        index.table = std::string(rows->text(row, "table_name"));
        index.reltuples = rows->number(row, "reltuples");
        index.relpages = rows->int64(row, "relpages");
        index.block_size = static_cast<int>(rows->int64(row, "block_size"));
        index.fillfactor = static_cast<int>(rows->int64(row, "fillfactor"));
        index.columns = static_cast<int>(rows->int64(row, "columns"));
        index.columns_with_stats = static_cast<int>(rows->int64(row, "with_stats"));
        index.data_width = rows->number(row, "data_width");
        index.nullable = rows->boolean(row, "nullable");
        index.max_padding = static_cast<int>(rows->int64(row, "max_padding"));
        index.analyzed_age_s = optional_number(*rows, row, "analyzed_age_s");
        activity.index_footprints.push_back(std::move(index));
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

std::expected<ServerActivity, DbError> read_server_activity(Connection& connection, int server_version_num,
                                                            bool include_values) {
    ServerActivity activity;
    const int version = server_version_num;
    const std::pair<std::string_view, std::function<std::expected<void, DbError>()>> parts[] = {
        {"sessions (pg_stat_activity)", [&] { return read_sessions(connection, version, activity); }},
        {"session counters (pg_stat_database)", [&] { return read_counters(connection, version, activity); }},
        {"pg_stat_statements_info", [&] { return read_statements_window(connection, version, activity); }},
        {"transaction ID ages",
         [&] {
             return read_id_ages(connection, {"age", "datfrozenxid", "relfrozenxid", "autovacuum_freeze_max_age"},
                                 activity.databases, activity.tables);
         }},
        {"multixact ID ages",
         [&] {
             return read_id_ages(connection,
                                 {"mxid_age", "datminmxid", "relminmxid", "autovacuum_multixact_freeze_max_age"},
                                 activity.multixact_databases, activity.multixact_tables);
         }},
        {"prepared transactions (pg_prepared_xacts)", [&] { return read_prepared(connection, activity); }},
        {"dead tuples against the autovacuum trigger", [&] { return read_vacuum(connection, activity); }},
        {"sequences", [&] { return read_sequences(connection, activity); }},
        {"integer keys", [&] { return read_integer_keys(connection, include_values, activity); }},
        {"table sizes and column statistics", [&] { return read_footprints(connection, activity); }},
        {"btree index sizes and column statistics", [&] { return read_index_footprints(connection, activity); }},
    };
    for (const auto& [what, read] : parts) {
        if (auto done = part(connection, what, activity, read); !done) return std::unexpected(done.error());
    }
    return activity;
}

} // namespace dbadvise::db
