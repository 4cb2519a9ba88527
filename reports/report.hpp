// A report: everything one run found, ready to render. Reports never print; cli/ writes the
// returned strings.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/overview.hpp"
#include "analyzer/rule_registry.hpp"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbadvise::reports {

/// The server that ran analyze's what-if checks (hypothetical indexes, plans).
struct PlannerSource {
    std::string server; // `database "shop" on host:5432 as advisor`
    std::string database;
    std::string server_version;
    bool hypopg = false;
};

struct Source {
    std::string kind;                     // "sql", "plan", "database", "snapshot", "window" or "queries"
    std::vector<std::string> files;       // inputs (sql, plan, snapshot files)
    std::string server_version;           // analyze: of the workload's server
    std::string database;                 // analyze: the workload's database
    std::string captured_at;              // analyze: when the workload was read (server clock)
    std::string window_start;             // window: the earlier capture's time
    std::string window_end;               // window: the later capture's time
    std::optional<PlannerSource> planner; // analyze: the server that verified, if any
    std::string stats_reset; // analyze: when pg_stat_statements was last reset (its counters
                             // cover the time since); empty when unknown
};

/// A plan node among the hottest of `dbadvise explain`.
struct HotNode {
    std::string path;       // "Plan/Plans[0]/Plans[1]"
    std::string node_type;  // "Seq Scan"
    std::string relation;   // relation or index name, empty when none
    double exclusive_ms = 0;
    double share = 0;       // of the plan's total time, 0..1
};

/// A free-form section of the text report (analyze's health and index summary) that also
/// appears in JSON under `sections` as {title, lines}.
struct Section {
    std::string title;
    std::vector<std::string> lines;
    std::optional<analyzer::Category> category{}; // shown with the findings of this category
    /// The lines are one text to show as it is (explain's Statement: SQL), not prose.
    bool verbatim = false;
};

/// The --baseline file a run was compared with.
struct BaselineInfo {
    std::string file;
    std::int64_t entries = 0; // findings the file lists
    std::int64_t matched = 0; // of this run's findings, those it lists (Finding::baseline)
};

/// One candidate index `analyze` considered, and what became of it.
struct IndexCandidate {
    std::string index;               // `ON schema.table (keys) ...`
    std::string kind;                // single, composite, join-pair, include, partial, or-arm, brin, hash, gin
    bool recommended = false;
    std::string reason;              // "recommended", or why it was left out
    int statements = 0;              // statements it was built for
    std::int64_t estimated_size_bytes = 0;
    double benefit_ms = 0;           // estimated saving over the workload, when costed
};

/// The index advisor's selection (analyze): every candidate and what stopped the selection.
struct IndexSelection {
    std::string stopped_by;
    std::vector<IndexCandidate> candidates;
    bool present = false;            // false for lint and explain reports
};

struct FleetDatabase;

struct Report {
    Source source;
    analyzer::Evidence stats;                 // "statements": N, "elapsed_ms": X, ...
    std::vector<analyzer::Finding> findings;  // already in report order
    std::vector<HotNode> hot_nodes;
    std::vector<Section> sections;
    bool partial = false;                     // the run stopped early (analyze)
    /// Why the report is partial, one sentence ending in what it covers; empty means the
    /// run stopped early (see partial_summary). A fleet says which databases failed or stopped.
    std::string partial_reason;
    bool incomplete = false;                  // exits 3: an input could not be read, or partial
                                              // (set by the CLI's output path; SARIF's
                                              // executionSuccessful)
    std::vector<std::string> notes;           // run-level remarks (HypoPG missing, ...)
    IndexSelection index_selection;           // analyze only
    // analyze's overview: where the time went and how well the cache serves it.
    std::vector<analyzer::StatementSummary> statements; // by total time, descending
    double workload_total_ms = 0;
    std::vector<analyzer::CacheCounters> cache;
    std::optional<BaselineInfo> baseline;     // --baseline was given
    /// A fleet report (source.kind "fleet"): every database, in the order given. Its
    /// `findings` are then merged (Finding::databases) and each database's own report is here.
    std::vector<FleetDatabase> fleet;
};

