// Checks beyond indexes: how the application talks to the database (batching, result caching,
// planning per call), how sessions, transactions and locks behave, and maintenance the server
// falls behind on (transaction ID freezing, sequences near their maximum). Pure: they read the
// workload (pg_stat_statements, the catalog) and Workload::activity, which db/ fills
// (db/activity_reader.hpp). Thresholds are in analyzer/operations/checks.hpp and docs/checks.md.
#pragma once

#include "analyzer/analyze.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/workload.hpp"

#include <string>
#include <vector>

namespace dbadvise::analyzer {

struct OperationsResult {
    std::vector<Finding> findings;   // categories application, connections, maintenance, plan, config
    std::vector<std::string> notes;  // parts of the server activity that could not be read
};

/// Runs every check of analyzer/operations/ over `workload` and its parsed statements (the
/// batching and caching checks read their shape). The checks that read Workload::activity stay
/// silent when it is absent.
OperationsResult check_operations(const Workload& workload,
                                  const std::vector<ParsedWorkloadStatement>& statements);

} // namespace dbadvise::analyzer
