// Internals of the index advisor, shared by its parts: what the advisor knows about each
// statement (tables, columns, parameters), the candidate indexes, the cost models and the
// greedy selection. Only analyzer/index_advisor.cpp and the unit tests use this header.
#pragma once

#include "analyzer/analyze.hpp"
#include "analyzer/planner.hpp"
#include "analyzer/workload.hpp"
#include "sqlparse/parameters.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dbadvise::analyzer::advisor {

/// How a statement uses one column of one table.
enum class ColumnRole { equality, range, join, order, group, expression, output };

struct ColumnUse {
    std::string column;  // unquoted column name, or the expression text for role expression
    ColumnRole role = ColumnRole::output;
    bool descending = false; // order keys
};

/// A condition a GIN index may serve: a column (or an expression of one) with a containment,
/// key-existence, overlap, text-search or pattern operator.
struct GinUse {
    std::string column;   // unquoted column, or the expression text when `expression`
    std::string op;       // "@>", "<@", "?", "?|", "?&", "@?", "@@", "&&", "LIKE", "ILIKE"
    bool expression = false;
    std::string constant; // the pattern or value when the text kept a constant (`'%ab%'`)
    bool operator==(const GinUse&) const = default;
};

/// One table a statement reads, with the columns it filters, joins and sorts on.
struct TableUse {
    const CatalogTable* table = nullptr;
    std::vector<std::string> equality;     // plain columns compared with =, IN, = ANY
    std::vector<std::string> range;        // <, <=, >, >=, BETWEEN
    std::vector<std::string> join;         // join keys
    /// Join keys that meet the same other relation (`l.partkey = ps.partkey AND l.suppkey =
    /// ps.suppkey`): together they are one composite lookup on the inner side.
    std::vector<std::vector<std::string>> join_groups;
    std::vector<std::string> or_equality;  // columns compared with = under an OR (BitmapOr arms)
    /// Columns compared with a constant (text from a query file, or a constant normalization
    /// kept), with the constant's text: a partial index candidate when the value is rare.
    std::vector<std::pair<std::string, std::string>> constants;
    std::vector<std::string> expressions;  // `lower(email)` compared with =, qualifier removed
    std::vector<std::string> is_null;      // IS NULL predicates (partial index candidates)
    std::vector<GinUse> gin;               // conditions a GIN index may serve
    std::vector<std::pair<std::string, bool>> order; // ORDER BY plain columns, descending
    std::vector<std::string> group;
    std::vector<std::string> output;       // plain columns of the select list
    bool output_star = false;              // `*` or an expression in the select list
    bool single_relation = false;          // the only relation of its query level
    bool has_limit = false;
};

/// What one parameter $n meets, for its type and representative values.
struct ParameterUse {
    /// Where a custom plan's value for the parameter comes from.
    enum class Value {
        none,          // nothing tells: NULL outside predicates, else the generic plan
        column,        // pg_stats of `column` (transformed by `wrapper`)
        neutral_add,   // `col < $1 + $2`: $2 adds nothing (0, '0 days', '')
        neutral_multiply, // `col < $1 * $2`: $2 multiplies by 1
    };
    const CatalogTable* table = nullptr;
    std::string column;      // plain column; empty when unknown
    std::string op;          // the comparison, column on the left: "=", "<", "BETWEEN", "IN"
    bool upper_bound = false; // second operand of BETWEEN, or `<`/`<=`
    std::string wrapper;     // function between the value and the column: to_timestamp, lower
    Value value = Value::none;
    bool in_limit = false;
    bool in_offset = false;
    bool in_predicate = false; // compared with a column somewhere (WHERE, JOIN ON)
};

struct ParamSet {
    std::vector<ParamValue> values;
    double weight = 1;
    /// Which values these are, for reports: "median values", "upper-quartile values", "most
    /// common values"; "median, upper-quartile and most common values" when they coincide.
    std::string label;
};

/// A column a statement reaches through a view, subquery or inlined CTE: `qualifier.column`
/// is `base_column` of `table`.
struct TracedColumn {
    std::string qualifier;
    std::string column;
    const CatalogTable* table = nullptr;
    std::string base_column;
};

