// PostgreSQL's lexical rules, from src/backend/parser/scan.l (and psql's psqlscan.l for
// variables), written as a hand-made scanner: one table lookup per byte in the common paths.
// Where PostgreSQL 15 and 16 differ, the lexer follows 16 (1_000, 0x1F are one token), so that
// the parser, not the lexer, reports what 15 rejects, and with 15's own message.
#include "sqlparse/lexer.hpp"

#include "util/utf8.hpp"

#include <array>

namespace dbadvise::sqlparse {

namespace {

// Byte classes. PostgreSQL treats every byte >= 0x80 as a letter, so multi-byte UTF-8 (and
// bytes of other encodings) never end a name.
enum : std::uint8_t {
    k_space = 1,      // space \t \n \r \f \v
    k_ident_start = 2, // A-Z a-z _ and bytes >= 0x80
    k_digit = 4,      // 0-9
    k_op = 8,         // ~ ! @ # ^ & | ` ? + - * / % < > =
    k_dollar = 16,    // $ (continues an identifier)
    k_hex = 32,       // 0-9 a-f A-F
};

constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> classes{};
    for (const char c : std::string_view(" \t\n\r\f\v")) {
        classes[static_cast<unsigned char>(c)] |= k_space;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
        classes[static_cast<std::size_t>(c)] |= k_ident_start;
        classes[static_cast<std::size_t>(c - 'a' + 'A')] |= k_ident_start;
    }
    classes['_'] |= k_ident_start;
    for (int c = 0x80; c <= 0xFF; ++c) {
        classes[static_cast<std::size_t>(c)] |= k_ident_start;
    }
    for (int c = '0'; c <= '9'; ++c) {
        classes[static_cast<std::size_t>(c)] |= k_digit | k_hex;
    }
    for (int c = 'a'; c <= 'f'; ++c) {
        classes[static_cast<std::size_t>(c)] |= k_hex;
        classes[static_cast<std::size_t>(c - 'a' + 'A')] |= k_hex;
    }
    for (const char c : std::string_view("~!@#^&|`?+-*/%<>=")) {
        classes[static_cast<unsigned char>(c)] |= k_op;
    }
    classes['$'] |= k_dollar;
    return classes;
}

constexpr std::array<std::uint8_t, 256> k_classes = make_classes();

[[gnu::always_inline]] inline bool has(char c, std::uint8_t cls) {
    return (k_classes[static_cast<unsigned char>(c)] & cls) != 0;
}
[[gnu::always_inline]] inline bool is_ident_char(char c) {
    return has(c, k_ident_start | k_digit | k_dollar);
}
// psql's variable_char: letters, digits, _ and high bytes (no $).
[[gnu::always_inline]] inline bool is_variable_char(char c) {
    return has(c, k_ident_start | k_digit);
}
constexpr char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

} // namespace

Lexer::Lexer(std::string_view text, int begin, int end, LexOptions options)
    : m_text(text), m_pos(begin), m_end(end), m_options(options) {
    const int size = static_cast<int>(text.size());
    if (m_end > size) {
        m_end = size;
    }
    if (m_pos < 0) {
        m_pos = 0;
    }
}

void Lexer::skip_line_comment() {
    while (m_pos < m_end && m_text[static_cast<std::size_t>(m_pos)] != '\n') {
        ++m_pos;
    }
}

// Block comments nest in PostgreSQL: /* a /* b */ c */ is one comment.
bool Lexer::skip_block_comment() {
    int nesting = 1;
    m_pos += 2;
    while (m_pos < m_end) {
        const char c = m_text[static_cast<std::size_t>(m_pos)];
        const char d = m_pos + 1 < m_end ? m_text[static_cast<std::size_t>(m_pos + 1)] : '\0';
        if (c == '/' && d == '*') {
            ++nesting;
            m_pos += 2;
        } else if (c == '*' && d == '/') {
            m_pos += 2;
            if (--nesting == 0) {
                return true;
            }
        } else {
            ++m_pos;
        }
    }
    return false;
}

