// The individual checks behind check_operations() (analyzer/operations.hpp), one rule per
// file, their thresholds and the helpers they share. Internal to the analyzer. Every threshold
// is listed with its reason in docs/checks.md; keep the two in step.
#pragma once

#include "analyzer/operations.hpp"
#include "analyzer/rule_registry.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer::operations {

// --- Batching (batchable-lookup, single-row-insert) ---------------------------------------

/// Calls below which a statement's round trips are not worth restructuring code for.
inline constexpr std::int64_t k_batch_min_calls = 1'000;
/// Rows per call at or below which a SELECT is a lookup of one row ("about one").
inline constexpr double k_batch_max_rows_per_call = 1.5;
/// Mean execution time at or below which per-call overhead (round trip, parse, plan, executor
/// start-up) is a large share of a call; slower statements are not dominated by it.
inline constexpr double k_batch_max_mean_ms = 1.0;
/// The network round trip the server cannot measure, assumed per call to rank the findings:
/// 0.2 ms is a round trip within one data centre; across zones it is several times that.
inline constexpr double k_round_trip_ms = 0.2;
/// Rows per call at or below which an INSERT writes one row per statement.
inline constexpr double k_insert_max_rows_per_call = 1.0;

// --- Result caching (cacheable-result) ----------------------------------------------------

/// Calls below which caching a result saves too little to be worth a cache.
inline constexpr std::int64_t k_cache_min_calls = 500;
/// The tables a statement reads are "rarely written" when they are written at most this many
/// times per execution of the statement (one write per 100 reads): most cached reads hit.
inline constexpr double k_cache_max_writes_per_call = 0.01;
/// The suggested TTL: half the mean interval between writes, within these bounds.
inline constexpr double k_cache_min_ttl_s = 1;
inline constexpr double k_cache_max_ttl_s = 3'600;

// --- Connections (connections-near-limit, connection-churn) -------------------------------

/// Share of the connection slots (max_connections minus the reserved ones) in use at which a
/// burst of new sessions starts to fail with "too many clients".
inline constexpr double k_connections_warning_share = 0.8;
inline constexpr double k_connections_error_share = 0.95;
/// Connection churn: at least this many sessions since the statistics were reset, lasting
/// this long on average or less: the application connects per request.
inline constexpr std::int64_t k_churn_min_sessions = 1'000;
inline constexpr double k_churn_max_mean_session_ms = 1'000;
/// New sessions per second from which churn is a warning (below: information).
inline constexpr double k_churn_warning_rate = 1.0;
/// Server and client time one new session costs (fork, authentication, catalog caches), a
/// conservative figure for a local socket without TLS; it ranks the finding.
inline constexpr double k_connect_cost_ms = 2.0;

// --- Transactions and locks (idle-in-transaction, long-transaction, lock-wait, prepared) ---

/// A session idle inside a transaction for this long holds its locks and snapshot for nothing.
inline constexpr double k_idle_in_transaction_s = 5;
inline constexpr double k_idle_in_transaction_warning_s = 60;
/// The idle_in_transaction_session_timeout suggested: a minute ends forgotten transactions and
/// leaves the seconds a legitimate step between two statements takes alone.
inline constexpr int k_idle_in_transaction_timeout_s = 60;
/// A transaction open this long, or holding the xmin horizon back by this many transaction
/// IDs, keeps vacuum from removing the rows deleted or updated since.
inline constexpr double k_long_transaction_s = 60;
inline constexpr std::int64_t k_long_transaction_xmin_age = 100'000;
/// A prepared transaction (two-phase commit) is resolved by its transaction manager within
/// milliseconds of PREPARE, seconds when it retries after a failure; one prepared this long
/// ago (or holding the horizon back by k_long_transaction_xmin_age) has been forgotten.
inline constexpr double k_prepared_transaction_s = 60;

// --- Maintenance (xid-wraparound, multixact-wraparound, sequence-near-max) ---------------
// (autovacuum-lag's thresholds are in analyzer/health/checks.hpp, shared with many-dead-tuples)