/// A statement the advisor costs.
struct StatementSetup {
    int id = 0;                         // position in the statements vector
    const ParsedWorkloadStatement* parsed = nullptr;
    std::string sql;                    // text given to PREPARE (typed literals repaired)
    int parameter_count = 0;
    std::vector<sqlparse::ParameterSite> sites; // every $n occurrence of `sql`
    /// Relations of every query level by the name columns qualify them with (alias, else
    /// name), for typing parameters: only those that resolve to a catalog table.
    std::vector<std::pair<std::string, const CatalogTable*>> names;
    std::vector<TracedColumn> traced;
    std::vector<ParameterUse> parameters; // index n-1 for $n
    std::vector<std::string> param_types; // explicit types for PREPARE ("" = infer)
    std::vector<ParamSet> param_sets;   // empty: the generic plan only
    std::vector<TableUse> tables;
    bool is_write = false;              // INSERT/UPDATE/DELETE/MERGE
    const CatalogTable* write_target = nullptr;
};

/// What kind of candidate an index is, for reports and for measuring what each kind adds.
enum class CandidateKind { single, composite, join_pair, include, partial, or_arm, brin, hash, gin };
std::string_view to_string(CandidateKind kind);

/// A candidate index with the statements it may help.
struct Candidate {
    IndexSpec spec;
    CandidateKind kind = CandidateKind::single;
    const CatalogTable* table = nullptr;
    std::int64_t estimated_bytes = 0;
    std::set<int> statements;           // StatementSetup ids whose columns it covers
    std::string leading_column;         // unquoted first key column or expression text
};

/// Statement cost under one configuration, averaged over its parameter sets.
struct Costing {
    /// Weighted mean total cost. A plan that stops early at a LIMIT over rows it discards
    /// counts with the cost of reading the LIMIT's whole input (never ranked by a saving that
    /// exists only when matches come early).
    double cost = 0;
    double planner_cost = 0;       // weighted mean of the planner's own estimates
    double plan_rows = 0;          // of the heaviest parameter set
    bool risky_early_exit = false; // some parameter set's plan stops early over discarded rows
    std::set<std::string> used;    // canonical keys (IndexSpec::on_clause) of used indexes
    std::vector<double> per_set;   // cost per parameter set (as `cost`)
    std::vector<std::set<std::string>> used_per_set;
};

/// Which parameter sets a costing uses: all of them, or only the first (screening: the
/// advisor looks at many configurations per statement and verifies the chosen one with all).
enum class SetScope { all, first };

struct CostError {
    std::string message;
    bool fatal = false;
    std::string sqlstate;
};

/// "What does statement s cost with these indexes?"
class CostModel {
public:
    virtual ~CostModel() = default;
    virtual std::expected<Costing, CostError> cost(const StatementSetup& statement,
                                                   const std::vector<IndexSpec>& config,
                                                   SetScope scope = SetScope::all) = 0;
    virtual bool verified() const = 0;
    /// Candidates the server or HypoPG refused to create (canonical key -> its message); they
    /// are left out of every configuration from then on.
    const std::map<std::string, std::string>& rejected() const { return m_rejected; }

protected:
    std::map<std::string, std::string> m_rejected;
};

/// Costs through the planner with HypoPG; caches (statement, configuration) -> Costing. An
/// index on a partitioned table is shown to HypoPG on the table itself (HypoPG 1.3 applies it
/// to every partition); when HypoPG refuses that, on each leaf partition instead, and a plan
/// using any of them uses the parent's index.
class PlannerCostModel final : public CostModel {
public:
    explicit PlannerCostModel(Planner& planner, const Workload* workload = nullptr)
        : m_planner(planner), m_workload(workload) {}
    std::expected<Costing, CostError> cost(const StatementSetup& statement,
                                           const std::vector<IndexSpec>& config,
                                           SetScope scope = SetScope::all) override;
    bool verified() const override { return true; }
    int cache_hits() const { return m_hits; }
    /// Size of each index HypoPG reported, by canonical key.
    const std::map<std::string, std::int64_t>& sizes() const { return m_sizes; }

private:
    Planner& m_planner;
    const Workload* m_workload;
    std::set<std::string> m_leaf_mode; // partitioned tables ("schema.name") shown through their leaves
    std::map<std::string, Costing> m_cache;
    std::map<std::string, std::int64_t> m_sizes;
    int m_hits = 0;
};

/// Estimates costs from pg_stats and the catalog alone (no HypoPG): sequential scan against
/// index scan per table, with PostgreSQL's default cost constants.
class SelectivityCostModel final : public CostModel {
public:
    explicit SelectivityCostModel(const Workload& workload) : m_workload(workload) {}
    std::expected<Costing, CostError> cost(const StatementSetup& statement,
                                           const std::vector<IndexSpec>& config,
                                           SetScope scope = SetScope::all) override;
    bool verified() const override { return false; }

private:
    const Workload& m_workload;
};

/// Canonical key of an index for caches and comparisons.
std::string canonical(const IndexSpec& spec);

