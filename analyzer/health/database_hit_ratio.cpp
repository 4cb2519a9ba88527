// database-low-hit-ratio: the whole database's buffer hit ratio from pg_stat_database.
//
// Rationale: an OLTP database whose hot data fits in memory answers well over 99% of block
// requests from shared_buffers; a lower ratio over a meaningful number of reads means queries
// wait for reads, and usually that a few statements scan more than they should.
// PostgreSQL behaviour: blks_hit counts only hits in shared_buffers. A block served from the
// operating system's page cache is counted in blks_read although it cost no disk I/O, so the
// ratio understates how much is cached in RAM; with track_io_timing on, blk_read_time tells
// the two apart. The counters are cumulative since the last statistics reset or restart.
// Known false positives: analytic workloads that scan large tables by design; a server that
// was restarted recently (its first reads are misses however large shared_buffers is); a
// database that fits in shared_buffers (reported as information with that explanation).
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::health {

void check_database_hit_ratio(const Context& context, std::vector<Finding>& out) {
    const DatabaseStats& stats = context.workload.database_stats;
    const auto ratio = hit_ratio(stats.blks_hit, stats.blks_read);
    if (!ratio || *ratio >= k_database_hit_ratio || stats.blks_read < k_database_min_reads) {
        return;
    }
    const auto shared_buffers = setting_bytes(context.workload, "shared_buffers");
    const bool fits = shared_buffers && stats.size_bytes > 0 && stats.size_bytes <= *shared_buffers;

    Finding finding(RuleId::database_low_hit_ratio);
    finding.severity = (*ratio < k_warning_hit_ratio && !fits) ? Severity::warning : Severity::info;
    finding.subject = context.workload.database.empty() ? "database" : context.workload.database;
    finding.object = ObjectRef{"database", {}, finding.subject, {}, {}};
    finding.title = fmt::format("Database buffer hit ratio is {} ({} blocks read)",
                                format_percent(*ratio), stats.blks_read);
    std::string message = fmt::format(
        "{} of block requests in database {} were served from shared_buffers; {} blocks "
        "({}) had to be read. pg_stat_database counts only shared-buffer hits: blocks found in "
        "the operating system's page cache also count as reads, so some of these reads cost no "
        "disk I/O (turn on track_io_timing to tell them apart). ",
        format_percent(*ratio), finding.subject, stats.blks_read,
        format_bytes(static_cast<double>(stats.blks_read) *
                     static_cast<double>(context.block_size)));
    if (fits) {
        message += fmt::format(
            "The database ({}) fits in shared_buffers ({}), so these are most likely first "
            "reads after a restart or a statistics reset; the ratio climbs as the cache warms.",
            format_bytes(static_cast<double>(stats.size_bytes)),
            format_bytes(static_cast<double>(*shared_buffers)));
    } else {
        message += "Start with the statements and tables with the most reads below: an index "
                   "that replaces a scan removes reads at their source; otherwise the working "
                   "set needs more memory (shared_buffers, or RAM for the page cache).";
    }
    finding.message = std::move(message);
    finding.evidence.emplace_back("blks_hit", stats.blks_hit);
    finding.evidence.emplace_back("blks_read", stats.blks_read);
    finding.evidence.emplace_back("hit_ratio", *ratio);
    if (shared_buffers) {
        finding.evidence.emplace_back("shared_buffers_bytes", *shared_buffers);
    }
    if (stats.size_bytes > 0) {
        finding.evidence.emplace_back("database_size_bytes", stats.size_bytes);
    }
    // A server-wide finding has no statement time of its own: it ranks after the findings
    // that carry measured time.
    finding.rank = 0;
    out.push_back(std::move(finding));
}

} // namespace dbadvise::analyzer::health
