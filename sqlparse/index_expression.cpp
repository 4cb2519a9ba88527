// Reads the expression with libpg_query (as the select list of `SELECT <expression>`) and
// removes each column reference's qualifier tokens from the source text, so the key keeps the
// statement's own spelling of everything else.
#include "sqlparse/index_expression.hpp"

#include "sqlparse/json_tree_internal.hpp"
#include "sqlparse/lexer.hpp"

#include <pg_query.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace dbadvise::sqlparse {

namespace {

struct Found {
    std::vector<std::pair<int, int>> qualified; // ColumnRef location, number of fields
    std::set<std::string> qualifiers;           // `a` of a.col, `s.t` of s.t.col (as parsed)
    bool parameter = false;
    bool subquery = false;
    bool column = false;
};

// Walks libpg_query's tree (sqlparse's compact JSON reader: the statement parse already pays
// for one libpg_query call, this one should not also build a DOM). A node's type is its key.
void scan(detail::JsonRef node, Found& found, int depth) {
    if (!node.valid() || depth > 1000) {
        return;
    }
    const std::string_view key = node.key();
    if (key == "ParamRef") {
        found.parameter = true;
    } else if (key == "SubLink") {
        found.subquery = true;
    } else if (key == "ColumnRef" && node.type() == detail::JsonType::object) {
        found.column = true;
        const detail::JsonRef fields = node["fields"];
        const auto count = static_cast<int>(fields.size());
        if (fields.type() == detail::JsonType::array && count > 1 && node.location() >= 0) {
            found.qualified.emplace_back(node.location(), count);
            std::string qualifier;
            int i = 0;
            for (detail::JsonRef field : detail::JsonChildren(fields)) {
                if (++i == count) break;
                qualifier += std::string(field.body()["sval"].str()) + ".";
            }
            found.qualifiers.insert(std::move(qualifier));
        }
    }
    for (detail::JsonRef child = node.first_child(); child.valid(); child = child.next()) {
        scan(child, found, depth + 1);
    }
}

} // namespace

std::expected<std::string, std::string> index_expression(std::string_view expression) {
    constexpr std::string_view k_prefix = "SELECT ";
    const std::string text = std::string(k_prefix) + std::string(expression);
    PgQueryParseResult parsed = pg_query_parse(text.c_str());
    const std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
        &parsed, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
    if (parsed.error) {
        return std::unexpected("it does not parse as an expression");
    }
    detail::JsonDocument tree;
    Found found;
    if (tree.parse(parsed.parse_tree)) {
        scan(tree.root(), found, 0);
    }
    if (found.parameter) {
        return std::unexpected("it holds a parameter, whose value normalization removed");
    }
    if (found.subquery) {
        return std::unexpected("it holds a subquery");
    }
    if (!found.column) {
        return std::unexpected("it uses no column");
    }
    // `lower(a.name || b.name)` reads two tables: no index holds it, and with the qualifiers
    // removed it would read as an expression of one table's columns (`lower(name || name)`).
    if (found.qualifiers.size() > 1) {
        return std::unexpected("it reads columns of more than one table");
    }
    std::vector<Token> tokens;
    lex(text, 0, static_cast<int>(text.size()), tokens);
    // Each qualified reference `a.b.col` is tokens word . word . word: drop all up to the last dot.
    std::vector<std::pair<int, int>> cuts;
    for (const auto& [location, fields] : found.qualified) {
        const auto it = std::lower_bound(tokens.begin(), tokens.end(), location,
                                         [](const Token& t, int o) { return t.begin < o; });
        const auto first = static_cast<std::size_t>(it - tokens.begin());
        const std::size_t last_dot = first + static_cast<std::size_t>(2 * (fields - 1)) - 1;
        if (it == tokens.end() || it->begin != location || last_dot >= tokens.size()) {
            continue;
        }
        cuts.emplace_back(tokens[first].begin, tokens[last_dot].end);
    }
    std::sort(cuts.begin(), cuts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string out = text;
    for (const auto& [begin, end] : cuts) {
        out.erase(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
    }
    return out.substr(k_prefix.size());
}

} // namespace dbadvise::sqlparse
