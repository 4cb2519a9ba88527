// Private to sqlparse: a small SQL lexer that mirrors PostgreSQL's rules for comments, quoted
// strings, quoted identifiers and dollar quoting. It finds statement boundaries quickly (to
// cut a script into batches for the parser) and gives token extents, which libpg_query does
// not report (its parse tree carries start locations only).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse::detail {

enum class TokenKind : std::uint8_t {
    word,              // identifier or keyword, unquoted
    quoted_identifier, // "Name"
    string,            // '...', E'...', B'...', X'...', N'...', U&'...', $tag$...$tag$
    number,
    parameter,         // $1
    op,                // a run of operator characters
    punct,             // ( ) [ ] , ; . : and ::
};

struct Token {
    int begin = 0;
    int end = 0;
    TokenKind kind = TokenKind::punct;
};

/// One statement piece found by `split_statements`: [begin, end) excludes the `;`.
struct Piece {
    int begin = 0;
    int end = 0;
    int nul_offset = -1; // first NUL byte inside the piece, -1 when none
    bool has_tokens = false; // false for pieces of only whitespace and comments
};

/// Scans `text` from `from` to the next top-level `;` (or the end). Returns the piece; the
/// `;` itself, when present, sits at `piece.end`. Appends the piece's tokens to `tokens`
/// when given (the `;` excluded).
Piece next_piece(std::string_view text, int from, std::vector<Token>* tokens = nullptr);

/// Appends the tokens of text[begin, end) to `out` (offsets are into `text`).
void tokenize(std::string_view text, int begin, int end, std::vector<Token>& out);

/// Length in bytes of the character starting at `byte`, by PostgreSQL's UTF-8 rule
/// (pg_utf_mblen): how the server counts characters for error positions.
int utf8_char_length(unsigned char byte);

/// True when the token's text equals `word` ignoring ASCII case.
bool token_is(std::string_view text, const Token& token, std::string_view word);

} // namespace dbadvise::sqlparse::detail
