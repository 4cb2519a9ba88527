#include "sqlparse/typed_literals.hpp"

#include "sqlparse/lexer.hpp"

#include <nlohmann/json.hpp>
#include <pg_query.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace dbadvise::sqlparse {

namespace {

// libpg_query's grammar (unlike the server's) accepts a parameter where a typed literal's
// string constant stood, and records it as a TypeCast whose own location is -1 (an explicit
// `$1::date` records the position of `::`). Finding one such node is enough to know the text
// needs repair; the deparser then prints every cast in the `::` form the server accepts.
bool has_prefix_typed_parameter(const nlohmann::json& node) {
    if (node.is_object()) {
        if (const auto cast = node.find("TypeCast"); cast != node.end() && cast->is_object()) {
            const auto arg = cast->find("arg");
            const auto location = cast->find("location");
            if (arg != cast->end() && arg->is_object() && arg->contains("ParamRef") &&
                (location == cast->end() || (location->is_number() && location->get<int>() < 0))) {
                return true;
            }
        }
        for (const auto& [key, value] : node.items()) {
            if (has_prefix_typed_parameter(value)) {
                return true;
            }
        }
    } else if (node.is_array()) {
        for (const auto& value : node) {
            if (has_prefix_typed_parameter(value)) {
                return true;
            }
        }
    }
    return false;
}

// `extract($n from x)`: libpg_query accepts a parameter where the field keyword stood and
// records a pg_catalog.extract call in SQL syntax; the byte offsets of the call and of $n.
void find_extract_parameters(const nlohmann::json& node, std::vector<std::pair<int, int>>& out) {
    if (node.is_object()) {
        if (const auto call = node.find("FuncCall"); call != node.end() && call->is_object()) {
            const auto name = call->find("funcname");
            const auto args = call->find("args");
            const auto format = call->find("funcformat");
            if (name != call->end() && name->is_array() && !name->empty() && args != call->end() &&
                args->is_array() && !args->empty() && format != call->end() && *format == "COERCE_SQL_SYNTAX" &&
                name->back().value("String", nlohmann::json::object()).value("sval", "") == "extract" &&
                args->front().contains("ParamRef")) {
                out.emplace_back(call->value("location", -1), args->front()["ParamRef"].value("location", -1));
            }
        }
        for (const auto& [key, value] : node.items()) {
            find_extract_parameters(value, out);
        }
    } else if (node.is_array()) {
        for (const auto& value : node) {
            find_extract_parameters(value, out);
        }
    }
}

// True when `target` (a select-list expression) and `grouping` (a GROUP BY / ORDER BY
// expression) are the same tree except that the target has a parameter where the grouping
// expression has a constant; records parameter location -> constant location.
bool same_but_parameters(const nlohmann::json& target, const nlohmann::json& grouping,
                         std::vector<std::pair<int, int>>& pairs) {
    if (target.is_object() && grouping.is_object()) {
        const auto param = target.find("ParamRef");
        const auto constant = grouping.find("A_Const");
        if (param != target.end() && constant != grouping.end() && target.size() == 1 && grouping.size() == 1) {
            pairs.emplace_back(param->value("location", -1), constant->value("location", -1));
            return true;
        }
        std::size_t compared = 0;
        for (const auto& [key, value] : target.items()) {
            if (key == "location") {
                continue;
            }
            const auto other = grouping.find(key);
            if (other == grouping.end() || !same_but_parameters(value, *other, pairs)) {
                return false;
            }
            ++compared;
        }
        return compared == grouping.size() - (grouping.contains("location") ? 1 : 0);
    }
    if (target.is_array() && grouping.is_array()) {
        if (target.size() != grouping.size()) {
            return false;
        }
        for (std::size_t i = 0; i < target.size(); ++i) {
            if (!same_but_parameters(target[i], grouping[i], pairs)) {
                return false;
            }
        }
        return true;
    }
    return target == grouping;
}

// pg_stat_statements replaces the constants of a select-list expression but not those of the
// GROUP BY or ORDER BY expression that repeats it (`SELECT date_trunc($1, d) ... GROUP BY
// date_trunc('month', d)`), and the server then rejects the select list ("must appear in the
// GROUP BY clause"). Collects (parameter location, constant location) for such expressions.
void find_grouping_parameters(const nlohmann::json& node, std::vector<std::pair<int, int>>& out) {
    if (node.is_object()) {
        if (const auto select = node.find("SelectStmt"); select != node.end() && select->is_object()) {
            std::vector<const nlohmann::json*> grouping;
            if (const auto group = select->find("groupClause"); group != select->end() && group->is_array()) {
                for (const auto& item : *group) {
                    grouping.push_back(&item);
                }
            }
            if (const auto sort = select->find("sortClause"); sort != select->end() && sort->is_array()) {
                for (const auto& item : *sort) {
                    if (item.contains("SortBy") && item["SortBy"].contains("node")) {
                        grouping.push_back(&item["SortBy"]["node"]);
                    }
                }
            }
            if (const auto targets = select->find("targetList"); targets != select->end() && targets->is_array()) {
                for (const auto& target : *targets) {
                    const auto& value = target.value("ResTarget", nlohmann::json::object());
                    if (!value.contains("val")) {
                        continue;
                    }
                    for (const nlohmann::json* group : grouping) {
                        std::vector<std::pair<int, int>> pairs;
                        if (same_but_parameters(value["val"], *group, pairs) && !pairs.empty()) {
                            out.insert(out.end(), pairs.begin(), pairs.end());
                            break;
                        }
                    }
                }
            }
        }
        for (const auto& [key, value] : node.items()) {
            find_grouping_parameters(value, out);
        }
    } else if (node.is_array()) {
        for (const auto& value : node) {
            find_grouping_parameters(value, out);
        }
    }
}

ParseError error_from(const PgQueryError* error) {
    ParseError result;
    result.message = error->message ? error->message : "unknown parser error";
    result.offset = error->cursorpos > 0 ? error->cursorpos - 1 : -1;
    return result;
}

// The statement's parse tree as JSON (discarded when libpg_query's JSON does not read), or
// the parse error.
std::expected<nlohmann::json, ParseError> parse_tree(const std::string& text) {
    PgQueryParseResult parsed = pg_query_parse(text.c_str());
    const std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> parsed_guard(
        &parsed, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
    if (parsed.error) {
        return std::unexpected(error_from(parsed.error));
    }
    return nlohmann::json::parse(parsed.parse_tree, nullptr, false);
}

} // namespace

std::expected<std::optional<std::string>, ParseError> rewrite_extract_fields(std::string_view sql,
                                                                             int server_version_num) {
    const std::string text(sql);
    const auto parsed = parse_tree(text);
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    const nlohmann::json& tree = *parsed;
    std::vector<std::pair<int, int>> calls;
    if (!tree.is_discarded()) {
        find_extract_parameters(tree, calls);
    }
    if (calls.empty()) {
        return std::optional<std::string>{};
    }
    std::vector<Token> tokens;
    lex(text, 0, static_cast<int>(text.size()), tokens);
    const auto token_at = [&](int offset) {
        const auto it = std::lower_bound(tokens.begin(), tokens.end(), offset,
                                         [](const Token& t, int o) { return t.begin < o; });
        return it != tokens.end() && it->begin == offset ? static_cast<int>(it - tokens.begin()) : -1;
    };
    // Each edit replaces [begin, end) with its text; applied from the end so offsets hold.
    struct Edit {
        int begin;
        int end;
        std::string_view replacement;
    };
    std::vector<Edit> edits;
    const std::string_view function = server_version_num > 0 && server_version_num < 140000
                                          ? "pg_catalog.date_part"
                                          : "pg_catalog.extract";
    for (const auto& [call, parameter] : calls) {
        const int name = token_at(call);
        const int param = token_at(parameter);
        if (name < 0 || param < 0 || param + 1 >= static_cast<int>(tokens.size()) ||
            !token_is(text, tokens[static_cast<std::size_t>(name)], "extract") ||
            !token_is(text, tokens[static_cast<std::size_t>(param + 1)], "from")) {
            continue;
        }
        const Token& keyword = tokens[static_cast<std::size_t>(name)];
        const Token& from = tokens[static_cast<std::size_t>(param + 1)];
        edits.push_back({keyword.begin, keyword.end, function});
        edits.push_back({from.begin, from.end, ","});
    }
    if (edits.empty()) {
        return std::optional<std::string>{};
    }
    std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
    std::string out = text;
    for (const Edit& edit : edits) {
        out.replace(static_cast<std::size_t>(edit.begin), static_cast<std::size_t>(edit.end - edit.begin),
                    edit.replacement);
    }
    return std::optional<std::string>{std::move(out)};
}

std::expected<std::optional<std::string>, ParseError> rewrite_grouping_parameters(std::string_view sql) {
    const std::string text(sql);
    const auto parsed = parse_tree(text);
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    const nlohmann::json& tree = *parsed;
    std::vector<std::pair<int, int>> pairs;
    if (!tree.is_discarded()) {
        find_grouping_parameters(tree, pairs);
    }
    if (pairs.empty()) {
        return std::optional<std::string>{};
    }
    std::vector<Token> tokens;
    lex(text, 0, static_cast<int>(text.size()), tokens);
    const auto token_at = [&](int offset) -> const Token* {
        const auto it = std::lower_bound(tokens.begin(), tokens.end(), offset,
                                         [](const Token& t, int o) { return t.begin < o; });
        return it != tokens.end() && it->begin == offset ? &*it : nullptr;
    };
    std::vector<std::pair<const Token*, std::string>> edits;
    for (const auto& [param, constant] : pairs) {
        const Token* p = token_at(param);
        const Token* c = token_at(constant);
        if (!p || !c || p->kind != TokenKind::parameter) {
            continue;
        }
        // A constant is one token, or a sign and a number.
        std::string value = text.substr(static_cast<std::size_t>(c->begin), static_cast<std::size_t>(c->end - c->begin));
        if (c->kind == TokenKind::op && (value == "-" || value == "+") && c + 1 < tokens.data() + tokens.size() &&
            ((c + 1)->kind == TokenKind::integer || (c + 1)->kind == TokenKind::numeric)) {
            value += text.substr(static_cast<std::size_t>((c + 1)->begin), static_cast<std::size_t>((c + 1)->end - (c + 1)->begin));
        } else if (!is_literal_kind(c->kind)) {
            continue;
        }
        edits.emplace_back(p, std::move(value));
    }
    if (edits.empty()) {
        return std::optional<std::string>{};
    }
    std::sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) { return a.first->begin > b.first->begin; });
    std::string out = text;
    for (const auto& [token, value] : edits) {
        out.replace(static_cast<std::size_t>(token->begin), static_cast<std::size_t>(token->end - token->begin), value);
    }
    return std::optional<std::string>{std::move(out)};
}

