// The one SQL lexer of dbadvise: PostgreSQL's lexical rules (scan.l), plus psql's variables
// when asked. Everything that looks at SQL text token by token uses it: the statement
// splitter and the model builder in sqlparse, the rules' clause finder, the health checks,
// the index advisor and the workload reader.
//
// Tokens carry byte offsets into the text they were cut from and their parenthesis and
// bracket nesting depth. The lexer never fails: an unterminated string, quoted identifier,
// dollar quote or comment runs to the end of the range and is flagged; a byte that starts no
// token becomes an `other` token. It holds no state beyond its position, so a caller that
// reads a script in chunks can restart it at any token boundary.
#pragma once

#include "util/ascii.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse {

enum class TokenKind : std::uint8_t {
    identifier,         // an unquoted word: keyword or name (the grammar tells them apart)
    quoted_identifier,  // "Name", with "" standing for one quote
    unicode_identifier, // U&"d\0061t" (an optional UESCAPE 'c' follows as separate tokens)
    string,             // 'text', continued over lines as PostgreSQL allows
    escape_string,      // E'text' (backslash escapes)
    national_string,    // N'text'
    unicode_string,     // U&'d\0061t'
    dollar_string,      // $$text$$, $tag$text$tag$
    bit_string,         // B'0101'
    hex_string,         // X'1F'
    integer,            // 42; and PostgreSQL 16's 1_000, 0x1F, 0o17, 0b101
    numeric,            // 1.5, .5e3, 1e10, 100.
    parameter,          // $1
    op,                 // + - * / < > = and any run of operator characters: <=, <>, ->>, @>
    typecast,           // ::
    colon_equals,       // :=
    dot_dot,            // ..
    open_paren,         // (
    close_paren,        // )
    open_bracket,       // [
    close_bracket,      // ]
    comma,              // ,
    semicolon,          // ;
    colon,              // :
    dot,                // .
    psql_variable,      // :name, :'name', :"name", :{?name} (LexOptions::psql only)
    line_comment,       // -- to the end of the line (LexOptions::comments only)
    block_comment,      // /* ... */, nested (LexOptions::comments only)
    other,              // a byte that starts no token: a backslash, a lone $, NUL, ...
};

/// Token::flags bits.
inline constexpr std::uint8_t k_token_unterminated = 1; // string/identifier/comment ran to the end

struct Token {
    std::int32_t begin = 0; // byte offset of the first byte
    std::int32_t end = 0;   // byte offset after the last byte
    /// Parentheses and brackets open around the token. An opening token has the depth outside
    /// it and its closing token the same depth, so a matching pair has equal depths; an
    /// unbalanced closing token goes below zero.
    std::int32_t depth = 0;
    TokenKind kind = TokenKind::other;
    std::uint8_t flags = 0;

    int size() const { return end - begin; }
    bool unterminated() const { return (flags & k_token_unterminated) != 0; }
};

struct LexOptions {
    /// Report comments as line_comment and block_comment tokens instead of skipping them.
    bool comments = false;
    /// psql's variables: `:name`, `:'name'`, `:"name"` and `:{?name}` become psql_variable
    /// tokens. Inside brackets `:name` stays an array slice (`a[1:n]`), as psql leaves names
    /// it does not know.
    bool psql = false;
    /// With standard_conforming_strings off a backslash escapes the next byte in '...' too.
    bool standard_conforming_strings = true;
};

/// Cuts text[begin, end) into tokens, one call to next() at a time; white space (and
/// comments, unless asked for) is skipped.
class Lexer {
public:
    Lexer(std::string_view text, int begin, int end, LexOptions options = {});
    Lexer(std::string_view text, LexOptions options = {})
        : Lexer(text, 0, static_cast<int>(text.size()), options) {}

    /// Fills `token` with the next token and returns true; false at the end of the range.
    bool next(Token& token);
    /// Offset of the next byte to read.
    int position() const { return m_pos; }
    /// Parentheses and brackets open at position().
    int depth() const { return m_depth; }
    /// Moves to `position` (forward), keeping the nesting depth: for a caller that skips
    /// text that is not SQL (a psql meta-command inside a statement).
    void skip_to(int position) { m_pos = position < m_end ? position : m_end; }

private:
    friend std::uint64_t token_shape_key(std::string_view sql);
    bool scan(Token& token);
    void skip_line_comment();
    bool skip_block_comment(); // false when unterminated
    void scan_quoted(Token& token, char quote, bool backslash, bool doubled, bool continued);
    void scan_dollar_string(Token& token, int tag_end);
    void scan_number(Token& token);
    void scan_operator(Token& token);
    bool scan_psql_variable(Token& token);

