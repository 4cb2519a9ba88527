// variable-time: a slow statement whose execution time varies wildly from call to call
// (standard deviation above half the mean): typically a parameter-sensitive plan, where some
// values match a few rows and others most of the table, or a plan cached for the wrong value.
//
// Rationale: a mean hides the calls that take many times longer; those are the ones users
// notice. When the spread comes from the parameter values, a cached generic plan fits some
// values and not others; statistics on the skewed column (a larger statistics target, extended
// statistics) or plan_cache_mode = force_custom_plan for the statement's sessions let each value
// get its plan, and an index on the filter makes the rare values cheap.
// PostgreSQL behaviour: pg_stat_statements keeps stddev_exec_time, min and max per statement.
// Known false positives: statements that wait for locks or I/O now and then (the spread is not
// the plan's); a statement whose work is meant to vary (reports over different periods).
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_variable_time(const Workload& workload, std::vector<Finding>& out) {
    for (const WorkloadStatement& statement : workload.statements) {
        if (!statement.toplevel || statement.calls < k_variable_min_calls ||
            statement.mean_ms < k_variable_min_mean_ms || statement.total_ms < k_variable_min_total_ms ||
            statement.stddev_ms <= k_variable_stddev_share * statement.mean_ms)
            continue;
        const double spread = statement.stddev_ms / statement.mean_ms;
        Finding finding(RuleId::variable_time);
        finding.severity = spread >= k_variable_warning_stddev_share ? Severity::warning : Severity::info;
        finding.query = health::query_ref(statement);
        finding.title = fmt::format("Execution time varies widely: mean {:.2f} ms, standard deviation {:.2f} ms, "
                                    "max {:.2f} ms",
                                    statement.mean_ms, statement.stddev_ms, statement.max_ms);
        finding.message = fmt::format(
            "Over {} calls the standard deviation is {:.1f} times the mean and the slowest call took {:.1f} times "
            "the mean: some parameter values probably get a plan that fits others. EXPLAIN (ANALYZE) the "
            "statement with a frequent and a rare value of its filter; if the plans differ, give the skewed "
            "column better statistics (ALTER TABLE ... ALTER COLUMN ... SET STATISTICS 1000, or CREATE "
            "STATISTICS for correlated columns) and ANALYZE, index the filter so the rare values are cheap, or "
            "set plan_cache_mode = force_custom_plan for the sessions that run it so a cached generic plan is "
            "not reused for every value.",
            statement.calls, spread, statement.mean_ms > 0 ? statement.max_ms / statement.mean_ms : 0.0);
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("mean_ms", statement.mean_ms);
        finding.evidence.emplace_back("stddev_ms", statement.stddev_ms);
        finding.evidence.emplace_back("max_ms", statement.max_ms);
        finding.evidence.emplace_back("stddev_to_mean", spread);
        finding.rank = statement.total_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
