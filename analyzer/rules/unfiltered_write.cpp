// unfiltered-write: UPDATE or DELETE without a WHERE clause.
//
// Rationale: a statement that changes every row of a table is almost always a mistake in
// application SQL (a lost WHERE after editing, a filter built conditionally that came out
// empty). Severity error: the damage is done when the statement runs, and a CI gate should
// stop it.
// PostgreSQL behaviour: without WHERE, UPDATE rewrites every row (a new tuple version for
// each, so the table and its indexes double in size until VACUUM) and DELETE marks every row
// dead; both hold row locks on the whole table until commit. TRUNCATE is the deliberate way
// to empty a table and is not reported.
// Known false positives: maintenance scripts that really mean the whole table (a backfill,
// `UPDATE settings SET ...` on a one-row table). `WHERE true` is the explicit way to say so.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

void check(const sqlparse::Statement& statement, const RuleContext&, std::vector<Finding>& out) {
    const bool is_update = statement.kind == sqlparse::StatementKind::update;
    if ((!is_update && statement.kind != sqlparse::StatementKind::delete_) ||
        statement.query.has_where) {
        return;
    }
    const sqlparse::Query& q = statement.query;
    const std::string table = q.relations.empty() ? std::string("the table")
                                                  : relation_text(q.relations.front());
    const std::string_view verb = is_update ? "UPDATE" : "DELETE";
    Finding f = make_finding(
        RuleId::unfiltered_write, statement.span.begin,
        fmt::format("{} without WHERE changes every row of {}", verb, table),
        fmt::format("This {} has no WHERE clause, so it {} every row of {} and locks them all "
                    "until the transaction ends. Add the WHERE clause that selects the intended "
                    "rows; if the whole table is really meant, write `WHERE true` to say so{}.",
                    verb, is_update ? "rewrites" : "deletes", table,
                    is_update ? "" : ", or use TRUNCATE"));
    f.subject = table;
    out.push_back(std::move(f));
}

} // namespace

Rule unfiltered_write() {
    return Rule{RuleId::unfiltered_write, &check};
}

} // namespace dbadvise::analyzer::rules
