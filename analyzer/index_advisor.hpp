// The index advisor: candidate indexes from the workload's query models, what-if costing
// through the Planner (HypoPG), greedy selection across the whole workload. Without a planner
// it ranks candidates by a selectivity model from pg_stats and marks them unverified.
#pragma once

#include "analyzer/analyze.hpp"

#include <map>

namespace dbadvise::analyzer {

/// What the advisor concluded for one statement it was given.
struct StatementOutcome {
    enum class Status {
        not_planned,  // the server could not plan it: nothing is known about its indexes
        not_reached,  // planning stopped (the connection was lost) before it was costed
        no_candidate, // planned, but no candidate index could serve it (reason says why)
        no_saving,    // candidates were costed; none saved enough to be recommended
        helped,       // a recommended index serves it
    };
    Status status = Status::no_saving;
    std::string reason;
};

struct AdvisorResult {
    std::vector<Finding> findings;         // one per recommended index (category index)
    std::vector<ReportSection> sections;   // summary table of recommendations
    std::vector<std::string> notes;
    int candidates = 0;
    int statements_planned = 0;
    int statements_failed = 0;             // each also a finding with the server's message
    std::vector<std::string> unplanned;    // queryids of the statements that could not be planned
    std::map<std::string, StatementOutcome> outcomes; // by queryid, for every statement given
    std::vector<IndexCandidate> candidate_list; // every candidate considered, recommended first
    std::vector<IndexSpec> recommended;   // the recommended set, for the existing-index checks
    /// By queryid, for the statements whose time varies widely (varies_widely): the generic
    /// plan beside the custom plans for representative values, without hypothetical indexes.
    std::map<std::string, PlanSensitivity> plans;
    std::string stopped_by;               // what ended the selection, in words
    bool verified = false;                 // costed with hypothetical indexes
    bool partial = false;
};

/// How to make HypoPG available, for notes and for `--hypopg require` (exit 3): the Debian
/// package for the server's major version and `CREATE EXTENSION hypopg`.
std::string hypopg_instructions(int server_version_num);

/// Recommends indexes for `statements`. `planner` may be null (no what-if costing).
AdvisorResult advise_indexes(const Workload& workload,
                             const std::vector<ParsedWorkloadStatement>& statements,
                             Planner* planner, const AnalyzeOptions& options);

} // namespace dbadvise::analyzer
