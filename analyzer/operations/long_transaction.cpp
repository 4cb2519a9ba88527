// long-transaction: a transaction open for a long time, or whose snapshot holds the cluster's
// xmin horizon far back, so that vacuum cannot remove the rows deleted or updated since.
//
// Rationale: VACUUM removes a dead row only when no snapshot can still see it; one old
// snapshot anywhere in the cluster keeps every table's dead rows (and their index entries)
// until it ends, so tables and indexes bloat and index-only scans visit the heap. It also
// keeps freezing from advancing (xid-wraparound).
// PostgreSQL behaviour: pg_stat_activity.xact_start is when the transaction began and
// backend_xmin the oldest transaction its snapshot needs; age(backend_xmin) is how many
// transaction IDs the horizon is behind.
// Known false positives: a long report or migration that was meant to run long (then run it on
// a replica, or in smaller steps). Sessions idle in a transaction are idle-in-transaction's.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_long_transaction(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    for (const ClientSession& session : workload.activity->sessions) {
        if (session.state.starts_with("idle in transaction") && session.state_age_s &&
            *session.state_age_s >= k_idle_in_transaction_s)
            continue;
        const double age_s = session.xact_age_s.value_or(0);
        const std::int64_t xmin_age = session.xmin_age.value_or(0);
        if (age_s < k_long_transaction_s && xmin_age < k_long_transaction_xmin_age) continue;
        const WorkloadStatement* statement = statement_by_queryid(workload, session.queryid);
        Finding finding(RuleId::long_transaction);
        finding.subject = fmt::format("{}/{}/{}", session.database, session.user, session.application);
        finding.title = fmt::format("Transaction of session {} open for {}{}", describe_session(session),
                                    format_seconds(age_s),
                                    session.xmin_age ? fmt::format(", holding the xmin horizon {} transactions back",
                                                                   xmin_age)
                                                     : std::string());
        finding.message = fmt::format(
            "Session {} ({}) began its transaction {} ago{}. While it runs, vacuum cannot remove rows deleted or "
            "updated since its snapshot was taken, in any table of the cluster, and cannot freeze past it: "
            "tables and indexes bloat. Split long work into shorter transactions, run long reports on a "
            "replica, and bound them with statement_timeout or transaction_timeout (17+).",
            describe_session(session), session.state.empty() ? std::string("state unknown") : session.state,
            format_seconds(age_s),
            session.xmin_age ? fmt::format(" and its snapshot is {} transactions old", xmin_age) : std::string());
        if (statement != nullptr)
            finding.query = health::query_ref(*statement);
        finding.suggestion.sql = fmt::format(
            "SELECT pid, usename, application_name, state, xact_start, query FROM pg_stat_activity WHERE pid = {};",
            session.pid);
        finding.evidence.emplace_back("pid", static_cast<std::int64_t>(session.pid));
        finding.evidence.emplace_back("transaction_age_s", age_s);
        if (session.xmin_age) finding.evidence.emplace_back("xmin_age", xmin_age);
        finding.evidence.emplace_back("state", session.state);
        finding.evidence.emplace_back("application", session.application);
        finding.evidence.emplace_back("user", session.user);
        finding.rank = age_s * 1'000;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
