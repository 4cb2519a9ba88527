// Repairs typed literals that pg_stat_statements' normalization broke, so the statement can be
// PREPAREd: `date '1995-01-01'` is stored as `date $1` and `interval '3' month` as
// `interval $2 month`, both syntax errors for the server's parser.
#pragma once

#include "sqlparse/query_model.hpp"

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace dbadvise::sqlparse {

/// When `sql` contains a parameter written as a typed literal (`date $1`, `interval $2 month`,
/// `timestamp $3`), returns the statement deparsed with those as casts (`$1::date`,
/// `$2::interval month`); nullopt when there is nothing to repair. Error when libpg_query
/// cannot parse or deparse `sql`.
std::expected<std::optional<std::string>, ParseError> rewrite_typed_parameters(std::string_view sql);

} // namespace dbadvise::sqlparse
