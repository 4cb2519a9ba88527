// Baselines for CI: the findings a team has accepted, so that only new ones fail the build.
//
// `--baseline FILE` reads a baseline file (written by `--write-baseline`, docs/baseline.schema.json)
// or a previous JSON report (`--format json`, docs/report.schema.json): either way the finding
// ids it lists. Findings of this run with one of those ids are marked (Finding::baseline), stay
// in the report, and never count for --fail-on. Ids are stable across runs and unrelated edits
// (analyzer/finding.hpp), so a finding keeps matching when its statement moves in its file, is
// reformatted, or other statements are added.
#pragma once

#include "reports/report.hpp"

#include <set>
#include <string>

namespace dbadvise::cli {

class Baseline {
public:
    /// Reads and parses `path`. Throws RunError (exit 3) when it cannot be read, is not JSON
    /// (`<path>:<line>:<column>: invalid JSON: ...`), or is neither a baseline nor a report.
    static Baseline load(const std::string& path);

    /// Marks the findings of `report` whose id the baseline lists and records the comparison
    /// in report.baseline.
    void apply(reports::Report& report) const;

    std::size_t size() const { return m_ids.size(); }

private:
    std::string m_path;
    std::set<std::string> m_ids;
};

/// The baseline file for `report`: every finding's id with its rule, title and where it is,
/// sorted by id so that a baseline under version control changes line by line. Newline-
/// terminated JSON (docs/baseline.schema.json).
std::string render_baseline(const reports::Report& report);

} // namespace dbadvise::cli
