// What `analyze` knows about a database: the workload from pg_stat_statements, the catalog,
// column statistics, activity counters and settings, and when and where it was captured.
// Plain data, filled by a workload source (analyzer/workload_source.hpp): db/ from a live
// server, a snapshot file, the window between two captures; the analyzer never talks to a
// server or reads a file itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dbadvise::analyzer {

/// A pg_stat_statements column as the server declares it: name and format_type() text
/// ("bigint", "double precision", "numeric", "text", "oid", "boolean",
/// "timestamp with time zone"). Columns differ by server version (docs/snapshot.md).
struct StatementColumn {
    std::string name;
    std::string type;
    bool operator==(const StatementColumn&) const = default;
};

/// One value of a pg_stat_statements row: NULL, boolean, integer (int2/int4/int8/oid),
/// number (float4/float8/numeric) or text (everything else, as the server prints it).
using StatValue = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

/// One pg_stat_statements entry of the current database.
struct WorkloadStatement {
    std::string queryid;
    std::string text;           // normalized text with $n parameters
    std::int64_t calls = 0;
    double total_ms = 0;        // total_exec_time (total_time before 13)
    double mean_ms = 0;
    std::int64_t rows = 0;      // total rows returned or affected
    std::int64_t shared_blks_hit = 0;
    std::int64_t shared_blks_read = 0;
    std::int64_t temp_blks_read = 0;
    std::int64_t temp_blks_written = 0;
    bool toplevel = true;
    bool truncated = false;     // text cut at track_activity_query_size
    double stddev_ms = 0;       // stddev_exec_time (stddev_time before 13)
    double max_ms = 0;          // max_exec_time (max_time before 13)
    double total_plan_ms = 0;   // total_plan_time (13+; 0 unless track_planning is on)
    std::int64_t plans = 0;     // times planned (13+; 0 unless track_planning is on)
    std::int64_t userid = 0;    // role that ran it: with queryid and toplevel, the entry's key
    /// Every column of the pg_stat_statements row, parallel to Workload::statement_columns
    /// (the typed members above are read from them); empty when the source has no row.
    std::vector<StatValue> values;
    /// Where the statement was first seen when it comes from a file (--queries): the SQL
    /// file, line and column of its first occurrence, or the log file and line of its first
    /// record (column 0). Empty file for pg_stat_statements.
    std::string origin_file;
    int origin_line = 0;
    int origin_column = 0;
};

struct CatalogColumn {
    std::string name;
    std::string type_name; // format_type(): "integer", "character varying(80)", ...
    int attnum = 0;
    bool not_null = false;
};

struct CatalogIndex {
    std::string schema;
    std::string name;
    std::string table_schema;
    std::string table;
    std::vector<std::string> keys;    // key columns, or expressions' text, in order
    std::vector<bool> descending;     // per key
    std::vector<std::string> include; // INCLUDE columns
    std::string predicate;            // partial index WHERE text; empty when none
    std::string method;               // btree, hash, gin, gist, brin, ...
    std::string definition;           // pg_get_indexdef()
    bool unique = false;
    bool primary = false;
    bool is_constraint = false;       // backs a PRIMARY KEY / UNIQUE / EXCLUDE constraint
    bool valid = true;                // indisvalid
    bool partitioned = false;         // on a partitioned table: no scans of its own
    std::int64_t size_bytes = 0;
    std::int64_t idx_scan = 0;        // pg_stat_user_indexes
    std::int64_t idx_blks_hit = 0;    // pg_statio_user_indexes
    std::int64_t idx_blks_read = 0;
};

struct CatalogTable {
    std::string schema;
    std::string name;
    char kind = 'r';            // relkind: r table, p partitioned, m matview, f foreign
    bool temporary = false;
    bool is_partition = false;  // a partition of a partitioned table
    /// A child in table inheritance (CREATE TABLE ... INHERITS, not a partition): a scan of its
    /// parent reads it too, and an index on the parent does not cover it.
    bool inherits = false;
    std::string parent_schema;  // is_partition: the partitioned table it belongs to; inherits:
    std::string parent_name;    // its first parent (multiple inheritance: the others are not kept)
    std::string partition_root; // a partition: the partitioned table at the root of its tree,
                                // "schema.table"; empty otherwise
    double reltuples = 0;       // planner's row estimate (-1 never analyzed on 14+)
    std::int64_t relpages = 0;
    std::int64_t size_bytes = 0; // heap only
    std::vector<CatalogColumn> columns;
    // pg_stat_user_tables
    std::int64_t seq_scan = 0;
    std::int64_t seq_tup_read = 0;
    std::int64_t idx_scan = 0;
    std::int64_t n_tup_ins = 0;
    std::int64_t n_tup_upd = 0;
    std::int64_t n_tup_hot_upd = 0; // updates that touched no index (HOT)
    std::int64_t n_tup_del = 0;
    std::int64_t n_live_tup = 0;
    std::int64_t n_dead_tup = 0;
    std::int64_t n_mod_since_analyze = 0;
    bool ever_analyzed = false;  // last_analyze or last_autoanalyze set
    /// Seconds since the last ANALYZE or autoanalyze: the window n_mod_since_analyze counts in.
    std::optional<double> analyzed_age_s;
    // pg_statio_user_tables
    std::int64_t heap_blks_read = 0;
    std::int64_t heap_blks_hit = 0;
    std::int64_t idx_blks_read = 0;
    std::int64_t idx_blks_hit = 0;
};

