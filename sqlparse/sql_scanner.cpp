#include "sqlparse/sql_scanner_internal.hpp"

namespace dbadvise::sqlparse::detail {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// PostgreSQL's scanner treats every byte >= 0x80 as an identifier character, so multi-byte
// UTF-8 (and invalid bytes) inside names never end an identifier.
bool is_ident_start(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

bool is_ident_char(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_op_char(char c) {
    switch (c) {
    case '+': case '-': case '*': case '/': case '<': case '>': case '=': case '~': case '!':
    case '@': case '#': case '%': case '^': case '&': case '|': case '`': case '?':
        return true;
    default:
        return false;
    }
}

// What one lexing step found.
enum class Step : std::uint8_t { blank, token, semicolon };

struct Lexer {
    std::string_view text;
    int pos;
    int end;
    int nul_offset = -1;

    char at(int i) const { return i < end ? text[static_cast<std::size_t>(i)] : '\0'; }

    void note_nul(int i) {
        if (nul_offset < 0) {
            nul_offset = i;
        }
    }

    // A quoted run ending at `quote`; a doubled quote is an escaped quote. With `backslash`
    // (E'' strings) a backslash escapes the next byte. Unterminated runs end at the end.
    void skip_quoted(char quote, bool backslash) {
        ++pos;
        while (pos < end) {
            const char c = text[static_cast<std::size_t>(pos)];
            if (c == '\0') {
                note_nul(pos);
            }
            if (backslash && c == '\\') {
                pos += 2;
                continue;
            }
            ++pos;
            if (c == quote) {
                if (at(pos) == quote) {
                    ++pos;
                    continue;
                }
                return;
            }
        }
        pos = end;
    }

    // `$tag$ ... $tag$`; returns false (consuming nothing) when `$` does not open a quote.
    bool skip_dollar_quote() {
        int i = pos + 1;
        while (i < end && text[static_cast<std::size_t>(i)] != '$') {
            if (!is_ident_char(text[static_cast<std::size_t>(i)]) ||
                text[static_cast<std::size_t>(i)] == '$') {
                return false;
            }
            ++i;
        }
        if (i >= end) {
            return false;
        }
        const std::string_view tag = text.substr(static_cast<std::size_t>(pos),
                                                 static_cast<std::size_t>(i + 1 - pos));
        const auto close = text.substr(0, static_cast<std::size_t>(end))
                               .find(tag, static_cast<std::size_t>(i + 1));
        const int stop = close == std::string_view::npos
                             ? end
                             : static_cast<int>(close + tag.size());
        for (int k = i + 1; k < stop; ++k) {
            if (text[static_cast<std::size_t>(k)] == '\0') {
                note_nul(k);
                break;
            }
        }
        pos = stop;
        return true;
    }

    void skip_block_comment() {
        int depth = 0;
        while (pos < end) {
            const char c = text[static_cast<std::size_t>(pos)];
            if (c == '/' && at(pos + 1) == '*') {
                ++depth;
                pos += 2;
            } else if (c == '*' && at(pos + 1) == '/') {
                pos += 2;
                if (--depth == 0) {
                    return;
                }
            } else {
                if (c == '\0') {
                    note_nul(pos);
                }
                ++pos;
            }
        }
    }

    // Advances over one token, or over whitespace/comments. Fills `token` for a token.
    Step step(Token& token) {
        const int start = pos;
        const char c = text[static_cast<std::size_t>(pos)];
        if (is_space(c)) {
            ++pos;
            return Step::blank;
        }
        if (c == '-' && at(pos + 1) == '-') {
            while (pos < end && text[static_cast<std::size_t>(pos)] != '\n') {
                if (text[static_cast<std::size_t>(pos)] == '\0') {
                    note_nul(pos);
                }
                ++pos;
            }
            return Step::blank;
        }
        if (c == '/' && at(pos + 1) == '*') {
            skip_block_comment();
            return Step::blank;
        }
        token.begin = start;
        if (c == ';') {
            ++pos;
            token.end = pos;
            token.kind = TokenKind::punct;
            return Step::semicolon;
        }
        if (c == '\'') {
            skip_quoted('\'', false);
            token.kind = TokenKind::string;
        } else if (c == '"') {
            skip_quoted('"', false);
            token.kind = TokenKind::quoted_identifier;
        } else if (c == '$') {
            if (is_digit(at(pos + 1))) {
                ++pos;
                while (is_digit(at(pos))) {
                    ++pos;
                }
                token.kind = TokenKind::parameter;
            } else if (skip_dollar_quote()) {
                token.kind = TokenKind::string;
            } else {
                ++pos;
                token.kind = TokenKind::op;
            }
        } else if (is_ident_start(c)) {
            const char next = at(pos + 1);
            if ((c == 'e' || c == 'E') && next == '\'') {
                ++pos;
                skip_quoted('\'', true);
                token.kind = TokenKind::string;
            } else if ((c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N') &&
                       next == '\'') {
                ++pos;
                skip_quoted('\'', false);
                token.kind = TokenKind::string;
            } else if ((c == 'u' || c == 'U') && next == '&' &&
                       (at(pos + 2) == '\'' || at(pos + 2) == '"')) {
                const char quote = at(pos + 2);
                pos += 2;
                skip_quoted(quote, false);
                token.kind = quote == '"' ? TokenKind::quoted_identifier : TokenKind::string;
            } else {
                ++pos;
                while (pos < end && is_ident_char(text[static_cast<std::size_t>(pos)])) {
                    ++pos;
                }
                token.kind = TokenKind::word;
            }
        } else if (is_digit(c) || (c == '.' && is_digit(at(pos + 1)))) {
            ++pos;
            while (pos < end) {
                const char d = text[static_cast<std::size_t>(pos)];
                if (is_digit(d) || d == '.' || d == '_') {
                    ++pos;
                } else if ((d == 'e' || d == 'E') && is_digit(at(pos + 1))) {
                    pos += 2;
                } else if ((d == 'e' || d == 'E') && (at(pos + 1) == '+' || at(pos + 1) == '-') &&
                           is_digit(at(pos + 2))) {
                    pos += 3;
                } else {
                    break;
                }
            }
            token.kind = TokenKind::number;
        } else if (c == ':' && at(pos + 1) == ':') {
            pos += 2;
            token.kind = TokenKind::punct;
        } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '.' ||
                   c == ':') {
            ++pos;
            token.kind = TokenKind::punct;
        } else if (is_op_char(c)) {
            ++pos;
            while (pos < end && is_op_char(text[static_cast<std::size_t>(pos)]) &&
                   !(text[static_cast<std::size_t>(pos)] == '-' && at(pos + 1) == '-') &&
                   !(text[static_cast<std::size_t>(pos)] == '/' && at(pos + 1) == '*')) {
                ++pos;
            }
            token.kind = TokenKind::op;
        } else {
            if (c == '\0') {
                note_nul(pos);
            }
            ++pos;
            token.kind = TokenKind::op;
        }
        token.end = pos;
        return Step::token;
    }
};

} // namespace

Piece next_piece(std::string_view text, int from, std::vector<Token>* tokens) {
    Lexer lexer{text, from, static_cast<int>(text.size())};
    Piece piece;
    piece.begin = from;
    Token token;
    while (lexer.pos < lexer.end) {
        const Step step = lexer.step(token);
        if (step == Step::semicolon) {
            piece.end = token.begin;
            piece.nul_offset = lexer.nul_offset;
            return piece;
        }
        if (step == Step::token) {
            piece.has_tokens = true;
            if (tokens != nullptr) {
                tokens->push_back(token);
            }
        }
    }
    piece.end = lexer.end;
    piece.nul_offset = lexer.nul_offset;
    return piece;
}

void tokenize(std::string_view text, int begin, int end, std::vector<Token>& out) {
    Lexer lexer{text, begin, end};
    Token token;
    while (lexer.pos < lexer.end) {
        if (lexer.step(token) != Step::blank) {
            out.push_back(token);
        }
    }
}

int utf8_char_length(unsigned char byte) {
    if ((byte & 0x80) == 0) {
        return 1;
    }
    if ((byte & 0xE0) == 0xC0) {
        return 2;
    }
    if ((byte & 0xF0) == 0xE0) {
        return 3;
    }
    if ((byte & 0xF8) == 0xF0) {
        return 4;
    }
    return 1;
}

bool token_is(std::string_view text, const Token& token, std::string_view word) {
    if (static_cast<std::size_t>(token.end - token.begin) != word.size()) {
        return false;
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
        char c = text[static_cast<std::size_t>(token.begin) + i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        char w = word[i];
        if (w >= 'A' && w <= 'Z') {
            w = static_cast<char>(w - 'A' + 'a');
        }
        if (c != w) {
            return false;
        }
    }
    return true;
}

} // namespace dbadvise::sqlparse::detail
