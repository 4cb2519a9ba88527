// prepared-transaction-open: a transaction prepared for two-phase commit (PREPARE TRANSACTION)
// and neither committed nor rolled back for a long time, or holding the xmin horizon far back.
//
// Rationale: a prepared transaction is a transaction without a session. Until COMMIT PREPARED
// or ROLLBACK PREPARED it keeps every lock it took (an UPDATE's row locks, a table's
// ROW EXCLUSIVE lock that blocks ALTER TABLE and VACUUM FULL) and its transaction ID holds the
// cluster's xmin horizon: vacuum removes no row deleted or updated since, in any table of any
// database, and cannot freeze past it, so that in the end the server stops assigning
// transaction IDs. It survives restarts and no timeout ends it (idle_in_transaction_session_timeout,
// statement_timeout and pg_terminate_backend do not apply): a transaction manager that crashed
// or forgot it leaves it there for good.
// PostgreSQL behaviour: pg_prepared_xacts lists them (gid, prepared, owner, database, the
// transaction ID); their locks are in pg_locks with no pid; age(transaction) is how many
// transaction IDs the horizon is behind. Only a session connected to the transaction's own
// database can COMMIT PREPARED or ROLLBACK PREPARED it.
// Known false positives: a transaction manager in the middle of recovering after its own
// crash, about to resolve it (then it goes away within its retry interval).
#include "analyzer/operations/checks.hpp"
#include "analyzer/text.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

namespace {

std::string relation_list(const std::vector<std::string>& relations) {
    std::string out;
    for (std::size_t i = 0; i < relations.size() && i < 5; ++i) out += (i > 0 ? ", " : "") + relations[i];
    if (relations.size() > 5) out += fmt::format(" and {} more", relations.size() - 5);
    return out;
}

} // namespace

void check_prepared_transaction_open(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    const std::int64_t freeze_max_age = setting_int(workload, "autovacuum_freeze_max_age").value_or(200'000'000);
    for (const PreparedTransaction& prepared : workload.activity->prepared) {
        if (prepared.age_s < k_prepared_transaction_s && prepared.xid_age < k_long_transaction_xmin_age) continue;
        Finding finding(RuleId::prepared_transaction_open);
        // Past the forced-freeze age it already keeps anti-wraparound vacuum from freezing.
        finding.severity = prepared.xid_age >= freeze_max_age ? Severity::error : Severity::warning;
        finding.subject = fmt::format("{}/{}", prepared.database, prepared.gid);
        finding.title = fmt::format("Prepared transaction {} (database {}) open for {}, holding the xmin horizon {} "
                                    "transactions back",
                                    quote_literal(prepared.gid), prepared.database, format_seconds(prepared.age_s),
                                    prepared.xid_age);
        finding.message = fmt::format(
            "Transaction {} of {} was prepared for two-phase commit {} ago and neither committed nor rolled back. "
            "It has no session: no timeout ends it and it survives restarts. Until it ends it keeps its {} "
            "lock{}{}, and vacuum cannot remove rows deleted or updated in the last {} transactions, in any table "
            "of any database, nor freeze past it. Ask the transaction manager that prepared it (its owner is {}) "
            "which outcome it decided; if none claims it, end it from database {} with ROLLBACK PREPARED (or "
            "COMMIT PREPARED when it was decided to commit).",
            quote_literal(prepared.gid), prepared.owner.empty() ? std::string("an unknown role") : prepared.owner,
            format_seconds(prepared.age_s), prepared.locks, prepared.locks == 1 ? "" : "s",
            prepared.relations.empty() ? std::string()
                                       : fmt::format(" (on {})", relation_list(prepared.relations)),
            prepared.xid_age, prepared.owner.empty() ? std::string("unknown") : prepared.owner, prepared.database);
        finding.suggestion.sql = fmt::format(
            "-- In database {}, once its transaction manager confirms it was abandoned (else COMMIT PREPARED):\n"
            "ROLLBACK PREPARED {};",
            prepared.database, quote_literal(prepared.gid));
        finding.evidence.emplace_back("gid", prepared.gid);
        finding.evidence.emplace_back("database", prepared.database);
        finding.evidence.emplace_back("owner", prepared.owner);
        finding.evidence.emplace_back("prepared_age_s", prepared.age_s);
        finding.evidence.emplace_back("xid_age", prepared.xid_age);
        finding.evidence.emplace_back("locks", prepared.locks);
        if (!prepared.relations.empty())
            finding.evidence.emplace_back("locked_relations", relation_list(prepared.relations));
        finding.rank = prepared.age_s * 1'000;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
