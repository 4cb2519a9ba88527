// statement-temp-spill: statements that write temporary files (pg_stat_statements
// temp_blks_written), with the work_mem that would keep them in memory.
//
// Rationale: a sort, hash or materialize node that does not fit in work_mem spills to temp
// files, and disk I/O replaces an in-memory operation. Raising work_mem for the statement's
// session or role is safe and targeted; raising it globally is not, because every sort and
// hash node of every connection may use that much memory at once.
// PostgreSQL behaviour: temp_blks_written counts blocks of the block size written to temp
// files over all calls. Written bytes per call are a lower bound of the memory needed: the
// in-memory form of sorted tuples is larger than the on-disk form, and a statement with
// several spilling nodes needs work_mem for each (hash nodes may use hash_mem_multiplier x
// work_mem). EXPLAIN (ANALYZE) shows "Sort Method: external merge  Disk: N kB" per node.
// Known false positives: CREATE INDEX, CLUSTER and other maintenance that spills by design
// (they use maintenance_work_mem, not work_mem); statements that ran once in a batch job.
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::health {

void check_temp_spill(const Context& context, std::vector<Finding>& out) {
    const auto work_mem = setting_bytes(context.workload, "work_mem");
    for (const WorkloadStatement& statement : context.workload.statements) {
        if (statement.temp_blks_written < k_min_temp_blocks) {
            continue;
        }
        const double calls = statement.calls > 0 ? static_cast<double>(statement.calls) : 1.0;
        const double spill_per_call = static_cast<double>(statement.temp_blks_written) *
                                      static_cast<double>(context.block_size) / calls;
        // At least the spilled bytes, and at least double today's value: the current setting
        // was evidently too small.
        const double wanted =
            std::max(spill_per_call, work_mem ? 2.0 * static_cast<double>(*work_mem) : 0.0);
        const std::string value = work_mem_value(wanted);

        Finding finding(RuleId::statement_temp_spill);
        // The id takes the statement's fingerprint (analyze.hpp): a queryid differs between
        // servers.
        finding.query = query_ref(statement);
        finding.title = fmt::format("Statement spills {} per call to temporary files",
                                    format_bytes(spill_per_call));
        std::string message = fmt::format(
            "Over {} calls this statement wrote {} temp blocks ({} per call): a sort or hash did "
            "not fit in work_mem{}. It needs at least {} of work_mem to stay in memory (the "
            "in-memory form is larger than what was written, so check with EXPLAIN (ANALYZE, "
            "BUFFERS)). Set it for this statement's session or role (SET work_mem = '{}' before "
            "it runs, or ALTER ROLE ... SET work_mem = '{}'), not globally: every sort and hash "
            "of every connection may use work_mem at once.",
            statement.calls, statement.temp_blks_written, format_bytes(spill_per_call),
            work_mem ? fmt::format(" ({})", format_bytes(static_cast<double>(*work_mem))) : "",
            format_bytes(spill_per_call), value, value);
        if (const Finding* index = recommendation_for(context.recommendations, statement)) {
            message +=
                fmt::format(" The index recommended for this statement may remove the sort or hash "
                            "altogether: {}",
                            recommendation_summary(*index));
            finding.evidence.emplace_back("index_recommendation", index->id());
        }
        finding.message = std::move(message);
        finding.suggestion.sql = fmt::format("SET work_mem = '{}';", value);
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("temp_blks_written", statement.temp_blks_written);
        finding.evidence.emplace_back("temp_bytes_per_call", spill_per_call);
        if (work_mem) {
            finding.evidence.emplace_back("work_mem_bytes", *work_mem);
        }
        finding.evidence.emplace_back("suggested_work_mem", value);
        finding.rank = statement.total_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::health
