// check_health(): runs every health check (analyzer/health/*.cpp) and builds the "Cache and
// health" section. The checks only read the workload, so the result depends on nothing else.
#include "analyzer/health.hpp"

#include "analyzer/health/checks.hpp"

namespace dbadvise::analyzer {

HealthResult check_health(const Workload& workload, const std::vector<Finding>& recommendations,
                          const std::map<std::string, std::string>& not_analyzed) {
    const health::Context context = health::make_context(workload, recommendations, &not_analyzed);
    HealthResult result;
    health::check_statement_hit_ratio(context, result.findings);
    health::check_temp_spill(context, result.findings);
    health::check_table_hit_ratio(context, result.findings);
    health::check_stale_statistics(context, result.findings);
    health::check_dead_tuples(context, result.findings);
    health::check_database_hit_ratio(context, result.findings);
    health::check_shared_buffers(context, result.findings);
    health::check_track_io_timing(context, result.findings);
    // Highest measured time first; server-wide findings (rank 0) after, in a fixed order.
    sort_by_rank(result.findings);
    result.sections.push_back(health::cache_section(context));
    return result;
}

} // namespace dbadvise::analyzer