/// What a key of IndexSpec::keys (as create_sql writes it) stands for: the column name
/// (`"Order Date" DESC` -> `Order Date`), or for an expression key (`(lower(email))`) the
/// expression's text, `lower(email)`. `expression` tells which.
std::string key_target(std::string_view key, bool* expression = nullptr);

/// An index key or predicate as a comparable string, the same for what the advisor writes
/// and what pg_get_indexdef prints: lower case, without casts (`::text`), parentheses,
/// quotes or white space.
std::string normalized_key(std::string_view text);


/// How big a table is, from the best source the catalog has: reltuples after ANALYZE or
/// VACUUM, else pg_stat_user_tables' live tuple count (a table loaded and never analyzed has
/// reltuples -1 and relpages 0), else its pages; a partitioned table is the sum of its
/// partitions (the parent itself has no storage).
struct TableSize {
    double rows = 0;
    double pages = 0;
    bool known = false;      // false: nothing tells (never analyzed, no activity counted)
    std::string source;      // "reltuples", "n_live_tup", "relpages", "partitions", "unknown";
                             // with " and inheritance children" when they were added in
};
TableSize table_size(const Workload& workload, const CatalogTable& table);

/// The partitions of a partitioned table at every level, parents before their children; empty
/// for any other table.
std::vector<const CatalogTable*> partitions_of(const Workload& workload, const CatalogTable& table);

/// The inheritance children of a table (INHERITS, not partitions) at every level, parents
/// before their children; empty for a table nobody inherits from. A statement that names the
/// table reads them too, and an index on the table covers none of them.
std::vector<const CatalogTable*> inheritance_children_of(const Workload& workload, const CatalogTable& table);

/// Fraction of rows one value of `column` selects (1 / distinct values); 0.005 unknown.
double equality_selectivity(const Workload& workload, const CatalogTable& table,
                            const std::string& column);

/// Builds the setup of every statement: tables and columns used, parameter uses, parameter
/// sets (values at the 25/50/75% row quantiles of the column each parameter meets).
/// Statements without tables in the catalog get no TableUse.
StatementSetup setup_statement(const Workload& workload, const ParsedWorkloadStatement& statement, int id);

/// Representative parameter sets for `setup` from pg_stats; empty when a parameter has no
/// value source (the generic plan is used then).
std::vector<ParamSet> representative_params(const Workload& workload, const StatementSetup& setup,
                                            const std::vector<std::string>& types);

/// The catalog type of a column reference of the statement (`o.total`, `total`), through the
/// statement's relation names; empty when it does not resolve.
std::string column_type(const StatementSetup& setup, const sqlparse::ColumnRef& ref);

/// Whether a value of a column of type `column_type` (as pg_stats shows it) can stand for a
/// parameter of type `parameter_type`: both numbers, both dates or times, both intervals or
/// both booleans (arrays by their elements), or a text parameter, which takes any value's
/// text. Types of other kinds (enums, domains, uuid, json) and unknown ones (empty) fit.
bool value_fits_type(const std::string& column_type, const std::string& parameter_type);

/// Types that made statements prepare, learned during one run: a parameter site's shape
/// (`function_argument generate_series 0`) -> the type that worked. Later statements with a
/// site of the same shape try that type first.
struct TypeMemory {
    std::map<std::string, std::string> learned;
};

/// Explicit PREPARE types from where each parameter sits (sqlparse::parameter_sites): the
/// column it is compared with, the operator or function signature, its CASE siblings, the
/// column an enclosing expression is compared with, LIMIT/OFFSET; "" where nothing tells (the
/// server infers). `weak` (when given) is set per parameter when the type is a guess.
std::vector<std::string> inferred_types(const StatementSetup& setup, const TypeMemory& memory,
                                        std::vector<bool>* weak = nullptr);

/// Why a statement could not be prepared.
struct TypingFailure {
    PlannerError error;          // the server's last error
    bool parameter_types = false; // the error is about parameter types dbadvise gave or left out
    int attempts = 0;            // PREPAREs tried
};

/// Prepares the statement with the server's own inference, then with inferred types, then a
/// bounded search over likely types for the parameters nearest the server's error (at most
/// `max_attempts` PREPAREs in all). Sets setup.param_types to the explicit types that worked
/// and returns the server's types of $1..$n.
std::expected<std::vector<std::string>, TypingFailure> prepare_types(Planner& planner, StatementSetup& setup,
                                                                     TypeMemory& memory, int max_attempts = 12);

