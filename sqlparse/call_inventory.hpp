// Everything a statement may call or read, by name, as the parser sees it: the input to the
// analyzer's side-effect check for --analyze-plans (analyzer/plan_safety.hpp), which resolves
// the names against the server's catalog. The walk covers the whole parse tree (select list,
// FROM functions, subqueries, CTEs, window and aggregate clauses), so nothing that runs at
// execution can hide in a corner the query model does not describe.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse {

/// A possibly schema-qualified name as the parser folded it (unquoted identifiers lower-cased).
struct QualifiedName {
    std::string schema; // empty when unqualified
    std::string name;
    auto operator<=>(const QualifiedName&) const = default;
    /// "schema.name" or "name", for messages.
    std::string text() const { return schema.empty() ? name : schema + "." + name; }
};

struct CallInventory {
    bool parsed = false;          // false: `error` says why
    std::string error;
    int statements = 0;           // statements in the text
    std::string statement_type;   // node type of the (first) statement: "SelectStmt", ...
    bool row_locks = false;       // FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE anywhere
    bool select_into = false;     // SELECT ... INTO creates a table
    bool data_modifying = false;  // INSERT/UPDATE/DELETE/MERGE anywhere (a data-modifying WITH)
    /// Parse-tree nodes the walk does not know: whatever they do cannot be judged.
    std::set<std::string> unknown_nodes;
    std::set<QualifiedName> functions;   // function calls, FROM functions, TABLESAMPLE methods
    /// Operators, explicit and implied: =, <, > always (sorting, grouping, hashing, IN, CASE x
    /// WHEN, GREATEST use them), >=, <= and < > for BETWEEN.
    std::set<QualifiedName> operators;
    std::set<QualifiedName> types;       // targets of casts and typed literals (element types of arrays)
    std::set<QualifiedName> relations;   // tables and views read (CTE references left out)
    /// Last names of column references and field selections: `t.f` and `(t).f` call the function
    /// f(t) when t has no column f (attribute notation).
    std::set<std::string> attributes;
    std::set<int> limit_parameters;      // $n inside LIMIT / FETCH FIRST
    std::set<int> offset_parameters;     // $n inside OFFSET
    int parameters = 0;                  // highest $n
};

/// The inventory of `sql` (one statement, $n parameters allowed). Never throws; a text that
/// does not parse gives parsed = false and libpg_query's message.
CallInventory call_inventory(std::string_view sql);

} // namespace dbadvise::sqlparse