/// A view the workload's statements name, with its definition (pg_get_viewdef), so that the
/// index advisor can trace a view's columns to its base tables.
struct CatalogView {
    std::string schema;
    std::string name;
    std::string definition; // `SELECT ... FROM ...`, as pg_get_viewdef() prints it
};

struct ForeignKey {
    std::string name;
    std::string table_schema;
    std::string table;
    std::vector<std::string> columns;   // quoted as needed, like CatalogIndex::keys
    std::string referenced_schema;
    std::string referenced_table;
    std::vector<std::string> referenced_columns;
};

/// pg_stats for one column.
struct ColumnStats {
    std::string schema;
    std::string table;
    std::string column;
    double null_frac = 0;
    double n_distinct = 0;      // negative: fraction of rows, as in pg_stats
    std::vector<std::string> most_common_vals;
    std::vector<double> most_common_freqs;
    std::vector<std::string> histogram_bounds;
    std::optional<double> correlation;
    int avg_width = 0;          // pg_stats.avg_width in bytes; 0 when unknown
    /// Number of histogram bounds, also when the values were left out (--no-values).
    int histogram_count = 0;
    /// most_common_vals and histogram_bounds were left out (snapshot --no-values);
    /// most_common_freqs and the counts are kept.
    bool values_omitted = false;
};

/// A lock another session holds or waits for that conflicts with the ACCESS SHARE lock that
/// reading index definitions, planning and executing need (pg_locks: ACCESS EXCLUSIVE, on the
/// table itself or one of its indexes or partitions). dbadvise neither deparses such a table's
/// indexes nor plans statements on it, so it never waits behind, say, a migration.
struct RelationLock {
    std::string schema; // the table
    std::string table;
    int pid = 0;        // the other session
    std::string mode;   // "AccessExclusiveLock"
    bool granted = true; // false: it waits for the lock (and dbadvise would queue behind it)
    std::string on;      // the locked relation when it is not the table itself (an index, a partition)
};

struct Setting {
    std::string name;
    std::string value; // current_setting() text, e.g. "4MB"
    std::string unit;  // pg_settings.unit
    std::string setting; // pg_settings.setting (raw, in units)
};

struct DatabaseStats {
    std::int64_t blks_hit = 0;
    std::int64_t blks_read = 0;
    std::int64_t size_bytes = 0;
    std::int64_t temp_files = 0;
    std::int64_t temp_bytes = 0;
};

/// A client session of the server (pg_stat_activity, backend_type 'client backend'), any
/// database; dbadvise's own session is left out. No query text: it would carry values.
struct ClientSession {
    int pid = 0;
    std::string database;
    std::string user;
    std::string application;
    std::string state;          // active, idle, idle in transaction, ... ("" when unknown)
    double backend_age_s = 0;   // since the session connected
    std::optional<double> xact_age_s;  // since its transaction began; none outside one
    std::optional<double> state_age_s; // since its state last changed
    std::optional<std::int64_t> xmin_age; // age(backend_xmin): xids it holds back vacuum by
    std::string wait_event_type; // "Lock", "LWLock", "Client", ...; "" when not waiting
    std::string wait_event;
    std::vector<int> blocked_by; // pg_blocking_pids(): the sessions it waits for
    std::string queryid;         // pg_stat_activity.query_id (14+); "" when unknown
};

/// pg_stat_database's session counters of the current database (PostgreSQL 14+).
struct SessionCounters {
    std::int64_t sessions = 0;      // sessions established since the statistics were reset
    double session_time_ms = 0;
    double active_time_ms = 0;      // time spent running statements
    double idle_in_transaction_time_ms = 0;
    std::int64_t abandoned = 0;     // ended by the client disconnecting without a goodbye
    std::int64_t fatal = 0;
    std::int64_t killed = 0;
    /// Seconds these counters cover: since pg_stat_database's reset (ServerActivity::
    /// stats_window_s) on a live server or in a snapshot; the window's length in a window.
    double window_s = 0;
};

