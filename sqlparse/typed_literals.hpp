// Repairs what pg_stat_statements' normalization broke, so the statement can be PREPAREd:
// `date '1995-01-01'` is stored as `date $1`, `interval '3' month` as `interval $2 month` and
// `extract(year from d)` as `extract($3 from d)`, all syntax errors for the server's parser.
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

/// When `sql` has `extract($n from x)` (the field keyword became a parameter), returns the text
/// with each such call written as the function call the server accepts with a parameter:
/// `pg_catalog.extract($n, x)` (PostgreSQL 14 and later, same result type) or, for older
/// servers (`server_version_num` below 140000, 0 meaning unknown counts as new),
/// `pg_catalog.date_part($n, x)`. nullopt when there is nothing to repair. Error when
/// libpg_query cannot parse `sql`.
std::expected<std::optional<std::string>, ParseError> rewrite_extract_fields(std::string_view sql,
                                                                             int server_version_num);

/// When a select-list expression is written with parameters where the GROUP BY or ORDER BY
/// expression repeating it kept its constants (pg_stat_statements normalizes the first
/// occurrence only: `SELECT date_trunc($1, d) ... GROUP BY date_trunc('month', d)`, which the
/// server rejects), returns the text with those parameters replaced by the constants; nullopt
/// when there is nothing to repair. The parameters' numbers then no longer occur in the text.
std::expected<std::optional<std::string>, ParseError> rewrite_grouping_parameters(std::string_view sql);

/// All repairs: grouping constants and EXTRACT first (they work on the original text), then
/// typed literals. Returns
/// `sql` itself when nothing needed repair or the text does not parse (the server reports
/// that error itself when the statement is prepared).
std::string repair_normalized(std::string_view sql, int server_version_num);

} // namespace dbadvise::sqlparse
