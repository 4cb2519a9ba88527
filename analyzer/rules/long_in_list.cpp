// long-in-list: `col IN (v1, ..., v50+)` -> `col = ANY($1::type[])`.
//
// Rationale: applications that build IN lists from data send a new statement text for every
// list length: each is parsed and planned again, prepared statements cannot be reused, and
// pg_stat_statements records one entry per length, splitting the workload's statistics.
// Binding one array parameter gives one statement for every list.
// PostgreSQL behaviour: `col IN (...)` is parsed into `col = ANY(ARRAY[...])` anyway, so
// `col = ANY($1::bigint[])` gets the same plan (an index scan with a ScalarArrayOp
// condition); the planner estimates selectivity from the array's values in a custom plan.
// NOT IN lists become `<> ALL($1::type[])`. (PostgreSQL 18 merges IN lists of different
// lengths in pg_stat_statements; older servers do not.)
// Severity info: correct as written; the cost is in parsing, planning and observability.
// Threshold: 50 items.
// Known false positives: static lists written by hand in reports.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::Predicate;

constexpr int k_long_list = 50;

// An array element type for the list: the column's declared type when the schema knows it,
// else one wide enough for numeric literals; empty when unknown, and then the parameter stays
// uncast so that the server infers the array type from the column.
std::string_view element_type(const sqlparse::Query& q, const Predicate& p,
                              const Schema* schema) {
    if (schema != nullptr) {
        if (const sqlparse::Relation* rel = relation_of(q, p.column)) {
            if (const TableInfo* table = schema->find(*rel)) {
                for (const sqlparse::ColumnDefinition& col : table->columns) {
                    if (col.name == p.column.name && !col.type_name.empty()) {
                        return col.type_name;
                    }
                }
            }
        }
    }
    std::string_view t = p.operand.type_name;
    if (t.empty()) {
        // Read the literals themselves: all integers, or numbers with a fraction.
        const std::string_view text = p.operand.text;
        bool numbers = false;
        bool others = false;
        bool fraction = false;
        for (const Token& token : tokenize(text, 0, static_cast<int>(text.size()))) {
            if (is_number(token)) {
                numbers = true;
                fraction = fraction || slice(text, token.begin, token.end).find_first_of(".eE") !=
                                           std::string_view::npos;
            } else if (token.kind != TokenKind::comma && !is_open(token) && !is_close(token) &&
                       !(token.kind == TokenKind::op && slice(text, token.begin, token.end) == "-")) {
                others = true;
            }
        }
        if (numbers && !others) {
            t = fraction ? "float" : "integer";
        }
    }
    if (t == "integer") {
        return "bigint";
    }
    if (t == "float") {
        return "numeric";
    }
    if (t == "string" || t == "boolean") {
        return {};
    }
    return t;
}

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const Predicate& p : q.predicates) {
            if (p.operand.kind != sqlparse::OperandKind::list ||
                p.operand.list_length < k_long_list ||
                (p.op != "IN" && p.op != "NOT IN" && p.op != "= ANY" && p.op != "<> ALL")) {
                continue;
            }
            const bool negated = p.op == "NOT IN" || p.op == "<> ALL";
            const int next_param = max_parameter(slice(context.source, statement.span)) + 1;
            const std::string column =
                p.wrapped_text.empty() ? column_text(p.column) : p.wrapped_text;
            const std::string_view type = element_type(q, p, context.schema);
            const std::string replacement =
                fmt::format("{} {}(${}{})", column, negated ? "<> ALL" : "= ANY", next_param,
                            type.empty() ? std::string() : fmt::format("::{}[]", type));
            Finding f = make_finding(
                RuleId::long_in_list, p.offset,
                fmt::format("{} list of {} values: bind one array instead",
                            negated ? "NOT IN" : "IN", p.operand.list_length),
                fmt::format("A list of {} literals makes a different statement for every list "
                            "length: each is parsed and planned anew, cannot reuse a prepared "
                            "plan and gets its own pg_stat_statements entry. Pass the values as "
                            "one array parameter, `{}`; PostgreSQL plans it exactly like the "
                            "IN list.",
                            p.operand.list_length, replacement));
            f.subject = column;
            f.evidence.emplace_back("list_length",
                                    static_cast<std::int64_t>(p.operand.list_length));
            // A list of parameters ($1, ..., $60) cannot be replaced without renumbering the
            // statement's other parameters, which the application binds by number.
            bool parameters = false;
            for (const Token& t : tokenize(p.operand.text, 0,
                                           static_cast<int>(p.operand.text.size()))) {
                parameters = parameters || t.kind == TokenKind::parameter;
            }
            if (p.span.valid() && !parameters) {
                Splice splice;
                splice.replace(p.span.begin, p.span.end, replacement);
                if (auto rewritten = splice.apply(context.source, statement.span)) {
                    f.suggestion.rewritten_query = std::move(*rewritten);
                }
            }
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule long_in_list() {
    return Rule{RuleId::long_in_list, &check};
}

} // namespace dbadvise::analyzer::rules
