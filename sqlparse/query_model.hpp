// dbadvise's own typed model of a parsed SQL statement. Built by sqlparse from libpg_query's
// parse tree; consumed by the analyzer's rules and index advisor. No libpg_query or JSON types
// appear here.
//
// Locations: every `offset` is a byte offset into the text that was given to the parser (the
// whole file for `lint`, the statement text for a pg_stat_statements entry); -1 when the parser
// recorded none. A `Span` is a half-open byte range [begin, end) into the same text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dbadvise::sqlparse {

struct Span {
    int begin = -1;
    int end = -1;
    bool valid() const { return begin >= 0 && end >= begin; }
};

enum class StatementKind {
    select,
    insert,
    update,
    delete_,
    merge,
    create_table,
    create_index,
    explain,
    utility, // SET, VACUUM, BEGIN, ... and every other statement dbadvise does not model
};

/// A table (or view, or CTE name) named in a FROM clause, a DML target or a JOIN.
/// What a FROM item is. Only a `table` (a named table, view or partition) can be indexed.
enum class RelationKind {
    table,    // orders, public.orders, orders TABLESAMPLE ...
    cte,      // a WITH query of this statement, referenced by name
    subquery, // (SELECT ...) alias; name is empty
    function, // generate_series(1, 10) g, unnest(...); name is the function's
    other,    // XMLTABLE and other table expressions; name is empty
};

struct Relation {
    std::string schema; // empty when unqualified
    std::string name;   // table, CTE or function name; empty for subqueries and others
    std::string alias;  // empty when none
    RelationKind kind = RelationKind::table;
    bool is_cte = false; // name refers to a WITH query of this statement (kind == cte)
    /// The name (or its schema) is a psql variable (`FROM :"tbl"`, `FROM :sch.t`): `name` is
    /// the placeholder the parser saw, and which table psql will put there is not known.
    bool psql_variable = false;
    /// kind subquery: index of its query in Query::subqueries of the same level; -1 otherwise.
    int subquery = -1;
    int offset = -1;
    /// The name a column reference would use to qualify this relation: alias, else name.
    const std::string& ref_name() const { return alias.empty() ? name : alias; }
};

/// A column reference such as `o.customer_id` or `email`.
struct ColumnRef {
    std::string qualifier; // as written (`o` in `o.customer_id`); empty when unqualified
    std::string name;      // column name; "*" for `t.*` / `*`
    /// Index into Query::relations of the relation the column belongs to, when it can be told
    /// without a catalog: the qualifier names it, or the query level has exactly one relation.
    /// -1 when ambiguous or unknown.
    int relation = -1;
    int offset = -1;
};

enum class OperandKind {
    constant,   // a literal: 42, 'abc', TRUE (not NULL)
    null,       // the NULL literal
    parameter,  // $1
    column,     // another column reference
    list,       // IN (1, 2, 3) / = ANY(ARRAY[...])
    subquery,   // IN (SELECT ...), = ANY(SELECT ...)
    expression, // anything else: now() - interval '1 day', f(x), $1 || 'x'
};

struct Operand {
    OperandKind kind = OperandKind::expression;
    std::string text;            // source text of the operand as written
    std::optional<ColumnRef> column; // when kind == column
    int param_number = 0;        // when kind == parameter ($n)
    int list_length = 0;         // when kind == list
    /// Type of a constant or the cast around a parameter/constant, as written: "integer",
    /// "string", "float", "boolean", or the cast's type name ("date", "interval", ...).
    std::string type_name;
    int offset = -1;
};

/// How a column in a predicate is wrapped, which makes a plain index on it unusable. From the
/// parse tree: `arithmetic` for + - * / % ^, `operator_` for every other operator (`->>`,
/// `#>>`, `||`, ...), with Predicate::wrapper naming it.
enum class WrapKind { none, function, cast, arithmetic, operator_, collate };

/// One comparison of a column against something: `customer_id = $1`, `lower(email) = 'x'`,
/// `created_at > now() - $1`, `name LIKE '%x'`, `deleted_at IS NULL`, `id IN (1,2,3)`.
/// The column is on the left after normalisation (`$1 = id` is stored as `id = $1` with the
/// operator commuted).
struct Predicate {
    ColumnRef column;
    /// Upper-case SQL operator: "=", "<>", "<", "<=", ">", ">=", "LIKE", "NOT LIKE", "ILIKE",
    /// "NOT ILIKE", "~", "IN", "NOT IN", "BETWEEN", "NOT BETWEEN", "IS NULL", "IS NOT NULL",
    /// "= ANY", "<> ALL", or another operator symbol as written ("@>", "&&", ...).
    std::string op;
    Operand operand;          // for IS [NOT] NULL: kind null, empty text
    std::optional<Operand> operand2; // upper bound of BETWEEN
    WrapKind wrap = WrapKind::none;
    std::string wrapper;      // function name (`lower`), cast type (`date`) or operator (`+`)
    std::string wrapped_text; // source text of the wrapped column expression: `lower(email)`
    bool in_or = false;       // sits under an OR (not usable alone as an index condition)
    bool negated = false;     // sits under NOT
    int offset = -1;          // location of the operator / expression
    Span span;                // the whole predicate's source text
};

