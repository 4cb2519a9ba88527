// Reads a SQL script the way psql does: SQL statements ended by `;` (outside parentheses and
// BEGIN ATOMIC bodies), psql's backslash meta-commands, `COPY ... FROM STDIN` data and
// `\quit`. The statement splitter of sqlparse::parse_script sits on it.
//
// What psql does, and so what the reader does:
// - A backslash outside quotes and comments starts a meta-command. Its arguments end at the
//   end of the line or at the next unquoted backslash; `\\` ends them and SQL resumes on the
//   same line. `\copy`, `\!`, `\h`, `\sf`, `\sv`, `\ef` and `\ev` take the whole rest of the
//   line, and an unknown command has the rest of its line thrown away.
// - `\g`, `\gx`, `\gset`, `\gexec`, `\gdesc`, `\crosstabview` and `\watch` send the statement
//   typed so far: they end it. `\r` discards it. Any other command inside a statement leaves
//   it open: the statement continues after the command's line (the command is a hole in it).
// - `\;` puts a semicolon into the statement without sending it: the server then runs two
//   statements, and the reader ends a statement there. `\:` is a literal colon.
// - `\quit` (`\q`) ends the script, except on a line that starts with `\echo`: extension
//   scripts guard themselves with `\echo Use "CREATE EXTENSION ..." \quit`, and CREATE
//   EXTENSION removes such lines before it runs the rest.
// - After `COPY ... FROM STDIN;` (and `\copy ... from stdin`) the data lines follow, from
//   the next line up to a line `\.`; they are not SQL. Several COPYs sent on one line
//   (`COPY a FROM stdin\; COPY b FROM stdin;`) read one block each, in turn.
// - `SET standard_conforming_strings = off` makes backslashes escape quotes in '...'.
// Variables (:name, :'name', :"name", :{?name}) are psql_variable tokens; the statement says
// it has some, so that the parser can put placeholders of the same size in their place.
//
// The reader keeps its state between calls (COPY data pending, \quit seen, the strings
// setting), so it can be fed a growing buffer: with `final` false it returns nothing rather
// than an item that might continue past the end of the text. A reader of a large script
// drops the text it has read (discard()) and keeps only the item in progress; COPY data
// comes out a line at a time in that case, so a large COPY block is never held whole, and
// white space and comments before a statement are read as they come (read_to()), so neither
// is a large comment; a statement item starts after them.
#pragma once

#include "sqlparse/lexer.hpp"
#include "sqlparse/query_model.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse {

/// A backslash meta-command: `\set ON_ERROR_STOP on`.
struct MetaCommand {
    int begin = 0;    // the backslash
    int name_end = 0; // end of the command name (`\set`)
    int end = 0;      // end of its arguments (before the newline or the next backslash)
    bool known = true; // a command psql 15-18 knows
};

struct ScriptItem {
    enum class Kind : std::uint8_t {
        statement,    // SQL text [begin, end), the terminator excluded
        meta_command, // `command`
        copy_data,    // lines of COPY FROM STDIN data, through the `\.` line; with `final`
                      // false, the complete lines so far (the block goes on in the next item)
    };
    Kind kind = Kind::statement;
    int begin = 0;
    int end = 0;
    int next = 0;           // where the next item starts
    int nul_offset = -1;    // statement: first NUL byte, -1 when none
    bool variables = false; // statement: holds psql_variable tokens
    /// statement: meta-commands that psql runs while the statement is still being typed (they
    /// do not end it): holes to blank before the text is parsed. Also `\:` (a literal colon;
    /// the backslash is the hole).
    std::vector<MetaCommand> holes;
    /// statement: CREATE EXTENSION's placeholders (`@extschema@`, `@extowner@`,
    /// `@extschema:name@`), which it replaces before running an extension script; they parse
    /// as a name of the same size. Each is one identifier token in the token list.
    std::vector<Span> placeholders;
    MetaCommand command; // meta_command: the command
    bool quit = false;   // meta_command: \quit ended the script
};

struct ScriptOptions {
    /// Read psql's meta-commands and variables. Without it the text is plain SQL (a
    /// pg_stat_statements entry, a statement from a log): a backslash is a stray byte.
    bool psql = true;
};

