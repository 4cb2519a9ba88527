// The table of health checks for `dbadvise rules`. Each entry's id is the `rule` its findings
// carry; the checks themselves are in the other files of this folder.
#include "analyzer/health.hpp"

#include <array>

namespace dbadvise::analyzer {

namespace {

constexpr std::array<HealthRule, 13> k_rules{{
    {"analyze-plans-failed", Category::input, Severity::info,
     "--analyze-plans could not get a plan for a statement",
     "The server's message says why (a timeout, a parameter it could not type); the other "
     "statements are still analyzed."},
    {"analyze-plans-skipped", Category::input, Severity::info,
     "--analyze-plans did not run a statement: a locked table, a parameter without a value, "
     "the time budget",
     "A statement on a table another session locks would wait; a parameter without a value the "
     "workload supports (or in OFFSET) would need a NULL stand-in and give a meaningless plan."},
    {"analyze-plans-unsafe", Category::input, Severity::info,
     "--analyze-plans did not run a statement that may have side effects",
     "EXPLAIN ANALYZE executes the statement, and a read-only transaction does not stop "
     "volatile, admin, signalling, dblink, sequence, advisory-lock, large-object or file "
     "functions, nor row locks; only statements proven free of them run."},
    {"database-low-hit-ratio", Category::cache, Severity::warning,
     "Database buffer hit ratio below 99% with many reads",
     "Block reads from outside shared_buffers make queries wait; OS page-cache hits count as "
     "reads too."},
    {"many-dead-tuples", Category::schema, Severity::warning,
     "Dead tuples above autovacuum's vacuum threshold",
     "Dead row versions make scans read more pages and the cache hold less live data."},
    {"never-analyzed", Category::plan, Severity::warning, "A table with rows but no statistics",
     "Without ANALYZE the planner guesses row counts and value distributions."},
    {"shared-buffers-below-working-set", Category::config, Severity::info,
     "shared_buffers smaller than the hot tables and their indexes",
     "Hot tables that do not fit evict each other, and every pass reads them again."},
    {"stale-statistics", Category::plan, Severity::warning,
     "Rows modified since the last ANALYZE above twice autovacuum's share",
     "Statistics that drift from the data give misestimates and wrong plans."},
    {"statement-low-hit-ratio", Category::cache, Severity::warning,
     "A statement reads many blocks from outside shared_buffers",
     "Tied to its fix: the recommended index that removes the reads, else more memory."},
    {"statement-temp-spill", Category::cache, Severity::warning,
     "A statement writes temp files: a sort or hash exceeded work_mem",
     "Disk I/O replaces an in-memory operation; set work_mem for that statement's session or "
     "role."},
    {"table-locked", Category::input, Severity::warning,
     "Another session holds or waits for an exclusive lock on a table of the workload",
     "Reading its index definitions or planning its statements would wait behind the lock (a "
     "migration, say); dbadvise skips them and names the session instead."},
    {"table-low-hit-ratio", Category::cache, Severity::info,
     "A table or its indexes read mostly from outside shared_buffers",
     "Shows where the database's reads concentrate; large tables scanned sequentially never "
     "stay cached."},
    {"track-io-timing-off", Category::config, Severity::info, "track_io_timing is off",
     "Reads are counted but not timed, so page-cache hits cannot be told from disk reads."},
}};

} // namespace

std::span<const HealthRule> health_rules() {
    return k_rules;
}

} // namespace dbadvise::analyzer
