// Internals of the index advisor, shared by its parts: what the advisor knows about each
// statement (tables, columns, parameters), the candidate indexes, the cost models and the
// greedy selection. Only analyzer/index_advisor.cpp and the unit tests use this header.
#pragma once

#include "analyzer/analyze.hpp"
#include "analyzer/planner.hpp"
#include "analyzer/workload.hpp"

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

/// One table a statement reads, with the columns it filters, joins and sorts on.
struct TableUse {
    const CatalogTable* table = nullptr;
    std::vector<std::string> equality;     // plain columns compared with =, IN, = ANY
    std::vector<std::string> range;        // <, <=, >, >=, BETWEEN
    std::vector<std::string> join;         // join keys
    std::vector<std::string> expressions;  // `lower(email)` compared with =, qualifier removed
    std::vector<std::string> is_null;      // IS NULL predicates (partial index candidates)
    std::vector<std::pair<std::string, bool>> order; // ORDER BY plain columns, descending
    std::vector<std::string> group;
    std::vector<std::string> output;       // plain columns of the select list
    bool output_star = false;              // `*` or an expression in the select list
    bool single_relation = false;          // the only relation of its query level
    bool has_limit = false;
};

/// What one parameter $n meets, for its type and representative values.
struct ParameterUse {
    const CatalogTable* table = nullptr;
    std::string column;      // plain column; empty when unknown
    std::string op;          // the predicate's operator
    bool upper_bound = false; // second operand of BETWEEN, or `<`/`<=`
    std::string wrapper;     // function applied to the parameter: `to_timestamp`
    bool in_limit = false;
    bool in_offset = false;
    bool in_predicate = false; // compared with a column somewhere (WHERE, JOIN ON)
};

struct ParamSet {
    std::vector<ParamValue> values;
    double weight = 1;
};

/// A statement the advisor costs.
struct StatementSetup {
    int id = 0;                         // position in the statements vector
    const ParsedWorkloadStatement* parsed = nullptr;
    std::string sql;                    // text given to PREPARE (typed literals repaired)
    int parameter_count = 0;
    std::vector<ParameterUse> parameters; // index n-1 for $n
    std::vector<std::string> param_types; // explicit types for PREPARE ("" = infer)
    std::vector<ParamSet> param_sets;   // empty: the generic plan only
    std::vector<TableUse> tables;
    bool is_write = false;              // INSERT/UPDATE/DELETE/MERGE
    const CatalogTable* write_target = nullptr;
};

/// A candidate index with the statements it may help.
struct Candidate {
    IndexSpec spec;
    const CatalogTable* table = nullptr;
    std::int64_t estimated_bytes = 0;
    std::set<int> statements;           // StatementSetup ids whose columns it covers
    std::string leading_column;         // unquoted first key column or expression text
};

/// Statement cost under one configuration, averaged over its parameter sets.
struct Costing {
    double cost = 0;               // weighted mean total cost
    double plan_rows = 0;          // of the heaviest parameter set
    std::set<std::string> used;    // canonical keys (IndexSpec::on_clause) of used indexes
    std::vector<double> per_set;   // total cost per parameter set
    std::vector<std::set<std::string>> used_per_set;
};

struct CostError {
    std::string message;
    bool fatal = false;
};

/// "What does statement s cost with these indexes?"
class CostModel {
public:
    virtual ~CostModel() = default;
    virtual std::expected<Costing, CostError> cost(const StatementSetup& statement,
                                                   const std::vector<IndexSpec>& config) = 0;
    virtual bool verified() const = 0;
};

/// Costs through the planner with HypoPG; caches (statement, configuration) -> Costing.
class PlannerCostModel final : public CostModel {
public:
    explicit PlannerCostModel(Planner& planner) : m_planner(planner) {}
    std::expected<Costing, CostError> cost(const StatementSetup& statement,
                                           const std::vector<IndexSpec>& config) override;
    bool verified() const override { return true; }
    int cache_hits() const { return m_hits; }
    /// Size of each index HypoPG reported, by canonical key.
    const std::map<std::string, std::int64_t>& sizes() const { return m_sizes; }

private:
    Planner& m_planner;
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
                                           const std::vector<IndexSpec>& config) override;
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

/// Resolves `schema.name` of a relation through the search path; null when unknown.
const CatalogTable* resolve_table(const Workload& workload, const std::string& schema,
                                  const std::string& name);

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

/// Explicit PREPARE types for parameters the server cannot infer: the type of the column the
/// parameter meets, else text.
std::vector<std::string> fallback_types(const StatementSetup& setup);

/// Candidate indexes of the workload, deduplicated, without those an existing index serves
/// and those on tiny tables (each pruning noted in `notes`).
std::vector<Candidate> generate_candidates(const Workload& workload,
                                           const std::vector<StatementSetup>& statements,
                                           std::vector<std::string>& notes);

/// Estimated size in bytes of `spec` on `table`: reltuples x (key widths + tuple overhead).
std::int64_t estimate_index_bytes(const Workload& workload, const CatalogTable& table,
                                  const IndexSpec& spec);

/// True when `candidate` serves `statement` only by reading in ORDER BY order and stopping at
/// the LIMIT (its leading key is the ORDER BY column, not a filter column, and the statement
/// filters that table): fast only when matching rows come early in that order.
bool relies_on_early_exit(const StatementSetup& statement, const Candidate& candidate);

/// The selection's outcome for one chosen index.
struct ChosenIndex {
    Candidate candidate;
    double benefit_ms = 0;          // estimated total ms saved over the workload
    std::set<int> helped;           // statements whose final plan uses it
};

struct SelectionResult {
    std::vector<ChosenIndex> chosen;
    std::map<int, Costing> baseline;  // statement id -> cost without new indexes
    std::map<int, Costing> final_cost; // statement id -> cost with the chosen indexes
    std::vector<std::pair<int, CostError>> failures; // statements that failed to plan
    bool partial = false;           // a fatal error stopped costing
};

/// Greedy selection in the spirit of Extend: each step adds the candidate or extends a chosen
/// index (a candidate whose keys start with its keys) with the best benefit per byte, until
/// max_indexes, budget_mb, or the next step saving less than min_saving of the costs it
/// touches. Indexes no final plan uses are dropped.
SelectionResult select_indexes(const Workload& workload, const std::vector<StatementSetup>& statements,
                               const std::vector<Candidate>& candidates, CostModel& model,
                               const AnalyzeOptions& options);

} // namespace dbadvise::analyzer::advisor
