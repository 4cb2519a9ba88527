// Helpers shared by the lint rules: relation lookup, identifier quoting, clause finding on
// sqlparse's tokens and the splicer that builds rewritten statements from the original text.
//
// Why a tokenizer next to a real parser: the query model records where nodes are, but
// libpg_query's locations point at operators and keywords (an AND expression is located at
// its AND), not at clause boundaries. A rewrite that appends a condition to WHERE or drops
// an OFFSET needs exact clause ranges, and those are found reliably by scanning the tokens of
// the query level at parenthesis depth 0.
#include "analyzer/rules/rules.hpp"

#include <algorithm>
#include <array>

namespace dbadvise::analyzer::rules {

using sqlparse::ColumnRef;
using sqlparse::Query;
using sqlparse::Relation;
using sqlparse::Span;

const Relation* relation_of(const Query& query, const ColumnRef& column) {
    if (column.relation >= 0 && column.relation < static_cast<int>(query.relations.size())) {
        return &query.relations[static_cast<std::size_t>(column.relation)];
    }
    if (!column.qualifier.empty()) {
        for (const Relation& r : query.relations) {
            if (r.ref_name() == column.qualifier) {
                return &r;
            }
        }
        return nullptr;
    }
    if (query.relations.size() == 1) {
        return &query.relations.front();
    }
    return nullptr;
}

std::string column_text(const ColumnRef& column) {
    if (column.qualifier.empty()) {
        return column.name;
    }
    return column.qualifier + "." + column.name;
}

std::string index_target(const Relation& relation, const RuleContext& context) {
    if (relation.schema.empty() && context.schema != nullptr) {
        const TableInfo* table = context.schema->find(relation);
        if (table != nullptr && !table->schema_assumed) {
            return quote_identifier(table->schema) + "." + quote_identifier(table->name);
        }
    }
    return relation_text(relation);
}

std::string relation_text(const Relation& relation) {
    if (relation.kind == sqlparse::RelationKind::function) {
        return relation.alias.empty() ? relation.name + "(...)"
                                      : relation.name + "(...) " + quote_identifier(relation.alias);
    }
    if (relation.name.empty()) {
        const std::string_view what =
            relation.kind == sqlparse::RelationKind::subquery ? "subquery" : "table expression";
        return relation.alias.empty() ? std::string(what)
                                      : std::string(what) + " " + quote_identifier(relation.alias);
    }
    if (relation.schema.empty()) {
        return quote_identifier(relation.name);
    }
    return quote_identifier(relation.schema) + "." + quote_identifier(relation.name);
}

bool is_base_table(const Relation& relation) {
    return relation.kind == sqlparse::RelationKind::table && !relation.name.empty();
}

namespace {

constexpr unsigned char ascii_fold(unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}
constexpr bool ascii_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
// PostgreSQL's identifier characters (bytes >= 0x80 included).
constexpr bool is_ident_char(unsigned char c) {
    return ascii_alnum(c) || c == '_' || c == '$' || c >= 0x80;
}

} // namespace

std::string_view slice(std::string_view source, int begin, int end) {
    const int size = static_cast<int>(source.size());
    if (begin < 0 || end < begin) {
        return {};
    }
    begin = std::min(begin, size);
    end = std::min(end, size);
    return source.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
}

std::string_view slice(std::string_view source, Span span) {
    return slice(source, span.begin, span.end);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_fold(static_cast<unsigned char>(x)) ==
                      ascii_fold(static_cast<unsigned char>(y));
           });
}

std::string index_name_part(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (ascii_alnum(u)) {
            out += static_cast<char>(ascii_fold(u));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') {
        out.pop_back();
    }
    return out;
}

std::vector<Token> tokenize(std::string_view source, int begin, int end,
                            std::size_t max_tokens) {
    std::vector<Token> tokens;
    end = std::min(end, static_cast<int>(source.size()));
    if (begin < 0 || begin >= end) {
        return tokens;
    }
    sqlparse::Lexer lexer(source, begin, end);
    Token token;
    while (tokens.size() < max_tokens && lexer.next(token)) {
        tokens.push_back(token);
    }
    return tokens;
}

int Clauses::clause_end(int start) const {
    int result = end;
    for (const int k : {from, where, group_by, having, window, order_by, limit, offset, fetch,
                        for_locking, set_operation, returning}) {
        if (k > start && k < result) {
            result = k;
        }
    }
    return result;
}