std::string repair_normalized(std::string_view sql, int server_version_num) {
    std::string text(sql);
    if (auto fixed = rewrite_grouping_parameters(text); fixed && *fixed) {
        text = std::move(**fixed);
    }
    if (auto fixed = rewrite_extract_fields(text, server_version_num); fixed && *fixed) {
        text = std::move(**fixed);
    }
    if (auto fixed = rewrite_typed_parameters(text); fixed && *fixed) {
        text = std::move(**fixed);
    }
    return text;
}

std::expected<std::optional<std::string>, ParseError> rewrite_typed_parameters(std::string_view sql) {
    const std::string text(sql);
    const auto parsed = parse_tree(text);
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    const nlohmann::json& tree = *parsed;
    if (tree.is_discarded() || !has_prefix_typed_parameter(tree)) {
        return std::optional<std::string>{};
    }

    PgQueryProtobufParseResult proto = pg_query_parse_protobuf(text.c_str());
    const std::unique_ptr<PgQueryProtobufParseResult, void (*)(PgQueryProtobufParseResult*)>
        proto_guard(&proto, [](PgQueryProtobufParseResult* r) { pg_query_free_protobuf_parse_result(*r); });
    if (proto.error) {
        return std::unexpected(error_from(proto.error));
    }
    PgQueryDeparseResult deparsed = pg_query_deparse_protobuf(proto.parse_tree);
    const std::unique_ptr<PgQueryDeparseResult, void (*)(PgQueryDeparseResult*)> deparse_guard(
        &deparsed, [](PgQueryDeparseResult* r) { pg_query_free_deparse_result(*r); });
    if (deparsed.error) {
        return std::unexpected(error_from(deparsed.error));
    }
    return std::optional<std::string>{std::string(deparsed.query)};
}

} // namespace dbadvise::sqlparse
