// PostgreSQL's lexical rules, from src/backend/parser/scan.l (and psql's psqlscan.l for
// variables), written as a hand-made scanner: one table lookup per byte in the common paths.
// Where PostgreSQL 15 and 16 differ, the lexer follows 16 (1_000, 0x1F are one token), so that
// the parser, not the lexer, reports what 15 rejects, and with 15's own message.
#include "sqlparse/lexer.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// `word`'s ASCII capitals as small letters, eight bytes at once (bytes of 0x80 and up stay).
std::uint64_t lower_ascii(std::uint64_t word) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    const std::uint64_t seven = word & ~highs;
    const std::uint64_t at_least_a = (seven + ones * (0x80 - 'A')) & highs;
    const std::uint64_t above_z = (seven + ones * (0x80 - 'Z' - 1)) & highs;
    return word | ((at_least_a & ~above_z & ~word) >> 2);
}

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

// The body of next(), inlined where a caller runs through every token of a text
// (token_shape_key) and called by next() elsewhere.
[[gnu::always_inline]] inline bool Lexer::scan(Token& token) {
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

bool Lexer::next(Token& token) { return scan(token); }

namespace {

__extension__ using Wide = unsigned __int128; // GCC's and Clang's; __extension__ for -Wpedantic

// The 128-bit product's halves folded together: the mixing step of the two shape keys.
std::uint64_t mum(std::uint64_t a, std::uint64_t b) {
    const Wide product = static_cast<Wide>(a) * b;
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

constexpr std::uint64_t k_mix_a = 0xA0761D6478BD642FULL;
constexpr std::uint64_t k_mix_b = 0xE7037ED1A0B428DBULL;
constexpr std::uint64_t k_mix_c = 0x8BB84B93962EACC9ULL;
constexpr std::uint64_t k_mix_d = 0x4B33A62ED433D4A3ULL;

// What the grammar sees of a literal (scan.l's token types), which two literals of one key
// must share: whether a statement parses can depend on it (`varchar(10)` takes an integer of
// 32 bits, not 1.5 nor 10000000000; `DATE '2025-01-01'` a string, not a number nor $1).
enum class LiteralClass : unsigned char { string = 1, integer, numeric, bits, hex, parameter, variable };

// Decimal digits whose value fits in 32 bits: PostgreSQL reads them as an integer constant,
// and a longer run as a numeric one.
bool fits_int32(std::string_view digits) {
    if (digits.size() < 10) return true; // at most 999,999,999
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    if (digits.size() > 10) return false;
    std::uint64_t value = 0;
    for (const char c : digits) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    return value <= 2147483647;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The token stream token_fingerprint hashes, written out as bytes that can be read back in
// one way only, and hashed when complete: a literal, parameter or psql variable is one byte
// (64 plus its LiteralClass, above every token code), any other token its kind's code, its
// length (one byte below 255, else 255 and four bytes) and its bytes, an identifier's in
// small letters. Hashing
// 16 bytes per multiply at the end costs far less than mixing every token into the hash as
// it comes, a chain of dependent multiplies (twice per token) that was a third of a log's
// read time.
class ShapeBytes {
public:
    void literal(LiteralClass kind) {
        if (m_size + 1 > k_capacity) flush();
        m_bytes[m_size++] = static_cast<unsigned char>(64 + static_cast<int>(kind));
    }

    // The header and bytes of a token of `kind` at sql[begin, end).
    void token(std::string_view sql, TokenKind kind, std::size_t begin, std::size_t end) {
        const std::size_t size = end - begin;
        if (m_size + 6 > k_capacity) flush();
        m_bytes[m_size++] = static_cast<unsigned char>(kind);
        if (size < 255) {
            m_bytes[m_size++] = static_cast<unsigned char>(size);
        } else {
            m_bytes[m_size++] = 255;
            const auto wide = static_cast<std::uint32_t>(size);
            std::memcpy(m_bytes + m_size, &wide, 4);
            m_size += 4;
        }
        const bool fold = kind == TokenKind::identifier;
        for (std::size_t at = begin; at < end; at += 8) {
            const std::size_t bytes = std::min<std::size_t>(8, end - at);
            std::uint64_t word = 0;
            if (at + 8 <= sql.size()) {
                // A whole word: the bytes after the token are overwritten by what comes next
                // (k_slack keeps the store inside the array).
                std::memcpy(&word, sql.data() + at, 8);
            } else {
                std::memcpy(&word, sql.data() + at, bytes);
            }
            if (fold) word = lower_ascii(word);
            if (m_size + bytes > k_capacity) flush();
            std::memcpy(m_bytes + m_size, &word, 8);
            m_size += bytes;
        }
    }

    std::uint64_t finish() {
        // The last 0-15 bytes, padded with zeros (the length, mixed last, tells them apart).
        std::memset(m_bytes + m_size, 0, 16);
        m_total += m_size;
        std::size_t at = 0;
        for (; at < m_size; at += 16) block(at);
        return mum(m_state ^ k_mix_c, m_total ^ k_mix_d);
    }

private:
    static constexpr std::size_t k_capacity = 512;
    static constexpr std::size_t k_slack = 16;

    void block(std::size_t at) {
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        std::memcpy(&a, m_bytes + at, 8);
        std::memcpy(&b, m_bytes + at + 8, 8);
        m_state = mum(a ^ k_mix_a, b ^ m_state ^ k_mix_b);
    }

    // Hashes the whole 16-byte blocks written so far and keeps the rest (under 16 bytes).
    void flush() {
        const std::size_t whole = m_size / 16 * 16;
        for (std::size_t at = 0; at < whole; at += 16) block(at);
        m_total += whole;
        std::memmove(m_bytes, m_bytes + whole, m_size - whole);
        m_size -= whole;
    }

    unsigned char m_bytes[k_capacity + k_slack];
    std::size_t m_size = 0;
    std::size_t m_total = 0;
    std::uint64_t m_state = 0x243F6A8885A308D3ULL;
};

} // namespace

std::uint64_t token_shape_key(std::string_view sql) {
    Lexer lexer(sql);
    Token token;
    ShapeBytes bytes;
    while (lexer.scan(token)) {
        const auto begin = static_cast<std::size_t>(token.begin);
        const auto end = static_cast<std::size_t>(token.end);
        switch (token.kind) {
        case TokenKind::string:
        case TokenKind::national_string:
        case TokenKind::dollar_string:
            bytes.literal(LiteralClass::string);
            break;
        case TokenKind::bit_string: bytes.literal(LiteralClass::bits); break;
        case TokenKind::hex_string: bytes.literal(LiteralClass::hex); break;
        case TokenKind::numeric: bytes.literal(LiteralClass::numeric); break;
        case TokenKind::parameter: bytes.literal(LiteralClass::parameter); break;
        case TokenKind::psql_variable: bytes.literal(LiteralClass::variable); break;
        case TokenKind::integer:
            if (const std::string_view digits = sql.substr(begin, end - begin); all_digits(digits)) {
                bytes.literal(fits_int32(digits) ? LiteralClass::integer : LiteralClass::numeric);
                break;
            }
            // 0x1F, 1_000: PostgreSQL 16's; the parser of 15 reads other tokens there, so the
            // bytes count.
            bytes.token(sql, token.kind, begin, end);
            break;
        case TokenKind::escape_string:  // by their bytes, like names: whether their escapes
        case TokenKind::unicode_string: // are valid decides whether the statement parses
        default:
            bytes.token(sql, token.kind, begin, end);
            break;
        }
    }
    return bytes.finish();
}

// --- text_shape_key ---

namespace {

enum : std::uint8_t {
    k_shape_word = 1,  // continues a word: letters, digits, _, $, bytes >= 0x80 (is_ident_char)
    k_shape_digit = 2, // 0-9
    k_shape_event = 4, // ' " $ - / . & : a byte that may start a literal, a comment or a quote
};

constexpr std::array<std::uint8_t, 256> make_shape_classes() {
    std::array<std::uint8_t, 256> classes{};
    for (std::size_t c = 0; c < 256; ++c) {
        if ((k_classes[c] & (k_ident_start | k_digit | k_dollar)) != 0) classes[c] |= k_shape_word;
        if (c >= '0' && c <= '9') classes[c] |= k_shape_digit;
    }
    for (const char c : std::string_view("'\"$-/.&")) {
        classes[static_cast<unsigned char>(c)] |= k_shape_event;
    }
    return classes;
}

constexpr std::array<std::uint8_t, 256> k_shape_classes = make_shape_classes();

// What scan_text_shape found, in order: raw stretches of the text, literal constants and
// comments, as [begin, end) offsets. The raw stretches together with the places of the
// literals and comments (not their contents) decide the token fingerprint.
struct ShapeHash {
    std::uint64_t state = 0x243F6A8885A308D3ULL;

    void raw(std::string_view sql, std::size_t begin, std::size_t end) {
        if (begin == end) return;
        const char* p = sql.data() + begin;
        std::size_t n = end - begin;
        state = mum(state ^ k_mix_a, n ^ k_mix_b);
        for (; n >= 16; n -= 16, p += 16) state = mum(load8(p) ^ k_mix_a, load8(p + 8) ^ state);
        if (n == 0) return;
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        if (n >= 8) { // two words, overlapping: the length mixed above tells them apart
            a = load8(p);
            b = load8(p + n - 8);
        } else if (n >= 4) {
            a = load4(p);
            b = load4(p + n - 4);
        } else {
            a = std::uint64_t{static_cast<unsigned char>(p[0])} << 16 |
                std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 | static_cast<unsigned char>(p[n - 1]);
        }
        state = mum(a ^ k_mix_c, b ^ state);
    }
    void literal(std::size_t, std::size_t, LiteralClass kind) {
        state = mum(state ^ k_mix_d, static_cast<std::uint64_t>(kind) ^ k_mix_b);
    }
    void comment(std::size_t, std::size_t) { state = mum(state ^ k_mix_d, 64 ^ k_mix_b); }

    static std::uint64_t load8(const char* p) {
        std::uint64_t word = 0;
        std::memcpy(&word, p, 8);
        return word;
    }
    static std::uint64_t load4(const char* p) {
        std::uint32_t word = 0;
        std::memcpy(&word, p, 4);
        return word;
    }
};

// Where scan_text_shape must look at a byte rather than step over it, given the byte
// before it (0 at the start of the text) and after it (0 at the end):
//   - a quote, ' or ";
//   - a digit or $ that does not continue a word (a number, a parameter, a dollar quote);
//   - a . before a digit, -- and /* (comments), & before a quote (U&'', U&"").
// Every other byte, words with their digits and $ included, goes into the raw stretch.
[[gnu::always_inline]] inline bool shape_event(unsigned char before, unsigned char c, unsigned char after) {
    const std::uint8_t cls = k_shape_classes[c];
    if ((cls & k_shape_event) == 0 && (cls & k_shape_digit) == 0) return false;
    switch (c) {
    case '\'':
    case '"': return true;
    case '.': return (k_shape_classes[after] & k_shape_digit) != 0;
    case '-': return after == '-';
    case '/': return after == '*';
    case '&': return after == '\'' || after == '"';
    default: // a digit or $
        return (k_shape_classes[before] & k_shape_word) == 0;
    }
}

// The first byte at or after `i` that shape_event picks, or n: one byte at a time.
std::size_t next_shape_event_bytewise(const char* p, std::size_t i, std::size_t n) {
    const auto at = [&](std::size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(p[k]) : 0; };
    for (; i < n; ++i) {
        if (shape_event(i == 0 ? 0 : at(i - 1), at(i), at(i + 1))) return i;
    }
    return n;
}

#if defined(__SSE2__)
// The same, sixteen bytes at a time where the bytes before and after them are in the text,
// and the last sixteen bytes with 0 after them (shifted down): bytewise only under 17 bytes.
[[gnu::always_inline]] inline std::size_t next_shape_event(const char* p, std::size_t i, std::size_t n) {
    if (i == 0) {
        if (n == 0 || shape_event(0, static_cast<unsigned char>(p[0]), n > 1 ? static_cast<unsigned char>(p[1]) : 0))
            return 0;
        i = 1;
    }
    const auto bytes = [](char c) { return _mm_set1_epi8(c); };
    // Bytes in [low, low + count): shifted so that the range starts at -128, then compared signed.
    const auto in_range = [](__m128i v, char low, int count) {
        const __m128i shifted = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(-128 - low)));
        return _mm_cmplt_epi8(shifted, _mm_set1_epi8(static_cast<char>(-128 + count)));
    };
    // The bytes of `c` that shape_event picks, one bit each.
    const auto events = [&](__m128i before, __m128i c, __m128i after) {
        // Bytes that continue a word: letters, digits, _, $, and bytes >= 0x80 (negative).
        const __m128i word_before = _mm_or_si128(
            _mm_or_si128(in_range(_mm_or_si128(before, bytes(0x20)), 'a', 26), in_range(before, '0', 10)),
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(before, bytes('_')), _mm_cmpeq_epi8(before, bytes('$'))),
                         _mm_cmplt_epi8(before, _mm_setzero_si128())));
        const __m128i digit_after = in_range(after, '0', 10);
        const __m128i quote_after = _mm_or_si128(_mm_cmpeq_epi8(after, bytes('\'')), _mm_cmpeq_epi8(after, bytes('"')));
        const __m128i number_or_dollar = _mm_andnot_si128(
            word_before, _mm_or_si128(in_range(c, '0', 10), _mm_cmpeq_epi8(c, bytes('$'))));
        const __m128i quote = _mm_or_si128(_mm_cmpeq_epi8(c, bytes('\'')), _mm_cmpeq_epi8(c, bytes('"')));
        const __m128i pairs = _mm_or_si128(
            _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(c, bytes('.')), digit_after),
                         _mm_and_si128(_mm_cmpeq_epi8(c, bytes('-')), _mm_cmpeq_epi8(after, bytes('-')))),
            _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(c, bytes('/')), _mm_cmpeq_epi8(after, bytes('*'))),
                         _mm_and_si128(_mm_cmpeq_epi8(c, bytes('&')), quote_after)));
        return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(number_or_dollar, quote), pairs)));
    };
    const auto load = [p](std::size_t at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)); };
    for (; i + 17 <= n; i += 16) {
        const unsigned mask = events(load(i - 1), load(i), load(i + 1));
        if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(mask));
    }
    if (n < 17) return next_shape_event_bytewise(p, i, n);
    // The rest is within the last sixteen bytes (i + 17 > n): their bits from i on.
    const std::size_t last = n - 16;
    const __m128i c = load(last);
    const unsigned mask = events(load(last - 1), c, _mm_srli_si128(c, 1)) >> (i - last);
    return mask != 0 ? i + static_cast<std::size_t>(__builtin_ctz(mask)) : n;
}
#else
std::size_t next_shape_event(const char* p, std::size_t i, std::size_t n) {
    return next_shape_event_bytewise(p, i, n);
}
#endif