// A quoted run starting at m_pos (the opening quote). `doubled`: two quotes stand for one.
// `backslash`: a backslash escapes the next byte. `continued`: after the closing quote,
// white space holding a newline followed by another quote continues the
// same literal, as 'foo'\n'bar' is 'foobar' in SQL.
void Lexer::scan_quoted(Token& token, char quote, bool backslash, bool doubled, bool continued) {
    const std::size_t size = static_cast<std::size_t>(m_end);
    std::size_t i = static_cast<std::size_t>(m_pos) + 1;
    for (;;) {
        // Fast path: the bytes that cannot end or escape anything.
        while (i < size && m_text[i] != quote && !(backslash && m_text[i] == '\\')) {
            ++i;
        }
        if (i >= size) {
            token.flags |= k_token_unterminated;
            m_pos = m_end;
            return;
        }
        if (m_text[i] == '\\') {
            i += 2;
            continue;
        }
        ++i; // the quote
        if (doubled && i < size && m_text[i] == quote) {
            ++i;
            continue;
        }
        if (continued) {
            // {quotecontinue}: white space holding a newline, then a quote. (PostgreSQL also
            // lets -- comments sit there; libpg_query's scanner, which returns comments as
            // tokens, does not, and the lexer agrees with the parser dbadvise uses.)
            std::size_t j = i;
            bool newline = false;
            while (j < size && has(m_text[j], k_space)) {
                newline = newline || m_text[j] == '\n';
                ++j;
            }
            if (newline && j < size && m_text[j] == quote) {
                i = j + 1;
                continue;
            }
        }
        m_pos = static_cast<int>(i);
        return;
    }
}

// $tag$ ... $tag$ from m_pos; `tag_end` is the offset of the opening delimiter's second $.
void Lexer::scan_dollar_string(Token& token, int tag_end) {
    const std::string_view tag = m_text.substr(static_cast<std::size_t>(m_pos),
                                               static_cast<std::size_t>(tag_end + 1 - m_pos));
    const std::size_t close =
        m_text.substr(0, static_cast<std::size_t>(m_end)).find(tag, static_cast<std::size_t>(tag_end + 1));
    if (close == std::string_view::npos) {
        token.flags |= k_token_unterminated;
        m_pos = m_end;
        return;
    }
    m_pos = static_cast<int>(close + tag.size());
}

// {decinteger}, {hexinteger}/{octinteger}/{bininteger}, {numeric}, {real}; and the "fail"
// rules: `1..2` is 1 followed by `..`, `1e` and `1e+` are 1 followed by the rest.
void Lexer::scan_number(Token& token) {
    const auto at = [&](int i) -> char {
        return i < m_end ? m_text[static_cast<std::size_t>(i)] : '\0';
    };
    // Digits with single underscores between them (PostgreSQL 16).
    const auto digits = [&](int i, std::uint8_t cls, char top) {
        while (true) {
            const char c = at(i);
            const bool ok = has(c, cls) && c <= top;
            if (ok) {
                ++i;
            } else if (c == '_' && has(at(i + 1), cls) && at(i + 1) <= top) {
                i += 2;
            } else {
                return i;
            }
        }
    };
    int i = m_pos;
    token.kind = TokenKind::integer;
    if (at(i) == '0') {
        const char base = fold(at(i + 1));
        const std::uint8_t cls = base == 'x' ? k_hex : k_digit;
        const char top = base == 'x' ? 'z' : base == 'o' ? '7' : base == 'b' ? '1' : '\0';
        if (top != '\0') {
            int j = i + 2;
            if (at(j) == '_') {
                ++j;
            }
            if (has(at(j), cls) && at(j) <= top) {
                m_pos = digits(j, cls, top);
                return;
            }
        }
    }
    if (at(i) != '.') {
        i = digits(i, k_digit, '9');
        if (at(i) == '.' && at(i + 1) != '.') {
            token.kind = TokenKind::numeric;
            ++i;
            if (has(at(i), k_digit)) {
                i = digits(i, k_digit, '9');
            }
        }
    } else {
        token.kind = TokenKind::numeric;
        i = digits(i + 1, k_digit, '9');
    }
    if (fold(at(i)) == 'e') {
        int j = i + 1;
        if (at(j) == '+' || at(j) == '-') {
            ++j;
        }
        if (has(at(j), k_digit)) {
            token.kind = TokenKind::numeric;
            i = digits(j, k_digit, '9');
        }
    }
    m_pos = i;
}

