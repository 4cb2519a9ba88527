// xid-wraparound: a table (or another database) whose oldest unfrozen transaction ID is older
// than autovacuum_freeze_max_age: autovacuum should have frozen it and has not kept up.
//
// Rationale: transaction IDs are 32 bits; rows must be frozen before their IDs are 2^31
// transactions old, or the server stops assigning IDs (and so all writes) to prevent data loss.
// Autovacuum forces a freezing vacuum once a table's age passes autovacuum_freeze_max_age; a
// table past it means that vacuum cannot run (autovacuum cancelled by lock conflicts, too few
// workers, a huge table) or cannot freeze (an old snapshot, a prepared transaction or a
// replication slot holds the horizon).
// PostgreSQL behaviour: age(pg_class.relfrozenxid) per table, age(pg_database.datfrozenxid) per
// database; a table's own autovacuum_freeze_max_age (reloptions) lowers the server's.
// Known false positives: right after a burst of transactions, while the anti-wraparound
// vacuum it triggered is still running (pg_stat_progress_vacuum shows it).
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"
#include "analyzer/text.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

namespace {

constexpr std::int64_t k_xid_limit = std::int64_t{1} << 31;

// The session whose snapshot is oldest, when it holds the horizon back by at least `age`.
const ClientSession* horizon_holder(const ServerActivity& activity, std::int64_t age) {
    const ClientSession* oldest = nullptr;
    for (const ClientSession& session : activity.sessions)
        if (session.xmin_age && (!oldest || *session.xmin_age > *oldest->xmin_age)) oldest = &session;
    return oldest && *oldest->xmin_age >= age ? oldest : nullptr;
}

const PreparedTransaction* prepared_holder(const ServerActivity& activity, std::int64_t age) {
    const PreparedTransaction* oldest = nullptr;
    for (const PreparedTransaction& prepared : activity.prepared)
        if (!oldest || prepared.xid_age > oldest->xid_age) oldest = &prepared;
    return oldest && oldest->xid_age >= age ? oldest : nullptr;
}

Finding wraparound(const FreezeAge& item, bool table, const ServerActivity& activity) {
    const std::string name = table ? health::qualified_name(item.schema, item.name) : item.name;
    Finding finding(RuleId::xid_wraparound);
    finding.severity = item.age >= k_wraparound_error_age ? Severity::error : Severity::warning;
    finding.subject = name;
    const double used = static_cast<double>(item.age) / static_cast<double>(k_xid_limit);
    finding.title = fmt::format("{} {}: oldest unfrozen transaction ID is {} transactions old, past "
                                "autovacuum_freeze_max_age ({})",
                                table ? "Table" : "Database", name, item.age, item.freeze_max_age);
    const ClientSession* holder = horizon_holder(activity, item.freeze_max_age);
    const PreparedTransaction* prepared = holder ? nullptr : prepared_holder(activity, item.freeze_max_age);
    finding.message = fmt::format(
        "{} {} has used {:.1f}% of the 2^31 transaction IDs before wraparound; autovacuum should have frozen it "
        "at {} and has not kept up. When the age nears 2^31 the server stops accepting writes. {}{}",
        table ? "Table" : "Database", name, used * 100, item.freeze_max_age,
        table ? fmt::format("Run VACUUM (FREEZE, VERBOSE) on it at a quiet time (size {:.0f} MB) and check why "
                            "autovacuum did not (pg_stat_progress_vacuum, autovacuum_max_workers, lock conflicts).",
                            static_cast<double>(item.size_bytes) / (1024.0 * 1024.0))
              : std::string("Connect to it and run VACUUM (FREEZE) on its oldest tables (ORDER BY "
                            "age(relfrozenxid) DESC in pg_class)."),
        holder ? fmt::format(" Session {} holds the xmin horizon {} transactions back: vacuum cannot freeze past "
                             "it until its transaction ends.",
                             describe_session(*holder), *holder->xmin_age)
        : prepared ? fmt::format(" Prepared transaction {} (database {}) holds the xmin horizon {} transactions back: "
                                 "vacuum cannot freeze past it until it is committed or rolled back "
                                 "(prepared-transaction-open).",
                                 quote_literal(prepared->gid), prepared->database, prepared->xid_age)
               : std::string(" Old snapshots, prepared transactions (pg_prepared_xacts) and replication slots "
                             "(pg_replication_slots) also keep freezing from advancing."));
    finding.suggestion.sql = table ? fmt::format("VACUUM (FREEZE, VERBOSE) {};", name)
                                   : std::string("SELECT datname, age(datfrozenxid) FROM pg_database ORDER BY 2 DESC;");
    finding.evidence.emplace_back(table ? "table" : "database", name);
    finding.evidence.emplace_back("xid_age", item.age);
    finding.evidence.emplace_back("autovacuum_freeze_max_age", item.freeze_max_age);
    finding.evidence.emplace_back("xids_to_wraparound", k_xid_limit - item.age);
    if (table) finding.evidence.emplace_back("size_bytes", item.size_bytes);
    if (holder) finding.evidence.emplace_back("horizon_held_by_pid", static_cast<std::int64_t>(holder->pid));
    if (prepared) finding.evidence.emplace_back("horizon_held_by_prepared", prepared->gid);
    return finding;
}

} // namespace

void check_xid_wraparound(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    const ServerActivity& activity = *workload.activity;
    report_id_ages(workload, activity.tables, activity.databases,
                   [&](const FreezeAge& item, bool table) { return wraparound(item, table, activity); }, out);
}

} // namespace dbadvise::analyzer::operations
