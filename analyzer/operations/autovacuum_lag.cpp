// autovacuum-lag: a table whose dead tuples are well past its own autovacuum trigger because
// autovacuum is off for it (or for the server), or has not vacuumed it for an hour.
//
// Rationale: autovacuum vacuums a table once its dead tuples exceed autovacuum_vacuum_threshold
// + autovacuum_vacuum_scale_factor x reltuples (the table's reloptions override both). Dead
// tuples at twice that trigger and no vacuum for an hour mean that autovacuum is not keeping
// up: its workers are busy with other (large) tables, throttled by the cost limit, cancelled
// by lock conflicts, or disabled. Until a vacuum comes the dead tuples take heap and index
// pages, scans read them, and the space is not reused, so the table grows.
// PostgreSQL behaviour: pg_stat_user_tables n_dead_tup (an estimate), last_vacuum and
// last_autovacuum; pg_class.reltuples (-1 while never counted, taken as 0 as autovacuum does);
// autovacuum_enabled = off on a table stops autovacuum from vacuuming it except against
// wraparound.
// Not the same finding as many-dead-tuples (dead against live rows, with the server's default
// trigger): a table reported here is left out of that one. A table that was vacuumed lately
// and still has its dead tuples is not lagging: something holds the xmin horizon
// (long-transaction, prepared-transaction-open).
// Known false positives: n_dead_tup after a crash or a statistics reset is an estimate; a
// table whose autovacuum is off on purpose (bulk loaded, then dropped) is reported until it
// is vacuumed.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_autovacuum_lag(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    for (const VacuumState& table : workload.activity->vacuum) {
        const health::VacuumLag lag = health::vacuum_lag(workload, table);
        if (lag == health::VacuumLag::none) continue;
        const std::string name = health::qualified_name(table.schema, table.name);
        const double trigger = health::vacuum_trigger(table);
        const double times = static_cast<double>(table.n_dead_tup) / trigger;
        Finding finding(RuleId::autovacuum_lag);
        // Disabled, or more dead than live rows (scans read at least twice the pages): warning.
        finding.severity = lag != health::VacuumLag::behind || table.n_dead_tup >= table.n_live_tup
                               ? Severity::warning
                               : Severity::info;
        finding.subject = name;
        finding.object = ObjectRef{"table", table.schema, table.name, {}, {}};
        const std::string last =
            table.vacuumed_age_s ? fmt::format("last vacuumed {} ago", format_seconds(*table.vacuumed_age_s))
                                 : std::string("not vacuumed since the statistics were reset");
        finding.title = fmt::format("Table {} has {} dead tuples, {:.1f} times its autovacuum trigger ({:.0f}); {}",
                                    name, table.n_dead_tup, times, trigger, last);
        std::string cause;
        finding.suggestion.sql = fmt::format("VACUUM (VERBOSE, ANALYZE) {};", name);
        switch (lag) {
        case health::VacuumLag::server_disabled:
            cause = "autovacuum is off for the whole server (the autovacuum setting), so nothing vacuums it but a "
                    "manual VACUUM. Turn it on";
            finding.suggestion.sql += "\nALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();";
            break;
        case health::VacuumLag::table_disabled:
            cause = "autovacuum is off for this table (autovacuum_enabled = off), so nothing vacuums it but a manual "
                    "VACUUM (or an anti-wraparound one). Turn it back on unless the table is loaded and dropped in "
                    "bulk";
            finding.suggestion.sql += fmt::format("\nALTER TABLE {} RESET (autovacuum_enabled);", name);
            break;
        default:
            cause = "autovacuum is on yet has not vacuumed it: its workers are busy with other tables "
                    "(autovacuum_max_workers), throttled (autovacuum_vacuum_cost_limit, autovacuum_vacuum_cost_delay) "
                    "or cancelled by lock conflicts (log_autovacuum_min_duration = 0 logs each run). Vacuum it now, "
                    "and give it a lower trigger and a higher cost limit of its own";
            finding.suggestion.sql += fmt::format(
                "\nALTER TABLE {} SET (autovacuum_vacuum_scale_factor = {}, "
                "autovacuum_vacuum_cost_limit = 1000);",
                name,
                table.vacuum_scale_factor > 0.05 ? 0.05 : table.vacuum_scale_factor);
            break;
        }
        finding.message = fmt::format(
            "Autovacuum vacuums {} once it has {} + {} x {:.0f} = {:.0f} dead tuples; it has {} ({} live), {}, and "
            "{}. Until a vacuum comes scans read the dead rows' pages, the space is not reused and the table and "
            "its indexes grow.",
            name, table.vacuum_threshold, table.vacuum_scale_factor, table.reltuples, trigger, table.n_dead_tup,
            table.n_live_tup, last, cause);
        finding.evidence.emplace_back("table", name);
        finding.evidence.emplace_back("n_dead_tup", table.n_dead_tup);
        finding.evidence.emplace_back("n_live_tup", table.n_live_tup);
        finding.evidence.emplace_back("autovacuum_trigger", trigger);
        finding.evidence.emplace_back("trigger_multiple", times);
        finding.evidence.emplace_back("autovacuum_vacuum_threshold", table.vacuum_threshold);
        finding.evidence.emplace_back("autovacuum_vacuum_scale_factor", table.vacuum_scale_factor);
        const char* autovacuum = lag == health::VacuumLag::server_disabled  ? "off (server)"
                                 : lag == health::VacuumLag::table_disabled ? "off (table)"
                                                                            : "on";
        finding.evidence.emplace_back("autovacuum", std::string(autovacuum));
        if (table.vacuumed_age_s) finding.evidence.emplace_back("last_vacuum_age_s", *table.vacuumed_age_s);
        if (table.autovacuumed_age_s) finding.evidence.emplace_back("last_autovacuum_age_s", *table.autovacuumed_age_s);
        finding.evidence.emplace_back("size_bytes", table.size_bytes);
        if (const CatalogTable* known = workload.find_table(table.schema, table.name))
            finding.rank = health::table_time_weight(workload, *known);
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
