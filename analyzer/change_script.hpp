// The changes a set of findings suggests, as one script to review and run: every statement of
// every finding's suggested SQL, classified, deduplicated and put in an order that is safe to
// run top to bottom with psql (reports/sql_report.cpp renders it).
//
// Order: extensions, then statistics (CREATE STATISTICS before the ANALYZE that fills them),
// then indexes to create (most time saved first), invalid indexes to rebuild, indexes to drop
// (after the indexes that may replace them), maintenance (VACUUM, REINDEX); then what must not run
// unreviewed as it is: settings (a session's SET means nothing in a script: it becomes a
// per-role ALTER ROLE, commented out; ALTER SYSTEM changes the whole server: commented out),
// checks (diagnostic queries) and the query rewrites, which belong in the application's code.
#pragma once

#include "analyzer/finding.hpp"

#include <string>
#include <vector>

namespace dbadvise::analyzer {

enum class ChangeKind {
    extension,    // CREATE EXTENSION
    statistics,   // CREATE STATISTICS, ANALYZE
    create_index, // CREATE INDEX CONCURRENTLY
    rebuild_index, // DROP + CREATE of an invalid index, in that order
    drop_index,   // DROP INDEX CONCURRENTLY
    maintenance,  // VACUUM, REINDEX
    setting,      // SET, ALTER SYSTEM: commented out
    check,        // a diagnostic query: commented out
    rewrite,      // a rewritten query for the application: commented out
    other,        // a statement dbadvise cannot classify: commented out
};

/// One change: its statements (each ending with `;`, in order) and the findings that
/// suggest it, first the one that ranks highest, except that an index the advisor recommends
/// is led by its missing-index finding (what the index saves).
struct Change {
    ChangeKind kind;
    std::vector<std::string> statements;
    std::vector<std::string> notes; // comments that came with the statements
    std::vector<const Finding*> reasons;
    /// Run it as it is (false: the script shows it commented out, with why).
    bool runnable = true;
    /// Why it is commented out, when it is.
    std::string held_back;
};

/// The changes of `findings` (the order of `findings` decides the order within a kind: pass
/// them ranked), grouped by kind in the safe order above. Findings in the baseline are left
/// out. Two findings suggesting the same statement give one change with both reasons.
std::vector<Change> change_script(const std::vector<Finding>& findings);

/// "Extensions", "Statistics", "Indexes to create", ...
std::string_view to_string(ChangeKind kind);

} // namespace dbadvise::analyzer