// {operator}: the longest run of operator characters, cut before a comment start inside
// it; a multi-character operator cannot end in + or - unless it holds one of ~ ! @ # ^ & | `
// ? %, so `a=-1` is `=` then `-`, while `@-` stays one operator.
void Lexer::scan_operator(Token& token) {
    int stop = m_pos + 1;
    while (stop < m_end && has(m_text[static_cast<std::size_t>(stop)], k_op)) {
        const char c = m_text[static_cast<std::size_t>(stop)];
        const char d = stop + 1 < m_end ? m_text[static_cast<std::size_t>(stop + 1)] : '\0';
        if ((c == '-' && d == '-') || (c == '/' && d == '*')) {
            break;
        }
        ++stop;
    }
    int length = stop - m_pos;
    const std::string_view run = m_text.substr(static_cast<std::size_t>(m_pos),
                                               static_cast<std::size_t>(length));
    if (length > 1 && (run.back() == '+' || run.back() == '-') &&
        run.find_first_of("~!@#^&|`?%") == std::string_view::npos) {
        do {
            --length;
        } while (length > 1 && (run[static_cast<std::size_t>(length - 1)] == '+' ||
                                run[static_cast<std::size_t>(length - 1)] == '-'));
    }
    token.kind = TokenKind::op;
    m_pos += length;
}

// psql's :name, :'name', :"name" and :{?name}; m_pos is at the colon. False (consuming
// nothing) when the colon starts none of them.
bool Lexer::scan_psql_variable(Token& token) {
    const auto at = [&](int i) -> char {
        return i < m_end ? m_text[static_cast<std::size_t>(i)] : '\0';
    };
    const auto name_end = [&](int i) {
        while (i < m_end && is_variable_char(m_text[static_cast<std::size_t>(i)])) {
            ++i;
        }
        return i;
    };
    const char next = at(m_pos + 1);
    int stop = -1;
    if (is_variable_char(next)) {
        if (m_brackets > 0) {
            return false; // a[1:n]: an array slice, not a variable
        }
        stop = name_end(m_pos + 1);
    } else if (next == '\'' || next == '"') {
        const int end = name_end(m_pos + 2);
        if (end > m_pos + 2 && at(end) == next) {
            stop = end + 1;
        }
    } else if (next == '{' && at(m_pos + 2) == '?') {
        const int end = name_end(m_pos + 3);
        if (end > m_pos + 3 && at(end) == '}') {
            stop = end + 1;
        }
    }
    if (stop < 0) {
        return false;
    }
    token.kind = TokenKind::psql_variable;
    m_pos = stop;
    return true;
}