Clauses find_clauses(std::string_view source, Span span) {
    Clauses clauses;
    const std::vector<Token> tokens = tokenize(source, span.begin, span.end);
    if (tokens.empty()) {
        return clauses;
    }
    clauses.end = tokens.back().end;
    auto followed_by = [&](std::size_t i, std::string_view word) {
        return i + 1 < tokens.size() && is_word(source, tokens[i + 1], word);
    };
    auto first = [](int& slot, int offset) {
        if (slot < 0) {
            slot = offset;
        }
    };
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const Token& t = tokens[i];
        if (t.depth != 0 || t.kind != TokenKind::identifier) {
            continue;
        }
        // Past a set operation the keywords belong to the next branch or to the whole
        // set operation; only ORDER BY / LIMIT / OFFSET are recorded there, by the caller's
        // choice not to rewrite such levels.
        const bool after_set_op = clauses.set_operation >= 0;
        if (is_word(source, t, "SELECT") && clauses.select < 0) {
            clauses.select = t.begin;
            std::size_t j = i + 1;
            if (j < tokens.size() &&
                (is_word(source, tokens[j], "DISTINCT") || is_word(source, tokens[j], "ALL"))) {
                clauses.distinct = is_word(source, tokens[j], "DISTINCT");
                ++j;
                if (clauses.distinct && j < tokens.size() && is_word(source, tokens[j], "ON")) {
                    // DISTINCT ON (...): the list starts after the parenthesised keys.
                    ++j;
                    while (j < tokens.size() && !(is_close(tokens[j]) &&
                                                  tokens[j].depth == 0)) {
                        ++j;
                    }
                    ++j;
                }
            }
            if (j < tokens.size()) {
                clauses.select_list = tokens[j].begin;
            }
        } else if (after_set_op) {
            if (is_word(source, t, "ORDER") && followed_by(i, "BY")) {
                clauses.order_by = t.begin;
            } else if (is_word(source, t, "LIMIT")) {
                clauses.limit = t.begin;
            } else if (is_word(source, t, "OFFSET")) {
                clauses.offset = t.begin;
            }
        } else if (is_word(source, t, "FROM")) {
            first(clauses.from, t.begin);
        } else if (is_word(source, t, "WHERE")) {
            first(clauses.where, t.begin);
        } else if (is_word(source, t, "GROUP") && followed_by(i, "BY")) {
            first(clauses.group_by, t.begin);
        } else if (is_word(source, t, "HAVING")) {
            first(clauses.having, t.begin);
        } else if (is_word(source, t, "WINDOW")) {
            first(clauses.window, t.begin);
        } else if (is_word(source, t, "ORDER") && followed_by(i, "BY")) {
            first(clauses.order_by, t.begin);
        } else if (is_word(source, t, "LIMIT")) {
            first(clauses.limit, t.begin);
        } else if (is_word(source, t, "OFFSET")) {
            first(clauses.offset, t.begin);
        } else if (is_word(source, t, "FETCH")) {
            first(clauses.fetch, t.begin);
        } else if (is_word(source, t, "FOR") && clauses.select >= 0) {
            first(clauses.for_locking, t.begin);
        } else if (is_word(source, t, "UNION") || is_word(source, t, "INTERSECT") ||
                   is_word(source, t, "EXCEPT")) {
            first(clauses.set_operation, t.begin);
        } else if (is_word(source, t, "RETURNING")) {
            first(clauses.returning, t.begin);
        }
    }
    return clauses;
}

int after_keywords(std::string_view source, int keyword_offset, int words) {
    const std::vector<Token> tokens = tokenize(source, keyword_offset,
                                               static_cast<int>(source.size()),
                                               static_cast<std::size_t>(std::max(words, 0)));
    if (tokens.size() < static_cast<std::size_t>(words) || words <= 0) {
        return keyword_offset;
    }
    return tokens[static_cast<std::size_t>(words - 1)].end;
}

std::vector<Span> split_top_level(std::string_view source, int begin, int end) {
    std::vector<Span> parts;
    const std::vector<Token> tokens = tokenize(source, begin, end);
    int part_begin = -1;
    int part_end = -1;
    for (const Token& t : tokens) {
        if (t.kind == TokenKind::comma && t.depth == 0) {
            if (part_begin >= 0) {
                parts.push_back({part_begin, part_end});
            }
            part_begin = -1;
            continue;
        }
        if (part_begin < 0) {
            part_begin = t.begin;
        }
        part_end = t.end;
    }
    if (part_begin >= 0) {
        parts.push_back({part_begin, part_end});
    }
    return parts;
}

bool has_top_level_word(std::string_view source, int begin, int end, std::string_view keyword) {
    for (const Token& t : tokenize(source, begin, end)) {
        if (t.depth == 0 && is_word(source, t, keyword)) {
            return true;
        }
    }
    return false;
}

