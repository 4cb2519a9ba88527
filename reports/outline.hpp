// The outline every report for people follows (text, Markdown, HTML): a header saying what
// was analyzed, the few things to do first, then the findings in groups. analyze groups by
// what to do (indexes to create, rewrites, existing indexes, plans, health, input) and
// collapses repeated findings: those of one rule about the partitions of one table, and those
// of one rule on many statements. lint and explain group by file and never collapse, so that
// every finding keeps its file:line:column.
#pragma once

#include "reports/report.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dbadvise::reports {

/// analyze's groups, in report order.
enum class Group { create_indexes, rewrites, existing_indexes, plans, operations, health, input };

/// "Indexes to create", "Query rewrites", ...
std::string_view group_heading(Group group);

/// One entry of a group: a finding, or several findings of one rule shown as one.
struct Entry {
    std::vector<const analyzer::Finding*> findings; // at least one, in report order
    std::string partition_of; // collapsed findings about partitions of this table
    bool collapsed() const { return findings.size() > 1; }
    const analyzer::Finding& first() const { return *findings.front(); }
    /// One line: the finding's title, or for a collapsed entry the rule's title with the
    /// count ("Unused index: 12 partitions of public.events").
    std::string title() const;
    /// Statement time the entry concerns: the sum of its findings' ranks (measured ms for
    /// analyze, exclusive plan ms for explain).
    double time_ms() const;
};

struct GroupView {
    std::string heading;              // a group heading, or a file name (lint, explain)
    std::optional<Group> group;       // analyze only
    std::vector<const Section*> sections; // analyze's sections that belong here
    std::vector<Entry> entries;
    std::size_t findings = 0;         // counted over entries
};

/// One of the few things to do first.
struct Action {
    const Entry* entry = nullptr;
    std::string what;                 // "Create index x ON public.t (a)", a finding's title
    std::optional<double> saves_ms;   // estimated time saved (index recommendations)
    double at_stake_ms = 0;           // measured time of what it concerns
    bool show_sql = true;             // lint: no, its finding (with file:line) shows it
};

struct Outline {
    std::string heading;              // "dbadvise analyze: database \"shop\", PostgreSQL 15.4"
    std::vector<std::string> facts;   // lines under the heading: workload, time covered, run
    std::vector<Action> actions;      // at most k_max_actions: time saved, then at stake (lint: errors,
                                      // then warnings with a fix, when there are more findings)
    std::vector<GroupView> groups;
    /// The report's sections that belong to no group (explain's Statement, a fleet's
    /// databases), in report order.
    std::vector<const Section*> loose_sections;
    std::array<std::size_t, 3> by_severity{}; // findings not in the baseline, by Severity
    std::size_t baseline = 0;         // findings in the baseline
    bool database = false;            // analyze's report (grouped by what to do)
};

inline constexpr std::size_t k_max_actions = 5;
/// Findings of one rule on this many statements or more are shown as one entry.
inline constexpr std::size_t k_collapse_at = 4;

/// Builds the outline of `report`. Findings in the baseline are left out unless
/// `include_baseline`. The outline points into `report`, which must outlive it.
Outline make_outline(const Report& report, bool include_baseline);

/// A fleet report's finding: "in database a", or "in 3 databases: a, b, c (figures from a)";
/// empty for a finding of a single-database report.
std::string databases_line(const analyzer::Finding& f);

/// `ms` for people: "840 ms", "8.6 s", "3.2 min", "1.5 h".
std::string format_duration(double ms);

/// `bytes` for people: "512 B", "61 kB", "49.9 MB", "1.2 GB".
std::string format_bytes(double bytes);

/// The statement of a finding on one line, white space collapsed, cut at `limit` characters
/// with "...".
std::string one_line(std::string_view text, std::size_t limit);

/// Where a --queries statement was first seen, as compilers print it: "file:line:col", or
/// "file:line" in a log (no column); empty for a pg_stat_statements statement.
std::string query_origin(const analyzer::QueryRef& q);

/// "3 findings (1 error, 2 warnings)" style counts: "1 warning", "2 info".
std::string plural(std::size_t n, std::string_view singular, std::string_view many);

} // namespace dbadvise::reports