    std::string_view m_text;
    int m_pos;
    int m_end;
    int m_depth = 0;
    int m_brackets = 0;
    LexOptions m_options;
};

/// Appends the tokens of text[begin, end) to `out`.
void lex(std::string_view text, int begin, int end, std::vector<Token>& out,
         LexOptions options = {});
/// The tokens of text[begin, end).
std::vector<Token> lex(std::string_view text, int begin, int end, LexOptions options = {});
/// The tokens of the whole text.
std::vector<Token> lex(std::string_view text, LexOptions options = {});

/// The token's bytes.
inline std::string_view token_text(std::string_view text, const Token& token) {
    return text.substr(static_cast<std::size_t>(token.begin),
                       static_cast<std::size_t>(token.end - token.begin));
}

/// True when `token` is an unquoted word equal to `word`, ignoring ASCII case.
/// Inline: the model builder asks it of every token it scans (is this CASE, END, OVER?),
/// and most tokens fail the kind or length test, which should cost no call.
inline bool token_is(std::string_view text, const Token& token, std::string_view word) {
    if (token.kind != TokenKind::identifier ||
        static_cast<std::size_t>(token.end - token.begin) != word.size()) {
        return false;
    }
    const char* p = text.data() + token.begin;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (util::ascii_lower(p[i]) != util::ascii_lower(word[i])) {
            return false;
        }
    }
    return true;
}

/// True for the kinds that stand for a string constant (every quoting form).
bool is_string_kind(TokenKind kind);
/// True for literal constants: strings, bit strings, numbers.
bool is_literal_kind(TokenKind kind);
/// True for names: unquoted, quoted and Unicode-escaped identifiers.
bool is_name_kind(TokenKind kind);

/// The name a name token stands for, as PostgreSQL stores it: unquoted words with ASCII
/// letters folded to lower case, quoted identifiers with their quotes removed and "" undone,
/// U&"..." with its escapes decoded (`escape` from a following UESCAPE clause). Not
/// truncated to NAMEDATALEN. Empty for other kinds.
std::string identifier_value(std::string_view text, const Token& token, char escape = '\\');

/// The number of a `$n` parameter token; 0 for other tokens or numbers too large to be one.
int parameter_number(std::string_view text, const Token& token);

/// The escape character of the UESCAPE clause after tokens[index] (a unicode_identifier or
/// unicode_string), or '\\' when there is none.
char unicode_escape(std::string_view text, const std::vector<Token>& tokens, std::size_t index);

/// A 64-bit key for grouping many texts in memory (a server log's records): two texts with
/// the same key have the same token_fingerprint (parser.hpp), up to 64-bit hash collisions,
/// and either both parse or neither does. So the key is a little finer than the fingerprint:
/// literals count by what the grammar sees of them (a string, an integer of 32 bits, a
/// larger or decimal number, a bit or hex string, a parameter), and E'' and U&'' strings
/// and PostgreSQL 16's 0x1F and 1_000 by their bytes. Several times cheaper to compute than
/// the fingerprint, and allocates nothing; not the fingerprint's value and not stable across
/// versions: never store or show it.
std::uint64_t token_shape_key(std::string_view sql);

/// A cheaper key for the same grouping, where it can vouch for the text: two texts with the
/// same text_shape_key have the same token_fingerprint (up to 64-bit hash collisions) and
/// either both parse or neither does, but texts of one fingerprint may get different keys
/// when they differ in more than the values of literals of one class (see token_shape_key)
/// and comments: spacing, keyword case, parameter numbers. It reads the text's bytes
/// and steps over literals without cutting the rest into tokens, some twice as fast as
/// token_shape_key. nullopt for the texts whose literals it does not read exactly as the
/// lexer does (E'' strings, dollar quotes, 1.5e3, ...): use token_shape_key for those. Keep
/// the two keys apart (they are not comparable); same warnings as token_shape_key.
std::optional<std::uint64_t> text_shape_key(std::string_view sql);

/// The literals (and comments) text_shape_key leaves out of its key, in order, as byte
/// offsets; nullopt when it gives up on `sql`. For tests: a text whose spans are given other
/// contents must keep its token_fingerprint. `bytewise` looks at one byte at a time where
/// text_shape_key looks at sixteen (SSE2): both must find the same spans.
struct ShapeSpan {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool comment = false;
};
std::optional<std::vector<ShapeSpan>> text_shape_spans(std::string_view sql, bool bytewise = false);

/// Length in bytes of the character starting with `byte`, by PostgreSQL's UTF-8 rule
/// (pg_utf_mblen): how the server counts characters for error positions.
int utf8_char_length(unsigned char byte);

} // namespace dbadvise::sqlparse