class ScriptReader {
public:
    explicit ScriptReader(ScriptOptions options = {}) : m_options(options) {}

    /// The next item of `text` from offset `from` (the previous item's `next`), skipping
    /// white space and comments; nullopt at the end of the script. The statement's tokens are
    /// appended to `tokens` when given. With `final` false, `text` is a prefix of the script:
    /// an item that reaches the end of `text` is not returned (nullopt, state unchanged)
    /// because more input may extend it.
    std::optional<ScriptItem> next(std::string_view text, int from, bool final,
                                   std::vector<Token>* tokens);

    /// The caller drops the first `count` bytes of `text` (at most the `next` of the last
    /// item returned): the next call's text starts with what followed them. Positions the
    /// reader keeps move with the text.
    void discard(std::string_view text, int count);

    /// After next() returned nullopt with `final` false: the text before this offset is read
    /// (items handed out, then white space and comments) and may be discarded; the next call
    /// goes on from here. White space and comments before a statement are read as they
    /// arrive, so a caller that discards up to here never holds a large comment whole. (A
    /// caller may instead go on from the last item's `next`, as before.)
    int read_to() const { return m_read_to; }

    /// True after `\quit`: the rest of the script is not read.
    bool finished() const { return m_finished; }
    /// True when the text read so far ends inside a `/* ...` comment before a statement; at
    /// the end of the script psql sends it and the server answers "unterminated /* comment".
    bool in_block_comment() const { return m_open_comment > 0; }
    /// Where that comment begins, in the current text: negative when discard() dropped it.
    int block_comment_begin() const { return m_open_comment_at; }
    /// True when the script turned out to be an extension script (the `\echo ... \quit`
    /// guard).
    bool extension_script() const { return m_extension_script; }

private:
    std::optional<ScriptItem> copy_data(std::string_view text, int from, bool final);
    // A statement (or the meta-command that comes first) from `from`. Sets `blank_until`
    // and returns nothing when the text up to a `;` held no token.
    std::optional<ScriptItem> statement(std::string_view text, int from, int limit, bool final,
                                        std::vector<Token>* tokens, int& blank_until);
    // A COPY FROM STDIN was sent at `terminator`: its data block follows the line.
    void expect_copy_data(int terminator);

    ScriptOptions m_options;
    bool m_finished = false;
    int m_copy_blocks = 0;     // COPY FROM STDIN data blocks to skip
    int m_copy_terminator = 0; // where the first such COPY ended: the data starts after its
                               // line; -1: at the start of the text (the line was discarded)
    // The first bytes (up to 5, enough for `\echo`) of the line the text starts in the middle
    // of, when discard() cut a line; empty when the text starts at a line start.
    std::string m_line_head;
    bool m_standard_strings = true;
    bool m_extension_script = false;
    // A comment before a statement that the text ended inside: 0 none, -1 a line comment,
    // n > 0 a block comment nested n deep. The next text goes on inside it.
    int m_open_comment = 0;
    int m_open_comment_at = 0; // where the outermost open block comment began
    int m_read_to = 0;
};

/// Where a meta-command starting at text[begin] (a backslash) ends, by psql's rules for its
/// arguments: `end` is the end of its arguments, `next` where reading goes on (past a `\\`
/// separator).
struct MetaCommandExtent {
    MetaCommand command;
    int next = 0;
};
MetaCommandExtent scan_meta_command(std::string_view text, int begin);

/// The command's name without the backslash: "set", "gset", "dt+".
std::string_view meta_command_name(std::string_view text, const MetaCommand& command);

/// The placeholder a psql variable token stands for while the statement is parsed: the same
/// number of bytes, starting at the same offset, of the token class the variable takes:
/// `:name` -> `_name` (an identifier; with `number`, `0` and spaces), `:'name'` -> `'name' `
/// (a string), `:"name"` -> `"name" ` (a quoted identifier), `:{?name}` -> `true` and spaces.
void write_variable_placeholder(std::string_view variable, char* out, bool number);

} // namespace dbadvise::sqlparse