/// How far a database's or a table's oldest unfrozen transaction ID is behind (age of
/// datfrozenxid / relfrozenxid), and the age at which autovacuum forces a freeze. Also used
/// for multixact IDs (mxid_age of datminmxid / relminmxid, autovacuum_multixact_freeze_max_age).
struct FreezeAge {
    std::string schema; // empty for a database
    std::string name;
    std::int64_t age = 0;
    std::int64_t freeze_max_age = 0; // the table's autovacuum_(multixact_)freeze_max_age, else the server's
    std::int64_t size_bytes = 0;     // tables: heap pages x block size
};

/// A sequence and how much of its range is used (pg_sequences, pg_depend for its column).
struct SequenceUse {
    std::string schema;
    std::string name;
    std::string data_type;              // smallint, integer, bigint
    std::optional<std::int64_t> last_value; // none when never used or not readable by the role
    std::int64_t min_value = 1;
    std::int64_t max_value = 0;
    std::int64_t increment = 1;
    std::string column;      // the owning column as schema.table.column; empty when not owned
    std::string column_type; // its type: "integer" caps a bigint sequence at 2^31 - 1
};

/// A transaction prepared for two-phase commit (pg_prepared_xacts), of any database: until
/// COMMIT PREPARED or ROLLBACK PREPARED it keeps its locks and holds the xmin horizon back,
/// across restarts, with no session to end.
struct PreparedTransaction {
    std::string gid;      // the global identifier given to PREPARE TRANSACTION
    std::string database;
    std::string owner;
    double age_s = 0;     // since it was prepared
    std::int64_t xid_age = 0; // age(transaction): how far it holds the xmin horizon back
    std::int64_t locks = 0;   // locks it holds (pg_locks)
    std::vector<std::string> relations; // relations of the current database it locks, qualified
};

/// A table whose dead tuples are past its autovacuum trigger (pg_stat_user_tables), with what
/// sets the trigger: autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor x reltuples,
/// the table's own reloptions, else the server's settings.
struct VacuumState {
    std::string schema;
    std::string name;
    double reltuples = 0;               // pg_class.reltuples, 0 when never counted (-1)
    std::int64_t n_live_tup = 0;
    std::int64_t n_dead_tup = 0;
    std::int64_t vacuum_threshold = 50;  // in effect for the table
    double vacuum_scale_factor = 0.2;    // in effect for the table
    bool table_autovacuum = true;        // the table's autovacuum_enabled reloption
    /// Seconds since the last VACUUM or autovacuum of the table; none when the statistics
    /// (since their reset) record neither.
    std::optional<double> vacuumed_age_s;
    std::optional<double> autovacuumed_age_s; // since the last autovacuum
    std::int64_t size_bytes = 0;              // heap pages x block size
};

/// A smallint or integer column that alone is a table's primary or unique key and takes no
/// value from a sequence it owns (serial) or an identity, so that sequence-near-max does not
/// see it; its largest and smallest values as the statistics saw them (pg_stats histogram
/// bounds and most common values), never read from the table.
struct IntegerKey {
    std::string schema;
    std::string table;
    std::string column;
    std::string type;  // smallint, integer
    std::string index; // the unique index (constraint) on it
    std::optional<std::int64_t> max_value; // none: no statistics (never analyzed, no privilege)
    std::optional<std::int64_t> min_value;
    std::optional<double> analyzed_age_s; // seconds since the statistics were taken
};

/// What a table's size should be from its statistics (table-bloat): its row count and pages
/// from pg_class and its columns' average widths and null fractions from pg_stats.
struct TableFootprint {
    std::string schema;
    std::string name;
    double reltuples = 0;
    std::int64_t relpages = 0;
    int block_size = 8'192;
    int fillfactor = 100;
    int columns = 0;            // live columns
    int columns_with_stats = 0; // of them, those pg_stats has a row for
    double data_width = 0;      // sum over columns of avg_width x (1 - null_frac)
    int max_padding = 0;        // sum over columns of their type's alignment minus one
    bool nullable = false;      // some column has nulls: tuples carry a null bitmap
    std::optional<double> analyzed_age_s; // seconds since the last ANALYZE or VACUUM
};

/// What a btree index's size should be from its statistics (index-bloat): its entries and pages
/// from pg_class, its key (and INCLUDE) columns' average widths and null fractions from the
/// table's pg_stats. Expression indexes are not read (their keys have no table statistics).
struct IndexFootprint {
    std::string schema;
    std::string name;
    std::string table_schema;
    std::string table;
    double reltuples = 0;       // index entries
    std::int64_t relpages = 0;
    int block_size = 8'192;
    int fillfactor = 90;        // btree's default
    int columns = 0;            // key and INCLUDE columns
    int columns_with_stats = 0; // of them, those pg_stats has a row for
    double data_width = 0;      // sum over columns of avg_width x (1 - null_frac)
    int max_padding = 0;        // sum over columns but the first of their type's alignment minus one
    bool nullable = false;      // some column has nulls: entries carry a null bitmap
    std::optional<double> analyzed_age_s; // seconds since the table's last ANALYZE or VACUUM
};

