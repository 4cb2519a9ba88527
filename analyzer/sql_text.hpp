// Questions about SQL text that the rules, the index advisor and the health checks ask, all
// answered with sqlparse's lexer (so strings, quoted names, comments and dollar quotes are
// never mistaken for code).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

/// `text` with the `qualifier.` prefixes of column references removed: index expressions
/// name columns bare (`lower(u.email)` -> `lower(email)`). `qualifier` is the name as
/// PostgreSQL stores it (unquoted names folded to lower case); only a qualifier that is not
/// itself qualified is removed (`s.u.email` keeps `s.u.`).
std::string strip_qualifier(std::string_view text, std::string_view qualifier);

/// The number of every `$n` parameter in `text`, in order of appearance.
std::vector<int> parameter_numbers(std::string_view text);

/// Highest `$n` parameter number in `text` (0 when none).
int max_parameter(std::string_view text);

/// A call of one function on one parameter: `to_timestamp($1)`, `pg_catalog.lower($2)`.
struct ParameterCall {
    std::string function; // lower case, qualified as written: "to_timestamp", "pg_catalog.lower"
    int parameter = 0;
};
/// The call `text` is, when it is nothing but a function applied to one `$n` parameter.
std::optional<ParameterCall> single_parameter_call(std::string_view text);

/// True when `text` names the identifier `name` (as stored: case-sensitive) outside string
/// literals and comments: an unquoted word that folds to it, or a quoted identifier equal to it.
bool mentions_identifier(std::string_view text, std::string_view name);

} // namespace dbadvise::analyzer
