// idle-in-transaction: sessions that opened a transaction and then sat idle, holding its locks
// and snapshot while the application did something else (or forgot to commit).
//
// Rationale: an idle transaction keeps every lock it took (a row it updated blocks other
// writers of that row; an ALTER TABLE queues behind its ACCESS SHARE and every query queues
// behind the ALTER) and, under REPEATABLE READ or with an open cursor, its snapshot, which keeps
// vacuum from removing dead rows anywhere in the cluster.
// PostgreSQL behaviour: pg_stat_activity.state is "idle in transaction" (or "... (aborted)")
// and state_change is when it went idle. idle_in_transaction_session_timeout ends such sessions.
// Known false positives: an interactive psql session a person left open.
#include "analyzer/operations/checks.hpp"
#include "analyzer/text.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_idle_in_transaction(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    const std::int64_t timeout_ms = setting_int(workload, "idle_in_transaction_session_timeout").value_or(0);
    for (const ClientSession& session : workload.activity->sessions) {
        if (!session.state.starts_with("idle in transaction") || !session.state_age_s ||
            *session.state_age_s < k_idle_in_transaction_s)
            continue;
        const double idle_s = *session.state_age_s;
        Finding finding(RuleId::idle_in_transaction);
        finding.severity = idle_s >= k_idle_in_transaction_warning_s || session.xmin_age ? Severity::warning
                                                                                           : Severity::info;
        finding.subject = fmt::format("{}/{}/{}", session.database, session.user, session.application);
        finding.title = fmt::format("Session {} has been idle in a transaction for {}", describe_session(session),
                                    format_seconds(idle_s));
        finding.message = fmt::format(
            "Session {} opened a transaction {} ago and has been idle in it for {} ({}): it holds every lock it "
            "took, so writers of the same rows and any DDL on its tables wait behind it{}. Commit or roll back "
            "as soon as the work is done, and never wait for the user or a remote call inside a transaction. "
            "idle_in_transaction_session_timeout {} ends such sessions.",
            describe_session(session), format_seconds(session.xact_age_s.value_or(idle_s)), format_seconds(idle_s),
            session.state,
            session.xmin_age ? fmt::format(", and its snapshot keeps vacuum from removing rows deleted in the last "
                                           "{} transactions",
                                           *session.xmin_age)
                             : std::string(),
            timeout_ms > 0 ? fmt::format("is {} ms here; lower it", timeout_ms)
                           : std::string("is off: set it for the application's role"));
        const std::string role = session.user.empty() ? std::string("the_application_role") : session.user;
        finding.suggestion.sql = fmt::format("ALTER ROLE {} SET idle_in_transaction_session_timeout = '{}s';",
                                             quote_identifier(role), k_idle_in_transaction_timeout_s);
        finding.evidence.emplace_back("pid", static_cast<std::int64_t>(session.pid));
        finding.evidence.emplace_back("idle_s", idle_s);
        finding.evidence.emplace_back("transaction_age_s", session.xact_age_s.value_or(idle_s));
        if (session.xmin_age) finding.evidence.emplace_back("xmin_age", *session.xmin_age);
        finding.evidence.emplace_back("application", session.application);
        finding.evidence.emplace_back("user", session.user);
        finding.evidence.emplace_back("idle_in_transaction_session_timeout_ms", timeout_ms);
        finding.rank = idle_s * 1'000;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
