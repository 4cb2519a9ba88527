// The analyze driver: existing-index checks and health checks over the workload read from
// the server, findings ranked by the measured time they concern.
#include "analyzer/analyze.hpp"

#include "analyzer/existing_indexes.hpp"
#include "analyzer/health.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer {

namespace {

void append(std::vector<Finding>& to, std::vector<Finding> from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

} // namespace

AnalyzeResult analyze(const Workload& workload, Planner* planner, const AnalyzeOptions& options) {
    (void)options;
    AnalyzeResult result;

    std::vector<Finding> recommendations;
    append(result.findings, check_existing_indexes(workload));
    HealthResult health = check_health(workload, recommendations);
    append(result.findings, std::move(health.findings));
    for (ReportSection& section : health.sections) result.sections.push_back(std::move(section));

    sort_by_rank(result.findings);
    result.stats.emplace_back("statements", static_cast<std::int64_t>(workload.statements.size()));
    result.stats.emplace_back("planner_calls",
                              static_cast<std::int64_t>(planner ? planner->planner_calls() : 0));
    result.stats.emplace_back(
        "hypothetical_indexes",
        static_cast<std::int64_t>(planner ? planner->hypothetical_indexes_created() : 0));
    return result;
}

} // namespace dbadvise::analyzer
