// Private to sqlparse: turns one statement of libpg_query's JSON parse tree into the typed
// query model, slicing operand and expression text from the source by token extents.
#pragma once

#include "sqlparse/json_tree_internal.hpp"
#include "sqlparse/query_model.hpp"
#include "sqlparse/lexer.hpp"

#include <climits>
#include <span>
#include <string_view>

namespace dbadvise::sqlparse::detail {

/// Source extent of a JSON subtree from its locations, memoised per node: expressions are
/// sliced many times (predicate, operand, sublink, clause offsets) and each walk would
/// otherwise revisit the same subtrees.
struct SubtreeExtent {
    int begin = INT_MAX;
    int end = -1;
    bool computed = false;
};

/// Builds the model of `stmt` (a `{"SelectStmt": {...}}` node). `text` is the whole source;
/// `base` is the byte offset in `text` of the string libpg_query parsed (its locations are
/// relative to it); `span` is the statement's extent in `text` and `tokens` its tokens.
/// Returns a default-constructed kind `utility` model for node types it does not model.
/// `cache` holds one entry per node of the JSON document, default-initialised.
Statement build_statement(JsonRef stmt, std::string_view text, int base, Span span,
                          std::span<const Token> tokens, std::span<SubtreeExtent> cache);

} // namespace dbadvise::sqlparse::detail
