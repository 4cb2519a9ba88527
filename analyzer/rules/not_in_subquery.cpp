// not-in-subquery: `x NOT IN (SELECT ...)` -> NOT EXISTS.
//
// Rationale: NOT IN over a subquery is both a correctness trap and a performance trap.
// Correctness: if the subquery returns a single NULL, `x NOT IN (...)` is NULL (never true)
// for every x, so the query returns no rows; and a NULL x is never returned. NOT EXISTS has
// the two-valued meaning people intend ("no matching row").
// PostgreSQL behaviour: because of those NULL semantics the planner cannot turn NOT IN into
// an anti-join (it can for NOT EXISTS). NOT IN runs as a hashed SubPlan when the subquery's
// result fits in work_mem, otherwise as a plain SubPlan that re-scans the materialized result
// for every outer row: quadratic time on large inputs. NOT EXISTS becomes a Hash Anti Join or
// a Nested Loop Anti Join with an index probe.
// The rewrite changes results exactly where NOT IN is surprising: when the subquery yields
// NULL (NOT EXISTS still returns the unmatched rows) and for a NULL outer value (NOT EXISTS
// returns the row).
// Severity warning: wrong results on NULLs and a quadratic plan on large inputs.
// Known false positives: the subquery's column is NOT NULL and its result is small enough to
// hash; the finding still stands as a robustness fix.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const sqlparse::SubLink& link : q.sublinks) {
            // `x <> ALL (SELECT ...)` is the same test as NOT IN, with the same NULL trap.
            const bool not_in = link.kind == sqlparse::SubLinkKind::not_in ||
                                (link.kind == sqlparse::SubLinkKind::in && link.negated) ||
                                (link.kind == sqlparse::SubLinkKind::all && link.op == "<>");
            if (!not_in) {
                continue;
            }
            const std::string test = sublink_test(link);
            Finding f = make_finding(
                RuleId::not_in_subquery, link.offset,
                fmt::format("`{} {} (SELECT ...)`: use NOT EXISTS", test,
                            link.kind == sqlparse::SubLinkKind::all ? "<> ALL" : "NOT IN"),
                std::string());
            const std::string how =
                attach_exists_rewrite(f, statement, context.source, q, link, true);
            f.message = fmt::format(
                "If the subquery returns any NULL, `{0} NOT IN (...)` is never true and the "
                "query returns no rows; a NULL {0} is never returned either. Because of "
                "these semantics PostgreSQL cannot plan NOT IN as an anti-join: it runs a "
                "hashed SubPlan, or re-scans the subquery result for every outer row when "
                "it does not fit in work_mem. `NOT EXISTS (SELECT 1 FROM ... WHERE "
                "inner_col = {0})` means \"no matching row\", ignores NULLs in the subquery "
                "and becomes a hash or index anti-join. {1}",
                test, how);
            f.subject = "NOT IN " + test;
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule not_in_subquery() {
    return Rule{RuleId::not_in_subquery, &check};
}

} // namespace dbadvise::analyzer::rules
