// A finding: one problem dbadvise reports, with where it is, the evidence and the fix.
// Every producer (lint rules, plan rules, index advisor, health checks, input checks) emits
// this type and every report format renders it. A finding is always of a registered rule
// (analyzer/rule_registry.hpp): it is constructed from a RuleId.
#pragma once

#include "util/boxed_optional.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dbadvise::analyzer {

enum class Severity { info, warning, error };
// application: changes to how the application talks to the database (batching, caching);
// connections: sessions, transactions and locks; maintenance: vacuum, freezing, key ranges.
enum class Category { index, rewrite, plan, cache, schema, config, application, connections, maintenance, input };

std::string_view to_string(Severity severity);
std::string_view to_string(Category category);
/// Parses "info" / "warning" / "error"; nullopt otherwise.
std::optional<Severity> parse_severity(std::string_view text);

/// The registered rules; the enumerators are in analyzer/rule_registry.hpp.
enum class RuleId : std::uint16_t;

/// Where a finding points: a file position for SQL and plan files, or a plan node path.
struct Location {
    std::string file;  // "-" for standard input; empty when the finding has no file
    int line = 0;      // 1-based; 0 when unknown
    int column = 0;    // 1-based, in characters
    int offset = -1;   // byte offset into the analyzed text; filled by producers, turned
                       // into line/column by the driver
    std::string node;  // plan node path such as "Plan/Plans[0]" (plan findings only)
};

/// The workload statement a finding is about (analyze only).
struct QueryRef {
    std::string queryid;
    std::string text;
    std::int64_t calls = 0;
    double total_ms = 0;
    double mean_ms = 0;
    /// Where the statement was first seen (--queries FILE): file ("-" for standard input),
    /// 1-based line and column (0 when unknown, as in a log). Empty file when the statement
    /// comes from pg_stat_statements.
    std::string file;
    int line = 0;
    int column = 0;
};

struct WorkloadStatement;
/// The QueryRef of a workload statement: its queryid, text, figures and where it came from.
QueryRef query_ref(const WorkloadStatement& statement);

/// One number or string a finding rests on, kept in insertion order for stable output.
using EvidenceValue = std::variant<std::int64_t, double, std::string, bool>;
using Evidence = std::vector<std::pair<std::string, EvidenceValue>>;

/// The database object a finding is about (analyze): SARIF's logical location, and how
/// reports group findings about the partitions of one table.
struct ObjectRef {
    std::string kind;         // "table", "index", "foreign key", "database", "setting"
    std::string schema;       // empty for a database or a setting
    std::string name;         // unquoted: the table, index, constraint, database or setting
    std::string table;        // index and foreign key: their table (same schema)
    std::string partition_of; // a table, index or key of a partition: the partitioned table at
                              // the root of its tree, "schema.table"; empty otherwise
    /// "schema.name", or the name alone when there is no schema.
    std::string qualified_name() const;
};

struct Suggestion {
    std::string sql;             // statement to run: CREATE INDEX ..., ANALYZE ..., SET ...
    std::string rewritten_query; // the statement rewritten, when the fix is mechanical
};

struct Impact {
    std::optional<double> cost_before;
    std::optional<double> cost_after;
    std::optional<double> estimated_ms_saved_per_call;
};

struct Finding {
    /// Starts a finding of `rule` at the rule's default severity.
    explicit Finding(RuleId rule);

    RuleId rule;
    Severity severity;     // the rule's default unless the producer says otherwise; the
                           // registry lists the severities each command may report
    std::string title;     // one line
    std::string message;   // explanation: why it matters and what to do
    std::string subject;   // what the finding is about, for the stable id: "t.col", node path
    std::optional<Location> location;
    util::BoxedOptional<QueryRef> query;   // on the heap: lint never sets it
    Evidence evidence;
    Suggestion suggestion;
    Impact impact;
    util::BoxedOptional<ObjectRef> object; // the table, index, ... (analyze); empty when none
    /// The statement's fingerprint (sqlparse: equal for statements that differ only in
    /// constants, comments and formatting); empty when the finding is not about a statement.
    /// In a function body, the enclosing CREATE FUNCTION / DO statement's fingerprint (body
    /// left out), '/', then the statement's: the same statement in two functions differs.
    std::string fingerprint;
    double rank = 0;       // ordering weight (measured ms, exclusive plan time); higher first
    bool baseline = false; // also in the --baseline file: reported, never fails --fail-on
    /// A fleet report (analyze of several databases): the databases the finding occurs in,
    /// the one whose figures (query, evidence, impact) it shows first. Empty otherwise.
    std::vector<std::string> databases;

    /// The rule's id: "not-in-subquery".
    std::string_view rule_id() const;
    /// The rule's category: every finding of a rule has the same.
    Category category() const;

    /// Stable id: 16 hex digits of an FNV-1a hash of the rule, the file (lexically
    /// normalized: "./a.sql" and "a.sql" agree), the subject and the statement's fingerprint.
    /// It never includes a line number, a measured value or a queryid, so it survives a
    /// statement moving in its file, formatting changes, other statements being added, and a
    /// workload measured on another server. Two findings can share it (the same rule on the
    /// same subject in statements that differ only in constants): finding_ids() tells them
    /// apart.
    std::string id() const;
};

/// The ids of `findings`, in order: Finding::id(), except that the n-th finding (n >= 2)
/// with an id already used gets that id hashed with n. Reports and baselines use these.
std::vector<std::string> finding_ids(const std::vector<Finding>& findings);

/// Orders findings deterministically: by file, line, column, then rule and subject.
void sort_by_location(std::vector<Finding>& findings);
/// Orders findings by rank (descending), then as sort_by_location.
void sort_by_rank(std::vector<Finding>& findings);

/// Highest severity among `findings`; nullopt when empty.
std::optional<Severity> max_severity(const std::vector<Finding>& findings);

} // namespace dbadvise::analyzer
