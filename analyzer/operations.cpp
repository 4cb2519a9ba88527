// check_operations(): runs every check of analyzer/operations/ (one rule per file) in a fixed
// order; the driver ranks the findings with the rest.
#include "analyzer/operations.hpp"

#include "analyzer/operations/checks.hpp"
#include "analyzer/rule_registry.hpp"

#include <algorithm>
#include <fmt/format.h>

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
    check_index_bloat(workload, result.findings);
    check_partition_candidate(workload, statements, result.findings);
    if (workload.activity) {
        for (const std::string& part : workload.activity->unavailable)
            result.notes.push_back("Could not read " + part + "; the checks that need it were skipped.");
        // snapshot --no-values leaves out pg_stats' values, the keys' extremes among them.
        const auto without_extremes = std::ranges::count_if(workload.activity->integer_keys, [](const IntegerKey& key) {
            return !key.max_value && !key.min_value;
        });
        if (workload.capture.values_omitted && without_extremes > 0) {
            result.notes.push_back(fmt::format(
                "integer-key-near-max was skipped for {} integer key{}: their largest and smallest values come "
                "from pg_stats, data values that the snapshot leaves out (--no-values).",
                without_extremes, without_extremes == 1 ? "" : "s"));
        }
    }
    return result;
}

const std::vector<RuleId>& activity_rules() {
    static const std::vector<RuleId> rules = {
        RuleId::connections_near_limit, RuleId::connection_churn,     RuleId::idle_in_transaction,
        RuleId::long_transaction,       RuleId::lock_wait,            RuleId::prepared_transaction_open,
        RuleId::xid_wraparound,         RuleId::multixact_wraparound, RuleId::autovacuum_lag,
        RuleId::sequence_near_max,      RuleId::integer_key_near_max, RuleId::table_bloat,
        RuleId::index_bloat,            RuleId::cacheable_result};
    return rules;
}

std::string activity_missing_note(std::string_view input) {
    std::string rules;
    for (const RuleId rule : activity_rules()) rules += fmt::format("{}{}", rules.empty() ? "" : ", ", to_string(rule));
    return fmt::format("{} has no server activity (sessions, prepared transactions, transaction ID ages, vacuum, "
                       "sequences, table and index sizes): these checks were skipped: {}.",
                       input, rules);
}

} // namespace dbadvise::analyzer