void Splice::replace(int begin, int end, std::string text) {
    m_edits.push_back({begin, end, std::move(text)});
}

std::optional<std::string> Splice::apply(std::string_view source, Span span) const {
    if (!span.valid() || span.end > static_cast<int>(source.size())) {
        return std::nullopt;
    }
    std::vector<const Edit*> edits;
    for (const Edit& e : m_edits) {
        if (e.begin < span.begin || e.end > span.end || e.end < e.begin) {
            return std::nullopt;
        }
        edits.push_back(&e);
    }
    // An insertion where a replaced range begins goes before the replacement (ORDER BY's
    // added keys right before a removed `OFFSET n`), whatever order they were made in.
    std::stable_sort(edits.begin(), edits.end(), [](const Edit* a, const Edit* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::string out;
    int pos = span.begin;
    for (const Edit* e : edits) {
        if (e->begin < pos) {
            return std::nullopt;
        }
        out += slice(source, pos, e->begin);
        // `SELECT*FROM t` expanded must not glue words together: `SELECTid, nameFROM`.
        const auto word_char = [](char c) {
            return c == '"' || is_ident_char(static_cast<unsigned char>(c));
        };
        if (!out.empty() && !e->text.empty() && word_char(out.back()) &&
            word_char(e->text.front())) {
            out += ' ';
        }
        out += e->text;
        pos = e->end;
        if (!e->text.empty() && pos < span.end && word_char(e->text.back()) &&
            word_char(source[static_cast<std::size_t>(pos)])) {
            out += ' ';
        }
    }
    out += slice(source, pos, span.end);
    return out;
}

} // namespace dbadvise::analyzer::rules

namespace dbadvise::analyzer::rules {

namespace {

// True when `text` is a single parameter or literal token: safe to move into a subquery.
bool is_single_value(std::string_view text) {
    const std::vector<Token> tokens = tokenize(text, 0, static_cast<int>(text.size()));
    return tokens.size() == 1 && (tokens[0].kind == TokenKind::parameter ||
                                  sqlparse::is_literal_kind(tokens[0].kind));
}

} // namespace

std::expected<std::string, std::string> rewrite_as_exists(const sqlparse::Statement& statement,
                                                          std::string_view source,
                                                          const Query& query,
                                                          const sqlparse::SubLink& link,
                                                          bool negated) {
    if (link.query_index < 0 || link.query_index >= static_cast<int>(query.subqueries.size())) {
        return std::unexpected("the subquery was not recorded");
    }
    const Query& sub = query.subqueries[static_cast<std::size_t>(link.query_index)];
    const Span sub_span = link.subquery_span.valid() ? link.subquery_span : sub.span;
    const Clauses c = find_clauses(source, sub_span);
    if (c.select < 0 || c.select_list < 0 || c.from < 0) {
        return std::unexpected("the subquery is not a plain SELECT ... FROM");
    }
    if (c.group_by >= 0 || c.having >= 0 || c.window >= 0 || c.order_by >= 0 || c.limit >= 0 ||
        c.offset >= 0 || c.fetch >= 0 || c.for_locking >= 0 || c.set_operation >= 0 ||
        !sub.set_operations.empty() || sub.has_limit || sub.has_offset || sub.has_aggregate) {
        return std::unexpected("the subquery groups, aggregates, orders, limits or combines "
                               "results, so the condition cannot simply move into its WHERE");
    }
    const std::vector<Span> items = split_top_level(source, c.select_list, c.from);
    if (items.size() != 1) {
        return std::unexpected("the subquery returns several columns");
    }
    std::string inner(slice(source, items[0]));
    if (inner == "*" || inner.ends_with(".*")) {
        return std::unexpected("the subquery selects *");
    }
    // The selected expression without its output name (`x AS y`, or `x y`), parenthesised
    // unless it is a plain column, so that `inner = outer` keeps its meaning.
    if (sub.targets.size() != 1) {
        return std::unexpected("the subquery's select list was not recorded");
    }
    const sqlparse::TargetEntry& target = sub.targets.front();
    if (!target.alias.empty()) {
        const std::string_view expression = trim(target.text);
        if (expression.empty() || !std::string_view(inner).starts_with(expression) ||
            expression.size() == inner.size()) {
            return std::unexpected("the subquery's column has an output name");
        }
        inner = std::string(expression);
    }
    const std::vector<Token> inner_tokens = tokenize(inner, 0, static_cast<int>(inner.size()));
    const bool plain_column =
        inner_tokens.size() == 1 ||
        (inner_tokens.size() == 3 && inner_tokens[1].kind == TokenKind::dot);
    if (inner_tokens.empty()) {
        return std::unexpected("the subquery's column was not located");
    }
    if (!plain_column) {
        inner = "(" + inner + ")";
    }

    // The outer side must keep meaning the outer row once it moves inside the subquery: an
    // unqualified `id` would be captured by an inner column of the same name.
    std::string outer;
    std::string outer_qualifier;
    if (link.test_column) {
        const ColumnRef& col = *link.test_column;
        if (!col.qualifier.empty()) {
            outer = link.test_text.empty() ? column_text(col) : link.test_text;
            outer_qualifier = col.qualifier;
        } else if (const Relation* rel = relation_of(query, col);
                   rel != nullptr && !rel->ref_name().empty()) {
            outer_qualifier = rel->ref_name();
            outer = quote_identifier(outer_qualifier) + "." +
                    (link.test_text.empty() ? quote_identifier(col.name) : link.test_text);
        } else {
            return std::unexpected("the column `" + col.name +
                                   "` cannot be qualified with its table");
        }
    } else if (is_single_value(link.test_text)) {
        outer = link.test_text;
    } else {
        return std::unexpected("the left-hand side is not a single column or value");
    }
    for (const Relation& r : sub.relations) {
        if (!outer_qualifier.empty() &&
            (r.ref_name() == outer_qualifier || r.name == outer_qualifier)) {
            return std::unexpected("the subquery uses the same table name `" + outer_qualifier +
                                   "` as the outer query; give one of them an alias first");
        }
    }

    // The sublink's text must be `<test> [NOT] IN (<subquery>)` for a clean replacement.
    const std::vector<Token> link_tokens = tokenize(source, link.span.begin, link.span.end);
    if (link_tokens.empty() || !is_close(link_tokens.back()) ||
        link.subquery_span.begin < 0) {
        return std::unexpected("the IN expression's text was not located");
    }
    std::vector<std::string> between;
    for (const Token& t : tokenize(source, link.span.begin, link.subquery_span.begin)) {
        if (t.depth == 0) {
            between.emplace_back(slice(source, t.begin, t.end));
        }
    }
    const std::string_view test = trim(link.test_text);
    if (between.size() < 2 || between.back() != "(" || test.empty() ||
        !trim(slice(source, link.span)).starts_with(test) ||
        !iequals(between[between.size() - 2], "IN") ||
        (negated != (between.size() >= 3 && iequals(between[between.size() - 3], "NOT")))) {
        return std::unexpected("the IN expression is written in a form that is not spliced");
    }

    const std::string correlation = inner + " = " + outer;
    Splice inner_splice;
    inner_splice.replace(after_keywords(source, c.select, 1), c.from, " 1 ");
    if (c.where >= 0) {
        const int where_begin = after_keywords(source, c.where, 1);
        std::string condition(trim(slice(source, where_begin, c.end)));
        if (has_top_level_word(condition, 0, static_cast<int>(condition.size()), "OR")) {
            condition = "(" + condition + ")";
        }
        inner_splice.replace(where_begin, c.end, " " + condition + " AND " + correlation);
    } else {
        inner_splice.insert(c.end, " WHERE " + correlation);
    }
    const std::optional<std::string> inner_text =
        inner_splice.apply(source, {sub_span.begin, c.end});
    if (!inner_text) {
        return std::unexpected("the subquery's text was not located");
    }
    Splice outer_splice;
    outer_splice.replace(link.span.begin, link.span.end,
                         std::string(negated ? "NOT EXISTS (" : "EXISTS (") + *inner_text + ")");
    std::optional<std::string> rewritten = outer_splice.apply(source, statement.span);
    if (!rewritten) {
        return std::unexpected("the statement's text was not located");
    }
    return std::move(*rewritten);
}

std::string attach_exists_rewrite(Finding& f, const sqlparse::Statement& statement,
                                  std::string_view source, const sqlparse::Query& query,
                                  const sqlparse::SubLink& link, bool negated) {
    auto rewritten = rewrite_as_exists(statement, source, query, link, negated);
    if (!rewritten) {
        return "It is not rewritten automatically here because " + rewritten.error() + ".";
    }
    f.suggestion.rewritten_query = std::move(*rewritten);
    return "The suggested statement does this.";
}

std::string sublink_test(const sqlparse::SubLink& link) {
    return link.test_text.empty() ? "x" : link.test_text;
}

} // namespace dbadvise::analyzer::rules
