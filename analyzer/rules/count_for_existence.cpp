// count-for-existence: `count(*) > 0`, `count(*) >= 1`, `(SELECT count(*) ...) > 0` used to
// ask whether any row exists.
//
// Rationale: counting finds every matching row to answer a yes/no question that the first
// matching row already answers.
// PostgreSQL behaviour: count(*) is an Aggregate over the full scan of its input; nothing
// lets it stop early. EXISTS (SELECT 1 ...) is planned to stop at the first row (as a
// semi-join, or a SubPlan with an implicit LIMIT 1), so on a large or unindexed input it does
// a fraction of the work. `count(*) = 0` is the NOT EXISTS case.
// With GROUP BY, `HAVING count(*) > 0` is not an existence test (every group has a row) and
// is not reported; a count compared with other numbers (`> 5`) is a real count.
// Severity warning: the work grows with the number of matches, for a one-bit answer.
// Known false positives: counts over inputs known to hold at most a row or two.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::AggregateComparison;

// +1 for "some row exists", -1 for "no row exists", 0 when the comparison is a real count.
int existence_sense(const AggregateComparison& cmp) {
    const std::string_view value = trim(cmp.constant);
    if (value == "0") {
        if (cmp.op == ">" || cmp.op == "<>" || cmp.op == "!=") {
            return 1;
        }
        if (cmp.op == "=" || cmp.op == "<=") {
            return -1;
        }
    }
    if (value == "1") {
        if (cmp.op == ">=") {
            return 1;
        }
        if (cmp.op == "<") {
            return -1;
        }
    }
    return 0;
}

void check(const sqlparse::Statement& statement, const RuleContext&, std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const AggregateComparison& cmp : q.aggregate_comparisons) {
            if (cmp.function_name != "count") {
                continue;
            }
            const int sense = existence_sense(cmp);
            // Directly on this level's aggregate, a GROUP BY makes it a per-group count.
            if (sense == 0 || (cmp.subquery_index < 0 && !q.group_by.empty())) {
                continue;
            }
            // Name the call as written where the model tells: count(*) or count(expression).
            const sqlparse::Query& owner =
                cmp.subquery_index >= 0 &&
                        cmp.subquery_index < static_cast<int>(q.subqueries.size())
                    ? q.subqueries[static_cast<std::size_t>(cmp.subquery_index)]
                    : q;
            bool star = false;
            for (const sqlparse::FunctionCall& call : owner.functions) {
                star = star || (call.name == "count" && call.star);
            }
            const std::string comparison =
                fmt::format("count({}) {} {}", star ? "*" : "...", cmp.op, trim(cmp.constant));
            const std::string_view fix = sense > 0 ? "EXISTS" : "NOT EXISTS";
            Finding f = make_finding(
                RuleId::count_for_existence, cmp.offset,
                fmt::format("`{}` counts every row to test existence; use {}", comparison, fix),
                fmt::format("`{}` makes PostgreSQL find and count every matching row, although "
                            "the first one settles the question. Write `{} (SELECT 1 FROM ... "
                            "WHERE ...)` instead: it stops at the first matching row.",
                            comparison, fix));
            f.subject = comparison;
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule count_for_existence() {
    return Rule{RuleId::count_for_existence, &check};
}

} // namespace dbadvise::analyzer::rules
