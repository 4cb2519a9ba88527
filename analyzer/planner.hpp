// The planner interface: how the analyzer asks "what does this statement cost, with these
// hypothetical indexes?". db/ implements it for a live server with PREPARE, EXPLAIN and
// HypoPG; unit tests use fakes.
#pragma once

#include "analyzer/text.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

/// An index that may or may not exist: a candidate of the index advisor.
struct IndexSpec {
    std::string table_schema;
    std::string table;
    std::vector<std::string> keys;    // column names (quoted as needed) or expressions
    std::vector<std::string> include; // INCLUDE columns
    std::string method = "btree";
    std::string predicate;            // partial index WHERE; empty when none
    /// Operator class written after every key (`jsonb_path_ops`, `gin_trgm_ops`); empty for
    /// the method's default.
    std::string opclass;
    /// `CREATE INDEX CONCURRENTLY <name> ON <schema>.<table> USING ... (...) ...;`.
    std::string create_sql(const std::string& index_name) const;
    /// A readable name: <table>_<col>_<col>_idx, at most 63 bytes.
    std::string default_name() const;
    /// The same index on another table (a partition, an inheritance child).
    IndexSpec on_table(const std::string& schema, const std::string& name) const;
    /// `ON <schema>.<table> [USING <method>] (<keys>) [INCLUDE (...)] [WHERE ...]`: the part of
    /// CREATE INDEX after the name, shared by create_sql and hypopg_create_index.
    std::string on_clause() const;
    bool operator==(const IndexSpec&) const = default;
};

/// A partition of a partitioned table, for building an index on the table without blocking
/// writes (index_on_partitioned_sql).
struct IndexPartition {
    std::string schema;
    std::string name;
    std::string parent_schema; // the table it is a partition of
    std::string parent_name;
    bool partitioned = false;  // itself partitioned (sub-partitions follow in the list)
    bool foreign = false;      // a foreign table: no index can be built on it here
};

/// The script that builds `spec` (on a partitioned table) without blocking writes: `CREATE
/// INDEX <name> ON ONLY <table>` (instant, invalid until every partition has its index), then
/// for each partition `CREATE INDEX CONCURRENTLY` (sub-partitioned ones `ON ONLY` in turn) and
/// `ALTER INDEX <parent index> ATTACH PARTITION <its index>`. One statement a line, each ending
/// with `;`. `partitions` lists every partition at every level, parents before children.
/// Foreign-table partitions get no statement: PostgreSQL cannot index them (the index belongs
/// on the remote table), and the partitioned table's index stays invalid while they are
/// attached; the caller says so.
std::string index_on_partitioned_sql(const IndexSpec& spec, const std::string& index_name,
                                     const std::vector<IndexPartition>& partitions);

/// The script that builds `spec` on a table and on each of its inheritance children
/// (`children`, every level; parent fields unused): an index on a parent covers none of its
/// children, so each gets its own, each built with CREATE INDEX CONCURRENTLY. One statement a
/// line. Foreign-table children get no statement (the index belongs on the remote table).
/// `on_parent` false: the parent already has an index that serves `spec`; only the children's
/// statements are written.
std::string index_on_inheritance_tree_sql(const IndexSpec& spec, const std::string& index_name,
                                          const std::vector<IndexPartition>& children, bool on_parent = true);

/// A parameter value for a custom plan; nullopt is SQL NULL.
using ParamValue = std::optional<std::string>;

struct PlanRequest {
    std::string sql;                      // normalized statement text with $n parameters
    std::vector<std::string> param_types; // explicit types for $1..$n ("" lets the server infer)
    std::vector<ParamValue> params;       // values for EXECUTE; empty means the generic plan
    std::vector<IndexSpec> hypothetical;  // indexes to make visible (HypoPG) for this plan
};

struct PlanResult {
    double startup_cost = 0;
    double total_cost = 0;
    double plan_rows = 0;                 // estimated rows of the top node
    /// Indexes the plan uses: existing index names, and for hypothetical ones the position in
    /// PlanRequest::hypothetical as "#<n>".
    std::vector<std::string> indexes_used;
    std::vector<int> hypothetical_used;   // positions in PlanRequest::hypothetical
    std::string plan_json;                // EXPLAIN (FORMAT JSON) output
    /// The plan stops early at a LIMIT while it discards rows on the way (a Filter, a join
    /// condition, rows under the LIMIT that an index does not fully select): its cost rests on
    /// the planner's guess of where the matching rows are. `full_cost` is the plan's cost if
    /// it had to read the LIMIT's whole input (the match rarer, or later, than believed).
    bool risky_early_exit = false;
    double full_cost = 0;
    /// Estimated size in bytes of each PlanRequest::hypothetical index (hypopg_relation_size),
    /// same positions; empty when the planner cannot tell.
    std::vector<std::int64_t> hypothetical_sizes;
};

/// One plan of a statement: its generic plan, or a custom plan for some parameter values.
struct PlanVariant {
    std::string label; // "generic plan", or which values: "median values"
    std::string shape; // plan::plan_shape of the plan
    double cost = 0;   // the planner's total cost estimate
};

/// A statement's generic plan (what a prepared statement may switch to after five executions)
/// beside its custom plans for representative parameter values, planned without hypothetical
/// indexes: whether the plan depends on the values.
struct PlanSensitivity {
    PlanVariant generic;
    std::vector<PlanVariant> custom;
    /// Some custom plan has another shape than the generic plan.
    bool generic_differs() const;
    /// The custom plans do not all have one shape.
    bool custom_differ() const;
    /// Whether a prepared statement would keep the generic plan after its five custom plans
    /// (plan_cache_mode auto): its estimate is not above the custom plans' average.
    bool generic_kept() const;
    /// The custom plans' average cost estimate.
    double custom_average_cost() const;
};

struct PlannerError {
    PlannerError() = default;
    PlannerError(std::string message_, bool fatal_) : message(std::move(message_)), fatal(fatal_) {}
    std::string message; // the server's message, e.g. `relation "t" does not exist`
    bool fatal = false;  // the connection is gone: stop planning
    std::string sqlstate; // the server's SQLSTATE ("42883"); empty when not from the server
    int position = -1;    // byte offset into the statement text the server's error points at
    /// Position in PlanRequest::hypothetical of the index the server or HypoPG rejected
    /// (hypopg_create_index failed); -1 when the error is not about a hypothetical index.
    int rejected_index = -1;
    bool lock_timeout = false; // a table of the statement is locked by another session
};

class Planner {
public:
    virtual ~Planner() = default;
    /// Parameter types the server infers for `sql` (PREPARE + pg_prepared_statements).
    virtual std::expected<std::vector<std::string>, PlannerError>
    describe(const std::string& sql, const std::vector<std::string>& explicit_types) = 0;
    /// Plans the request inside a read-only transaction that is rolled back.
    virtual std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) = 0;
    /// Number of plan() calls so far and hypothetical indexes created so far.
    virtual int planner_calls() const = 0;
    /// Number of describe() calls so far.
    virtual int describe_calls() const { return 0; }
    virtual int hypothetical_indexes_created() const = 0;
    /// True when what-if costing with hypothetical indexes is available.
    virtual bool supports_hypothetical() const = 0;
};

} // namespace dbadvise::analyzer
