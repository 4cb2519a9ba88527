// The individual health checks behind check_health() (analyzer/health.hpp), one per file in
// analyzer/health/, and the helpers they share. Internal to the analyzer: the public contract
// is check_health(). Thresholds are documented in docs/health.md; keep the two in step.
#pragma once

#include <map>

#include "analyzer/analyze.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/sql_text.hpp"
#include "analyzer/rule_registry.hpp"
#include "analyzer/text.hpp"
#include "analyzer/workload.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer::health {

// --- Thresholds (docs/health.md lists each with its reason) -------------------------------

/// Below this database buffer hit ratio an OLTP server is reading from outside shared_buffers.
inline constexpr double k_database_hit_ratio = 0.99;
/// Database reads (blocks) below which a low ratio is noise: 10,000 blocks is 80 MB.
inline constexpr std::int64_t k_database_min_reads = 10'000;
/// Per table and per statement: hit ratio below which the reads are worth a finding.
inline constexpr double k_table_hit_ratio = 0.95;
inline constexpr double k_statement_hit_ratio = 0.95;
/// Below this the finding is a warning rather than information.
inline constexpr double k_warning_hit_ratio = 0.90;
/// Blocks read (per table, per statement) below which a low ratio is noise: 8 MB.
inline constexpr std::int64_t k_min_reads = 1'000;
/// Blocks read per call below which a statement is a point lookup (an index descent plus a
/// heap page reads 3 to 5 blocks): its reads are the database's business, not the statement's.
inline constexpr double k_min_reads_per_call = 8.0;
/// Temp blocks written by a statement (all calls) below which a spill is noise: 8 MB.
inline constexpr std::int64_t k_min_temp_blocks = 1'024;
/// Stale statistics: rows modified since the last ANALYZE above this share of the live rows
/// (twice autovacuum_analyze_scale_factor's default of 0.1) and above k_min_modified.
inline constexpr double k_stale_fraction = 0.2;
inline constexpr std::int64_t k_min_modified = 1'000;
/// A never-analyzed table smaller than this many rows is not worth a finding.
inline constexpr std::int64_t k_never_analyzed_min_rows = 1'000;
/// Dead tuples above this share of the live rows (autovacuum_vacuum_scale_factor's default)
/// and above k_min_dead.
inline constexpr double k_dead_fraction = 0.2;
inline constexpr std::int64_t k_min_dead = 10'000;
/// autovacuum-lag (analyzer/operations/autovacuum_lag.cpp; docs/checks.md): dead tuples at
/// least this many times the table's own autovacuum trigger (at 1x autovacuum starts; at 2x it
/// fell a whole trigger's worth behind), at least k_lag_min_dead of them (below that the
/// table is small and cheap to scan), and no vacuum for k_lag_min_s (autovacuum visits each
/// database every autovacuum_naptime, a minute by default: an hour is sixty missed chances).
inline constexpr double k_lag_trigger_factor = 2.0;
inline constexpr std::int64_t k_lag_min_dead = 1'000;
inline constexpr double k_lag_min_s = 3'600;
/// The working set: the tables with the most block accesses that together make up this share
/// of all accesses, at most k_max_listed of them.
inline constexpr double k_working_set_share = 0.9;
/// Tables and statements listed in the report section.
inline constexpr std::size_t k_max_listed = 10;

// --- Context ------------------------------------------------------------------------------

/// What every check reads: the workload, the index advisor's recommendations and the block
/// size (the server's block_size setting, 8192 unless told otherwise).
struct Context {
    const Workload& workload;
    const std::vector<Finding>& recommendations;
    std::int64_t block_size = 8192;
    /// Statements the index advisor could not analyze (queryid -> why): whether an index
    /// would help them is unknown, so no check may conclude that memory is the fix.
    const std::map<std::string, std::string>* not_analyzed = nullptr;
    /// Why `statement` was not analyzed by the index advisor; nullptr when it was.
    const std::string* not_analyzed_reason(const WorkloadStatement& statement) const;
};

/// Builds a context; reads block_size from the workload's settings when present.
Context make_context(const Workload& workload, const std::vector<Finding>& recommendations,
                     const std::map<std::string, std::string>* not_analyzed = nullptr);

// --- The checks: each appends its findings to `out` -------------------------------------

void check_database_hit_ratio(const Context& context, std::vector<Finding>& out);
void check_table_hit_ratio(const Context& context, std::vector<Finding>& out);
void check_statement_hit_ratio(const Context& context, std::vector<Finding>& out);
void check_temp_spill(const Context& context, std::vector<Finding>& out);
void check_stale_statistics(const Context& context, std::vector<Finding>& out);
void check_dead_tuples(const Context& context, std::vector<Finding>& out);
void check_track_io_timing(const Context& context, std::vector<Finding>& out);
void check_shared_buffers(const Context& context, std::vector<Finding>& out);

/// The "Cache and health" overview for the text report.
ReportSection cache_section(const Context& context);

// --- Shared helpers (common.cpp) --------------------------------------------------------

/// hit / (hit + read); nullopt when there were no accesses at all.
std::optional<double> hit_ratio(std::int64_t hit, std::int64_t read);

/// A memory setting in bytes, from pg_settings' raw value and unit ("16384" and "8kB"), else
/// from the display value ("128MB"); nullopt when absent or not a memory amount.
std::optional<std::int64_t> setting_bytes(const Workload& workload, std::string_view name);

/// The named setting, nullptr when the workload does not carry it.
const Setting* find_setting(const Workload& workload, std::string_view name);

/// "512 kB", "8.0 MB", "1.25 GB": binary units, fixed precision.
std::string format_bytes(double bytes);
/// "97.31%": two decimals.
std::string format_percent(double ratio);
/// A value for SET work_mem: the smallest power-of-two number of MB >= bytes, at least 1MB.
std::string work_mem_value(double bytes);

/// schema.table with identifiers double-quoted when PostgreSQL needs it.
std::string qualified_name(std::string_view schema, std::string_view name);

/// Why autovacuum does not keep up with a table's dead tuples, as autovacuum-lag reports it.
enum class VacuumLag {
    none,            // within k_lag_trigger_factor of its trigger, too few, or vacuumed lately
    server_disabled, // the autovacuum setting is off
    table_disabled,  // the table's autovacuum_enabled reloption is off
    behind,          // enabled, yet not vacuumed for k_lag_min_s
};
VacuumLag vacuum_lag(const Workload& workload, const VacuumState& table);
/// autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor x reltuples: the dead tuples
/// from which autovacuum vacuums the table.
double vacuum_trigger(const VacuumState& table);
/// The table's VacuumState when autovacuum-lag reports it (the other dead-tuple checks then
/// leave it alone); nullptr otherwise.
const VacuumState* lagging_table(const Workload& workload, std::string_view schema, std::string_view name);

/// Measured time (ms) of the workload statements that mention `table`: the weight that
/// ranks a table's findings among statement findings.
double table_time_weight(const Workload& workload, const CatalogTable& table);

/// The index recommendation (category index) that serves `statement`: matched on the
/// finding's query id or text, or on the query ids listed in its evidence; nullptr if none.
const Finding* recommendation_for(const std::vector<Finding>& recommendations,
                                  const WorkloadStatement& statement);

/// The first line of a recommendation's suggested SQL, for messages.
std::string recommendation_summary(const Finding& recommendation);

using analyzer::query_ref; // finding.hpp


/// Sum of the sizes of the table's indexes known to the workload.
std::int64_t index_bytes(const Workload& workload, const CatalogTable& table);

} // namespace dbadvise::analyzer::health
