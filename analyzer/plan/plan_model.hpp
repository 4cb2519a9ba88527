// dbadvise's typed model of a PostgreSQL EXPLAIN plan, parsed from FORMAT JSON or from the
// default text format as psql prints it. Pure: text in, model out; no JSON types leak out.
//
// Units follow EXPLAIN: times in milliseconds, memory and disk in kB, buffers in 8 kB blocks.
// Per-loop figures stay per loop as EXPLAIN prints them (actual rows, actual times, rows
// removed by a filter); totals over loops are derived where the rules need them.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbadvise::analyzer::plan {

/// Buffer counters of one kind (shared or local), in blocks.
struct BufferCounts {
    std::int64_t hit = 0;
    std::int64_t read = 0;
    std::int64_t dirtied = 0;
    std::int64_t written = 0;
};

/// The BUFFERS option's counters. EXPLAIN reports them inclusive of the node's children.
struct Buffers {
    BufferCounts shared;
    BufferCounts local;
    std::int64_t temp_read = 0;
    std::int64_t temp_written = 0;
};

/// One node of a plan tree.
struct PlanNode {
    // Where the node sits.
    std::string node_type;     // "Seq Scan", "Hash Join", "Aggregate"; unknown types kept
    std::string path;          // "Plan/Plans[0]/Plans[1]"; "[k]/Plan/..." with several statements
    int parent = -1;           // index into Plan::nodes; -1 for a statement's root
    std::vector<int> children; // in plan order, InitPlan and SubPlan children included
    int statement = 0;         // index into Plan::statements
    int depth = 0;             // 0 for a root
    int line = 0;              // 1-based line of the node in the input; 0 when unknown
    std::string parent_relationship; // "Outer", "Inner", "Member", "InitPlan", "SubPlan", ...
    std::string subplan_name;        // "InitPlan 1 (returns $0)", "SubPlan 2", "CTE top"

    // What it reads.
    std::string relation; // "Relation Name"
    std::string schema;   // "Schema" (VERBOSE) or a qualified name in text plans
    std::string alias;
    std::string index_name;
    std::string cte_name;
    std::string function_name;
    std::string join_type;      // "Inner", "Left", "Semi", "Anti", ...
    std::string strategy;       // Aggregate: "Plain", "Sorted", "Hashed", "Mixed"
    std::string partial_mode;   // Aggregate: "Simple", "Partial", "Finalize"
    std::string scan_direction; // "Forward", "Backward"
    bool parallel_aware = false;

    // Planner estimates.
    double startup_cost = 0;
    double total_cost = 0;
    double plan_rows = 0; // per loop
    std::int64_t plan_width = 0;

    // Measurements (EXPLAIN ANALYZE). Times and rows are averages per loop.
    bool has_actual = false;     // actual rows and loops present
    bool has_timing = false;     // actual times present (not TIMING OFF)
    bool never_executed = false; // "(never executed)": loops = 0
    double actual_startup_ms = 0;
    double actual_total_ms = 0;
    double actual_rows = 0;
    double actual_loops = 0;

    // Derived by the parser (see compute_times): wall-clock estimates in milliseconds.
    double inclusive_ms = 0; // actual total time x loops, divided among parallel processes
    double exclusive_ms = 0; // inclusive_ms minus the children's, never negative

    // BUFFERS and track_io_timing.
    bool has_buffers = false;
    Buffers buffers;                  // inclusive, as reported
    Buffers exclusive_buffers;        // minus the children's, never negative
    std::optional<double> io_read_ms; // shared/local "I/O Read Time"
    std::optional<double> io_write_ms;
    std::optional<double> temp_io_read_ms; // 15+
    std::optional<double> temp_io_write_ms;

    // Sort.
    std::vector<std::string> sort_key;
    std::string sort_method;     // "quicksort", "top-N heapsort", "external merge", ...
    std::string sort_space_type; // "Memory" or "Disk"
    std::optional<std::int64_t> sort_space_kb;

    // Hash (Hash node) and hashed aggregation.
    std::optional<std::int64_t> hash_buckets;
    std::optional<std::int64_t> original_hash_buckets;
    std::optional<std::int64_t> hash_batches; // Hash "Hash Batches", HashAgg "HashAgg Batches"
    std::optional<std::int64_t> original_hash_batches;
    std::optional<std::int64_t> peak_memory_kb; // "Peak Memory Usage" / "Memory Usage"
    std::optional<std::int64_t> disk_usage_kb;  // HashAgg "Disk Usage"

