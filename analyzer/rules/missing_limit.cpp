// missing-limit: a top-level SELECT with ORDER BY but no LIMIT.
//
// Rationale: ordering a result nobody pages through is work for nothing, and ordering a
// large result that the client then truncates is worse: the server sorts (possibly spilling
// to disk) and sends every row. Most ORDER BY queries in applications feed a page or a
// "latest N" list and should say how many rows they want.
// PostgreSQL behaviour: with LIMIT the planner can use a top-N heap sort, or an ordered index
// scan that stops after N rows; without it the whole result is sorted (external merge sort
// once it exceeds work_mem) and transferred. `LIMIT $1` (pg_stat_statements) and
// FETCH FIRST count as a limit.
// Severity info: reports and exports legitimately want every row in order.
// Known false positives: result sets known to be small (a lookup table, a filter on a unique
// key) and batch exports.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

void check(const sqlparse::Statement& statement, const RuleContext&, std::vector<Finding>& out) {
    const sqlparse::Query& q = statement.query;
    if (statement.kind != sqlparse::StatementKind::select || q.order_by.empty() || q.has_limit) {
        return;
    }
    // An aggregate without GROUP BY returns one row: ordering it is harmless.
    if (q.has_aggregate && q.group_by.empty()) {
        return;
    }
    // SELECT without FROM (`SELECT 1 ORDER BY 1`) returns a row or a few values.
    if (q.relations.empty() && q.subqueries.empty()) {
        return;
    }
    std::string subject = q.relations.empty() ? std::string("query")
                                              : relation_text(q.relations.front());
    Finding f = make_finding(
        RuleId::missing_limit, q.order_by.front().offset, "ORDER BY without LIMIT sorts the whole result",
        "This query sorts every row it returns but sets no LIMIT. If the caller shows a page or "
        "the first rows, add `LIMIT n` (or `LIMIT $n`): PostgreSQL then keeps only the top rows "
        "in a bounded heap, or reads them in order from an index on the ORDER BY keys and "
        "stops early. If every row is needed, this is fine.");
    f.subject = std::move(subject);
    f.evidence.emplace_back("order_by_keys", static_cast<std::int64_t>(q.order_by.size()));
    out.push_back(std::move(f));
}

} // namespace

Rule missing_limit() {
    return Rule{RuleId::missing_limit, &check};
}

} // namespace dbadvise::analyzer::rules
