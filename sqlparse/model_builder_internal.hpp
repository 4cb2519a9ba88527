// Private to sqlparse: turns one statement of libpg_query's JSON parse tree into the typed
// query model, slicing operand and expression text from the source by token extents.
#pragma once

#include "sqlparse/json_tree_internal.hpp"
#include "sqlparse/query_model.hpp"
#include "sqlparse/sql_scanner_internal.hpp"

#include <string_view>
#include <vector>

namespace dbadvise::sqlparse::detail {

/// Builds the model of `stmt` (a `{"SelectStmt": {...}}` node). `text` is the whole source;
/// `base` is the byte offset in `text` of the string libpg_query parsed (its locations are
/// relative to it); `span` is the statement's extent in `text` and `tokens` its tokens.
Statement build_statement(JsonRef stmt, std::string_view text, int base, Span span,
                          std::vector<Token> tokens);

} // namespace dbadvise::sqlparse::detail
