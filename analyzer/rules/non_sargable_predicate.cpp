// non-sargable-predicate: a function, cast, arithmetic or other operator applied to a column
// in WHERE or JOIN ... ON, such as `lower(email) = $1`, `created_at::date = $1`,
// `price * 2 > 100`, `payload->>'kind' = $1`.
//
// Rationale: an index on a column serves conditions on the column itself. Wrapped in an
// expression, the column can only be matched by computing the expression for every row.
// PostgreSQL behaviour: the planner matches index conditions structurally: `lower(email) = $1`
// uses an index only if one exists on the expression `lower(email)` (an expression index,
// whose function must be IMMUTABLE). A cast of a timestamp to date is better rewritten as a
// range on the bare column, `created_at >= $1::date AND created_at < $1::date + 1`, which a
// plain index on created_at serves (and the cast of timestamptz to date is not immutable, so
// it cannot be indexed anyway). Arithmetic moves to the constant side: `price > 100 / 2`.
// Other operators (`->>`, `||`, ...) cannot move: an expression index on the fixed expression
// serves them, and none serves `payload->>$1`, whose key changes with the parameter. Which
// is which comes from the parse tree's operator name.
// Severity warning: turns an index lookup into a full scan.
// Known false positives: an expression index already exists (lint does not see indexes);
// conditions on tiny tables; selective conditions on other columns that already narrow the
// scan.
#include "analyzer/rules/rules.hpp"

#include "sqlparse/index_expression.hpp"
#include "sqlparse/lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::Predicate;
using sqlparse::WrapKind;

bool is_index_operator(std::string_view op) {
    constexpr std::array k_ops = {"=", "<", "<=", ">", ">=", "BETWEEN", "IN", "= ANY", "LIKE"};
    return std::find(k_ops.begin(), k_ops.end(), op) != k_ops.end();
}

// Functions whose result on a timestamptz is not IMMUTABLE, so no expression index can be
// built on them; a range on the bare column is the fix.
// True when `expression` names a column besides `column` (`col1 - col2`): an identifier that
// is neither that column, its qualifier, a function's name nor a type after `::`.
bool mentions_other_column(std::string_view expression, const sqlparse::ColumnRef& column) {
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(expression);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const sqlparse::Token& t = tokens[i];
        if (t.kind != sqlparse::TokenKind::identifier && t.kind != sqlparse::TokenKind::quoted_identifier) continue;
        if (i + 1 < tokens.size() && tokens[i + 1].kind == sqlparse::TokenKind::open_paren) continue;
        if (i > 0 && tokens[i - 1].kind == sqlparse::TokenKind::typecast) continue;
        if (i + 1 < tokens.size() && tokens[i + 1].kind == sqlparse::TokenKind::dot) continue; // a qualifier
        const std::string name = sqlparse::identifier_value(expression, t);
        if (name == column.name) continue;
        if (t.kind == sqlparse::TokenKind::identifier &&
            (sqlparse::token_is(expression, t, "interval") || sqlparse::token_is(expression, t, "true") ||
             sqlparse::token_is(expression, t, "false") || sqlparse::token_is(expression, t, "null"))) {
            continue;
        }
        return true;
    }
    return false;
}

bool is_date_function(std::string_view name) {
    return name == "date_trunc" || name == "date_part" || name == "extract" ||
           name == "to_char" || name == "date";
}

std::string quoted_column(const sqlparse::ColumnRef& column) {
    if (column.qualifier.empty()) {
        return quote_identifier(column.name);
    }
    return quote_identifier(column.qualifier) + "." + quote_identifier(column.name);
}

// `value` cast to date, parenthesised unless it is one token.
std::string as_date(std::string_view value) {
    value = trim(value);
    if (value.ends_with("::date")) {
        return std::string(value);
    }
    const std::vector<Token> tokens = tokenize(value, 0, static_cast<int>(value.size()));
    // fmt rather than operator+: GCC 12 at -O3 reports a false -Wrestrict inside
    // `"(" + std::string(...)`.
    if (tokens.size() == 1) {
        return fmt::format("{}::date", value);
    }
    return fmt::format("({})::date", value);
}

