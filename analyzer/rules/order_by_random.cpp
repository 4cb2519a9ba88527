// order-by-random: ORDER BY random() to pick random rows.
//
// Rationale: `ORDER BY random() LIMIT n` reads every qualifying row, computes random() for
// each and sorts (a top-N heap sort when LIMIT is small), so its cost grows with the table,
// not with n.
// PostgreSQL behaviour: no index can provide random order; the plan is always a full scan
// plus a Sort node. TABLESAMPLE SYSTEM (block sampling) or BERNOULLI (row sampling) reads a
// fraction of the table; for one random row, picking a random key and taking the first key
// at or after it uses the primary-key index.
// Severity warning: cost proportional to the table for any number of rows kept.
// Known false positives: small tables (a few thousand rows), where the sort is cheap.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

void check(const sqlparse::Statement& statement, const RuleContext&, std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const sqlparse::SortKey& key : q.order_by) {
            if (!key.is_function_call || key.function_name != "random") {
                continue;
            }
            std::string table = q.relations.empty() ? std::string("the result")
                                                    : relation_text(q.relations.front());
            Finding f = make_finding(
                RuleId::order_by_random, key.offset, "ORDER BY random() sorts every row",
                fmt::format("ORDER BY random() computes a random value for every row of {} and "
                            "sorts them all, however few rows are kept; the cost grows with "
                            "the table. To sample, use `FROM {} TABLESAMPLE SYSTEM (1)` (or "
                            "BERNOULLI for row-level sampling); to pick one row, choose a "
                            "random key and read the first row with a key at or above it "
                            "through the primary-key index.",
                            table, table));
            f.subject = table;
            if (q.limit_value) {
                f.evidence.emplace_back("limit", *q.limit_value);
            }
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule order_by_random() {
    return Rule{RuleId::order_by_random, &check};
}

} // namespace dbadvise::analyzer::rules
