#include "db/workload_reader.hpp"

#include "db/activity_reader.hpp"
#include "analyzer/statement_columns.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/parser.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace dbadvise::db {

namespace {

using analyzer::Workload;

// The settings analyze reports on or plans with. Custom ones (pg_stat_statements.*) only
// show in pg_settings when their library is loaded.
const std::vector<std::string> k_settings = {
    "autovacuum", "autovacuum_freeze_max_age", "block_size", "compute_query_id",
    "default_statistics_target", "effective_cache_size", "effective_io_concurrency",
    "idle_in_transaction_session_timeout", "jit", "maintenance_work_mem", "max_connections",
    "max_parallel_workers", "max_parallel_workers_per_gather", "max_worker_processes",
    "pg_stat_statements.max", "pg_stat_statements.track", "pg_stat_statements.track_planning",
    "plan_cache_mode", "random_page_cost", "reserved_connections", "seq_page_cost",
    "shared_buffers", "superuser_reserved_connections", "track_activity_query_size",
    "track_io_timing", "work_mem",
};

std::string text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        for (const char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::vector<std::string> json_strings(std::string_view text) {
    std::vector<std::string> out;
    const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_array()) return out;
    for (const auto& item : parsed) out.push_back(item.is_string() ? item.get<std::string>() : item.dump());
    return out;
}

std::vector<double> numbers(const std::vector<std::string>& texts) {
    std::vector<double> out;
    out.reserve(texts.size());
    for (const std::string& text : texts) out.push_back(std::strtod(text.c_str(), nullptr));
    return out;
}

// A step of the reader: the query and what it reads, for messages.
std::expected<Result, DbError> run(Connection& connection, std::string_view sql,
                                   const std::vector<Param>& params, std::string_view what) {
    return connection.query(sql, params, fmt::format("reading {}", what));
}

struct StatementsSource {
    std::string schema;   // quoted schema of the extension
    std::string version;  // extversion
    std::vector<analyzer::StatementColumn> columns; // of the view, in order
    std::string sql;
};

std::expected<StatementsSource, DbError> locate_pg_stat_statements(Connection& connection,
                                                                   const std::string& database) {
    auto ext = run(connection,
                   "SELECT quote_ident(n.nspname) AS schema, e.extversion FROM pg_extension e "
                   "JOIN pg_namespace n ON n.oid = e.extnamespace "
                   "WHERE e.extname = 'pg_stat_statements'",
                   {}, "pg_extension");
    if (!ext) return std::unexpected(ext.error());
    if (ext->rows() == 0) {
        return std::unexpected(DbError{
            DbError::Kind::missing_extension,
            fmt::format("pg_stat_statements is not installed in database \"{}\": run `CREATE "
                        "EXTENSION pg_stat_statements;` in it as a superuser (the server must "
                        "also have pg_stat_statements in shared_preload_libraries)",
                        database),
            {}});
    }
    StatementsSource source{
        std::string(ext->text(0, "schema")), std::string(ext->text(0, "extversion")), {}, {}};
    // Every column the installed version has, with its type: snapshots keep them all.
    auto columns = run(connection,
                       fmt::format("SELECT attname, format_type(atttypid, atttypmod) AS type "
                                   "FROM pg_attribute WHERE attrelid = "
                                   "'{}.pg_stat_statements'::regclass AND attnum > 0 AND NOT "
                                   "attisdropped ORDER BY attnum",
                                   source.schema),
                       {}, "the columns of pg_stat_statements");
    if (!columns) return std::unexpected(columns.error());
    std::vector<std::string> names;
    for (int row = 0; row < columns->rows(); ++row) {
        names.emplace_back(columns->text(row, "attname"));
        source.columns.push_back({names.back(), std::string(columns->text(row, "type"))});
    }
    auto sql = statements_sql(source.schema, names);
    if (!sql) return std::unexpected(DbError{DbError::Kind::query, sql.error(), {}});
    source.sql = *sql;
    return source;
}

// A view that needs shared_preload_libraries fails with this message (SQLSTATE 55000).
DbError explain_statements_error(DbError error) {
    if (error.kind == DbError::Kind::connection_lost) return error;
    if (error.message.find("shared_preload_libraries") != std::string::npos) {
        error.kind = DbError::Kind::not_preloaded;
        error.message =
            "pg_stat_statements is created in the database but its library is not loaded: add "
            "it to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = "
            "'pg_stat_statements'; or edit postgresql.conf, keeping any libraries already "
            "listed) and restart the server";
        return error;
    }
    if (error.kind == DbError::Kind::permission) {
        error.message += "; grant the role pg_read_all_stats (GRANT pg_read_all_stats TO <role>;)";
    }
    return error;
}

// pg_stat_statements_info (14+): how many entries were evicted since the last reset of all
// entries, and when that was. A window between two captures checks both.
std::expected<void, DbError> read_statements_info(Connection& connection, const std::string& schema,
                                                  Workload& workload) {
    auto exists =
        run(connection,
            fmt::format("SELECT to_regclass('{}.pg_stat_statements_info') IS NOT NULL AS present",
                        schema),
            {}, "pg_stat_statements_info");
    if (!exists)
        return std::unexpected(exists.error());
    if (!exists->boolean(0, "present"))
        return {};
    auto info =
        run(connection,
            fmt::format(
                "SELECT dealloc, stats_reset::text AS stats_reset FROM {}.pg_stat_statements_info",
                schema),
            {}, "pg_stat_statements_info");
    if (!info)
        return std::unexpected(explain_statements_error(info.error()));
    if (info->rows() == 1) {
        workload.capture.statements_dealloc = info->int64(0, "dealloc");
        workload.capture.statements_reset = std::string(info->text(0, "stats_reset"));
    }
    return {};
}

std::expected<void, DbError> read_statements(Connection& connection, const ReadOptions& options,
                                             Workload& workload) {
    auto source = locate_pg_stat_statements(connection, workload.database);
    if (!source) return std::unexpected(source.error());

    // Without pg_read_all_stats, other roles' statements keep their counters but show
    // "<insufficient privilege>" as text: analyzing the rest would rank the wrong statements.
    auto privilege = run(connection,
                         fmt::format("SELECT current_user AS role, (SELECT rolsuper FROM pg_roles "
                                     "WHERE rolname = current_user) OR pg_has_role(current_user, "
                                     "'pg_read_all_stats', 'USAGE') AS can_read_all, (SELECT "
                                     "count(*) FROM {}.pg_stat_statements s WHERE s.dbid = (SELECT "
                                     "oid FROM pg_database WHERE datname = current_database()) AND "
                                     "s.query = '<insufficient privilege>') AS hidden",
                                     source->schema),
                         {}, "pg_stat_statements");
    if (!privilege) return std::unexpected(explain_statements_error(privilege.error()));
    if (!privilege->boolean(0, "can_read_all") && privilege->int64(0, "hidden") > 0) {
        const std::string role(privilege->text(0, "role"));
        return std::unexpected(DbError{
            DbError::Kind::permission,
            fmt::format("role \"{}\" cannot read the text of {} statements of other roles in "
                        "pg_stat_statements (shown as <insufficient privilege>): run `GRANT "
                        "pg_read_all_stats TO {};` as a superuser, or connect as a role that has it",
                        role, privilege->int64(0, "hidden"), role),
            "42501"});
    }

    // top <= 0 reads every statement (LIMIT NULL).
    const Param limit = options.top > 0 ? Param(std::to_string(options.top)) : Param();
    auto rows = run(connection, source->sql,
                    {std::to_string(options.min_calls), fmt::format("{}", options.min_mean_ms),
                     limit, std::string(k_statement_marker)},
                    "pg_stat_statements");
    if (!rows) return std::unexpected(explain_statements_error(rows.error()));
    workload.statement_columns = source->columns;
    workload.capture.statements_version = source->version;
    workload.capture.statement_limit = options.top > 0 ? options.top : 0;
    std::vector<int> positions;
    for (const analyzer::StatementColumn& column : source->columns)
        positions.push_back(rows->column(column.name));
    for (int row = 0; row < rows->rows(); ++row) {
        analyzer::WorkloadStatement statement;
        statement.values.reserve(positions.size());
        for (std::size_t c = 0; c < positions.size(); ++c) {
            const int at = positions[c];
            if (at < 0 || rows->is_null(row, at))
                statement.values.emplace_back();
            else
                statement.values.push_back(
                    analyzer::stat_value_from_text(source->columns[c].type, rows->text(row, at)));
        }
        analyzer::fill_statement(statement, source->columns);
        workload.statements.push_back(std::move(statement));
    }
    analyzer::mark_truncated_statements(workload);
    return read_statements_info(connection, source->schema, workload);
}

// When and where this capture was taken, so that two captures can be subtracted (a window):
// the transaction's start on the server's clock, the cluster's system identifier (only for
// roles allowed to call pg_control_system()), the postmaster's start, the database's oid and
// the last reset of its statistics. Timestamps print in UTC (SET LOCAL TimeZone in the
// reading transaction), comparable across captures.
std::expected<void, DbError> read_capture_info(Connection& connection, Workload& workload) {
    auto info = run(
        connection,
        "SELECT now()::text AS captured_at, "
        "CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE') "
        "THEN (SELECT system_identifier::text FROM pg_control_system()) END AS system_identifier, "
        "pg_postmaster_start_time()::text AS started_at, d.oid AS database_oid, "
        "(SELECT stats_reset::text FROM pg_stat_database WHERE datid = d.oid) AS stats_reset "
        "FROM pg_database d WHERE d.datname = current_database()",
        {}, "the capture time and server identity");
    if (!info)
        return std::unexpected(info.error());
    if (info->rows() == 1) {
        workload.capture.captured_at = std::string(info->text(0, "captured_at"));
        workload.capture.system_identifier = std::string(info->text(0, "system_identifier"));
        workload.capture.server_started_at = std::string(info->text(0, "started_at"));
        workload.capture.database_oid = info->int64(0, "database_oid");
        workload.capture.database_stats_reset = std::string(info->text(0, "stats_reset"));
    }
    return {};
}

std::expected<void, DbError> read_server(Connection& connection, Workload& workload) {
    auto server = run(connection,
                      "SELECT current_database() AS database, "
                      "current_setting('server_version') AS server_version, "
                      "current_setting('server_version_num') AS server_version_num, "
                      "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg') AS hypopg, "
                      "(SELECT coalesce(string_agg(extname, ',' ORDER BY extname), '') FROM pg_extension) "
                      "AS extensions, "
                      "pg_database_size(current_database()) AS size_bytes, "
                      "d.blks_hit, d.blks_read, d.temp_files, d.temp_bytes "
                      "FROM pg_stat_database d WHERE d.datname = current_database()",
                      {}, "server version and pg_stat_database");
    if (!server) return std::unexpected(server.error());
    if (server->rows() == 1) {
        workload.database = std::string(server->text(0, "database"));
        workload.server_version = std::string(server->text(0, "server_version"));
        workload.server_version_num = static_cast<int>(server->int64(0, "server_version_num"));
        workload.hypopg_available = server->boolean(0, "hypopg");
        // Extension names are identifiers without commas in practice; an empty list is none.
        const std::string_view names = server->text(0, "extensions");
        for (std::size_t start = 0; start < names.size();) {
            const std::size_t comma = std::min(names.find(',', start), names.size());
            if (comma > start) {
                workload.extensions.emplace_back(names.substr(start, comma - start));
            }
            start = comma + 1;
        }
        workload.database_stats.size_bytes = server->int64(0, "size_bytes");
        workload.database_stats.blks_hit = server->int64(0, "blks_hit");
        workload.database_stats.blks_read = server->int64(0, "blks_read");
        workload.database_stats.temp_files = server->int64(0, "temp_files");
        workload.database_stats.temp_bytes = server->int64(0, "temp_bytes");
    }
    auto settings = run(connection,
                        "SELECT name, current_setting(name) AS value, coalesce(unit, '') AS unit, "
                        "setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name",
                        {text_array(k_settings)}, "pg_settings");
    if (!settings) return std::unexpected(settings.error());
    for (int row = 0; row < settings->rows(); ++row) {
        workload.settings.push_back({std::string(settings->text(row, "name")),
                                     std::string(settings->text(row, "value")),
                                     std::string(settings->text(row, "unit")),
                                     std::string(settings->text(row, "setting"))});
    }
    return {};
}

// User tables: everything but the system schemas and objects that belong to extensions.
constexpr std::string_view k_user_relations =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass "
    "AND dep.objid = c.oid AND dep.deptype = 'e')";

std::expected<std::string, DbError> read_tables(Connection& connection, Workload& workload) {
    // relpages * block_size rather than pg_relation_size(): the latter takes a lock and would
    // wait behind a migration's ACCESS EXCLUSIVE lock.
    auto tables = run(
        connection,
        fmt::format(
            "SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, "
            "c.relpersistence = 't' AS temporary, c.relispartition AS is_partition, "
            // The root of a partition's tree (pg_partition_root reads pg_inherits, no lock on
            // the user's tables): reports group findings about partitions of one table.
            "CASE WHEN c.relispartition THEN (SELECT rn.nspname || '.' || rc.relname FROM pg_class rc "
            "JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = pg_partition_root(c.oid)) "
            "END AS partition_root, c.reltuples, "
            "c.relpages, greatest(c.relpages, 0)::bigint * current_setting('block_size')::bigint AS size_bytes, "
            "s.seq_scan, s.seq_tup_read, s.idx_scan, s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd, s.n_tup_del, "
            "s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze, "
            "(s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL) AS ever_analyzed, "
            "extract(epoch FROM now() - greatest(s.last_analyze, s.last_autoanalyze))::float8 AS analyzed_age_s, "
            "io.heap_blks_read, io.heap_blks_hit, io.idx_blks_read, io.idx_blks_hit, "
            "coalesce(pn.nspname, '') AS parent_schema, coalesce(p.relname, '') AS parent_name, "
            "NOT c.relispartition AND i.inhrelid IS NOT NULL AS inherits "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            // A partition's one parent, or an inheritance child's first (inhseqno 1).
            "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND (c.relispartition OR i.inhseqno = 1) "
            "LEFT JOIN pg_class p ON p.oid = i.inhparent LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace "
            "LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid "
            "LEFT JOIN pg_statio_all_tables io ON io.relid = c.oid "
            "WHERE c.relkind IN ('r', 'p', 'm', 'f') AND {} ORDER BY n.nspname, c.relname",
            k_user_relations),
        {}, "pg_class and pg_stat_user_tables");
    if (!tables) return std::unexpected(tables.error());
    std::vector<std::string> oids;
    for (int row = 0; row < tables->rows(); ++row) {
        analyzer::CatalogTable table;
        table.schema = std::string(tables->text(row, "schema"));
        table.name = std::string(tables->text(row, "name"));
        const std::string_view kind = tables->text(row, "kind");
        table.kind = kind.empty() ? 'r' : kind.front();
        table.temporary = tables->boolean(row, "temporary");
        table.is_partition = tables->boolean(row, "is_partition");
        table.inherits = tables->boolean(row, "inherits");
        table.parent_schema = std::string(tables->text(row, "parent_schema"));
        table.parent_name = std::string(tables->text(row, "parent_name"));
        table.partition_root = std::string(tables->text(row, "partition_root"));
        table.reltuples = tables->number(row, "reltuples");
        table.relpages = tables->int64(row, "relpages");
        table.size_bytes = tables->int64(row, "size_bytes");
        table.seq_scan = tables->int64(row, "seq_scan");
        table.seq_tup_read = tables->int64(row, "seq_tup_read");
        table.idx_scan = tables->int64(row, "idx_scan");
        table.n_tup_ins = tables->int64(row, "n_tup_ins");
        table.n_tup_upd = tables->int64(row, "n_tup_upd");
        table.n_tup_hot_upd = tables->int64(row, "n_tup_hot_upd");
        table.n_tup_del = tables->int64(row, "n_tup_del");
        table.n_live_tup = tables->int64(row, "n_live_tup");
        table.n_dead_tup = tables->int64(row, "n_dead_tup");
        table.n_mod_since_analyze = tables->int64(row, "n_mod_since_analyze");
        table.ever_analyzed = tables->boolean(row, "ever_analyzed");
        if (!tables->is_null(row, tables->column("analyzed_age_s")))
            table.analyzed_age_s = tables->number(row, "analyzed_age_s");
        table.heap_blks_read = tables->int64(row, "heap_blks_read");
        table.heap_blks_hit = tables->int64(row, "heap_blks_hit");
        table.idx_blks_read = tables->int64(row, "idx_blks_read");
        table.idx_blks_hit = tables->int64(row, "idx_blks_hit");
        workload.tables.push_back(std::move(table));
        oids.emplace_back(tables->text(row, "oid"));
    }
    std::string oid_array = "{";
    for (std::size_t i = 0; i < oids.size(); ++i) oid_array += (i ? "," : "") + oids[i];
    oid_array += "}";

    auto columns = run(connection,
                       "SELECT n.nspname AS schema, c.relname AS name, a.attname, "
                       "format_type(a.atttypid, a.atttypmod) AS type_name, a.attnum, a.attnotnull "
                       "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
                       "ORDER BY n.nspname, c.relname, a.attnum",
                       {oid_array}, "pg_attribute");
    if (!columns) return std::unexpected(columns.error());
    std::map<std::pair<std::string, std::string>, std::size_t> position;
    for (std::size_t i = 0; i < workload.tables.size(); ++i)
        position[{workload.tables[i].schema, workload.tables[i].name}] = i;
    for (int row = 0; row < columns->rows(); ++row) {
        const auto found = position.find({std::string(columns->text(row, "schema")),
                                          std::string(columns->text(row, "name"))});
        if (found == position.end()) continue;
        workload.tables[found->second].columns.push_back(
            {std::string(columns->text(row, "attname")),
             std::string(columns->text(row, "type_name")),
             static_cast<int>(columns->int64(row, "attnum")), columns->boolean(row, "attnotnull")});
    }
    return oid_array;
}

// The definitions of the views the statements name (words of their text), so the index advisor
// can see through them. pg_get_viewdef reads pg_rewrite; it takes no lock on the view.
std::expected<void, DbError> read_views(Connection& connection, Workload& workload) {
    std::set<std::string> words;
    for (const auto& statement : workload.statements) {
        for (std::string& word : identifiers_in(statement.text)) words.insert(std::move(word));
    }
    if (words.empty()) return {};
    auto views = run(connection,
                     fmt::format("SELECT n.nspname AS schema, c.relname AS name, pg_get_viewdef(c.oid) AS definition "
                                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE c.relkind = 'v' AND lower(c.relname) = ANY($1::text[]) AND {} "
                                 "ORDER BY n.nspname, c.relname",
                                 k_user_relations),
                     {text_array({words.begin(), words.end()})}, "view definitions (pg_get_viewdef)");
    if (!views) return std::unexpected(views.error());
    for (int row = 0; row < views->rows(); ++row) {
        workload.views.push_back({std::string(views->text(row, "schema")), std::string(views->text(row, "name")),
                                  std::string(views->text(row, "definition"))});
    }
    return {};
}

// Other sessions' locks that conflict with ACCESS SHARE (only ACCESS EXCLUSIVE does), granted or
// awaited (a new ACCESS SHARE request queues behind a waiting ACCESS EXCLUSIVE one), on a table
// of `oid_array`, one of its indexes or partitions (at any depth): pg_get_indexdef() and
// pg_get_expr() open the table (ruleutils), PREPARE and EXPLAIN open it and its indexes, so
// all of them would wait behind such a lock. pg_locks itself takes no heavyweight lock. Fills
// workload.locks and returns the oids of the locked tables.
std::expected<std::set<std::string>, DbError> read_locks(Connection& connection, const std::string& oid_array,
                                                         Workload& workload) {
    auto locks = run(
        connection,
        "WITH RECURSIVE held AS ("
        "SELECT l.relation AS rel, l.relation AS locked, l.pid, l.mode, l.granted FROM pg_catalog.pg_locks l "
        "WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid() "
        "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())), "
        "tables AS (SELECT coalesce(i.indrelid, h.rel) AS rel, h.locked, h.pid, h.mode, h.granted FROM held h "
        "LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = h.rel "
        "UNION SELECT p.inhparent, t.locked, t.pid, t.mode, t.granted FROM tables t "
        "JOIN pg_catalog.pg_inherits p ON p.inhrelid = t.rel) "
        "SELECT DISTINCT t.rel, n.nspname AS schema, c.relname AS table_name, t.pid, t.mode, t.granted, "
        "CASE WHEN t.locked <> t.rel THEN lc.relname ELSE '' END AS locked_name "
        "FROM tables t JOIN pg_catalog.pg_class c ON c.oid = t.rel "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_class lc ON lc.oid = t.locked "
        "WHERE t.rel = ANY($1::pg_catalog.oid[]) ORDER BY 2, 3, 4",
        {oid_array}, "pg_locks");
    if (!locks) return std::unexpected(locks.error());
    workload.locks.clear();
    std::set<std::string> locked;
    for (int row = 0; row < locks->rows(); ++row) {
        locked.emplace(locks->text(row, "rel"));
        workload.locks.push_back({std::string(locks->text(row, "schema")), std::string(locks->text(row, "table_name")),
                                  static_cast<int>(locks->int64(row, "pid")), std::string(locks->text(row, "mode")),
                                  locks->boolean(row, "granted"), std::string(locks->text(row, "locked_name"))});
    }
    return locked;
}

std::string without(const std::string& oid_array, const std::set<std::string>& removed) {
    std::vector<Param> kept;
    for (std::string& oid : parse_array_literal(oid_array))
        if (!removed.contains(oid)) kept.emplace_back(std::move(oid));
    return array_literal(kept);
}

std::expected<void, DbError> read_indexes(Connection& connection, const std::string& oid_array,
                                          Workload& workload) {
    auto indexes = run(
        connection,
        "SELECT n.nspname AS schema, ic.relname AS name, tn.nspname AS table_schema, "
        "t.relname AS table_name, am.amname AS method, pg_get_indexdef(i.indexrelid) AS definition, "
        "i.indisunique AS is_unique, i.indisprimary AS is_primary, i.indisvalid AS is_valid, "
        "t.relkind = 'p' AS partitioned, "
        "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = "
        "i.indrelid AND k.contype IN ('p', 'u', 'x')) AS is_constraint, "
        "i.indnkeyatts AS nkeys, "
        "array_to_json(ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) "
        "FROM generate_series(1, i.indnatts) AS k ORDER BY k)) AS columns, "
        "array_to_json(i.indoption::int2[]) AS options, "
        "coalesce(pg_get_expr(i.indpred, i.indrelid, true), '') AS predicate, "
        "greatest(ic.relpages, 0)::bigint * current_setting('block_size')::bigint AS size_bytes, "
        "s.idx_scan, io.idx_blks_hit, io.idx_blks_read "
        "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = ic.relnamespace "
        "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "JOIN pg_am am ON am.oid = ic.relam "
        "LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid "
        "LEFT JOIN pg_statio_all_indexes io ON io.indexrelid = i.indexrelid "
        "WHERE i.indrelid = ANY($1::oid[]) ORDER BY tn.nspname, t.relname, ic.relname",
        {oid_array}, "pg_index and pg_stat_user_indexes");
    if (!indexes) return std::unexpected(indexes.error());
    for (int row = 0; row < indexes->rows(); ++row) {
        analyzer::CatalogIndex index;
        index.schema = std::string(indexes->text(row, "schema"));
        index.name = std::string(indexes->text(row, "name"));
        index.table_schema = std::string(indexes->text(row, "table_schema"));
        index.table = std::string(indexes->text(row, "table_name"));
        index.method = std::string(indexes->text(row, "method"));
        index.definition = std::string(indexes->text(row, "definition"));
        index.unique = indexes->boolean(row, "is_unique");
        index.primary = indexes->boolean(row, "is_primary");
        index.valid = indexes->boolean(row, "is_valid");
        index.partitioned = indexes->boolean(row, "partitioned");
        index.is_constraint = indexes->boolean(row, "is_constraint");
        index.predicate = std::string(indexes->text(row, "predicate"));
        index.size_bytes = indexes->int64(row, "size_bytes");
        index.idx_scan = indexes->int64(row, "idx_scan");
        index.idx_blks_hit = indexes->int64(row, "idx_blks_hit");
        index.idx_blks_read = indexes->int64(row, "idx_blks_read");
        const std::vector<std::string> columns = json_strings(indexes->text(row, "columns"));
        const std::vector<std::string> options = json_strings(indexes->text(row, "options"));
        const auto keys = static_cast<std::size_t>(indexes->int64(row, "nkeys"));
        for (std::size_t k = 0; k < columns.size(); ++k) {
            if (k < keys) {
                index.keys.push_back(columns[k]);
                // indoption bit 0 is INDOPTION_DESC.
                const int option = k < options.size() ? std::atoi(options[k].c_str()) : 0;
                index.descending.push_back((option & 1) != 0);
            } else {
                index.include.push_back(columns[k]);
            }
        }
        workload.indexes.push_back(std::move(index));
    }

    auto keys = run(
        connection,
        "SELECT k.conname, n.nspname AS table_schema, t.relname AS table_name, "
        "rn.nspname AS referenced_schema, r.relname AS referenced_table, "
        "array_to_json(ARRAY(SELECT quote_ident(a.attname) FROM unnest(k.conkey) WITH ORDINALITY "
        "AS u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum "
        "ORDER BY u.ord)) AS columns, "
        "array_to_json(ARRAY(SELECT quote_ident(a.attname) FROM unnest(k.confkey) WITH ORDINALITY "
        "AS u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum "
        "ORDER BY u.ord)) AS referenced_columns "
        "FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace "
        // Partitions inherit their parent's foreign key (conparentid set); report it once.
        "WHERE k.contype = 'f' AND k.conparentid = 0 AND k.conrelid = ANY($1::oid[]) "
        "ORDER BY n.nspname, t.relname, k.conname",
        {oid_array}, "foreign keys (pg_constraint)");
    if (!keys) return std::unexpected(keys.error());
    for (int row = 0; row < keys->rows(); ++row) {
        workload.foreign_keys.push_back({std::string(keys->text(row, "conname")),
                                         std::string(keys->text(row, "table_schema")),
                                         std::string(keys->text(row, "table_name")),
                                         json_strings(keys->text(row, "columns")),
                                         std::string(keys->text(row, "referenced_schema")),
                                         std::string(keys->text(row, "referenced_table")),
                                         json_strings(keys->text(row, "referenced_columns"))});
    }
    return {};
}

std::expected<void, DbError> read_column_stats(Connection& connection, const ReadOptions& options,
                                               Workload& workload) {
    std::set<std::string> words;
    for (const auto& statement : workload.statements) {
        for (std::string& word : identifiers_in(statement.text)) words.insert(std::move(word));
    }
    // Tables a statement reads through a view, and the partitions of a partitioned table or the
    // inheritance children of a table it names (the advisor sizes and costs the parent from them).
    for (const auto& view : workload.views) {
        for (std::string& word : identifiers_in(view.definition)) words.insert(std::move(word));
    }
    for (const auto& table : workload.tables) {
        std::string parent = table.parent_name;
        std::ranges::transform(parent, parent.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if ((table.is_partition || table.inherits) && words.contains(parent)) {
            std::string name = table.name;
            std::ranges::transform(name, name.begin(),
                                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            words.insert(std::move(name));
        }
    }
    std::vector<std::string> schemas;
    std::vector<std::string> names;
    for (const auto& table : workload.tables) {
        std::string lowered = table.name;
        std::ranges::transform(lowered, lowered.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (words.contains(lowered)) {
            schemas.push_back(table.schema);
            names.push_back(table.name);
        }
    }
    if (names.empty()) return {};
    // --no-values: the values themselves never leave the server, only their counts.
    const std::string values =
        options.include_values
            ? "s.most_common_vals::text AS mcv, s.histogram_bounds::text AS histogram"
            : "NULL::text AS mcv, NULL::text AS histogram";
    auto stats =
        run(connection,
            fmt::format("SELECT s.schemaname, s.tablename, s.attname, s.null_frac, s.n_distinct, "
                        "s.avg_width, s.most_common_freqs::text AS mcf, {}, "
                        "coalesce(array_length(s.histogram_bounds, 1), 0) AS histogram_count, "
                        "s.correlation "
                        "FROM pg_stats s JOIN unnest($1::text[], $2::text[]) AS w(schema, name) "
                        "ON w.schema = s.schemaname AND w.name = s.tablename "
                        "ORDER BY s.schemaname, s.tablename, s.attname, s.inherited DESC",
                        values),
            {text_array(schemas), text_array(names)}, "pg_stats");
    if (!stats) return std::unexpected(stats.error());
    for (int row = 0; row < stats->rows(); ++row) {
        analyzer::ColumnStats column;
        column.schema = std::string(stats->text(row, "schemaname"));
        column.table = std::string(stats->text(row, "tablename"));
        column.column = std::string(stats->text(row, "attname"));
        // Rows over the whole inheritance tree sort first: a statement that names a parent
        // reads its children too (the advisor sizes the parent with them). Only a parent with
        // rows of its own also has the other kind; a partitioned parent only has this one.
        if (!workload.column_stats.empty() && workload.column_stats.back().schema == column.schema &&
            workload.column_stats.back().table == column.table &&
            workload.column_stats.back().column == column.column)
            continue;
        column.null_frac = stats->number(row, "null_frac");
        column.n_distinct = stats->number(row, "n_distinct");
        column.avg_width = static_cast<int>(stats->int64(row, "avg_width"));
        column.most_common_vals = parse_array_literal(stats->text(row, "mcv"));
        column.most_common_freqs = numbers(parse_array_literal(stats->text(row, "mcf")));
        column.histogram_bounds = parse_array_literal(stats->text(row, "histogram"));
        column.histogram_count = static_cast<int>(stats->int64(row, "histogram_count"));
        column.values_omitted = !options.include_values;
        if (!stats->is_null(row, stats->column("correlation")))
            column.correlation = stats->number(row, "correlation");
        workload.column_stats.push_back(std::move(column));
    }
    return {};
}

} // namespace

std::expected<std::string, std::string> statements_sql(std::string_view schema,
                                                       const std::vector<std::string>& columns) {
    std::vector<analyzer::StatementColumn> typed;
    for (const std::string& name : columns)
        typed.push_back({name, ""});
    if (auto checked = analyzer::check_statement_columns(typed); !checked) {
        return std::unexpected(checked.error() +
                               ": this version of the extension is not supported (update it "
                               "with ALTER EXTENSION pg_stat_statements UPDATE)");
    }
    const auto has = [&](std::string_view name) {
        return std::ranges::find(columns, name) != columns.end();
    };
    // 13 renamed total_time/mean_time to total_exec_time/mean_exec_time (planning got its own).
    const std::string total = has("total_exec_time") ? "total_exec_time" : "total_time";
    const std::string mean = has("mean_exec_time") ? "mean_exec_time" : "mean_time";
    // 14 split statements run inside functions (toplevel = false) from top-level ones.
    const std::string toplevel = has("toplevel") ? ", s.toplevel DESC" : "";
    // Every column (s.*): a snapshot keeps them all, whatever the version.
    const std::string mean_filter = has(mean) ? fmt::format("s.{} >= $2::float8", mean)
                                              : fmt::format("s.{} >= $2::float8 * s.calls", total);
    return fmt::format(
        "SELECT s.* FROM {0}.pg_stat_statements s "
        "WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND s.calls >= $1::bigint AND {1} AND s.query IS NOT NULL "
        "AND s.query <> '<insufficient privilege>' AND left(s.query, length($4)) <> $4 "
        "ORDER BY s.{2} DESC, s.queryid, s.userid{3} LIMIT $3::bigint",
        schema, mean_filter, total, toplevel);
}

std::vector<std::string> parse_array_literal(std::string_view literal) {
    std::vector<std::string> out;
    if (literal.size() < 2 || literal.front() != '{' || literal.back() != '}') return out;
    const std::string_view body = literal.substr(1, literal.size() - 2);
    std::size_t i = 0;
    while (i < body.size()) {
        std::string element;
        if (body[i] == '"') {
            for (++i; i < body.size() && body[i] != '"'; ++i) {
                if (body[i] == '\\' && i + 1 < body.size()) ++i;
                element += body[i];
            }
            ++i; // closing quote
        } else if (body[i] == '{') {
            int depth = 0;
            bool quoted = false;
            for (; i < body.size(); ++i) {
                const char c = body[i];
                element += c;
                if (quoted) {
                    if (c == '\\' && i + 1 < body.size()) element += body[++i];
                    else if (c == '"') quoted = false;
                } else if (c == '"') {
                    quoted = true;
                } else if (c == '{') {
                    ++depth;
                } else if (c == '}' && --depth == 0) {
                    ++i;
                    break;
                }
            }
        } else {
            for (; i < body.size() && body[i] != ','; ++i) element += body[i];
        }
        out.push_back(std::move(element));
        while (i < body.size() && body[i] != ',') ++i;
        ++i; // the comma
    }
    return out;
}

std::vector<std::string> identifiers_in(std::string_view sql) {
    std::set<std::string> found;
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(sql);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!sqlparse::is_name_kind(tokens[i].kind)) continue;
        std::string name = sqlparse::identifier_value(sql, tokens[i], sqlparse::unicode_escape(sql, tokens, i));
        std::ranges::transform(name, name.begin(), [](unsigned char c) {
            return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        });
        if (!name.empty()) found.insert(std::move(name));
    }
    return {found.begin(), found.end()};
}

std::expected<std::vector<analyzer::RelationLock>, DbError> read_table_locks(Connection& connection,
                                                                           const analyzer::Workload& workload) {
    std::vector<Param> schemas;
    std::vector<Param> names;
    for (const analyzer::CatalogTable& table : workload.tables) {
        schemas.emplace_back(table.schema);
        names.emplace_back(table.name);
    }
    // Names to oids without a lock (a catalog join opens no user table).
    auto oids = run(connection,
                    "SELECT coalesce(array_agg(c.oid), '{}') AS oids "
                    "FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[]) AS t(schema_name, table_name) "
                    "JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema_name "
                    "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name",
                    {array_literal(schemas), array_literal(names)}, "pg_class");
    if (!oids) return std::unexpected(oids.error());
    analyzer::Workload found;
    if (auto locked = read_locks(connection, std::string(oids->text(0, "oids")), found); !locked)
        return std::unexpected(locked.error());
    return std::move(found.locks);
}

std::expected<analyzer::Workload, DbError> read_workload(Connection& connection,
                                                         const ReadOptions& options,
                                                         const Progress& progress) {
    const auto say = [&](std::string_view what) {
        if (progress) progress(what);
    };
    analyzer::Workload workload;
    // One snapshot for everything: the counters and the catalog agree with each other.
    if (auto begun = connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                        "starting a read-only transaction");
        !begun)
        return std::unexpected(begun.error());
    // The schemas the workload's statements see, read before the catalog-only search_path.
    auto path = connection.query("SELECT pg_catalog.array_to_json(pg_catalog.current_schemas(false))", {},
                                 "reading the search_path");
    if (!path) return std::unexpected(path.error());
    if (path->rows() == 1) workload.search_path = json_strings(path->text(0, 0));
    if (auto done = connection.execute(k_catalog_search_path, "setting the search_path"); !done)
        return std::unexpected(done.error());
    // Timestamps in UTC and ISO format whatever the role's defaults, for this transaction only.
    if (auto set = connection.execute("SET LOCAL TimeZone = 'UTC'", "setting the time zone"); !set)
        return std::unexpected(set.error());
    if (auto set = connection.execute("SET LOCAL DateStyle = 'ISO, YMD'", "setting the date style");
        !set)
        return std::unexpected(set.error());
    say("reading server settings");
    if (auto done = read_capture_info(connection, workload); !done)
        return std::unexpected(done.error());
    if (auto done = read_server(connection, workload); !done) return std::unexpected(done.error());
    if (options.statements != nullptr) {
        workload.statements = *options.statements;
    } else {
        say("reading pg_stat_statements");
        if (auto done = read_statements(connection, options, workload); !done)
            return std::unexpected(done.error());
    }
    say("reading the catalog");
    auto oids = read_tables(connection, workload);
    if (!oids) return std::unexpected(oids.error());
    // Index definitions of tables another session locks are not read (see read_locks). A lock
    // taken after pg_locks was read makes the read time out after lock_timeout: the savepoint
    // undoes the failed read, pg_locks now shows the lock, and the read is tried again.
    for (int attempt = 1;; ++attempt) {
        if (auto saved = connection.execute("SAVEPOINT dbadvise_indexes", "reading index definitions"); !saved)
            return std::unexpected(saved.error());
        auto locked = read_locks(connection, *oids, workload);
        if (!locked) return std::unexpected(locked.error());
        workload.indexes.clear();
        auto done = read_indexes(connection, without(*oids, *locked), workload);
        if (done) break;
        if (done.error().sqlstate != "55P03" || attempt == 3) return std::unexpected(done.error());
        if (auto undone = connection.execute("ROLLBACK TO SAVEPOINT dbadvise_indexes", "reading index definitions");
            !undone)
            return std::unexpected(undone.error());
    }
    if (auto done = read_views(connection, workload); !done) return std::unexpected(done.error());
    say("reading pg_stats");
    if (auto done = read_column_stats(connection, options, workload); !done)
        return std::unexpected(done.error());
    workload.capture.values_omitted = !options.include_values;
    say("reading sessions, locks and maintenance counters");
    auto activity = read_server_activity(connection, workload.server_version_num, options.include_values);
    if (!activity) return std::unexpected(activity.error());
    workload.activity = std::move(*activity);
    if (auto done = connection.execute("COMMIT", "ending the read-only transaction"); !done)
        return std::unexpected(done.error());
    return workload;
}

} // namespace dbadvise::db
