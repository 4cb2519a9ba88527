// planning-time: a statement whose planning takes a large share of its time (where
// pg_stat_statements.track_planning is on): each call is planned anew.
//
// Rationale: a statement sent as simple query text, or prepared and dropped every time, is
// parsed and planned on every call; for short statements on many tables or partitions that
// can cost more than running them. A prepared statement reused across calls (or a driver's
// statement cache) switches to a cached generic plan after five executions when that plan is
// no worse, and skips planning from then on.
// PostgreSQL behaviour: pg_stat_statements' total_plan_time and plans (13+) count only when
// track_planning is on; a statement whose plans are fewer than its calls already reuses plans.
// Known false positives: statements whose custom plans are worth it (parameter-sensitive
// ones), where plan_cache_mode = force_custom_plan is intended.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_planning_time(const Workload& workload, std::vector<Finding>& out) {
    for (const WorkloadStatement& statement : workload.statements) {
        if (!statement.toplevel || statement.calls < k_planning_min_calls || statement.plans <= 0 ||
            statement.total_plan_ms < k_planning_min_total_ms)
            continue;
        const double share = statement.total_plan_ms / (statement.total_plan_ms + statement.total_ms);
        if (share < k_planning_min_share) continue;
        const double mean_plan_ms = statement.total_plan_ms / static_cast<double>(statement.plans);
        Finding finding(RuleId::planning_time);
        finding.severity = share >= k_planning_warning_share ? Severity::warning : Severity::info;
        finding.query = health::query_ref(statement);
        finding.title = fmt::format("Planning is {:.0f}% of this statement's time ({:.3f} ms per plan, {} plans for "
                                    "{} calls): prepare it once and reuse it",
                                    share * 100, mean_plan_ms, statement.plans, statement.calls);
        finding.message = fmt::format(
            "The server planned this statement {} times for {} calls, {:.0f} ms of planning against {:.0f} ms of "
            "execution. Prepare it once per connection and execute it many times (server-side prepared "
            "statements: PgJDBC prepareThreshold, psycopg prepare_threshold, the driver's statement cache), so "
            "that a cached generic plan replaces planning on every call. Behind PgBouncer in transaction mode "
            "this needs version 1.21 or later with max_prepared_statements set.",
            statement.plans, statement.calls, statement.total_plan_ms, statement.total_ms);
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("plans", statement.plans);
        finding.evidence.emplace_back("total_plan_ms", statement.total_plan_ms);
        finding.evidence.emplace_back("total_exec_ms", statement.total_ms);
        finding.evidence.emplace_back("planning_share", share);
        finding.evidence.emplace_back("mean_plan_ms", mean_plan_ms);
        finding.impact.estimated_ms_saved_per_call = statement.total_plan_ms / static_cast<double>(statement.calls);
        finding.rank = statement.total_plan_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