    // Filtering. Rows removed are per loop, as EXPLAIN prints them; the others are totals.
    std::optional<double> rows_removed_by_filter;
    std::optional<double> rows_removed_by_join_filter;
    std::optional<double> rows_removed_by_index_recheck;
    std::optional<std::int64_t> heap_fetches;
    std::optional<std::int64_t> exact_heap_blocks;
    std::optional<std::int64_t> lossy_heap_blocks;
    std::optional<std::int64_t> workers_planned;
    std::optional<std::int64_t> workers_launched;

    // Conditions as the server printed them.
    std::string filter;
    std::string index_cond;
    std::string recheck_cond;
    std::string hash_cond;
    std::string merge_cond;
    std::string join_filter;

    /// Actual rows over all loops.
    double total_rows() const { return actual_rows * actual_loops; }
    /// "Seq Scan on orders" or "Hash Join": the node as EXPLAIN's text format names it.
    std::string label() const;
};

/// JIT figures of one statement.
struct Jit {
    std::int64_t functions = 0;
    double generation_ms = 0;
    double inlining_ms = 0;
    double optimization_ms = 0;
    double emission_ms = 0;
    double total_ms = 0;
};

/// One EXPLAIN output: a plan tree plus its statement-level figures.
struct PlanStatement {
    int root = -1; // index into Plan::nodes
    std::optional<double> planning_ms;
    std::optional<double> execution_ms;
    std::optional<Jit> jit;
    std::vector<std::pair<std::string, std::string>> settings; // SETTINGS option
    /// The statement the plan is of, when the input carries it: auto_explain's "Query Text"
    /// (its JSON member, or its text format's line), or the EXPLAIN typed at a psql prompt in
    /// a pasted session, the EXPLAIN and its options left out. Empty when unknown.
    std::string query_text;
    /// The statement's time: Execution Time, else the root's inclusive time, else 0.
    double total_ms = 0;
};

enum class PlanFormat { json, text };

/// A parsed plan document: one or several statements; nodes in depth-first pre-order.
struct Plan {
    PlanFormat format = PlanFormat::json;
    std::vector<PlanStatement> statements;
    std::vector<PlanNode> nodes;
    bool analyzed = false;   // some node has actual rows (EXPLAIN ANALYZE)
    bool has_timing = false; // some node has actual times
    /// Sum of the statements' total_ms.
    double total_ms() const;
};

/// The shape of a statement's plan tree, for telling two plans of one statement apart: each
/// node's label (PlanNode::label, "Parallel " for a parallel-aware node), a single child after
/// " > ", several in parentheses: `Aggregate > Index Only Scan using skew_k_idx on skew`,
/// `Hash Join (Seq Scan on orders o, Hash > Seq Scan on customers c)`. Costs and row counts
/// are left out. Empty for a plan without nodes.
std::string plan_shape(const Plan& plan);

/// Why a plan could not be read, and where. line and column are 1-based; 0 when the error
/// is about the document as a whole (empty input, not a plan).
struct PlanError {
    std::string message;
    int line = 0;
    int column = 0;
};

/// Parses EXPLAIN output, telling JSON (first non-blank character `[` or `{`, possibly inside
/// psql's aligned output with a "QUERY PLAN" header and '+' continuation marks) from the text
/// format. Also reads plans as they are pasted (see unwrap_pasted_plan): psql's layouts, a
/// psql session with its prompts, and auto_explain's records from the server log. Fails on empty input, malformed JSON (with the line and column of the error), JSON
/// that holds no plan, and text with no plan node line.
std::expected<Plan, PlanError> parse_plan(std::string_view text);

/// Parses EXPLAIN (FORMAT JSON) output: an array of statements, or a single statement
/// object. Unknown fields and node types are kept or skipped, never an error.
std::expected<Plan, PlanError> parse_json_plan(std::string_view text);

/// Parses the default text format as psql prints it (header, dashes, '+' marks and the
/// "(N rows)" footer optional; indentation only has to nest). Details the text parser does
/// not know are skipped.
std::expected<Plan, PlanError> parse_text_plan(std::string_view text);

/// Fills paths, depths, inclusive and exclusive times and buffers, the statements' total_ms
/// and Plan::analyzed/has_timing from the parsed figures. Called by the parsers; exposed for
/// tests that build a Plan by hand.
void compute_derived(Plan& plan);

} // namespace dbadvise::analyzer::plan