/// An equality between columns of two relations: `o.customer_id = c.id`, from JOIN ... ON or
/// from WHERE.
struct JoinCondition {
    ColumnRef left;
    ColumnRef right;
    std::string op; // "=" in almost every case
    int offset = -1;
};

/// An explicit JOIN in the FROM clause.
struct Join {
    enum class Type { inner, left, right, full, cross };
    Type type = Type::inner;
    bool has_condition = false; // ON or USING or NATURAL
    int offset = -1;
};

struct SortKey {
    std::optional<ColumnRef> column; // set when the key is a plain column
    std::string text;                // source text of the key expression
    bool descending = false;
    bool using_operator = false;     // ORDER BY x USING op: the direction is the operator's
    std::optional<bool> nulls_first; // explicit NULLS FIRST/LAST, else the default
    bool is_function_call = false;   // e.g. random()
    std::string function_name;       // lower-case, when is_function_call
    int offset = -1;
};

enum class SubLinkKind {
    exists,      // EXISTS (SELECT ...)
    in,          // x IN (SELECT ...)
    not_in,      // x NOT IN (SELECT ...)
    any,         // x op ANY (SELECT ...)
    all,         // x op ALL (SELECT ...)
    scalar,      // (SELECT ...) used as a value
    array,       // ARRAY(SELECT ...)
};

enum class ClauseContext { select_list, from, where, join_on, having, group_by, order_by, other };

struct Query;

/// A subquery used as an expression.
struct SubLink {
    SubLinkKind kind = SubLinkKind::exists;
    bool negated = false;       // NOT EXISTS
    ClauseContext context = ClauseContext::where;
    std::string test_text;      // left-hand expression of IN/ANY/ALL: `c.id`
    std::optional<ColumnRef> test_column; // when the left-hand side is a plain column
    std::string op;             // "=" for IN, the operator of ANY/ALL
    int query_index = -1;       // index into the enclosing Query::subqueries
    int offset = -1;            // location of the sublink
    Span span;                  // the whole sublink, `x NOT IN (SELECT ...)`
    Span subquery_span;         // the subquery inside its parentheses, without them
};

struct TargetEntry {
    bool is_star = false;            // `*` or `t.*`
    std::string star_qualifier;      // `t` for `t.*`
    std::optional<ColumnRef> column; // plain column reference
    std::string alias;               // AS name
    std::string text;                // source text of the expression
    bool is_aggregate = false;       // count(*), sum(x), ...
    std::string function_name;       // lower-case, when a function call
    int offset = -1;
    Span span;
};

/// A function call anywhere in the statement (for count(*) > 0, random(), ...).
struct FunctionCall {
    std::string name; // lower-case, without schema
    bool star = false; // count(*)
    bool window = false; // a window function call: `... OVER (...)`
    ClauseContext context = ClauseContext::other;
    int offset = -1;
};

/// A comparison of a function call result against a constant: `count(*) > 0` (for the
/// count-for-existence rule). Recorded for comparisons whose left side is an aggregate.
struct AggregateComparison {
    std::string function_name; // count
    std::string op;
    std::string constant;      // "0", "1"
    int offset = -1;
    int subquery_index = -1;   // when the aggregate is a scalar subquery `(SELECT count(*) ...) > 0`
};

/// A LIKE/ILIKE pattern found anywhere.
struct LikePattern {
    ColumnRef column; // may have empty name when the left side is not a column
    std::string pattern; // the constant pattern; empty when not a constant
    bool case_insensitive = false;
    bool negated = false;
    int offset = -1;
};

/// Set operation (UNION, INTERSECT, EXCEPT) at this query level.
struct SetOperation {
    enum class Op { union_, intersect, except };
    Op op = Op::union_;
    bool all = false;
    int offset = -1;
};

