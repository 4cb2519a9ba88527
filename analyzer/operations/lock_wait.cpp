// lock-wait: sessions waiting for a lock right now, grouped by the session at the head of the
// chain (pg_blocking_pids): the one everybody waits for.
//
// Rationale: a lock wait is time a statement spends doing nothing; a chain behind one session
// (a long transaction that updated a row, a migration waiting for ACCESS EXCLUSIVE with every
// reader queued behind it) can stall an application. Naming the head of the chain says what
// to end or change.
// PostgreSQL behaviour: pg_stat_activity.wait_event_type = 'Lock' marks a session waiting for a
// heavyweight lock; pg_blocking_pids() lists the sessions it waits for (holders, and sessions
// ahead of it in the queue). pg_stat_statements has no lock-wait time, so only waits visible
// at the moment of the run are reported.
// Known false positives: a short wait that happened to be in progress when dbadvise looked.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>

namespace dbadvise::analyzer::operations {

namespace {

// Follows blocked_by to the sessions that wait for no one (the heads of the chains); a cycle
// (a deadlock about to be detected) ends at the session where it closes.
void heads_of(int pid, const std::map<int, const ClientSession*>& sessions, std::set<int>& visited,
              std::set<int>& heads) {
    if (!visited.insert(pid).second) return;
    const auto found = sessions.find(pid);
    if (found == sessions.end() || found->second->blocked_by.empty()) {
        heads.insert(pid);
        return;
    }
    for (const int blocker : found->second->blocked_by) heads_of(blocker, sessions, visited, heads);
}

} // namespace

void check_lock_wait(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    std::map<int, const ClientSession*> by_pid;
    for (const ClientSession& session : workload.activity->sessions) by_pid[session.pid] = &session;
    std::map<int, std::vector<const ClientSession*>> waiting_for; // head -> waiting sessions
    for (const ClientSession& session : workload.activity->sessions) {
        if (session.wait_event_type != "Lock" || session.blocked_by.empty()) continue;
        std::set<int> visited{session.pid};
        std::set<int> heads;
        for (const int blocker : session.blocked_by) heads_of(blocker, by_pid, visited, heads);
        for (const int head : heads) waiting_for[head].push_back(&session);
    }
    for (const auto& [head, waiters] : waiting_for) {
        const auto found = by_pid.find(head);
        const ClientSession* blocker = found == by_pid.end() ? nullptr : found->second;
        double longest_s = 0;
        double total_s = 0;
        std::string pids;
        std::set<std::string> events;
        for (const ClientSession* waiter : waiters) {
            const double waited = waiter->state_age_s.value_or(0);
            longest_s = std::max(longest_s, waited);
            total_s += waited;
            pids += (pids.empty() ? "" : ", ") + std::to_string(waiter->pid);
            events.insert(waiter->wait_event);
        }
        std::string kinds;
        for (const std::string& event : events) kinds += (kinds.empty() ? "" : ", ") + event;
        const std::string who = blocker ? describe_session(*blocker) : fmt::format("pid {}", head);
        Finding finding(RuleId::lock_wait);
        finding.subject = blocker ? fmt::format("{}/{}/{}", blocker->database, blocker->user, blocker->application)
                                  : std::to_string(head);
        finding.title = fmt::format("{} session{} waiting for locks behind session {}", waiters.size(),
                                    waiters.size() == 1 ? "" : "s", who);
        finding.message = fmt::format(
            "Session{} {} {} waiting for a lock ({}) for up to {}, behind session {}{}. Find what it holds and "
            "why its transaction stays open (the query below); commit sooner, take row locks in a consistent "
            "order, and run DDL with a short lock_timeout (SET lock_timeout = '2s') so that a migration "
            "waiting for its lock does not queue every reader behind it.",
            waiters.size() == 1 ? "" : "s", pids, waiters.size() == 1 ? "is" : "are", kinds,
            format_seconds(longest_s), who,
            blocker ? fmt::format(", which is {}{}", blocker->state.empty() ? std::string("in an unknown state")
                                                                            : blocker->state,
                                  blocker->xact_age_s ? fmt::format(" in a transaction open for {}",
                                                                    format_seconds(*blocker->xact_age_s))
                                                      : std::string())
                    : std::string());
        if (blocker != nullptr) {
            if (const WorkloadStatement* statement = statement_by_queryid(workload, blocker->queryid))
                finding.query = health::query_ref(*statement);
        }
        if (!finding.query) {
            for (const ClientSession* waiter : waiters) {
                if (const WorkloadStatement* statement = statement_by_queryid(workload, waiter->queryid)) {
                    finding.query = health::query_ref(*statement);
                    break;
                }
            }
        }
        finding.suggestion.sql = fmt::format(
            "SELECT pid, state, xact_start, wait_event_type, pg_blocking_pids(pid), query FROM pg_stat_activity "
            "WHERE pid IN ({}, {});",
            head, pids);
        finding.evidence.emplace_back("blocking_pid", static_cast<std::int64_t>(head));
        finding.evidence.emplace_back("waiting_pids", pids);
        finding.evidence.emplace_back("waiting_sessions", static_cast<std::int64_t>(waiters.size()));
        finding.evidence.emplace_back("longest_wait_s", longest_s);
        finding.evidence.emplace_back("lock_kinds", kinds);
        if (blocker != nullptr) {
            finding.evidence.emplace_back("blocking_state", blocker->state);
            if (blocker->xact_age_s) finding.evidence.emplace_back("blocking_transaction_age_s", *blocker->xact_age_s);
        }
        finding.rank = total_s * 1'000;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
