// track-planning-off: pg_stat_statements.track_planning is off while the workload has short,
// frequent statements, for which planning can cost as much as executing; with it off,
// planning-time cannot tell.
//
// Rationale: total_plan_time shows which statements would gain from being prepared once;
// without it the planning cost is invisible.
// PostgreSQL behaviour: track_planning (13+) defaults to off because it adds a little overhead
// (a spinlock per planned statement); it is a superuser setting that takes effect without a
// restart.
// Known false positives: servers where the overhead was measured and judged too high.
#include "analyzer/operations/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_track_planning_off(const Workload& workload, std::vector<Finding>& out) {
    const Setting* setting = workload.find_setting("pg_stat_statements.track_planning");
    if (setting == nullptr || setting->value != "off") return;
    std::int64_t frequent = 0;
    for (const WorkloadStatement& statement : workload.statements)
        if (statement.toplevel && statement.calls >= k_batch_min_calls && statement.mean_ms <= k_batch_max_mean_ms)
            ++frequent;
    if (frequent == 0) return;
    Finding finding(RuleId::track_planning_off);
    finding.subject = "pg_stat_statements.track_planning";
    finding.title = "pg_stat_statements.track_planning is off: planning time per statement is not measured";
    finding.message = fmt::format(
        "{} statement{} of the workload run{} at least {} times in {} ms or less, where planning can take as "
        "long as executing. With track_planning on, pg_stat_statements records planning time per statement and "
        "dbadvise reports the statements that should be prepared once and reused.",
        frequent, frequent == 1 ? "" : "s", frequent == 1 ? "s" : "", k_batch_min_calls, k_batch_max_mean_ms);
    finding.suggestion.sql =
        "ALTER SYSTEM SET pg_stat_statements.track_planning = on;\nSELECT pg_reload_conf();";
    finding.evidence.emplace_back("track_planning", setting->value);
    finding.evidence.emplace_back("frequent_short_statements", frequent);
    out.push_back(std::move(finding));
}

} // namespace dbadvise::analyzer::operations