/// Transaction (and multixact) ID age from which wraparound is an error: half of the 2^31 IDs
/// usable before the server stops assigning them.
inline constexpr std::int64_t k_wraparound_error_age = std::int64_t{1} << 30;
/// Share of a sequence's (or its column's) range used from which it is reported; also the share
/// of an integer key's range (integer-key-near-max).
inline constexpr double k_sequence_warning_share = 0.75;
inline constexpr double k_sequence_error_share = 0.9;
/// table-bloat: wasted space (the estimate's lower bound) from which a table is reported, as a
/// share of its pages and in pages (1,000 pages = 8 MB: a smaller table costs little to scan);
/// a warning from 80% (scans read five times the pages they need).
inline constexpr double k_bloat_min_share = 0.5;
inline constexpr double k_bloat_min_pages = 1'000;
inline constexpr double k_bloat_warning_share = 0.8;
/// index-bloat: wasted space (the estimate's lower bound) from which a btree index is reported,
/// as a share of its pages and in pages. A btree grown by inserts in random order settles around
/// 70% full (a page split leaves two half-full pages that later inserts fill), about 1.3 times
/// the size a fresh build at fillfactor 90 takes; half the pages wasted (twice that size) is
/// beyond what splits explain. A warning from 80% (five times the size) or 1 GiB wasted.
inline constexpr double k_index_bloat_min_share = 0.5;
inline constexpr double k_index_bloat_min_pages = 1'000;
inline constexpr double k_index_bloat_warning_share = 0.8;
inline constexpr double k_index_bloat_warning_bytes = 1024.0 * 1024 * 1024;

// --- Partitioning (partition-candidate) --------------------------------------------------

// A table is large against memory from the size of shared_buffers (PostgreSQL's cache cannot
// hold it: a range read competes with every other table for the cache); a warning from
// effective_cache_size (the OS cache cannot hold it either: reads of old ranges go to disk).

/// Share of the table's statement time (statements that read, update or delete from it) spent
/// in statements that filter by the candidate key: partitioning pays when most of the work
/// prunes, and costs the rest a probe of every partition.
inline constexpr double k_partition_min_filter_share = 0.5;
/// Rows deleted since the statistics were reset (n_tup_del) against the table's rows: a tenth
/// of the table rewritten row by row (WAL, dead tuples, index cleanup) where dropping a
/// partition would cost nothing of it.
inline constexpr double k_partition_min_deleted_share = 0.1;
/// Rows the DELETEs by the key removed (pg_stat_statements rows) at least: bulk deletion, not an
/// occasional row.
inline constexpr std::int64_t k_partition_min_deleted_rows = 1'000;
/// A tenant column: at most this many distinct values, with at least this many rows each (a
/// column nearly unique is a lookup key, not a tenant).
inline constexpr double k_partition_max_tenants = 10'000;
inline constexpr double k_partition_min_rows_per_tenant = 100;
/// List partitioning (one partition per tenant) up to this many values; hash beyond.
inline constexpr double k_partition_max_list_tenants = 64;
/// The suggested interval cuts the retention into at least this many partitions.
inline constexpr double k_partition_min_partitions = 8;

// --- Planning and variable time (planning-time, track-planning-off, variable-time) ---------

/// Planning's share of a statement's time (planning + execution) from which preparing it pays.
inline constexpr double k_planning_min_share = 0.3;
inline constexpr double k_planning_warning_share = 0.5;
/// Calls and total planning time below which it is noise.
inline constexpr std::int64_t k_planning_min_calls = 100;
inline constexpr double k_planning_min_total_ms = 100;
/// Variable time: a "slow" statement (mean at least this) whose standard deviation exceeds
/// this share of its mean, called often enough for the spread to mean something, with enough
/// total time to matter.
inline constexpr double k_variable_min_mean_ms = 1.0;
inline constexpr double k_variable_stddev_share = 0.5;
inline constexpr double k_variable_warning_stddev_share = 2.0;
inline constexpr std::int64_t k_variable_min_calls = 20;
inline constexpr double k_variable_min_total_ms = 1'000;

// --- The checks: each appends its findings to `out` -----------------------------------------

using Statements = std::vector<ParsedWorkloadStatement>;