bool Lexer::next(Token& token) {
    const auto at = [&](int i) -> char {
        return i < m_end ? m_text[static_cast<std::size_t>(i)] : '\0';
    };
    while (m_pos < m_end) {
        const char c = m_text[static_cast<std::size_t>(m_pos)];
        if (has(c, k_space)) {
            ++m_pos;
            continue;
        }
        token.begin = m_pos;
        token.depth = m_depth;
        token.flags = 0;
        if (c == '-' && at(m_pos + 1) == '-') {
            skip_line_comment();
            if (!m_options.comments) {
                continue;
            }
            token.kind = TokenKind::line_comment;
            token.end = m_pos;
            return true;
        }
        if (c == '/' && at(m_pos + 1) == '*') {
            if (!skip_block_comment()) {
                token.flags |= k_token_unterminated;
            }
            if (!m_options.comments) {
                continue;
            }
            token.kind = TokenKind::block_comment;
            token.end = m_pos;
            return true;
        }
        const bool backslash_strings = !m_options.standard_conforming_strings;
        switch (c) {
        case '\'':
            token.kind = TokenKind::string;
            scan_quoted(token, '\'', backslash_strings, true, true);
            break;
        case '"':
            token.kind = TokenKind::quoted_identifier;
            scan_quoted(token, '"', false, true, false);
            break;
        case '(':
        case '[':
            token.kind = c == '(' ? TokenKind::open_paren : TokenKind::open_bracket;
            ++m_depth;
            m_brackets += c == '[';
            ++m_pos;
            break;
        case ')':
        case ']':
            token.kind = c == ')' ? TokenKind::close_paren : TokenKind::close_bracket;
            token.depth = --m_depth;
            if (c == ']' && m_brackets > 0) {
                --m_brackets;
            }
            ++m_pos;
            break;
        case ',':
            token.kind = TokenKind::comma;
            ++m_pos;
            break;
        case ';':
            token.kind = TokenKind::semicolon;
            ++m_pos;
            break;
        case ':':
            if (at(m_pos + 1) == ':') {
                token.kind = TokenKind::typecast;
                m_pos += 2;
            } else if (at(m_pos + 1) == '=') {
                token.kind = TokenKind::colon_equals;
                m_pos += 2;
            } else if (!m_options.psql || !scan_psql_variable(token)) {
                token.kind = TokenKind::colon;
                ++m_pos;
            }
            break;
        case '.':
            if (at(m_pos + 1) == '.') {
                token.kind = TokenKind::dot_dot;
                m_pos += 2;
            } else if (has(at(m_pos + 1), k_digit)) {
                scan_number(token);
            } else {
                token.kind = TokenKind::dot;
                ++m_pos;
            }
            break;
        case '$': {
            const char next = at(m_pos + 1);
            if (has(next, k_digit)) {
                int i = m_pos + 1;
                while (has(at(i), k_digit)) {
                    ++i;
                }
                token.kind = TokenKind::parameter;
                m_pos = i;
                break;
            }
            // {dolqdelim}: $$ or $tag$ with a tag of letters, digits and _ not starting with
            // a digit; otherwise the $ stands alone.
            int i = m_pos + 1;
            if (has(next, k_ident_start)) {
                while (has(at(i), k_ident_start | k_digit)) {
                    ++i;
                }
            }
            if (at(i) == '$') {
                token.kind = TokenKind::dollar_string;
                scan_dollar_string(token, i);
            } else {
                token.kind = TokenKind::other;
                ++m_pos;
            }
            break;
        }
        default:
            if (has(c, k_digit)) {
                scan_number(token);
            } else if (has(c, k_ident_start)) {
                const char next = at(m_pos + 1);
                const char lower = fold(c);
                if (next == '\'' && (lower == 'e' || lower == 'b' || lower == 'x' || lower == 'n')) {
                    token.kind = lower == 'e'   ? TokenKind::escape_string
                                 : lower == 'b' ? TokenKind::bit_string
                                 : lower == 'x' ? TokenKind::hex_string
                                                : TokenKind::national_string;
                    ++m_pos;
                    const bool escapes = lower == 'e' || (lower == 'n' && backslash_strings);
                    const bool doubled = lower == 'e' || lower == 'n';
                    scan_quoted(token, '\'', escapes, doubled, true);
                } else if (lower == 'u' && next == '&' &&
                           (at(m_pos + 2) == '\'' || at(m_pos + 2) == '"')) {
                    const char quote = at(m_pos + 2);
                    token.kind = quote == '"' ? TokenKind::unicode_identifier
                                              : TokenKind::unicode_string;
                    m_pos += 2;
                    scan_quoted(token, quote, false, true, quote == '\'');
                } else {
                    int i = m_pos + 1;
                    while (i < m_end && is_ident_char(m_text[static_cast<std::size_t>(i)])) {
                        ++i;
                    }
                    token.kind = TokenKind::identifier;
                    m_pos = i;
                }
            } else if (has(c, k_op)) {
                scan_operator(token);
            } else {
                token.kind = TokenKind::other;
                ++m_pos;
            }
            break;
        }
        token.end = m_pos;
        return true;
    }
    return false;
}

void lex(std::string_view text, int begin, int end, std::vector<Token>& out, LexOptions options) {
    Lexer lexer(text, begin, end, options);
    Token token;
    while (lexer.next(token)) {
        out.push_back(token);
    }
}

std::vector<Token> lex(std::string_view text, int begin, int end, LexOptions options) {
    std::vector<Token> out;
    lex(text, begin, end, out, options);
    return out;
}

