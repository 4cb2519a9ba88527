// connection-churn: many short sessions: the application opens a connection per request (or
// per statement) instead of keeping a pool.
//
// Rationale: each new session forks a backend, authenticates and warms its catalog caches,
// which costs milliseconds of server time and client latency every time; a pool (in the
// application's driver, or PgBouncer) reuses sessions.
// PostgreSQL behaviour: pg_stat_database counts sessions and their total time since its
// statistics were reset (14+); their ratio is the mean session length. Without a reset the
// window starts at the server's start, so the rate is a lower bound after a restart that kept
// the statistics.
// Known false positives: batch jobs that connect once each (few sessions, long ones) are below
// the thresholds; monitoring probes that connect every second may be intended.
#include "analyzer/operations/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_connection_churn(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity || !workload.activity->session_counters) return;
    const ServerActivity& activity = *workload.activity;
    const SessionCounters& counters = *activity.session_counters;
    if (counters.sessions < k_churn_min_sessions) return;
    const double mean_ms = counters.session_time_ms / static_cast<double>(counters.sessions);
    if (mean_ms > k_churn_max_mean_session_ms) return;
    const double rate = counters.window_s > 0 ? static_cast<double>(counters.sessions) / counters.window_s : 0.0;
    const double cost_ms = static_cast<double>(counters.sessions) * k_connect_cost_ms;
    Finding finding(RuleId::connection_churn);
    finding.severity = rate >= k_churn_warning_rate ? Severity::warning : Severity::info;
    finding.subject = workload.database;
    finding.title = fmt::format("{} sessions lasting {:.0f} ms on average ({:.2f} new sessions/s): keep connections "
                                "in a pool",
                                counters.sessions, mean_ms, rate);
    finding.message = fmt::format(
        "Database {} had {} sessions in the last {} whose mean length was {:.1f} ms: the application connects "
        "for each request. Every connection forks a backend, authenticates and warms its caches, about {} ms "
        "each (assumed), {:.0f} ms in all, and adds that latency to the request. Keep connections open in "
        "the driver's pool, or put PgBouncer (pool_mode = transaction, default_pool_size = {}) between the "
        "application and the server.{}",
        workload.database, counters.sessions, format_seconds(counters.window_s), mean_ms, k_connect_cost_ms,
        cost_ms, pool_size(activity),
        counters.abandoned + counters.fatal + counters.killed > 0
            ? fmt::format(" {} sessions ended abnormally (abandoned {}, fatal {}, killed {}).",
                          counters.abandoned + counters.fatal + counters.killed, counters.abandoned, counters.fatal,
                          counters.killed)
            : std::string());
    finding.evidence.emplace_back("sessions", counters.sessions);
    finding.evidence.emplace_back("mean_session_ms", mean_ms);
    finding.evidence.emplace_back("sessions_per_s", rate);
    finding.evidence.emplace_back("window_s", counters.window_s);
    finding.evidence.emplace_back("sessions_abandoned", counters.abandoned);
    finding.evidence.emplace_back("sessions_fatal", counters.fatal);
    finding.evidence.emplace_back("sessions_killed", counters.killed);
    finding.evidence.emplace_back("connect_ms_assumed", k_connect_cost_ms);
    finding.evidence.emplace_back("pool_size", static_cast<std::int64_t>(pool_size(activity)));
    finding.rank = cost_ms;
    out.push_back(std::move(finding));
}

} // namespace dbadvise::analyzer::operations