/// One database of a fleet: its report, or why it could not be analyzed.
struct FleetDatabase {
    std::string name;             // "host:port/dbname", never a password
    std::string origin;           // where it was given: "--dsn 2", "tenants.txt:4"
    std::optional<Report> report; // empty when the analysis failed
    std::string error;            // why it failed (cannot connect, no pg_stat_statements, ...)
    /// "analyzed", "partial" (its analysis stopped early) or "failed" (no report).
    std::string_view status() const {
        return !report ? "failed" : report->partial ? "partial" : "analyzed";
    }
};

/// The fleet report of `databases` (analyze of several databases): findings with the same id
/// (Finding::id: rule, subject, statement fingerprint) in several databases become one, listing
/// them (Finding::databases, the one with the highest rank first, its figures kept) and ranked
/// by the sum of their ranks; a section per database (status, workload, its own sections); the
/// failed ones in the notes; partial when one failed or stopped early.
Report merge_fleet(std::vector<FleetDatabase> databases);

/// The sentence every format prints for a partial report: its partial_reason, or "the run
/// stopped early; this report covers only what was analyzed".
std::string partial_summary(const Report& report);

struct TextOptions {
    bool color = false;
    int width = 100;      // wrap prose at this many columns (SQL is never wrapped)
    bool verbose = false; // list every finding of a collapsed group, and baseline findings
};

/// Text for a person at a terminal: findings grouped and located, suggestions inline.
std::string render_text(const Report& report, const TextOptions& options);

/// JSON following schema_version 1 (docs/report.schema.json), newline-terminated.
std::string render_json(const Report& report);

/// The same JSON, handed to `write` in pieces of about 64 kB as it is written, so that a
/// report of many findings is never held whole in memory.
void render_json(const Report& report, const std::function<void(std::string_view)>& write);

/// `--format sql`: every suggested change as a script to review and run with psql
/// (analyzer/change_script.hpp decides the order), each with a comment saying why and what it
/// saves; settings, checks and rewrites commented out. Handed to `write` in pieces.
void render_sql(const Report& report, const std::function<void(std::string_view)>& write);

/// `--format markdown`: GitHub-flavoured Markdown for a pull-request comment or a CI job
/// summary: a summary table, then a section per group with each finding's details collapsed
/// (<details>). Text from the database or input files is escaped.
struct MarkdownOptions {
    /// At most this many bytes (so at most as many characters); 0: no limit. The default is
    /// GitHub's limit for a pull-request comment (65,536 characters). Past it, the summary
    /// stays, the most severe findings are kept, and each group says how many it leaves out,
    /// under a "Shortened" banner.
    std::size_t max_bytes = 65536;
};

/// The Markdown report within options.max_bytes.
std::string render_markdown(const Report& report, const MarkdownOptions& options = {});

/// `--format html`: one self-contained page (inline CSS, script and SVG charts; no network
/// access, enforced by its Content-Security-Policy) with the summary, sortable tables and the
/// findings.
std::string render_html(const Report& report);

/// `--format sarif`: SARIF 2.1.0 with the registry's rules (help text, helpUri to
/// docs/rules.md), physical locations for SQL and plan files, logical locations for database
/// objects and statements, and the finding ids as partialFingerprints. Handed to `write` in
/// pieces.
void render_sarif(const Report& report, const std::function<void(std::string_view)>& write);

/// The rule catalogue for people: per rule its id, category, default severity and title, then
/// the rationale, what to do, how the severity varies and the commands that report it.
std::string render_rules_text(std::span<const analyzer::RuleInfo> rules);

/// The rule catalogue as JSON (schema_version 1, docs/rules.schema.json), newline-terminated,
/// handed to `write` in pieces.
void render_rules_json(std::span<const analyzer::RuleInfo> rules,
                       const std::function<void(std::string_view)>& write);

} // namespace dbadvise::reports