void check_batchable_lookup(const Statements& statements, std::vector<Finding>& out);
void check_single_row_insert(const Statements& statements, std::vector<Finding>& out);
void check_cacheable_result(const Workload& workload, const Statements& statements, std::vector<Finding>& out);
void check_connections_near_limit(const Workload& workload, std::vector<Finding>& out);
void check_connection_churn(const Workload& workload, std::vector<Finding>& out);
void check_idle_in_transaction(const Workload& workload, std::vector<Finding>& out);
void check_long_transaction(const Workload& workload, std::vector<Finding>& out);
void check_lock_wait(const Workload& workload, std::vector<Finding>& out);
void check_prepared_transaction_open(const Workload& workload, std::vector<Finding>& out);
void check_xid_wraparound(const Workload& workload, std::vector<Finding>& out);
void check_autovacuum_lag(const Workload& workload, std::vector<Finding>& out);
void check_multixact_wraparound(const Workload& workload, std::vector<Finding>& out);
void check_integer_key_near_max(const Workload& workload, std::vector<Finding>& out);
void check_table_bloat(const Workload& workload, std::vector<Finding>& out);
void check_index_bloat(const Workload& workload, std::vector<Finding>& out);
void check_partition_candidate(const Workload& workload, const Statements& statements, std::vector<Finding>& out);
void check_sequence_near_max(const Workload& workload, std::vector<Finding>& out);
void check_planning_time(const Workload& workload, std::vector<Finding>& out);
void check_track_planning_off(const Workload& workload, std::vector<Finding>& out);
void check_variable_time(const Workload& workload, const std::map<std::string, PlanSensitivity>& plans,
                         std::vector<Finding>& out);

// --- Shared helpers (common.cpp) ------------------------------------------------------------

/// table-bloat's estimate (table_bloat.cpp): row sizes, expected pages and wasted pages, each
/// as a range from no alignment padding to the most.
struct BloatEstimate {
    double row_bytes_low = 0;
    double row_bytes_high = 0;
    double expected_pages_low = 0;
    double expected_pages_high = 0;
    double wasted_pages_low = 0;  // relpages - expected_pages_high, at least 0
    double wasted_pages_high = 0; // relpages - expected_pages_low, at least 0
};
BloatEstimate estimate_bloat(const TableFootprint& table);
/// index-bloat's estimate (index_bloat.cpp), the same ranges for a btree index (row_bytes: an
/// entry without its line pointer).
BloatEstimate estimate_index_bloat(const IndexFootprint& index);
/// The ranges both estimates share, from a row or entry header, the data width, the most
/// alignment padding the columns may add, the relation's pages, and `pages_for(padding)`: the
/// pages expected with that much padding per row (0 for the low estimate).
BloatEstimate bloat_range(double header, double data_width, double max_padding, std::int64_t relpages,
                          const std::function<double(double)>& pages_for);
/// `bytes` rounded up to 8, PostgreSQL's MAXALIGN on 64-bit servers.
double maxalign(double bytes);
/// The evidence table-bloat and index-bloat share: the relation's pages and rows, the expected
/// pages and the wasted bytes and shares of `estimate`, the fillfactor and the statistics' age;
/// `relation` is "table" or "index" (what was not read).
void add_bloat_evidence(Finding& finding, const BloatEstimate& estimate, std::int64_t relpages, double reltuples,
                        int block_size, int fillfactor, std::optional<double> statistics_age_s,
                        std::string_view relation);

/// rows / calls; 0 when there were no calls.
double rows_per_call(const WorkloadStatement& statement);
/// The setting as an integer; nullopt when absent or not a number.
std::optional<std::int64_t> setting_int(const Workload& workload, std::string_view name);
/// The workload statement with this query id; nullptr when none (or the id is empty).
const WorkloadStatement* statement_by_queryid(const Workload& workload, std::string_view queryid);
/// "pid 123 (user app, database shop)": how a session is named in messages.
std::string describe_session(const ClientSession& session);
/// "12.3 s", "4.0 min", "2.5 h".
std::string format_seconds(double seconds);
/// A pool size for a transaction-mode pooler from the measured active concurrency: twice the
/// mean number of active sessions (pg_stat_database active_time over its window, 14+), at
/// least the sessions active now, at least 2.
int pool_size(const ServerActivity& activity);
/// The wraparound checks' common part (xid-wraparound, multixact-wraparound): a finding made by
/// `make` for each table at or past its forced-freeze age (ranked by the time of the
/// workload's statements on it), and for each database past it, the current database only
/// when none of its tables was reported (its age is its oldest table's).
void report_id_ages(const Workload& workload, const std::vector<FreezeAge>& tables,
                    const std::vector<FreezeAge>& databases,
                    const std::function<Finding(const FreezeAge&, bool table)>& make, std::vector<Finding>& out);

} // namespace dbadvise::analyzer::operations