// next_shape_event for scan_text_shape, inlined into it.
struct NextShapeEvent {
    [[gnu::always_inline]] std::size_t operator()(const char* p, std::size_t i, std::size_t n) const {
        return next_shape_event(p, i, n);
    }
};

// Cuts `sql` into raw stretches, literals and comments for text_shape_key, calling the sink's
// raw(), literal() and comment() in order; false, at any point, for a text it does not vouch
// for. Why its keys are sound: a literal here is exactly one literal token of the lexer, a
// comment exactly one comment the lexer skips, and at the edges of both the lexer starts a new
// token whatever they hold; so two texts with the same raw stretches and the same places and
// classes of literals and comments lex to the same tokens but for the literals' values, which
// the parser does not look into for the literals read here (plain strings and numbers). Where
// that would need more of the lexer's rules, the scan gives up:
//   - a quote right after a word or a parameter (E'', B'', X'', N'', names run into strings)
//     or after `&` (U&''), and a string continued on another line ('a'\n'b');
//   - a number not followed by white space, an operator or punctuation (1.5e3, 0x1F, 1_000,
//     1..2, 12abc), and a number starting with a dot (.5);
//   - a $ that starts neither a parameter nor a word ($$...$$, $tag$...$tag$);
//   - an unterminated string, quoted identifier or block comment.
// Parameters ($1) stay raw: texts of one statement carry the same numbers.
// `next` finds the next byte to look at (shape_event): next_shape_event, or its bytewise
// form, which tests compare it with.
template <class Sink, class Next>
bool scan_text_shape(std::string_view sql, Sink& sink, Next next) {
    const std::size_t n = sql.size();
    const char* p = sql.data();
    const auto at = [&](std::size_t i) -> unsigned char { return i < n ? static_cast<unsigned char>(p[i]) : 0; };
    const auto cls = [&](std::size_t i) { return k_shape_classes[at(i)]; };
    const auto digits_from = [&](std::size_t i) {
        while ((cls(i) & k_shape_digit) != 0) ++i;
        return i;
    };
    // The end of the quoted run whose opening quote is at `i` ("" or '' doubled inside);
    // npos when unterminated.
    const auto quoted_end = [&](std::size_t i, char quote) {
        for (++i;;) {
            const void* found = std::memchr(p + i, quote, n - i);
            if (found == nullptr) return std::string_view::npos;
            i = static_cast<std::size_t>(static_cast<const char*>(found) - p) + 1;
            if (at(i) != static_cast<unsigned char>(quote)) return i;
            ++i;
        }
    };
    std::size_t raw = 0; // where the raw stretch being read began
    std::size_t i = 0;
    const auto cut = [&](std::size_t begin, std::size_t end, auto emit) {
        sink.raw(sql, raw, begin);
        emit(begin, end);
        raw = end;
        i = end;
    };
    while ((i = next(p, i, n)) < n) {
        switch (p[i]) {
        case '\'': {
            // After a word's or a parameter's last byte (a number just read has been cut, so
            // raw == i): a prefixed string (E'', B'', X'', N'') or a name run into it.
            if (i > raw && (cls(i - 1) & k_shape_word) != 0) return false;
            const std::size_t end = quoted_end(i, '\'');
            if (end == std::string_view::npos) return false;
            std::size_t after = end;
            bool newline = false;
            for (; has(static_cast<char>(at(after)), k_space); ++after) newline = newline || p[after] == '\n';
            if (newline && at(after) == '\'') return false;
            cut(i, end, [&](std::size_t b, std::size_t e) { sink.literal(b, e, LiteralClass::string); });
            break;
        }
        case '"': {
            const std::size_t end = quoted_end(i, '"');
            if (end == std::string_view::npos) return false;
            i = end; // a name: its bytes count
            break;
        }
        case '$': // parameters, $1$2 too; any other $ after a parameter may start a dollar quote
            do {
                if ((cls(i + 1) & k_shape_digit) == 0) return false;
                i = digits_from(i + 1);
            } while (at(i) == '$');
            break;
        case '-': { // --
            const void* newline = std::memchr(p + i, '\n', n - i);
            const std::size_t end = newline == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(newline) - p);
            cut(i, end, [&](std::size_t b, std::size_t e) { sink.comment(b, e); });
            break;
        }
        case '/': { // /*
            std::size_t end = i + 2;
            for (int nesting = 1; nesting > 0; ++end) {
                if (end + 1 >= n) return false;
                if (p[end] == '/' && p[end + 1] == '*') {
                    ++nesting;
                    ++end;
                } else if (p[end] == '*' && p[end + 1] == '/') {
                    --nesting;
                    ++end;
                }
            }
            cut(i, end, [&](std::size_t b, std::size_t e) { sink.comment(b, e); });
            break;
        }
        case '.': // before a digit: .5
        case '&': // before a quote: U&''
            return false;
        default: { // a digit: a number (the byte before it is no part of a word)
            std::size_t end = digits_from(i + 1);
            bool integer = true;
            if (at(end) == '.') {
                if (at(end + 1) == '.') return false;
                end = digits_from(end + 1);
                integer = false;
            }
            if ((cls(end) & k_shape_word) != 0 || at(end) == '.') return false;
            const LiteralClass kind =
                integer && fits_int32(sql.substr(i, end - i)) ? LiteralClass::integer : LiteralClass::numeric;
            cut(i, end, [&](std::size_t b, std::size_t e) { sink.literal(b, e, kind); });
            break;
        }
        }
    }
    sink.raw(sql, raw, n);
    return true;
}

} // namespace

std::optional<std::uint64_t> text_shape_key(std::string_view sql) {
    ShapeHash hash;
    if (!scan_text_shape(sql, hash, NextShapeEvent{})) return std::nullopt;
    return hash.state;
}

std::optional<std::vector<ShapeSpan>> text_shape_spans(std::string_view sql, bool bytewise) {
    struct Spans {
        std::vector<ShapeSpan> spans;
        void raw(std::string_view, std::size_t, std::size_t) {}
        void literal(std::size_t begin, std::size_t end, LiteralClass) { spans.push_back({begin, end, false}); }
        void comment(std::size_t begin, std::size_t end) { spans.push_back({begin, end, true}); }
    } spans;
    const bool vouched = bytewise ? scan_text_shape(sql, spans, next_shape_event_bytewise)
                                  : scan_text_shape(sql, spans, NextShapeEvent{});
    if (!vouched) return std::nullopt;
    return std::move(spans.spans);
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
