// union-vs-union-all: UNION where UNION ALL may do.
//
// Rationale: UNION removes duplicate rows, which costs a sort or a hash over the whole
// combined result; when the branches cannot overlap (different tables, disjoint filters) or
// duplicates do not matter, UNION ALL returns the same rows without that work.
// PostgreSQL behaviour: UNION plans as Append followed by HashAggregate or Sort + Unique over
// all columns; UNION ALL is a bare Append that can stream and stop early under a LIMIT.
// Severity info: only the author knows whether duplicates are possible and must go.
// Known false positives: every UNION that really needs de-duplication.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

void check(const sqlparse::Statement& statement, const RuleContext&, std::vector<Finding>& out) {
    int ordinal = 0;
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const sqlparse::SetOperation& op : q.set_operations) {
            if (op.op != sqlparse::SetOperation::Op::union_ || op.all) {
                continue;
            }
            Finding f = make_finding(
                RuleId::union_vs_union_all, op.offset, "UNION removes duplicates; UNION ALL may do",
                "UNION de-duplicates the combined result with a sort or hash over every row. "
                "If the branches cannot return the same row, or duplicates are harmless, use "
                "UNION ALL: it appends the branches without that step and can stop early "
                "under a LIMIT.");
            f.subject = fmt::format("UNION #{}", ++ordinal);
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule union_vs_union_all() {
    return Rule{RuleId::union_vs_union_all, &check};
}

} // namespace dbadvise::analyzer::rules
