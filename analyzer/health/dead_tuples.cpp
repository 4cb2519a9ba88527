// many-dead-tuples: tables carrying many dead row versions (pg_stat_user_tables n_dead_tup
// against n_live_tup).
//
// Rationale: dead tuples take space in heap and index pages until VACUUM removes them, so
// scans read more pages per live row, the cache holds less live data, and index-only scans
// fall back to the heap because the visibility map is not set.
// PostgreSQL behaviour: autovacuum vacuums a table once n_dead_tup exceeds
// autovacuum_vacuum_threshold (50) + autovacuum_vacuum_scale_factor (0.2) x reltuples. Dead
// tuples that remain above that mean autovacuum is behind, disabled, or cannot remove them
// because an old transaction, prepared transaction or replication slot still needs them.
// A table autovacuum-lag (analyzer/operations/autovacuum_lag.cpp) reports is left to it: that
// finding names the cause and carries the same numbers.
// Known false positives: a large UPDATE or DELETE that finished within the last
// autovacuum_naptime; n_dead_tup is an estimate that can lag after a crash.
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::health {

void check_dead_tuples(const Context& context, std::vector<Finding>& out) {
    for (const CatalogTable& table : context.workload.tables) {
        const double limit = 50.0 + k_dead_fraction * static_cast<double>(table.n_live_tup);
        if (table.n_dead_tup < k_min_dead || static_cast<double>(table.n_dead_tup) <= limit) {
            continue;
        }
        // autovacuum-lag reports it with the cause (autovacuum off or behind) and the same numbers.
        if (lagging_table(context.workload, table.schema, table.name) != nullptr) continue;
        const std::string name = qualified_name(table.schema, table.name);
        const double share = table.n_live_tup > 0 ? static_cast<double>(table.n_dead_tup) /
                                                        static_cast<double>(table.n_live_tup)
                                                  : 0.0;
        Finding finding(RuleId::many_dead_tuples);
        // More dead than live rows: scans read at least twice the pages they need.
        finding.severity =
            table.n_dead_tup >= table.n_live_tup ? Severity::warning : Severity::info;
        finding.subject = name;
        finding.object = ObjectRef{"table", table.schema, table.name, {}, {}};
        finding.title = fmt::format("Table {} has {} dead tuples for {} live ones", name,
                                    table.n_dead_tup, table.n_live_tup);
        finding.message = fmt::format(
            "Dead row versions on {} exceed the share at which autovacuum would vacuum it (0.2 "
            "of its rows by default). Scans read their pages too, the cache holds less live "
            "data, and index-only scans visit the heap. Run VACUUM; if the dead tuples "
            "remain, a long-running transaction, a prepared transaction or a replication slot "
            "is holding them (see pg_stat_activity.backend_xmin and pg_replication_slots).",
            name);
        finding.suggestion.sql = fmt::format("VACUUM (ANALYZE) {};", name);
        finding.evidence.emplace_back("n_live_tup", table.n_live_tup);
        finding.evidence.emplace_back("n_dead_tup", table.n_dead_tup);
        finding.evidence.emplace_back("dead_share", share);
        finding.rank = table_time_weight(context.workload, table);
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::health