// The range condition on the bare column equivalent to `column::date <op> value`.
std::optional<std::string> date_range(const Predicate& p) {
    const std::string col = quoted_column(p.column);
    const std::string lo = as_date(p.operand.text);
    if (p.op == "=") {
        return fmt::format("{0} >= {1} AND {0} < {1} + 1", col, lo);
    }
    if (p.op == ">=") {
        return fmt::format("{} >= {}", col, lo);
    }
    if (p.op == "<") {
        return fmt::format("{} < {}", col, lo);
    }
    if (p.op == ">") {
        return fmt::format("{} >= {} + 1", col, lo);
    }
    if (p.op == "<=") {
        return fmt::format("{} < {} + 1", col, lo);
    }
    if (p.op == "BETWEEN" && p.operand2) {
        return fmt::format("{0} >= {1} AND {0} < {2} + 1", col, lo, as_date(p.operand2->text));
    }
    return std::nullopt;
}

void check_predicate(const sqlparse::Statement& statement, const RuleContext& context,
                     const sqlparse::Query& q, const Predicate& p, std::vector<Finding>& out) {
    if (p.wrap != WrapKind::function && p.wrap != WrapKind::cast &&
        p.wrap != WrapKind::arithmetic && p.wrap != WrapKind::operator_) {
        return;
    }
    if (!is_index_operator(p.op) || p.column.name.empty()) {
        return;
    }
    // `lower(name) LIKE '%x'` cannot use an index even unwrapped: leading-wildcard-like
    // reports it with the trigram index that does help.
    if (p.op == "LIKE" && p.operand.kind == sqlparse::OperandKind::constant) {
        // The pattern's first character, in whichever quoting it is written ('%x', E'%x',
        // $$%x$$).
        const std::string_view text = p.operand.text;
        const std::vector<Token> tokens = tokenize(text, 0, static_cast<int>(text.size()));
        if (tokens.size() == 1 && sqlparse::is_string_kind(tokens[0].kind)) {
            const std::string_view literal = sqlparse::token_text(text, tokens[0]);
            const std::size_t open = tokens[0].kind == TokenKind::dollar_string
                                         ? literal.find('$', 1) + 1
                                         : literal.find('\'') + 1;
            if (open < literal.size() && (literal[open] == '%' || literal[open] == '_')) {
                return;
            }
        }
    }
    const sqlparse::Relation* rel = relation_of(q, p.column);
    if (rel != nullptr && rel->kind == sqlparse::RelationKind::function) {
        return; // the rows of generate_series() or unnest() have no index to lose
    }
    if (p.operand.kind == sqlparse::OperandKind::column && p.operand.column &&
        relation_of(q, *p.operand.column) == rel) {
        return; // both sides on the same row: no index on either alone would help
    }
    const std::string wrapped = p.wrapped_text.empty() ? p.wrapper : p.wrapped_text;
    const std::string column = column_text(p.column);
    std::string how;
    std::string sql;
    std::string rewritten;
    const bool date_cast = (p.wrap == WrapKind::cast && (p.wrapper == "date" ||
                                                         p.wrapper == "pg_catalog.date")) ||
                           (p.wrap == WrapKind::function && p.wrapper == "date");
    if (date_cast) {
        if (std::optional<std::string> range = date_range(p)) {
            const std::string replacement = p.negated ? "(" + *range + ")" : *range;
            how = fmt::format("Compare the bare column with a range instead: `{}`; a plain index "
                              "on {} then serves it.",
                              replacement, column);
            if (p.span.valid()) {
                Splice splice;
                splice.replace(p.span.begin, p.span.end, replacement);
                if (auto text = splice.apply(context.source, statement.span)) {
                    rewritten = std::move(*text);
                }
            }
        }
    }
    if (how.empty()) {
        switch (p.wrap) {
        case WrapKind::function:
            if (is_date_function(p.wrapper)) {
                how = fmt::format("Express the condition as a range on {} itself (for example "
                                  "`{} >= $start AND {} < $end`) so that a plain index serves "
                                  "it; {}() on a timestamptz is not IMMUTABLE and cannot be "
                                  "indexed.",
                                  column, column, column, p.wrapper);
            } else if (rel != nullptr && is_base_table(*rel)) {
                // A key holding a parameter ($13 in `substring(phone from $13 for $14)`) cannot
                // be indexed: its value is not in the text.
                if (const auto expression = sqlparse::index_expression(wrapped)) {
                    sql = fmt::format("CREATE INDEX CONCURRENTLY {}_{}_{}_idx ON {} (({}));",
                                      index_name_part(rel->name), index_name_part(p.wrapper),
                                      index_name_part(p.column.name), index_target(*rel, context),
                                      *expression);
                    how = fmt::format("Either compare the bare column, or create an expression "
                                      "index on `{}` (the function must be IMMUTABLE): see the "
                                      "suggested SQL.",
                                      *expression);
                } else {
                    how = fmt::format("Compare the bare column instead; `{}` cannot be an index "
                                      "key as written: {}.",
                                      wrapped, expression.error());
                }
            } else {
                how = fmt::format("Either compare the bare column, or create an expression index "
                                  "on `{}` (the function must be IMMUTABLE).",
                                  wrapped);
            }
            break;
        case WrapKind::cast:
            how = fmt::format("Cast the other side to the column's type instead (`{} {} "
                              "$1::<column type>`), so that a plain index on {} serves it.",
                              column, p.op, column);
            break;
        case WrapKind::operator_:
            if (!parameter_numbers(wrapped).empty()) {
                // payload->>$1: the expression changes with the parameter.
                how = fmt::format("An expression index serves one fixed expression, and `{}` "
                                  "changes with its parameter: index the expression with a "
                                  "constant operand instead (`{}{}'key'`, one index per key), or "
                                  "compare {} itself.",
                                  wrapped, column, p.wrapper, column);
            } else if (rel != nullptr && is_base_table(*rel)) {
                const std::string expression = strip_qualifier(wrapped, p.column.qualifier);
                sql = fmt::format("CREATE INDEX CONCURRENTLY {}_{}_idx ON {} (({}));",
                                  index_name_part(rel->name), index_name_part(expression),
                                  index_target(*rel, context), expression);
                how = fmt::format("Create an expression index on `{}` (its operator must be "
                                  "IMMUTABLE): see the suggested SQL.",
                                  expression);
            } else {
                how = fmt::format("Create an expression index on `{}` (its operator must be "
                                  "IMMUTABLE).",
                                  wrapped);
            }
            break;
        default:
            if (mentions_other_column(wrapped, p.column)) {
                // `col1 - col2 > 2`: no rearranging frees col1 (`col1 > col2 + 2` still needs
                // col2's value from the same row).
                how = fmt::format("The expression combines {} with another column, so no "
                                  "rearranging lets an index on {} alone serve it; an expression "
                                  "index on `({})` can, when both columns are in one table.",
                                  column, column, wrapped);
            } else {
                how = fmt::format("Move the arithmetic to the other side of the comparison (`{} {} "
                                  "<value rearranged>`), so that a plain index on {} serves it.",
                                  column, p.op, column);
            }
            break;
        }
    }
    const std::string kind = p.wrap == WrapKind::function ? std::string("a function call")
                             : p.wrap == WrapKind::cast   ? std::string("a cast")
                             : p.wrap == WrapKind::operator_
                                 ? fmt::format("the operator {}", p.wrapper)
                                 : std::string("arithmetic");
    Finding f = make_finding(
        RuleId::non_sargable_predicate, p.span.valid() ? p.span.begin : p.offset,
        fmt::format("`{}` hides {} from its index", wrapped, column),
        fmt::format("The condition applies {} to {}, so an index on {} cannot be used for it and "
                    "the expression is computed for every row. {}",
                    kind, column, column, how));
    f.subject = wrapped;
    f.suggestion.sql = std::move(sql);
    f.suggestion.rewritten_query = std::move(rewritten);
    out.push_back(std::move(f));
}

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const Predicate& p : q.predicates) {
            check_predicate(statement, context, q, p, out);
        }
    });
}

} // namespace

Rule non_sargable_predicate() {
    return Rule{RuleId::non_sargable_predicate, &check};
}

} // namespace dbadvise::analyzer::rules
