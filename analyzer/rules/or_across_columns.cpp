// or-across-columns: `WHERE a = $1 OR b = $2`, an OR between conditions on different columns
// of the same table.
//
// Rationale: a single index cannot serve both sides of such an OR, so the usual plan is a
// sequential scan unless each column has its own index.
// PostgreSQL behaviour: with a separate index on each column the planner can combine them
// with a BitmapOr (two bitmap index scans, then one heap pass); with only a multi-column
// index on (a, b), or an index on one side, the OR falls back to a sequential scan. The
// alternative is to split the query into `... WHERE a = $1 UNION ALL ... WHERE b = $2 AND
// a IS DISTINCT FROM $1`, each branch using its own index. An OR over one column
// (`a = 1 OR a = 2`) is an IN list and is not reported.
// Severity info: with per-column indexes PostgreSQL handles it well.
// Known false positives: both columns already have their own index; small tables.
// Detection: conditions under an OR that are written next to each other with only OR (and
// parentheses) between them are siblings of the same OR; this keeps
// `(a = 1 OR a = 2) AND (b = 1 OR b = 2)` quiet.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::Predicate;

// True when only `OR` and parentheses lie between the two predicates in the source.
bool or_siblings(std::string_view source, const Predicate& a, const Predicate& b) {
    if (!a.span.valid() || !b.span.valid() || a.span.end > b.span.begin) {
        return false;
    }
    int ors = 0;
    for (const Token& t : tokenize(source, a.span.end, b.span.begin)) {
        if (is_word(source, t, "OR")) {
            ++ors;
        } else if (!is_open(t) && !is_close(t)) {
            return false;
        }
    }
    return ors == 1;
}

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        std::vector<const Predicate*> in_or;
        for (const Predicate& p : q.predicates) {
            if (p.in_or && !p.column.name.empty() &&
                p.operand.kind != sqlparse::OperandKind::column) {
                in_or.push_back(&p);
            }
        }
        std::sort(in_or.begin(), in_or.end(), [](const Predicate* a, const Predicate* b) {
            return a->span.begin < b->span.begin;
        });
        for (std::size_t i = 0; i + 1 < in_or.size(); ++i) {
            const Predicate& a = *in_or[i];
            const Predicate& b = *in_or[i + 1];
            if (a.column.name == b.column.name || !or_siblings(context.source, a, b)) {
                continue;
            }
            const sqlparse::Relation* ra = relation_of(q, a.column);
            const sqlparse::Relation* rb = relation_of(q, b.column);
            if (ra == nullptr || ra != rb) {
                continue;
            }
            const std::string table = relation_text(*ra);
            Finding f = make_finding(
                RuleId::or_across_columns, a.span.begin,
                fmt::format("OR across columns {} and {} of {}", a.column.name, b.column.name,
                            table),
                fmt::format("An OR between conditions on {0}.{1} and {0}.{2} cannot be served by "
                            "one index. Give each column its own index so that PostgreSQL can "
                            "combine them with a BitmapOr, or split the query into two branches "
                            "joined with UNION ALL (excluding the first branch's rows from the "
                            "second), each using its own index.",
                            table, a.column.name, b.column.name));
            f.subject = fmt::format("{}.{} OR {}", table, a.column.name, b.column.name);
            out.push_back(std::move(f));
            ++i; // one finding per OR pair
        }
    });
}

} // namespace

Rule or_across_columns() {
    return Rule{RuleId::or_across_columns, &check};
}

} // namespace dbadvise::analyzer::rules
