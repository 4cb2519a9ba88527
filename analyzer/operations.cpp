// check_operations(): runs every check of analyzer/operations/ (one rule per file) in a fixed
// order; the driver ranks the findings with the rest.
#include "analyzer/operations.hpp"

#include "analyzer/operations/checks.hpp"

namespace dbadvise::analyzer {

OperationsResult check_operations(const Workload& workload,
                                  const std::vector<ParsedWorkloadStatement>& statements,
                                  const std::map<std::string, PlanSensitivity>& plans) {
    using namespace operations;
    OperationsResult result;
    check_batchable_lookup(statements, result.findings);
    check_single_row_insert(statements, result.findings);
    check_cacheable_result(workload, statements, result.findings);
    check_planning_time(workload, result.findings);
    check_track_planning_off(workload, result.findings);
    check_variable_time(workload, plans, result.findings);
    check_connections_near_limit(workload, result.findings);
    check_connection_churn(workload, result.findings);
    check_idle_in_transaction(workload, result.findings);
    check_long_transaction(workload, result.findings);
    check_lock_wait(workload, result.findings);
    check_prepared_transaction_open(workload, result.findings);
    check_xid_wraparound(workload, result.findings);
    check_multixact_wraparound(workload, result.findings);
    check_autovacuum_lag(workload, result.findings);
    check_sequence_near_max(workload, result.findings);
    check_integer_key_near_max(workload, result.findings);
    check_table_bloat(workload, result.findings);
    if (workload.activity) {
        for (const std::string& part : workload.activity->unavailable)
            result.notes.push_back("Could not read " + part + "; the checks that need it were skipped.");
    }
    return result;
}

} // namespace dbadvise::analyzer
