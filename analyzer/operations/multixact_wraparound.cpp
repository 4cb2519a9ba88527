// multixact-wraparound: a table (or another database) whose oldest multixact ID is older than
// autovacuum_multixact_freeze_max_age: autovacuum should have replaced its multixacts and has
// not kept up.
//
// Rationale: a multixact is the 32-bit ID PostgreSQL gives a row locked by several
// transactions at once (SELECT ... FOR SHARE / FOR KEY SHARE, the foreign key checks of
// concurrent inserts that reference one parent row, an UPDATE of a row others hold a key-share
// lock on). Like transaction IDs they wrap around after 2^31: before that the server stops
// assigning them, and every statement that needs one (those same row locks and foreign key
// checks) fails, while the multixact storage (pg_multixact) keeps growing. Vacuum freezes them
// away; autovacuum forces a freezing vacuum once a table's multixact age passes
// autovacuum_multixact_freeze_max_age. It is a separate rule from xid-wraparound because the
// cause (row-lock-heavy workloads, often foreign keys onto a few hot rows), the setting and
// the counter are separate: a table can be far from one limit and past the other.
// PostgreSQL behaviour: mxid_age(pg_class.relminmxid) per table, mxid_age(pg_database.datminmxid)
// per database; a table's own autovacuum_multixact_freeze_max_age (reloptions) lowers the
// server's. Vacuum cannot advance past the oldest multixact a running or prepared transaction
// may still need.
// Known false positives: right after a burst of row locks, while the anti-wraparound vacuum it
// triggered is still running (pg_stat_progress_vacuum shows it).
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

namespace {

constexpr std::int64_t k_multixact_limit = std::int64_t{1} << 31;

Finding multixact_wraparound(const FreezeAge& item, bool table) {
    const std::string name = table ? health::qualified_name(item.schema, item.name) : item.name;
    const char* what = table ? "Table" : "Database";
    Finding finding(RuleId::multixact_wraparound);
    finding.severity = item.age >= k_wraparound_error_age ? Severity::error : Severity::warning;
    finding.subject = name;
    if (table) finding.object = ObjectRef{"table", item.schema, item.name, {}, {}};
    const double used = static_cast<double>(item.age) / static_cast<double>(k_multixact_limit);
    finding.title = fmt::format("{} {}: oldest multixact ID is {} multixacts old, past "
                                "autovacuum_multixact_freeze_max_age ({})",
                                what, name, item.age, item.freeze_max_age);
    finding.message = fmt::format(
        "{} {} has used {:.1f}% of the 2^31 multixact IDs before wraparound; autovacuum should have frozen its "
        "row locks at {} and has not kept up. Multixacts come from rows locked by several transactions at once "
        "(FOR SHARE / FOR KEY SHARE, foreign key checks of concurrent writes onto the same parent rows). When the "
        "age nears 2^31 the server refuses to create more, and the statements that need one fail. {} Long "
        "transactions and prepared transactions (pg_prepared_xacts) keep the oldest multixact from advancing.",
        what, name, used * 100, item.freeze_max_age,
        table ? fmt::format("Run VACUUM (FREEZE, VERBOSE) on it at a quiet time (size {:.0f} MB) and check why "
                            "autovacuum did not (pg_stat_progress_vacuum, autovacuum_max_workers, lock conflicts).",
                            static_cast<double>(item.size_bytes) / (1024.0 * 1024.0))
              : std::string("Connect to it and run VACUUM (FREEZE) on its oldest tables (ORDER BY "
                            "mxid_age(relminmxid) DESC in pg_class)."));
    finding.suggestion.sql =
        table ? fmt::format("VACUUM (FREEZE, VERBOSE) {};", name)
              : std::string("SELECT datname, mxid_age(datminmxid) FROM pg_database ORDER BY 2 DESC;");
    finding.evidence.emplace_back(table ? "table" : "database", name);
    finding.evidence.emplace_back("multixact_age", item.age);
    finding.evidence.emplace_back("autovacuum_multixact_freeze_max_age", item.freeze_max_age);
    finding.evidence.emplace_back("multixacts_to_wraparound", k_multixact_limit - item.age);
    if (table) finding.evidence.emplace_back("size_bytes", item.size_bytes);
    return finding;
}

} // namespace

void check_multixact_wraparound(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    report_id_ages(workload, workload.activity->multixact_tables, workload.activity->multixact_databases,
                   multixact_wraparound, out);
}

} // namespace dbadvise::analyzer::operations