/// Candidate indexes of the workload, deduplicated, without those an existing index serves
/// and those on tiny tables (each pruning noted in `notes`). `no_candidate`, when given,
/// receives for each statement that got no candidate at all the reason, in words.
/// An existing index of `table` that already serves `spec` (same method and predicate, the
/// spec's keys leading its keys), or nullptr.
const CatalogIndex* serving_index(const Workload& workload, const CatalogTable& table, const IndexSpec& spec);

/// The inheritance children of `table` (inheritance_children_of) that an index can be built
/// on and that have no index serving `spec` yet: where a recommendation on `table` still has
/// to create it. Empty for a table nobody inherits from.
std::vector<const CatalogTable*> children_lacking(const Workload& workload, const CatalogTable& table,
                                                  const IndexSpec& spec);

std::vector<Candidate> generate_candidates(const Workload& workload,
                                           const std::vector<StatementSetup>& statements,
                                           std::vector<std::string>& notes,
                                           std::map<int, std::string>* no_candidate = nullptr,
                                           const std::vector<std::string>& without = {});

/// Estimated size in bytes of `spec` on `table`: reltuples x (key widths + tuple overhead).
std::int64_t estimate_index_bytes(const Workload& workload, const CatalogTable& table,
                                  const IndexSpec& spec);

/// The selection's outcome for one chosen index.
struct ChosenIndex {
    Candidate candidate;
    double benefit_ms = 0;          // estimated total ms saved over the workload
    std::set<int> helped;           // statements whose final plan uses it
};

/// True for candidates no planner can cost (HypoPG has no GIN support): they are left out of
/// select_indexes and estimated by estimate_unverifiable.
bool unverifiable(const IndexSpec& spec);

/// Why a candidate was or was not recommended.
struct CandidateVerdict {
    bool recommended = false;
    std::string reason;          // "recommended", or why it was left out
    double benefit_ms = 0;       // its estimated saving when it was last costed, if it was
    int statements = 0;          // statements it was built for
};

struct SelectionResult {
    std::vector<ChosenIndex> chosen;
    std::map<std::string, CandidateVerdict> verdicts; // by canonical key, every candidate
    std::string stopped_by;         // what ended the selection, in words
    bool stopped_by_limit = false;  // it was --max-indexes or --budget-mb
    std::map<int, Costing> baseline;  // statement id -> cost without new indexes
    std::map<int, Costing> final_cost; // statement id -> cost with the chosen indexes
    std::vector<std::pair<int, CostError>> failures; // statements that failed to plan
    bool partial = false;           // a fatal error stopped costing
};

/// Selection over the whole workload (analyzer/advisor/selection.cpp): baselines, a screening
/// plan per statement with its candidates visible at once, greedy selection in the spirit of
/// Extend on the screened costs (each step adds the candidate or extends a chosen index with
/// the best benefit per byte, until max_indexes, budget_mb, or the next step saving less than
/// min_saving of the costs it touches), then verification with every parameter set; indexes
/// no verified plan uses are dropped. Planner calls per statement stay within
/// options.planner_calls_per_statement (plus what a dropped index makes re-verify).
SelectionResult select_indexes(const Workload& workload, const std::vector<StatementSetup>& statements,
                               const std::vector<Candidate>& candidates, CostModel& model,
                               const AnalyzeOptions& options);

/// A GIN recommendation, estimated without the planner.
struct UnverifiedIndex {
    Candidate candidate;
    double benefit_ms = 0;          // conservative estimate over the workload
    double cost_before = 0;         // summed over the statements it serves (their final costs)
    double cost_after = 0;
    double selectivity = 0;         // share of rows the condition is assumed to keep
    std::set<int> helped;
};

struct UnverifiedResult {
    std::vector<UnverifiedIndex> chosen;
    std::map<std::string, CandidateVerdict> verdicts; // by canonical key
};

/// Estimates the candidates `unverifiable` marks (GIN) from pg_stats and the table's size: for
/// each statement one is built for, a sequential scan of its table against a bitmap scan of
/// the index keeping a conservative share of the rows, with PostgreSQL's default cost
/// constants; the saving counted is half that difference, at most the statement's cost with
/// the recommended (verified) indexes, and nothing for a statement whose table a recommended
/// index already serves. Converted to milliseconds like the selection's benefits, minus
/// maintenance; kept when it saves as much as a verified index must (min_saving,
/// min_workload_share) and `--max-indexes` and `--budget-mb` leave room after `selection`.
UnverifiedResult estimate_unverifiable(const Workload& workload, const std::vector<StatementSetup>& statements,
                                       const std::vector<Candidate>& candidates, const SelectionResult& selection,
                                       const AnalyzeOptions& options);

} // namespace dbadvise::analyzer::advisor