/// What the server shows about sessions, transactions, locks and maintenance: the checks of
/// analyzer/operations.hpp read it. Read by db/activity_reader.hpp in the same read-only
/// transaction as the rest of the workload.
struct ServerActivity {
    std::vector<ClientSession> sessions;       // client backends of every database
    std::optional<SessionCounters> session_counters; // 14+
    /// Seconds the current database's statistics cover (now - stats_reset, else the server's
    /// start): the window of pg_stat_database and pg_stat_user_tables counters.
    double stats_window_s = 0;
    /// Seconds pg_stat_statements' counters cover (pg_stat_statements_info, 14+).
    std::optional<double> statements_window_s;
    std::vector<FreezeAge> databases;          // every database that allows connections
    std::vector<FreezeAge> tables;             // the current database's oldest tables
    /// The same for multixact IDs (mxid_age of datminmxid / relminmxid, against
    /// autovacuum_multixact_freeze_max_age).
    std::vector<FreezeAge> multixact_databases;
    std::vector<FreezeAge> multixact_tables;
    std::vector<PreparedTransaction> prepared; // pg_prepared_xacts, every database
    /// The current database's tables furthest past their autovacuum trigger (at most 50).
    std::vector<VacuumState> vacuum;
    std::vector<SequenceUse> sequences;        // the current database's sequences
    std::vector<IntegerKey> integer_keys;      // the current database's keys without a sequence
    std::vector<TableFootprint> footprints;    // the current database's 50 largest tables
    std::vector<IndexFootprint> index_footprints; // its 50 largest btree indexes
    std::vector<std::string> unavailable;      // what could not be read, and why
};

/// When and where a workload was captured: what the window between two captures checks
/// (analyzer/window.hpp). Timestamps are the server's clock in UTC, ISO 8601
/// ("2025-01-02 03:04:05.678901+00"); empty when unknown.
struct CaptureInfo {
    std::string captured_at;       // now() of the reading transaction
    std::string system_identifier; // pg_control_system(); empty when the role may not read it
    std::string server_started_at; // pg_postmaster_start_time()
    std::int64_t database_oid = 0;
    std::string database_stats_reset; // pg_stat_database.stats_reset; empty: never reset
    std::string statements_version;   // pg_stat_statements' extversion, "1.10"
    /// pg_stat_statements_info (14+): entries evicted since the last reset, and that reset.
    std::optional<std::int64_t> statements_dealloc;
    std::string statements_reset;
    std::int64_t statement_limit = 0; // at most this many statements were read (0: all)
    bool values_omitted = false;      // pg_stats values left out (snapshot --no-values)
};

struct Workload {
    int server_version_num = 0;    // 150004
    std::string server_version;    // "15.4"
    std::string database;
    std::vector<std::string> search_path;
    std::vector<StatementColumn> statement_columns; // of pg_stat_statements, server order
    std::vector<WorkloadStatement> statements; // ordered by total_ms descending
    std::vector<CatalogTable> tables;
    std::vector<CatalogView> views;
    std::vector<CatalogIndex> indexes;
    std::vector<ForeignKey> foreign_keys;
    std::vector<ColumnStats> column_stats;
    std::vector<Setting> settings;
    DatabaseStats database_stats;
    bool hypopg_available = false;
    /// Extensions created in the database (pg_extension.extname, sorted): the index advisor
    /// proposes trigram GIN indexes only where pg_trgm is.
    std::vector<std::string> extensions;
    CaptureInfo capture;
    std::vector<RelationLock> locks; // conflicting locks of other sessions when the catalog was read
    /// Sessions, transactions, locks and maintenance; none when the source did not read them
    /// (the checks that need it then stay silent rather than call the server healthy).
    std::optional<ServerActivity> activity;

    const CatalogTable* find_table(std::string_view schema, std::string_view name) const;
    const ColumnStats* find_stats(std::string_view schema, std::string_view table,
                                  std::string_view column) const;
    const Setting* find_setting(std::string_view name) const;
    bool has_extension(std::string_view name) const;
    /// The first lock of another session on table `schema.name` (any schema when `schema` is
    /// empty: the application's search_path is unknown); null when there is none.
    const RelationLock* lock_on(std::string_view schema, std::string_view name) const;
};

} // namespace dbadvise::analyzer
