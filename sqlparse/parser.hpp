// Entry points of sqlparse: split a script into statements and turn each into the query model.
// This and the other sqlparse headers are the only API; pg_query.h stays inside sqlparse/*.cpp.
#pragma once

#include "sqlparse/lexer.hpp"
#include "sqlparse/query_model.hpp"

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse {

/// What parse_script computes besides the model.
struct ParseOptions {
    /// Fill Statement::fingerprint. By default it is computed from the statement's tokens
    /// (keywords and identifiers case-folded; literals and parameters alike replaced by a
    /// placeholder; comments and whitespace ignored): equal for statements that differ only in
    /// constants and formatting, at almost no cost.
    bool fingerprint = true;
    /// Use libpg_query's fingerprint instead (the value `fingerprint()` returns). libpg_query
    /// parses the statement a second time for it, which doubles the cost of a script.
    bool libpg_query_fingerprint = false;
    /// Where libpg_query runs. With `automatic`, a text of 256 kB or more is parsed on a
    /// second thread (when the machine has more than one CPU) while the calling thread reads
    /// the parse trees, builds the query model and runs the sink on the statements before.
    /// The sink is always called on the calling thread, in source order, whichever is chosen.
    enum class Threading { automatic, never, always };
    Threading threading = Threading::automatic;
    /// Read the text as psql reads a script: meta-commands (`\set`, `\echo`, `\gset`, ...)
    /// are not SQL, `\quit` ends the script, `COPY ... FROM STDIN` data is skipped, and psql
    /// variables (`:name`, `:'name'`, `:"name"`) parse as placeholders of their kind. Off
    /// for plain SQL, where a backslash is a syntax error.
    bool psql = true;
    /// Also parse the statements function bodies run (CREATE FUNCTION / PROCEDURE, DO):
    /// PL/pgSQL through libpg_query's PL/pgSQL parser, SQL bodies as SQL. They follow their
    /// CREATE or DO statement, with Statement::origin saying where they come from, and
    /// locations in the script; a body that does not parse is an error of kind function_body.
    bool function_bodies = true;
    /// Statements longer than this many bytes are not given to libpg_query: an error of kind
    /// too_large takes their place and the rest of the script is still parsed. libpg_query's
    /// tree and JSON and the query model take some 50 times a statement's size (an IN list
    /// of 2 million values, 16 MB, needed 800 MB), so this bounds memory by the limit, not by
    /// the largest statement. 0: no limit.
    std::size_t max_statement_bytes = k_default_max_statement_bytes;
    static constexpr std::size_t k_default_max_statement_bytes = std::size_t{1} << 20;
};

/// Splits `text` into statements (comments and strings respected) and parses each one.
/// Returns one entry per statement in source order; a statement the parser rejects is an
/// entry with `error` set, and the others are still parsed. Never throws for bad SQL.
/// Offsets in the result are byte offsets into `text`.
std::vector<ParsedStatement> parse_script(std::string_view text);
std::vector<ParsedStatement> parse_script(std::string_view text, const ParseOptions& options);

/// Streaming form of parse_script: calls `sink` with each statement in source order and keeps
/// no statement after the call, so memory stays bounded by one batch of statements however
/// large the script is. Use it for big files.
void parse_script(std::string_view text, const ParseOptions& options,
                  const std::function<void(ParsedStatement&&)>& sink);

class ScriptReader;

/// parse_script for a script that arrives in pieces (a file read in chunks, standard input),
/// so that only the statement in progress is held, not the script. Each feed() call parses
/// the items of `text` that are complete and calls `sink` with their statements (offsets
/// into that call's `text`, as parse_script gives them), then says how many bytes at the
/// start of `text` it has read: the caller drops those and calls again with the rest
/// followed by the input that came next, with `final` true at the end of the script. The
/// statements, errors and their order are those parse_script gives for the whole text,
/// wherever the pieces are cut.
class ScriptFeed {
public:
    explicit ScriptFeed(const ParseOptions& options);
    ~ScriptFeed();
    ScriptFeed(const ScriptFeed&) = delete;
    ScriptFeed& operator=(const ScriptFeed&) = delete;

    /// The bytes of `text` read; all of it when `final`.
    std::size_t feed(std::string_view text, bool final,
                     const std::function<void(ParsedStatement&&)>& sink);
    /// True after psql's `\quit`: the rest of the script is not read (feed() reads nothing).
    bool finished() const;
    /// After a feed() that was not final: the text read ends inside a `/* ...` comment that
    /// began at this offset of the next text (negative: in text already read). The final
    /// feed() reports it as "unterminated /* comment" unless it closes; a caller that drops
    /// the text it has read uses this to say where it began.
    std::optional<int> open_block_comment() const;

private:
    ParseOptions m_options;
    std::unique_ptr<ScriptReader> m_reader;
    bool m_started = false; // a byte order mark is skipped at the script's start only
};

/// Parses `text` as one statement (for example a pg_stat_statements entry with $n
/// parameters). Offsets are byte offsets into `text`. A text of several statements yields
/// the first; an empty text yields an error.
ParsedStatement parse_statement(std::string_view text);

/// True when `sql` parses without error (used to check suggested rewrites).
bool parses(std::string_view sql);

/// libpg_query's normalization: constants replaced by $n. Error on a syntax error.
std::expected<std::string, ParseError> normalize(std::string_view sql);

/// The token fingerprint parse_script puts in Statement::fingerprint, for one statement's
/// text: 16 hex digits, equal for texts that differ only in literal values, parameter
/// numbers, comments, whitespace or keyword case. Lexer only (no parse): cheap enough to run
/// on every line of a server log. Never fails.
std::string token_fingerprint(std::string_view sql);

/// libpg_query's fingerprint as 16 hex digits: equal for statements that differ only in
/// constants and formatting. Error on a syntax error.
std::expected<std::string, ParseError> fingerprint(std::string_view sql);

} // namespace dbadvise::sqlparse
