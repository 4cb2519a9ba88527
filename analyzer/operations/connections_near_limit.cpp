// connections-near-limit: the client sessions of the server fill most of the connection slots
// (max_connections minus superuser_reserved_connections and, 16+, reserved_connections).
//
// Rationale: at the limit new sessions fail with "sorry, too many clients already"; long
// before it, hundreds of mostly idle backends cost memory and make snapshots and lock tables
// slower. A transaction-mode pooler (PgBouncer) multiplexes many client connections onto a
// few server sessions, sized by how many statements actually run at once.
// PostgreSQL behaviour: every connection is a backend process; pg_stat_activity shows each
// with its state. The pool size comes from the measured active concurrency: pg_stat_database's
// active_time (14+) over its window, and the sessions active now.
// Known false positives: a momentary burst (a deploy, a failover) seen at the moment of the run.
#include "analyzer/operations/checks.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace dbadvise::analyzer::operations {

void check_connections_near_limit(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    const ServerActivity& activity = *workload.activity;
    const std::optional<std::int64_t> max_connections = setting_int(workload, "max_connections");
    if (!max_connections) return;
    const std::int64_t reserved = setting_int(workload, "superuser_reserved_connections").value_or(0) +
                                  setting_int(workload, "reserved_connections").value_or(0);
    const std::int64_t slots = *max_connections - reserved;
    // dbadvise's own session is not in the list but takes a slot.
    const auto in_use = static_cast<std::int64_t>(activity.sessions.size()) + 1;
    if (slots <= 0) return;
    const double share = static_cast<double>(in_use) / static_cast<double>(slots);
    if (share < k_connections_warning_share) return;
    std::map<std::string, std::int64_t> by_state;
    std::map<std::string, std::int64_t> by_application;
    for (const ClientSession& session : activity.sessions) {
        ++by_state[session.state.empty() ? std::string("unknown") : session.state];
        ++by_application[session.application.empty() ? std::string("(none)") : session.application];
    }
    const auto top = std::ranges::max_element(by_application, {}, &std::pair<const std::string, std::int64_t>::second);
    const std::int64_t idle = by_state["idle"];
    const std::int64_t active = by_state["active"];
    const int pool = pool_size(activity);
    Finding finding(RuleId::connections_near_limit);
    finding.severity = share >= k_connections_error_share ? Severity::error : Severity::warning;
    finding.subject = "max_connections";
    finding.title = fmt::format("{} of {} connection slots in use ({:.0f}%): put a transaction-mode pooler in front",
                                in_use, slots, share * 100);
    finding.message = fmt::format(
        "{} client sessions use {} of the {} connection slots (max_connections {} minus {} reserved); {} are "
        "idle and {} active. Near the limit new connections fail with \"too many clients\". Put a "
        "transaction-mode pooler in front of the server (PgBouncer: pool_mode = transaction, "
        "default_pool_size = {}, max_client_conn = {}), sized by the measured concurrency (twice the mean "
        "number of active sessions, at least those active now) and kept within 2-4 times the server's CPU "
        "cores. The application with the most sessions is {} ({}).",
        in_use - 1, in_use, slots, *max_connections, reserved, idle, active, pool, std::max<std::int64_t>(in_use * 2, 100),
        top == by_application.end() ? std::string("-") : top->first,
        top == by_application.end() ? 0 : top->second);
    finding.suggestion.sql =
        "SELECT application_name, usename, state, count(*) FROM pg_stat_activity WHERE backend_type = 'client "
        "backend' GROUP BY 1, 2, 3 ORDER BY 4 DESC;";
    finding.evidence.emplace_back("connections_in_use", in_use);
    finding.evidence.emplace_back("connection_slots", slots);
    finding.evidence.emplace_back("max_connections", *max_connections);
    finding.evidence.emplace_back("share", share);
    finding.evidence.emplace_back("idle", idle);
    finding.evidence.emplace_back("active", active);
    finding.evidence.emplace_back("idle_in_transaction", by_state["idle in transaction"]);
    if (top != by_application.end()) {
        finding.evidence.emplace_back("top_application", top->first);
        finding.evidence.emplace_back("top_application_sessions", top->second);
    }
    finding.evidence.emplace_back("pool_size", static_cast<std::int64_t>(pool));
    out.push_back(std::move(finding));
}

} // namespace dbadvise::analyzer::operations