/// One query level: a SELECT (or the query part of INSERT/UPDATE/DELETE), with its subqueries.
struct Query {
    ClauseContext context = ClauseContext::other; // where this query sits in its parent
    std::vector<Relation> relations;   // FROM items and DML target (target first), this level only
    std::vector<Join> joins;
    std::vector<Predicate> predicates; // WHERE (and JOIN ON non-join conjuncts), this level
    std::vector<Predicate> having;
    std::vector<JoinCondition> join_conditions;
    std::vector<TargetEntry> targets;  // select list / RETURNING
    std::vector<SortKey> order_by;
    std::vector<SortKey> group_by;
    std::vector<SubLink> sublinks;     // sublinks appearing at this level
    std::vector<FunctionCall> functions;
    std::vector<AggregateComparison> aggregate_comparisons;
    std::vector<LikePattern> likes;
    std::vector<SetOperation> set_operations; // non-empty for UNION etc.; branches in subqueries
    std::vector<Query> subqueries;     // CTEs, FROM subqueries, sublink queries, set-op branches
    std::vector<std::string> cte_names;
    /// Per cte_names entry: index of its query in `subqueries`, and whether it is declared
    /// MATERIALIZED (PostgreSQL never inlines those).
    std::vector<int> cte_queries;
    std::vector<bool> cte_materialized;
    bool recursive_with = false;      // WITH RECURSIVE
    bool has_where = false;
    bool has_distinct = false;
    bool has_distinct_on = false;     // DISTINCT ON (...): has_distinct is set too
    bool has_limit = false;
    std::optional<std::int64_t> limit_value; // constant LIMIT
    bool limit_is_parameter = false;
    int limit_parameter = 0;          // n of `LIMIT $n`
    bool has_offset = false;
    std::optional<std::int64_t> offset_value; // constant OFFSET
    bool offset_is_parameter = false;
    int offset_parameter = 0;         // n of `OFFSET $n`
    int offset_offset = -1;           // location of the OFFSET expression
    int where_offset = -1;            // location of the WHERE expression
    bool has_aggregate = false;
    bool where_has_or = false;        // an OR at the top of (or anywhere in) WHERE
    int from_offset = -1;
    Span span;                        // this query's source text
};

/// A column declared in CREATE TABLE.
struct ColumnDefinition {
    std::string name;
    std::string type_name; // as written: "integer", "varchar(80)", "timestamptz"
    bool not_null = false;
};

struct IndexDefinition {
    std::string name;
    std::string schema;
    std::string table;
    std::vector<std::string> columns; // key expressions' text, in order
    bool unique = false;
    bool expressions = false; // some key is an expression, not a column
    bool partial = false;     // WHERE predicate
    std::string method; // btree, gin, ...
};

/// A PRIMARY KEY or UNIQUE constraint: the columns whose values identify a row.
struct KeyDefinition {
    std::vector<std::string> columns;
    bool primary = false; // PRIMARY KEY: its columns are NOT NULL too
};

/// Where a statement sits in the script.
enum class StatementOrigin : std::uint8_t {
    script,               // a statement of the script itself
    function_body,        // run by a function or DO block: in a $$...$$ body, or BEGIN ATOMIC
    quoted_function_body, // in a '...' body: its source text has every quote doubled
};

/// One statement of a script: its kind, where it sits in the source, and its query model.
struct Statement {
    StatementKind kind = StatementKind::utility;
    StatementOrigin origin = StatementOrigin::script;
    std::string node_type;   // libpg_query's node name ("SelectStmt", "VariableSetStmt", ...)
    Span span;               // the statement's text in the source, without the trailing `;`
    Query query;             // the top query level (empty for utility statements)
    /// 16 hex digits, equal for statements that differ only in constants and formatting;
    /// how it is computed is chosen by ParseOptions (by default from tokens, not
    /// libpg_query's value, which costs a second parse).
    std::string fingerprint;
    /// For a statement in a function body: the token fingerprint of the CREATE FUNCTION /
    /// PROCEDURE or DO statement whose body it is, the body left out. With `fingerprint` it
    /// tells the same statement in two functions apart, and it survives edits elsewhere in
    /// the body. Empty for the script's own statements and without ParseOptions::fingerprint.
    std::string enclosing_fingerprint;
    // CREATE TABLE / CREATE INDEX, for --schema.
    std::string table_schema;
    std::string table_name;
    std::vector<ColumnDefinition> columns;
    /// PRIMARY KEY and UNIQUE constraints of CREATE TABLE, and of ALTER TABLE ... ADD
    /// CONSTRAINT (node_type AlterTableStmt, table_schema and table_name set).
    std::vector<KeyDefinition> keys;
    std::optional<IndexDefinition> index;
};

/// A statement the parser rejected: the parser's message and where it points.
struct ParseError {
    enum class Kind : std::uint8_t {
        statement,     // the SQL parser rejected a statement
        function_body, // a function body (PL/pgSQL, or SQL in a string) does not parse
        unchecked,     // cannot be checked: SQL from psql variables, PL/pgSQL libpg_query cannot read
        psql_command,  // a psql meta-command psql does not know (it skips the line)
        too_large,     // longer than ParseOptions::max_statement_bytes: not parsed
    };
    std::string message; // libpg_query's message, e.g. `syntax error at or near "FORM"`
    int offset = -1;     // byte offset of the error in the source text
    Span statement_span; // the statement that failed
    Kind kind = Kind::statement;
    /// A function body's error: Statement::enclosing_fingerprint of the body's statements.
    std::string enclosing_fingerprint{};
};

/// A whole script after parsing: each statement in source order, parsed or failed.
struct ParsedStatement {
    std::optional<Statement> statement;
    std::optional<ParseError> error;
};

} // namespace dbadvise::sqlparse
