// Private to sqlparse: libpg_query's parse tree, read without its JSON.
//
// pg_query_parse builds PostgreSQL's parse nodes, writes them out as JSON text, and sqlparse
// reads that text back into a JsonDocument for the model builder. Writing and reading the
// text cost more than the grammar itself (docs/ARCHITECTURE.md, Performance). parse_tree
// runs the same grammar (pg_query_raw_parse) and fills the JsonDocument straight from the
// nodes, with exactly the tree the JSON would have given: the same members in the same
// order, the same values, the same omissions. A statement with node types it does not know
// (most utility statements) goes the old way, through libpg_query's JSON writer on the same
// nodes, and its tree is copied in, so every statement gets its tree;
// tests/unit/test_sqlparse_pg_tree.cpp compares both routes on every statement of testdata/.
#pragma once

#include "sqlparse/json_tree_internal.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace dbadvise::sqlparse::detail {

/// libpg_query's error for a text that does not parse.
struct TreeError {
    std::string message;
    int cursorpos = 0; // 1-based count of characters into the text; 0 when unknown
};

/// How the document was filled: from the parse nodes alone, or with at least one statement
/// (or all of them) through libpg_query's JSON.
enum class TreeRoute : std::uint8_t { nodes, json };

struct TreeOutcome {
    std::optional<TreeError> error; // the text does not parse; the document is empty
    bool readable = true;           // false: a tree nested too deep to read (k_max_tree_depth)
    TreeRoute route = TreeRoute::nodes;
};

/// Parses the NUL-terminated `sql` (one or more statements) with libpg_query's grammar and
/// fills `document` with the tree of pg_query_parse's JSON: `{"version": ..., "stmts": [...]}`.
/// `route` json skips the direct route (for tests that compare the two).
TreeOutcome parse_tree(const char* sql, JsonDocument& document, TreeRoute route = TreeRoute::nodes);

} // namespace dbadvise::sqlparse::detail
