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
    /// `CREATE INDEX CONCURRENTLY <name> ON <schema>.<table> USING ... (...) ...`.
    std::string create_sql(const std::string& index_name) const;
    /// A readable name: <table>_<col>_<col>_idx, at most 63 bytes.
    std::string default_name() const;
    /// `ON <schema>.<table> [USING <method>] (<keys>) [INCLUDE (...)] [WHERE ...]`: the part of
    /// CREATE INDEX after the name, shared by create_sql and hypopg_create_index.
    std::string on_clause() const;
    bool operator==(const IndexSpec&) const = default;
};

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
    /// Estimated size in bytes of each PlanRequest::hypothetical index (hypopg_relation_size),
    /// same positions; empty when the planner cannot tell.
    std::vector<std::int64_t> hypothetical_sizes;
};

struct PlannerError {
    std::string message; // the server's message, e.g. `relation "t" does not exist`
    bool fatal = false;  // the connection is gone: stop planning
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
    virtual int hypothetical_indexes_created() const = 0;
    /// True when what-if costing with hypothetical indexes is available.
    virtual bool supports_hypothetical() const = 0;
};

} // namespace dbadvise::analyzer
