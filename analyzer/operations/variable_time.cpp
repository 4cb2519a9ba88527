// variable-time: a slow statement whose execution time varies wildly from call to call
// (standard deviation above half the mean): typically a parameter-sensitive plan, where some
// values match a few rows and others most of the table, or a plan cached for the wrong value.
//
// Rationale: a mean hides the calls that take many times longer; those are the ones users
// notice. When the spread comes from the parameter values, a cached generic plan fits some
// values and not others; statistics on the skewed column (a larger statistics target, extended
// statistics) or plan_cache_mode = force_custom_plan for the statement's sessions let each value
// get its plan, and an index on the filter makes the rare values cheap. When the server is at
// hand, the advisor plans the statement generically and for representative values from pg_stats
// (median, upper quartile, most common), and the finding says which of these it is: the generic
// plan differs from a custom plan (force_custom_plan helps), the custom plans differ among
// themselves (statistics and an index help), or every plan is the same (the spread is not the
// plan's: waits, reads from disk, or work that varies with the values).
// PostgreSQL behaviour: pg_stat_statements keeps stddev_exec_time, min and max per statement. A
// prepared statement is planned for its values for five executions, then switches to a generic
// plan when that plan's estimate is not above the custom plans' average (plan_cache_mode auto).
// Known false positives: statements that wait for locks or I/O now and then (the spread is not
// the plan's: the plan comparison says so when it could plan the statement); a statement whose
// work is meant to vary (reports over different periods).
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dbadvise::analyzer {

bool varies_widely(const WorkloadStatement& statement) {
    using namespace operations;
    return statement.toplevel && statement.calls >= k_variable_min_calls &&
           statement.mean_ms >= k_variable_min_mean_ms && statement.total_ms >= k_variable_min_total_ms &&
           statement.stddev_ms > k_variable_stddev_share * statement.mean_ms;
}

namespace operations {

namespace {

// What the plans tell about the spread, in words; empty when nothing was planned.
std::string plans_explain(const PlanSensitivity& plans) {
    if (plans.custom.empty() || plans.generic.shape.empty()) return {};
    const double average = plans.custom_average_cost();
    const bool generic_used = plans.generic_kept();
    const auto differing = std::find_if(plans.custom.begin(), plans.custom.end(), [&](const PlanVariant& v) {
        return v.shape != plans.generic.shape;
    });
    std::string statistics =
        "give the filtered column better statistics (ALTER TABLE ... ALTER COLUMN ... SET STATISTICS 1000, or "
        "CREATE STATISTICS for correlated columns) and ANALYZE, and index the filter so the rare values are cheap";
    if (differing != plans.custom.end() && generic_used) {
        return fmt::format(
            "The plan depends on the parameter values. If the application prepares the statement (drivers do for "
            "statements they run again and again), it switches to the generic plan after five executions, as that "
            "plan's estimate (cost {:.0f}) is not above the custom plans' average ({:.0f}): `{}`; for the {} the "
            "planner picks `{}` (cost {:.0f}). Let every call be planned for its values: set plan_cache_mode = "
            "force_custom_plan for the sessions that run it (SET in the session, or ALTER ROLE ... SET for the "
            "application's role).{}",
            plans.generic.cost, average, plans.generic.shape, differing->label, differing->shape, differing->cost,
            plans.custom_differ() ? " The custom plans differ among themselves too: " + statistics + "." : "");
    }
    if (plans.custom_differ()) {
        std::string list;
        for (const PlanVariant& v : plans.custom) {
            if (!list.empty()) list += "; ";
            list += fmt::format("for the {}: `{}`", v.label, v.shape);
        }
        return fmt::format("The plan depends on the parameter values ({}). Calls whose values select more or fewer "
                           "rows than the statistics say get a plan for the wrong row count: {}.",
                           list, statistics);
    }
    std::string labels;
    for (const PlanVariant& v : plans.custom) {
        if (!labels.empty()) labels += ", the ";
        labels += v.label;
    }
    return fmt::format(
        "The planner picks one plan, `{}`, for the {} from pg_stats{}: the spread probably does not come from the "
        "plan. Look at what the slow calls wait for (lock waits; reads from disk: shared_blks_read, and "
        "blk_read_time with track_io_timing), at values the statistics do not know (EXPLAIN (ANALYZE, BUFFERS) a "
        "slow call, or auto_explain.log_min_duration to catch one), or at work that is meant to vary with the "
        "values.",
        plans.custom.front().shape, labels,
        differing == plans.custom.end()
            ? ", and as the generic plan"
            : fmt::format(" (the generic plan, `{}`, is not used: its estimate, cost {:.0f}, is above theirs)",
                          plans.generic.shape, plans.generic.cost));
}

} // namespace

void check_variable_time(const Workload& workload, const std::map<std::string, PlanSensitivity>& plans,
                         std::vector<Finding>& out) {
    for (const WorkloadStatement& statement : workload.statements) {
        if (!varies_widely(statement)) continue;
        const double spread = statement.stddev_ms / statement.mean_ms;
        Finding finding(RuleId::variable_time);
        finding.severity = spread >= k_variable_warning_stddev_share ? Severity::warning : Severity::info;
        finding.query = health::query_ref(statement);
        finding.title = fmt::format("Execution time varies widely: mean {:.2f} ms, standard deviation {:.2f} ms, "
                                    "max {:.2f} ms",
                                    statement.mean_ms, statement.stddev_ms, statement.max_ms);
        const std::string measured =
            fmt::format("Over {} calls the standard deviation is {:.1f} times the mean and the slowest call took "
                        "{:.1f} times the mean.",
                        statement.calls, spread, statement.mean_ms > 0 ? statement.max_ms / statement.mean_ms : 0.0);
        const auto planned = plans.find(statement.queryid);
        const std::string explained = planned != plans.end() ? plans_explain(planned->second) : std::string();
        if (!explained.empty()) {
            finding.message = measured + " " + explained;
        } else {
            finding.message = measured +
                " Some parameter values probably get a plan that fits others. EXPLAIN (ANALYZE) the statement "
                "with a frequent and a rare value of its filter; if the plans differ, give the skewed column "
                "better statistics (ALTER TABLE ... ALTER COLUMN ... SET STATISTICS 1000, or CREATE STATISTICS "
                "for correlated columns) and ANALYZE, index the filter so the rare values are cheap, or set "
                "plan_cache_mode = force_custom_plan for the sessions that run it so a cached generic plan is "
                "not reused for every value.";
        }
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("mean_ms", statement.mean_ms);
        finding.evidence.emplace_back("stddev_ms", statement.stddev_ms);
        finding.evidence.emplace_back("max_ms", statement.max_ms);
        finding.evidence.emplace_back("stddev_to_mean", spread);
        if (!explained.empty()) {
            const PlanSensitivity& sensitivity = planned->second;
            finding.evidence.emplace_back("generic_plan", sensitivity.generic.shape);
            finding.evidence.emplace_back("generic_cost", sensitivity.generic.cost);
            std::string custom;
            for (const PlanVariant& v : sensitivity.custom) {
                if (!custom.empty()) custom += "; ";
                custom += fmt::format("{}: {} (cost {:.0f})", v.label, v.shape, v.cost);
            }
            finding.evidence.emplace_back("custom_plans", custom);
            finding.evidence.emplace_back("plan_depends_on_values",
                                          sensitivity.generic_differs() || sensitivity.custom_differ());
            if (sensitivity.generic_differs() && sensitivity.generic_kept())
                finding.suggestion.sql = "SET plan_cache_mode = force_custom_plan;";
        }
        finding.rank = statement.total_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace operations
} // namespace dbadvise::analyzer
