// Reads what analyzer::judge_statement needs from the catalog: the functions, operators, casts
// and relations the statements name, and everything they reach (aggregate support functions,
// view rules, row-level security policies, dependencies and body references of user-defined
// functions), following the references until nothing new turns up.
#pragma once

#include "analyzer/plan_safety.hpp"
#include "db/connection.hpp"

#include <expected>
#include <set>
#include <string>
#include <string_view>

namespace dbadvise::db {

/// Looks up `questions` and their closure in one read-only transaction. Only catalog tables
/// are read; no function is called that opens a user's table. Stops (catalog.complete =
/// false) after k_safety_rounds rounds or k_safety_objects objects. Fails with the server's
/// error.
std::expected<analyzer::SafetyCatalog, DbError> read_safety_catalog(Connection& connection,
                                                                    const analyzer::SafetyQuestions& questions);

/// The names a SQL or PL/pgSQL function body may refer to: every word anywhere in it, lower-cased
/// as PostgreSQL folds unquoted names, and the exact text of every double-quoted stretch. Words
/// inside string literals and comments count too: a scan that skips them can be fooled (an
/// apostrophe in a comment, an E'\'' escape, standard_conforming_strings) into skipping code.
/// `unicode_escapes`: the body writes a U&"..." name, which this scan does not decode.
struct BodyNames {
    std::set<std::string> names;
    bool unicode_escapes = false;
};
BodyNames names_in_body(std::string_view body);

inline constexpr int k_safety_rounds = 16;
inline constexpr std::size_t k_safety_objects = 20000;

} // namespace dbadvise::db