std::vector<Token> lex(std::string_view text, LexOptions options) {
    return lex(text, 0, static_cast<int>(text.size()), options);
}

bool is_string_kind(TokenKind kind) {
    switch (kind) {
    case TokenKind::string:
    case TokenKind::escape_string:
    case TokenKind::national_string:
    case TokenKind::unicode_string:
    case TokenKind::dollar_string:
        return true;
    default:
        return false;
    }
}

bool is_literal_kind(TokenKind kind) {
    return is_string_kind(kind) || kind == TokenKind::bit_string ||
           kind == TokenKind::hex_string || kind == TokenKind::integer ||
           kind == TokenKind::numeric;
}

bool is_name_kind(TokenKind kind) {
    return kind == TokenKind::identifier || kind == TokenKind::quoted_identifier ||
           kind == TokenKind::unicode_identifier;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    const char l = fold(c);
    return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
}

// The body of a U&"..." or U&'...' with \XXXX and \+XXXXXX escapes decoded (surrogate pairs
// joined); an invalid escape is kept as written.
std::string decode_unicode(std::string_view body, char escape) {
    std::string out;
    std::uint32_t pending_high = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] != escape) {
            out += body[i];
            continue;
        }
        if (i + 1 < body.size() && body[i + 1] == escape) {
            out += escape;
            ++i;
            continue;
        }
        const bool plus = i + 1 < body.size() && body[i + 1] == '+';
        const std::size_t digits = plus ? 6 : 4;
        const std::size_t first = i + (plus ? 2 : 1);
        std::uint32_t code = 0;
        bool ok = first + digits <= body.size();
        for (std::size_t k = 0; ok && k < digits; ++k) {
            const int v = hex_value(body[first + k]);
            ok = v >= 0;
            code = code * 16 + static_cast<std::uint32_t>(v < 0 ? 0 : v);
        }
        if (!ok || code > 0x10FFFF) {
            out += body[i];
            continue;
        }
        if (code >= 0xD800 && code <= 0xDBFF) {
            pending_high = code;
        } else if (code >= 0xDC00 && code <= 0xDFFF && pending_high != 0) {
            util::append_utf8(out, 0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00));
            pending_high = 0;
        } else {
            util::append_utf8(out, code);
        }
        i = first + digits - 1;
    }
    return out;
}

} // namespace

std::string identifier_value(std::string_view text, const Token& token, char escape) {
    const std::string_view raw = token_text(text, token);
    std::string out;
    switch (token.kind) {
    case TokenKind::identifier:
        out.reserve(raw.size());
        for (const char c : raw) {
            out += fold(c);
        }
        return out;
    case TokenKind::quoted_identifier:
    case TokenKind::unicode_identifier: {
        const std::size_t open = token.kind == TokenKind::quoted_identifier ? 1 : 3;
        const std::size_t close = token.unterminated() ? raw.size() : raw.size() - 1;
        if (close < open) {
            return out;
        }
        const std::string_view body = raw.substr(open, close - open);
        for (std::size_t i = 0; i < body.size(); ++i) {
            out += body[i];
            if (body[i] == '"' && i + 1 < body.size() && body[i + 1] == '"') {
                ++i;
            }
        }
        return token.kind == TokenKind::unicode_identifier ? decode_unicode(out, escape) : out;
    }
    default:
        return out;
    }
}

int parameter_number(std::string_view text, const Token& token) {
    if (token.kind != TokenKind::parameter) {
        return 0;
    }
    int n = 0;
    for (int i = token.begin + 1; i < token.end; ++i) {
        n = n * 10 + (text[static_cast<std::size_t>(i)] - '0');
        if (n > 1000000) {
            return 0;
        }
    }
    return n;
}

char unicode_escape(std::string_view text, const std::vector<Token>& tokens, std::size_t index) {
    if (index + 2 < tokens.size() && token_is(text, tokens[index + 1], "uescape") &&
        tokens[index + 2].kind == TokenKind::string && tokens[index + 2].size() == 3) {
        return text[static_cast<std::size_t>(tokens[index + 2].begin + 1)];
    }
    return '\\';
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

} // namespace dbadvise::sqlparse
