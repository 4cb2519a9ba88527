// Reads what analyzer::judge_statement needs from the catalog: the functions, operators, casts
// and relations the statements name, and everything they reach (aggregate support functions,
// view rules, row-level security policies, dependencies and body references of user-defined
// functions), following the references until nothing new turns up.
#pragma once

#include "analyzer/plan_safety.hpp"
#include "db/connection.hpp"

#include <expected>

namespace dbadvise::db {

/// Looks up `questions` and their closure in one read-only transaction. Only catalog tables
/// are read; no function is called that opens a user's table. Stops (catalog.complete =
/// false) after k_safety_rounds rounds or k_safety_objects objects. Fails with the server's
/// error.
std::expected<analyzer::SafetyCatalog, DbError> read_safety_catalog(Connection& connection,
                                                                    const analyzer::SafetyQuestions& questions);

inline constexpr int k_safety_rounds = 16;
inline constexpr std::size_t k_safety_objects = 20000;

} // namespace dbadvise::db
