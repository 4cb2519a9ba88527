#include "analyzer/sql_text.hpp"

#include "sqlparse/lexer.hpp"

#include <algorithm>

namespace dbadvise::analyzer {

using sqlparse::Token;
using sqlparse::TokenKind;

std::string strip_qualifier(std::string_view text, std::string_view qualifier) {
    if (qualifier.empty()) {
        return std::string(text);
    }
    const std::vector<Token> tokens = sqlparse::lex(text);
    std::string out;
    std::size_t pos = 0;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (!sqlparse::is_name_kind(tokens[i].kind) || tokens[i + 1].kind != TokenKind::dot ||
            (i > 0 && tokens[i - 1].kind == TokenKind::dot) ||
            sqlparse::identifier_value(text, tokens[i]) != qualifier) {
            continue;
        }
        out += text.substr(pos, static_cast<std::size_t>(tokens[i].begin) - pos);
        pos = static_cast<std::size_t>(tokens[i + 1].end);
    }
    out += text.substr(pos);
    return out;
}

std::vector<int> parameter_numbers(std::string_view text) {
    std::vector<int> out;
    sqlparse::Lexer lexer(text);
    Token token;
    while (lexer.next(token)) {
        if (token.kind == TokenKind::parameter) {
            out.push_back(sqlparse::parameter_number(text, token));
        }
    }
    return out;
}

int max_parameter(std::string_view text) {
    const std::vector<int> numbers = parameter_numbers(text);
    return numbers.empty() ? 0 : *std::max_element(numbers.begin(), numbers.end());
}

std::optional<ParameterCall> single_parameter_call(std::string_view text) {
    const std::vector<Token> tokens = sqlparse::lex(text);
    ParameterCall call;
    std::size_t i = 0;
    while (i < tokens.size() && tokens[i].kind == TokenKind::identifier) {
        call.function += sqlparse::identifier_value(text, tokens[i++]);
        if (i < tokens.size() && tokens[i].kind == TokenKind::dot) {
            call.function += '.';
            ++i;
        } else {
            break;
        }
    }
    if (call.function.empty() || call.function.ends_with('.') || tokens.size() != i + 3 ||
        tokens[i].kind != TokenKind::open_paren || tokens[i + 1].kind != TokenKind::parameter ||
        tokens[i + 2].kind != TokenKind::close_paren) {
        return std::nullopt;
    }
    call.parameter = sqlparse::parameter_number(text, tokens[i + 1]);
    return call;
}

bool mentions_identifier(std::string_view text, std::string_view name) {
    if (name.empty()) {
        return false;
    }
    const std::vector<Token> tokens = sqlparse::lex(text);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (sqlparse::is_name_kind(tokens[i].kind) &&
            sqlparse::identifier_value(text, tokens[i], sqlparse::unicode_escape(text, tokens, i)) ==
                name) {
            return true;
        }
    }
    return false;
}

} // namespace dbadvise::analyzer
