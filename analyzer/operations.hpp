// Checks beyond indexes: how the application talks to the database (batching, result caching,
// planning per call), how sessions, transactions and locks behave, and maintenance the server
// falls behind on (transaction ID freezing, sequences near their maximum). Pure: they read the
// workload (pg_stat_statements, the catalog) and Workload::activity, which db/ fills
// (db/activity_reader.hpp). Thresholds are in analyzer/operations/checks.hpp and docs/checks.md.
#pragma once

#include "analyzer/analyze.hpp"
#include "analyzer/planner.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/workload.hpp"

#include <map>
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
/// `plans`: by queryid, the generic and custom plans of the statements that vary widely
/// (AdvisorResult::plans); variable-time explains the spread with them.
OperationsResult check_operations(const Workload& workload,
                                  const std::vector<ParsedWorkloadStatement>& statements,
                                  const std::map<std::string, PlanSensitivity>& plans = {});

/// The rules whose checks read Workload::activity (sessions, session counters, ID ages,
/// prepared transactions, vacuum, sequences, integer keys, sizes); they are silent without it.
const std::vector<RuleId>& activity_rules();

/// The note a source adds when its workload has no Workload::activity: `input` says what
/// lacks it and why ("snapshot old.json.gz was taken by a dbadvise that did not record the
/// server activity"); the note names the checks that were skipped.
std::string activity_missing_note(std::string_view input);

/// True when a statement's time varies widely enough for variable-time (standard deviation
/// above half the mean, with enough calls and time to matter): the advisor then compares its
/// generic plan with its custom plans.
bool varies_widely(const WorkloadStatement& statement);

} // namespace dbadvise::analyzer
