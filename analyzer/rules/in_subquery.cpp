// in-subquery: `x IN (SELECT ...)` that can be written as a correlated EXISTS.
//
// Rationale: EXISTS states the correlation explicitly and gives the planner the same
// semi-join options as IN, plus an index probe per outer row where IN can only hash or scan
// the subquery's whole result; it is also the form that stays correct when negated
// (see not-in-subquery).
// PostgreSQL behaviour: an IN (subquery) directly in WHERE is pulled up into a semi-join,
// exactly like EXISTS, so there the rewrite changes little. Under OR, in a select list or
// inside other expressions it stays a SubPlan: hashed when the subquery's result fits in
// work_mem, otherwise re-scanned (from a materialized copy) for every outer row. The
// correlated EXISTS form probes an index on the inner column instead.
// Severity info: often a matter of style, sometimes a large win.
// Known false positives: IN directly under WHERE with an uncorrelated subquery, which
// PostgreSQL already plans as a semi-join; IN over a small, fixed subquery result.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const sqlparse::SubLink& link : q.sublinks) {
            if (link.kind != sqlparse::SubLinkKind::in || link.negated) {
                continue;
            }
            const std::string test = sublink_test(link);
            Finding f = make_finding(
                RuleId::in_subquery, link.offset,
                fmt::format("`{} IN (SELECT ...)` can be a correlated EXISTS", test),
                std::string());
            const std::string how =
                attach_exists_rewrite(f, statement, context.source, q, link, false);
            f.message = fmt::format(
                "PostgreSQL plans IN (subquery) directly under WHERE as a semi-join, like "
                "EXISTS; elsewhere (under OR, in the select list) it becomes a SubPlan that "
                "hashes the whole subquery result, or re-scans it for every outer row once "
                "it outgrows work_mem. `EXISTS (SELECT 1 FROM ... WHERE inner_col = {})` "
                "states the correlation, lets an index on the inner column serve each "
                "probe and keeps the same meaning when negated. {}",
                test, how);
            f.subject = "IN " + test;
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule in_subquery() {
    return Rule{RuleId::in_subquery, &check};
}

} // namespace dbadvise::analyzer::rules
