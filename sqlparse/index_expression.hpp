// An expression from a statement as an index key: `lower(c.email)` -> `lower(email)`.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace dbadvise::sqlparse {

/// `expression` (source text of one expression over columns of one table) with the
/// qualifiers of its column references removed, as CREATE INDEX takes it. Error (a short
/// reason) when it does not parse as an expression, holds a parameter ($n: normalized text
/// lost the constant, so no index can match it), a subquery, or no column at all.
std::expected<std::string, std::string> index_expression(std::string_view expression);

} // namespace dbadvise::sqlparse
