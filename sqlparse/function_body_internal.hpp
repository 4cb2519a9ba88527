// Private to sqlparse: the SQL inside function bodies. For a CREATE FUNCTION / PROCEDURE or
// DO statement, finds the statements its body runs, as text the SQL parser can read whose
// bytes line up with the script's, so that locations map back to the file unchanged:
// - LANGUAGE sql with a string body ('...' or $$...$$): the body's statements;
// - RETURN expr (SQL-standard body): `SELECT expr`, written over the RETURN keyword;
// - PL/pgSQL (CREATE FUNCTION ... LANGUAGE plpgsql, DO): libpg_query's PL/pgSQL parser
//   (pg_query_parse_plpgsql) lists the SQL statements (plain SQL, PERFORM, RETURN QUERY,
//   FOR ... IN query, OPEN ... FOR query, cursor declarations), each found in the body by its
//   line number and text.
// BEGIN ATOMIC bodies need none of this: libpg_query parsed their statements with the
// function, and the parser takes them from its tree.
#pragma once

#include "sqlparse/json_tree_internal.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/query_model.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse::detail {

/// SQL inside a function body: the text to parse, which stands for the script's bytes
/// [begin, begin + parse_text.size()) byte for byte.
struct BodySql {
    int begin = 0;
    std::string parse_text;
};

struct FunctionBody {
    std::vector<BodySql> sql;
    /// The body was a '...' string: its statements are the body's text with '' undone, so
    /// their source text (with '' still doubled) is not standalone SQL.
    bool quoted = false;
    /// The body that does not parse (kind function_body), when it does not.
    std::optional<ParseError> error;
};

/// The SQL of the body of `stmt` (a CreateFunctionStmt or DoStmt node, with locations
/// relative to `base`), whose text is `text[span]` and tokens `tokens`; `parse_text` is the
/// text libpg_query parsed for the statement (psql variables replaced), aligned with `span`.
/// Empty for other statements, other languages and C functions.
FunctionBody function_body(JsonRef stmt, std::string_view text, int base, Span span,
                           std::span<const Token> tokens, std::string_view parse_text);

/// The text a '...' literal's content stands for, with the same size: each '' pair is one
/// quote and one space, the space put outside the quoted text it belongs to (before a quote
/// that opens a literal, after one that closes it), so literals inside keep their value.
std::string unquote_aligned(std::string_view content);

} // namespace dbadvise::sqlparse::detail
