// null-comparison: `col = NULL` or `col <> NULL` in a condition.
//
// Rationale: a comparison with NULL yields NULL, never true, so `WHERE col = NULL` matches no
// row and `WHERE col <> NULL` matches no row either. The author meant IS NULL / IS NOT NULL.
// Severity error: the query silently returns nothing (or updates nothing) whatever the data.
// PostgreSQL behaviour: with the default transform_null_equals = off, `expr = NULL` is not
// rewritten; the planner folds the condition to NULL and the plan is a One-Time Filter:
// false. IS NULL is also indexable by a btree index, unlike the comparison.
// Known false positives: servers run with transform_null_equals = on, where `= NULL` (only
// that form, not `<> NULL`) is read as IS NULL.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::Predicate;

bool is_comparison_op(std::string_view text) {
    return text == "=" || text == "<>" || text == "!=";
}

// Builds `<other side> IS [NOT] NULL` from the predicate's text; nullopt when the text is not
// a plain `x op NULL` / `NULL op x`.
std::optional<std::string> rewrite_predicate(std::string_view source, sqlparse::Span span,
                                             bool negate) {
    std::vector<Token> tokens = tokenize(source, span.begin, span.end);
    // A parenthesised predicate `(x = NULL)`: look inside the parentheses.
    while (tokens.size() >= 2 && is_open(tokens.front()) && is_close(tokens.back()) &&
           tokens.back().depth == 0) {
        bool wraps_all = true;
        for (std::size_t i = 1; i + 1 < tokens.size(); ++i) {
            if (tokens[i].depth == 0) {
                wraps_all = false;
            }
        }
        if (!wraps_all) {
            break;
        }
        tokens = tokenize(source, tokens.front().end, tokens.back().begin);
    }
    if (tokens.size() < 3) {
        return std::nullopt;
    }
    const std::string_view is = negate ? " IS NOT NULL" : " IS NULL";
    const Token& last = tokens.back();
    const Token& before_last = tokens[tokens.size() - 2];
    if (is_word(source, last, "NULL") && before_last.depth == 0 &&
        is_comparison_op(slice(source, before_last.begin, before_last.end))) {
        return std::string(trim(slice(source, tokens.front().begin, before_last.begin))) +
               std::string(is);
    }
    if (is_word(source, tokens[0], "NULL") && tokens[1].depth == 0 &&
        is_comparison_op(slice(source, tokens[1].begin, tokens[1].end))) {
        return std::string(trim(slice(source, tokens[1].end, last.end))) + std::string(is);
    }
    return std::nullopt;
}

void check_predicate(const sqlparse::Statement& statement, const RuleContext& context,
                     const Predicate& p, std::vector<Finding>& out) {
    if (p.operand.kind != sqlparse::OperandKind::null || (p.op != "=" && p.op != "<>")) {
        return;
    }
    const bool negate = p.op == "<>";
    const std::string column =
        p.wrapped_text.empty() ? column_text(p.column) : p.wrapped_text;
    const std::string fix = fmt::format("{} IS {}NULL", column, negate ? "NOT " : "");
    Finding f = make_finding(
        RuleId::null_comparison, p.offset,
        fmt::format("`{} {} NULL` is never true; use IS {}NULL", column, p.op,
                    negate ? "NOT " : ""),
        fmt::format("A comparison with NULL yields NULL, not true or false, so this condition "
                    "matches no row whatever the data. Write `{}` instead.",
                    fix));
    f.subject = column;
    if (p.span.valid()) {
        if (auto replacement = rewrite_predicate(context.source, p.span, negate)) {
            Splice splice;
            splice.replace(p.span.begin, p.span.end, *replacement);
            if (auto rewritten = splice.apply(context.source, statement.span)) {
                f.suggestion.rewritten_query = std::move(*rewritten);
            }
        }
    }
    out.push_back(std::move(f));
}

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const Predicate& p : q.predicates) {
            check_predicate(statement, context, p, out);
        }
        for (const Predicate& p : q.having) {
            check_predicate(statement, context, p, out);
        }
    });
}

} // namespace

Rule null_comparison() {
    return Rule{RuleId::null_comparison, &check};
}

} // namespace dbadvise::analyzer::rules
