// scalar-subquery-in-select: a correlated scalar subquery in the select list, such as
// `SELECT c.name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c`.
//
// Rationale: the subquery runs once per output row. With an index behind it each run is cheap,
// but the total grows with the result, and an aggregate per row repeats work a single grouped
// join does once.
// PostgreSQL behaviour: a correlated sublink in the target list cannot be pulled up into a
// join; it stays a SubPlan executed for every row (an uncorrelated one becomes an InitPlan run
// once, and is not reported). Rewritten as `LEFT JOIN LATERAL (SELECT ...) s ON true`, or as a
// join to a pre-aggregated derived table (`LEFT JOIN (SELECT customer_id, count(*) ... GROUP
// BY customer_id) o ON o.customer_id = c.id`), the planner can choose a hash join and scan
// the inner table once.
// Correlation is recognised through qualified references to the outer query's tables
// (`c.id`); unqualified outer references are not seen.
// Severity warning: cost multiplies with the outer row count.
// Known false positives: outer queries that return few rows (a LIMIT 20 page), where a
// per-row index probe is the best plan.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::ColumnRef;
using sqlparse::Query;

bool contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// True when `level` (or a level below it) refers to one of `outer` by a qualifier that no
// relation in between defines.
bool refers_to(const Query& level, std::vector<std::string> scope,
               const std::vector<std::string>& outer, std::string& found) {
    for (const sqlparse::Relation& r : level.relations) {
        scope.push_back(r.ref_name());
    }
    auto outer_ref = [&](std::string_view qualifier) {
        if (!qualifier.empty() && !contains(scope, qualifier) && contains(outer, qualifier)) {
            found = std::string(qualifier);
            return true;
        }
        return false;
    };
    auto in_text = [&](std::string_view text) {
        const std::vector<Token> tokens = tokenize(text, 0, static_cast<int>(text.size()));
        for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
            if (tokens[i].kind == TokenKind::identifier &&
                slice(text, tokens[i + 1].begin, tokens[i + 1].end) == "." &&
                outer_ref(slice(text, tokens[i].begin, tokens[i].end))) {
                return true;
            }
        }
        return false;
    };
    for (const auto* list : {&level.predicates, &level.having}) {
        for (const sqlparse::Predicate& p : *list) {
            if (outer_ref(p.column.qualifier) ||
                (p.operand.column && outer_ref(p.operand.column->qualifier)) ||
                in_text(p.operand.text) || (p.operand2 && in_text(p.operand2->text))) {
                return true;
            }
        }
    }
    for (const sqlparse::JoinCondition& jc : level.join_conditions) {
        if (outer_ref(jc.left.qualifier) || outer_ref(jc.right.qualifier)) {
            return true;
        }
    }
    for (const sqlparse::TargetEntry& t : level.targets) {
        if ((t.column && outer_ref(t.column->qualifier)) || in_text(t.text)) {
            return true;
        }
    }
    for (const Query& sub : level.subqueries) {
        if (refers_to(sub, scope, outer, found)) {
            return true;
        }
    }
    return false;
}

void check(const sqlparse::Statement& statement, const RuleContext&, std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const Query& q, const Query*) {
        std::vector<std::string> outer;
        for (const sqlparse::Relation& r : q.relations) {
            outer.push_back(r.ref_name());
        }
        for (const sqlparse::SubLink& link : q.sublinks) {
            if (link.kind != sqlparse::SubLinkKind::scalar ||
                link.context != sqlparse::ClauseContext::select_list || link.query_index < 0 ||
                link.query_index >= static_cast<int>(q.subqueries.size())) {
                continue;
            }
            const Query& sub = q.subqueries[static_cast<std::size_t>(link.query_index)];
            std::string correlated_with;
            if (!refers_to(sub, {}, outer, correlated_with)) {
                continue;
            }
            std::string inner = sub.relations.empty() ? std::string("the subquery")
                                                      : relation_text(sub.relations.front());
            Finding f = make_finding(
                RuleId::scalar_subquery_in_select, link.offset,
                fmt::format("Correlated subquery on {} runs once per row", inner),
                fmt::format("This scalar subquery in the select list refers to `{}` of the outer "
                            "query, so PostgreSQL executes it as a SubPlan for every row the "
                            "query returns. Move it into the FROM clause: `LEFT JOIN LATERAL "
                            "(SELECT ...) s ON true`, or join a derived table that aggregates "
                            "{} once with GROUP BY on the correlation column, which lets the "
                            "planner use a hash join.",
                            correlated_with, inner));
            f.subject = inner + " per " + correlated_with;
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule scalar_subquery_in_select() {
    return Rule{RuleId::scalar_subquery_in_select, &check};
}

} // namespace dbadvise::analyzer::rules
