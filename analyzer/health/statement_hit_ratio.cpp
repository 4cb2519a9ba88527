// statement-low-hit-ratio: per statement, the share of shared-buffer hits and the blocks read
// per call, from pg_stat_statements (shared_blks_hit, shared_blks_read).
//
// Rationale: the statements that read the most blocks are where the cache falls short, and
// each has a fix: an index that makes it read a few pages instead of a scan, or, when no
// index helps, a working set that needs more memory.
// PostgreSQL behaviour: shared_blks_read counts blocks not found in shared_buffers, including
// blocks the OS page cache served without disk I/O; the counters add up over all calls since
// the last pg_stat_statements reset.
// Point lookups (fewer than 8 blocks read per call) are left out: an index descent and a heap
// page cannot read less, and a cold cache for them is the database finding's subject.
// Known false positives: statements that scan by design (reports, exports); statements whose
// reads all came from a cold cache right after a restart.
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::health {

void check_statement_hit_ratio(const Context& context, std::vector<Finding>& out) {
    const auto shared_buffers = setting_bytes(context.workload, "shared_buffers");
    for (const WorkloadStatement& statement : context.workload.statements) {
        const auto ratio = hit_ratio(statement.shared_blks_hit, statement.shared_blks_read);
        if (!ratio || *ratio >= k_statement_hit_ratio || statement.shared_blks_read < k_min_reads) {
            continue;
        }
        const double calls = statement.calls > 0 ? static_cast<double>(statement.calls) : 1.0;
        const double reads_per_call = static_cast<double>(statement.shared_blks_read) / calls;
        if (reads_per_call < k_min_reads_per_call) {
            continue;
        }
        const double read_bytes_per_call = reads_per_call * static_cast<double>(context.block_size);

        Finding finding(RuleId::statement_low_hit_ratio);
        finding.severity = *ratio < k_warning_hit_ratio ? Severity::warning : Severity::info;
        // The id takes the statement's fingerprint (analyze.hpp): a queryid differs between
        // servers.
        finding.query = query_ref(statement);
        finding.title =
            fmt::format("Statement reads {:.1f} blocks ({}) per call; hit ratio {}", reads_per_call,
                        format_bytes(read_bytes_per_call), format_percent(*ratio));
        std::string message = fmt::format(
            "Over {} calls this statement found {} blocks in shared_buffers and read {} from "
            "outside it ({} per call). ",
            statement.calls, statement.shared_blks_hit, statement.shared_blks_read,
            format_bytes(read_bytes_per_call));
        if (const Finding* index = recommendation_for(context.recommendations, statement)) {
            message += fmt::format(
                "The recommended index serves this statement and removes most of these reads: "
                "with it the statement reads a few index and heap pages instead of scanning. "
                "Create it: {}",
                recommendation_summary(*index));
            finding.suggestion.sql = index->suggestion.sql;
            finding.evidence.emplace_back("index_recommendation", index->id());
        } else if (const std::string* reason = context.not_analyzed_reason(statement)) {
            // The advisor never saw this statement's plans: an index may well be the fix.
            message += fmt::format(
                "The index advisor could not analyze this statement ({}), so whether an index "
                "would remove these reads is unknown: look at its plan (EXPLAIN) before giving "
                "it more memory.",
                *reason);
            finding.evidence.emplace_back("index_advisor", std::string("not analyzed"));
        } else {
            message += "No recommended index serves it, so the fix is memory: its working set "
                       "does not stay in shared_buffers";
            if (shared_buffers) {
                message += fmt::format(" ({})", format_bytes(static_cast<double>(*shared_buffers)));
            }
            message += ". Raise shared_buffers if the server has RAM to spare (a restart is "
                       "needed), or make the statement read less (a narrower select list, a "
                       "covering index, a smaller range).";
        }
        finding.message = std::move(message);
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("shared_blks_hit", statement.shared_blks_hit);
        finding.evidence.emplace_back("shared_blks_read", statement.shared_blks_read);
        finding.evidence.emplace_back("hit_ratio", *ratio);
        finding.evidence.emplace_back("reads_per_call", reads_per_call);
        finding.rank = statement.total_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::health
