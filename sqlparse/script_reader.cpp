// psql's reading of a script (src/bin/psql/mainloop.c, src/fe_utils/psqlscan.l and
// psqlscanslash.l), reduced to what a linter needs: where statements start and end, and which
// text is not SQL.
#include "sqlparse/script_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <string>

namespace dbadvise::sqlparse {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return fold(x) == fold(y); });
}

// psql's meta-commands (psql 15 to 18, `\?`), apart from the \d family and \lo_*.
constexpr std::array<std::string_view, 83> k_commands = {
    "!", "?", "a", "bind", "bind_named", "c", "C", "cd", "close", "close_prepared", "connect",
    "conninfo", "copy", "copyright", "crosstabview", "e", "echo", "edit", "ef", "elif", "else",
    "encoding", "endif", "endpipeline", "errverbose", "ev", "f", "flush", "flushrequest", "g",
    "gdesc", "getenv", "getresults", "gexec", "gset", "gx", "h", "H", "help", "html", "i", "if",
    "include", "include_relative", "ir", "l", "list", "o", "out", "p", "parse", "password",
    "print", "prompt", "pset", "q", "qecho", "quit", "r", "reset", "restrict", "s",
    "sendpipeline", "set", "setenv", "sf", "startpipeline", "sv", "syncpipeline", "t", "T",
    "timing", "unrestrict", "unset", "w", "warn", "watch", "write", "x", "z", "sf+", "sv+", "l+",
};

bool known_command(std::string_view name) {
    if (std::find(k_commands.begin(), k_commands.end(), name) != k_commands.end()) {
        return true;
    }
    // \d and its family (\dt, \dS+, \dx+, \dconfig, ...): letters and the + and x modifiers.
    if (name.starts_with("d")) {
        return std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+';
        });
    }
    return name.starts_with("lo_") && name.size() > 3;
}

// Commands that take the whole rest of their line as one argument, backslashes included.
bool whole_line_command(std::string_view name) {
    return name == "!" || name == "copy" || name == "h" || name == "help" || name == "ef" ||
           name == "ev" || name == "sf" || name == "sv" || name == "sf+" || name == "sv+";
}

// Commands that send the statement typed so far.
bool sends_statement(std::string_view name) {
    return name == "g" || name == "gx" || name == "gset" || name == "gexec" ||
           name == "gdesc" || name == "crosstabview" || name == "watch" ||
           name == "sendpipeline";
}

int line_end(std::string_view text, int from) {
    const std::size_t newline = text.find('\n', static_cast<std::size_t>(from));
    return newline == std::string_view::npos ? static_cast<int>(text.size())
                                             : static_cast<int>(newline);
}

int line_start(std::string_view text, int at) {
    const std::size_t newline = at > 0 ? text.rfind('\n', static_cast<std::size_t>(at - 1))
                                       : std::string_view::npos;
    return newline == std::string_view::npos ? 0 : static_cast<int>(newline) + 1;
}

// True when the whole-line arguments of `\copy` read the data from the script itself.
// The file name of a COPY or \copy that means "the client" (PostgreSQL's grammar and psql's
// \copy both take STDOUT as STDIN's synonym after FROM): its data follows in the script.
bool client_data_file(std::string_view text, const Token& token) {
    return token_is(text, token, "stdin") || token_is(text, token, "stdout");
}

bool copy_from_inline_stdin(std::string_view arguments) {
    const std::vector<Token> tokens = lex(arguments);
    // \copy (query) only copies out: a query cannot be the target of FROM.
    if (!tokens.empty() && tokens.front().kind == TokenKind::open_paren) {
        return false;
    }
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (token_is(arguments, tokens[i], "from") && client_data_file(arguments, tokens[i + 1])) {
            return true;
        }
    }
    return false;
}

// COPY ... FROM STDIN: the data follows in the script.
bool copy_from_stdin(std::string_view text, std::span<const Token> tokens) {
    // COPY (query) FROM is a syntax error: the server refuses it and psql reads no data.
    if (tokens.size() < 2 || !token_is(text, tokens.front(), "copy") ||
        tokens[1].kind == TokenKind::open_paren) {
        return false;
    }
    for (std::size_t i = 1; i + 1 < tokens.size(); ++i) {
        if (tokens[i].depth == 0 && token_is(text, tokens[i], "from") &&
            client_data_file(text, tokens[i + 1])) {
            return true;
        }
    }
    return false;
}

// `SET [SESSION|LOCAL] standard_conforming_strings {=|TO} value`: the new value, if this is one.
std::optional<bool> standard_strings_setting(std::string_view text, std::span<const Token> tokens) {
    std::size_t i = 0;
    if (tokens.empty() || !token_is(text, tokens[i++], "set")) {
        return std::nullopt;
    }
    if (i < tokens.size() && (token_is(text, tokens[i], "session") || token_is(text, tokens[i], "local"))) {
        ++i;
    }
    if (i + 2 >= tokens.size() || !token_is(text, tokens[i], "standard_conforming_strings") ||
        !(token_is(text, tokens[i + 1], "to") || token_text(text, tokens[i + 1]) == "=")) {
        return std::nullopt;
    }
    i += 2;
    std::string_view value = token_text(text, tokens[i]);
    if (tokens[i].kind == TokenKind::string && value.size() >= 2) {
        value = value.substr(1, value.size() - 2);
    }
    if (iequals(value, "off") || iequals(value, "false")) {
        return false;
    }
    if (iequals(value, "on") || iequals(value, "true")) {
        return true;
    }
    return std::nullopt;
}

// CREATE EXTENSION's placeholders among `tokens` (a statement's): `@extschema@`,
// `@extowner@`, `@extschema:name@`, each lexed as several adjacent tokens. Merges each into one
// identifier token and records its span.
void merge_extension_placeholders(std::string_view text, std::vector<Token>& tokens,
                                  std::size_t first, std::vector<Span>& spans) {
    const auto is_at = [&](std::size_t i) {
        return i < tokens.size() && tokens[i].kind == TokenKind::op &&
               token_text(text, tokens[i]).starts_with('@');
    };
    for (std::size_t i = first; i + 2 < tokens.size(); ++i) {
        const std::string_view word = token_text(text, tokens[i + 1]);
        if (!is_at(i) || tokens[i].size() != 1 || tokens[i + 1].begin != tokens[i].end ||
            tokens[i + 1].kind != TokenKind::identifier ||
            (word != "extschema" && word != "extowner")) {
            continue;
        }
        std::size_t last = i + 2;
        if (word == "extschema" && tokens[last].begin == tokens[i + 1].end) {
            // @extschema:name@ (PostgreSQL 16): `:name` is a psql variable or `:` and a name.
            if (tokens[last].kind == TokenKind::psql_variable) {
                ++last;
            } else if (tokens[last].kind == TokenKind::colon && last + 1 < tokens.size() &&
                       tokens[last + 1].kind == TokenKind::identifier &&
                       tokens[last + 1].begin == tokens[last].end) {
                last += 2;
            }
        }
        if (!is_at(last) || tokens[last].begin != tokens[last - 1].end) {
            continue;
        }
        Token merged = tokens[i];
        merged.end = tokens[last].begin + 1;
        merged.kind = TokenKind::identifier;
        if (tokens[last].size() == 1) {
            tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i + 1),
                         tokens.begin() + static_cast<std::ptrdiff_t>(last + 1));
        } else {
            // `@extschema@.` never happens, but `@extowner@>` would: keep the operator's rest.
            tokens[last].begin += 1;
            tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i + 1),
                         tokens.begin() + static_cast<std::ptrdiff_t>(last));
        }
        tokens[i] = merged;
        spans.push_back({merged.begin, merged.end});
    }
}

bool blank_byte(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Where the white space and comments from text[from] end, as the lexer reads them (block
// comments nest; a line comment ends at a newline). `open` carries a comment the text ends
// inside of into the next text: 0 none, -1 a line comment, n > 0 a block comment n deep.
// With `final` false a last byte that may be half of `--`, `/*` or `*/` is left unread.
int skip_blank(std::string_view text, int from, bool final, int& open, int& open_at) {
    const int size = static_cast<int>(text.size());
    const auto at = [&](int i) { return text[static_cast<std::size_t>(i)]; };
    int i = from;
    while (i < size) {
        if (open < 0) {
            const std::size_t eol = text.find('\n', static_cast<std::size_t>(i));
            if (eol == std::string_view::npos) {
                return size;
            }
            open = 0;
            i = static_cast<int>(eol) + 1;
        } else if (open > 0) {
            if (i + 1 >= size) {
                return final ? size : i;
            }
            if (at(i) == '/' && at(i + 1) == '*') {
                ++open;
                i += 2;
            } else if (at(i) == '*' && at(i + 1) == '/') {
                --open;
                i += 2;
            } else {
                ++i;
            }
        } else if (blank_byte(at(i))) {
            ++i;
        } else if (at(i) == '-' || at(i) == '/') {
            if (i + 1 >= size) {
                return i; // a token, or (not final) maybe the start of a comment
            }
            if (at(i + 1) != (at(i) == '-' ? '-' : '*')) {
                return i;
            }
            open = at(i) == '-' ? -1 : 1;
            if (open > 0) open_at = i;
            i += 2;
        } else {
            return i;
        }
    }
    return size;
}

} // namespace

void ScriptReader::expect_copy_data(int terminator) {
    m_copy_terminator = m_copy_blocks > 0 ? std::min(m_copy_terminator, terminator) : terminator;
    ++m_copy_blocks;
}

void ScriptReader::discard(std::string_view text, int count) {
    if (count <= 0) {
        return;
    }
    m_read_to -= count;
    m_open_comment_at -= count;
    const std::string_view dropped = text.substr(0, static_cast<std::size_t>(count));
    if (m_copy_blocks > 0 && m_copy_terminator >= 0) {
        if (m_copy_terminator >= count) {
            m_copy_terminator -= count;
        } else if (dropped.find('\n', static_cast<std::size_t>(m_copy_terminator)) ==
                   std::string_view::npos) {
            m_copy_terminator = 0; // the COPY's line goes on: its end is still ahead
        } else {
            m_copy_terminator = -1; // the data starts at the new text's start
        }
    }
    constexpr std::size_t k_head = 5;
    const std::size_t newline = dropped.rfind('\n');
    if (newline != std::string_view::npos) {
        m_line_head.assign(dropped.substr(newline + 1, k_head));
    } else if (m_line_head.size() < k_head) {
        m_line_head.append(dropped.substr(0, k_head - m_line_head.size()));
    }
}

MetaCommandExtent scan_meta_command(std::string_view text, int begin) {
    const int size = static_cast<int>(text.size());
    const int eol = line_end(text, begin);
    MetaCommandExtent extent;
    MetaCommand& command = extent.command;
    command.begin = begin;
    // The name: everything up to white space or the next backslash.
    int i = begin + 1;
    while (i < eol && !is_space(text[static_cast<std::size_t>(i)]) &&
           text[static_cast<std::size_t>(i)] != '\\') {
        ++i;
    }
    command.name_end = i;
    const std::string_view name = meta_command_name(text, command);
    command.known = known_command(name);
    if (name.empty() && i < size && text[static_cast<std::size_t>(i)] == '\\') {
        // `\\` on its own: the separator; nothing to run.
        command.name_end = i + 1;
        command.end = i + 1;
        extent.next = i + 1;
        return extent;
    }
    if (!command.known || whole_line_command(name)) {
        command.end = eol;
        extent.next = eol;
        return extent;
    }
    // Arguments: quoted words ('...' with '' and backslash escapes, "..." with "", `...`) and
    // bare words, up to the end of the line or an unquoted backslash.
    while (i < eol) {
        const char c = text[static_cast<std::size_t>(i)];
        if (c == '\\') {
            break;
        }
        if (c == '\'' || c == '"' || c == '`') {
            ++i;
            while (i < eol) {
                const char d = text[static_cast<std::size_t>(i)];
                if (c == '\'' && d == '\\' && i + 1 < eol) {
                    i += 2;
                    continue;
                }
                ++i;
                if (d == c) {
                    if (c != '`' && i < eol && text[static_cast<std::size_t>(i)] == c) {
                        ++i;
                        continue;
                    }
                    break;
                }
            }
            continue;
        }
        ++i;
    }
    // Trailing white space is not part of the command.
    int end = i;
    while (end > command.name_end && is_space(text[static_cast<std::size_t>(end - 1)])) {
        --end;
    }
    command.end = end;
    extent.next = i;
    if (i + 1 < eol + 1 && i < size && text[static_cast<std::size_t>(i)] == '\\' &&
        i + 1 < size && text[static_cast<std::size_t>(i + 1)] == '\\') {
        extent.next = i + 2; // `\\`: back to SQL on the same line
    }
    return extent;
}

std::string_view meta_command_name(std::string_view text, const MetaCommand& command) {
    return text.substr(static_cast<std::size_t>(command.begin + 1),
                       static_cast<std::size_t>(std::max(command.name_end - command.begin - 1, 0)));
}

void write_variable_placeholder(std::string_view variable, char* out, bool number) {
    const std::size_t size = variable.size();
    std::memset(out, ' ', size);
    if (size < 2) {
        return;
    }
    const char second = variable[1];
    if (second == '\'' || second == '"') {
        // :'name' -> 'name' and a space: the literal starts where the variable does.
        std::memcpy(out, variable.data() + 1, size - 1);
    } else if (second == '{') {
        std::memcpy(out, "true", std::min<std::size_t>(4, size));
    } else if (number) {
        out[0] = '0';
    } else {
        out[0] = '_';
        std::memcpy(out + 1, variable.data() + 1, size - 1);
    }
}

std::optional<ScriptItem> ScriptReader::copy_data(std::string_view text, int from, bool final) {
    const int size = static_cast<int>(text.size());
    // One block of lines per COPY sent, each ending with a line `\.` (or the end of the file).
    int pos = from;
    int blocks = m_copy_blocks;
    while (pos < size && blocks > 0) {
        const int eol = line_end(text, pos);
        if (eol == size && !final) {
            break; // the line may go on
        }
        std::string_view line = text.substr(static_cast<std::size_t>(pos),
                                            static_cast<std::size_t>(eol - pos));
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        pos = eol < size ? eol + 1 : size;
        if (line == "\\.") {
            --blocks;
        }
    }
    // When the data goes on past the text, the complete lines are handed out, so that a
    // reader that discards what it has read never holds a whole block.
    const bool more = blocks > 0 && !final;
    if (more ? pos == from : (pos >= size && !final)) {
        return std::nullopt;
    }
    m_copy_blocks = more ? blocks : 0;
    if (more) {
        m_copy_terminator = -1; // the data has started: what follows is data
    }
    ScriptItem item;
    item.kind = ScriptItem::Kind::copy_data;
    item.begin = from;
    item.end = pos;
    item.next = pos;
    return item;
}

std::optional<ScriptItem> ScriptReader::next(std::string_view text, int from, bool final,
                                             std::vector<Token>* tokens) {
    const int size = static_cast<int>(text.size());
    if (from != m_read_to) {
        m_open_comment = 0; // read from an item's end again, not from inside the comment
    }
    m_read_to = from;
    while (!m_finished && from < size) {
        // The rest of a COPY's line is read before its data, which starts on the next line.
        int limit = size;
        if (m_copy_blocks > 0) {
            if (m_copy_terminator < 0) {
                return copy_data(text, from, final); // the data has started
            }
            const int eol = line_end(text, m_copy_terminator);
            limit = eol < size ? eol + 1 : size;
            if (from >= limit && eol < size) {
                return copy_data(text, from, final);
            }
        }
        if (m_copy_blocks == 0) {
            // White space and comments before a statement are not part of it; they are read
            // here as they come, so that the caller can drop them (read_to()).
            from = skip_blank(text, from, final, m_open_comment, m_open_comment_at);
            m_read_to = from;
            if (from >= size || m_open_comment != 0) {
                return std::nullopt;
            }
        }
        int blank_until = -1;
        std::optional<ScriptItem> item = statement(text, from, limit, final, tokens, blank_until);
        if (item || blank_until < 0) {
            return item;
        }
        from = blank_until; // white space and comments only, up to a `;`: read on
    }
    return std::nullopt;
}

std::optional<ScriptItem> ScriptReader::statement(std::string_view text, int from, int limit,
                                                  bool final, std::vector<Token>* tokens,
                                                  int& blank_until) {
    const int size = limit;
    LexOptions options;
    options.psql = m_options.psql;
    options.standard_conforming_strings = m_standard_strings;
    std::vector<Token> local;
    std::vector<Token>& out = tokens != nullptr ? *tokens : local;
    const std::size_t first_token = out.size();

    ScriptItem item;
    item.begin = from;
    // psql's heuristic for BEGIN ATOMIC bodies: inside CREATE [OR REPLACE] FUNCTION or
    // PROCEDURE, at parenthesis depth 0, BEGIN opens a block that END closes (CASE too, once
    // inside one), and a semicolon inside a block does not end the statement.
    std::array<char, 4> leading{};
    std::size_t words = 0;
    int begin_depth = 0;
    int paren_depth = 0; // psql counts parentheses only, and never below zero
    Lexer lexer(text, from, size, options);
    Token token;
    bool finished_statement = false;
    int end = size;
    int next = size;
    while (lexer.next(token)) {
        const char first = text[static_cast<std::size_t>(token.begin)];
        if (token.kind == TokenKind::other && first == '\\' && m_options.psql) {
            const char second = token.begin + 1 < size ? text[static_cast<std::size_t>(token.begin + 1)] : '\0';
            if (second == ';') {
                // \; : a semicolon psql does not act on; the server runs two statements.
                end = token.begin;
                next = token.begin + 2;
                finished_statement = true;
                break;
            }
            if (second == ':') {
                item.holes.push_back(MetaCommand{token.begin, token.begin + 1, token.begin + 1, true});
                lexer.skip_to(token.begin + 1);
                continue;
            }
            const MetaCommandExtent extent = scan_meta_command(text, token.begin);
            if (!final && line_end(text, token.begin) >= size) {
                out.resize(first_token);
                return std::nullopt; // the command's line may go on
            }
            const std::string_view name = meta_command_name(text, extent.command);
            const bool empty = out.size() == first_token;
            if (empty || sends_statement(name) || name == "q" || name == "quit") {
                if (!empty && (name == "q" || name == "quit")) {
                    out.resize(first_token); // psql quits without sending the statement
                }
                if (!empty && sends_statement(name)) {
                    end = token.begin;
                    next = token.begin;
                    finished_statement = true;
                    break;
                }
                ScriptItem command;
                command.kind = ScriptItem::Kind::meta_command;
                command.begin = token.begin;
                command.end = extent.command.end;
                command.next = extent.next;
                command.command = extent.command;
                if (name == "q" || name == "quit") {
                    // The extension-script guard: CREATE EXTENSION drops lines starting with
                    // \echo, so the rest of the file is what it runs.
                    const int start = line_start(text, token.begin);
                    const bool guard =
                        start == 0 && !m_line_head.empty()
                            ? (m_line_head + std::string(text.substr(0, 5))).starts_with("\\echo")
                            : text.substr(static_cast<std::size_t>(start)).starts_with("\\echo");
                    if (guard) {
                        m_extension_script = true;
                    } else {
                        command.quit = true;
                        m_finished = true;
                    }
                } else if (name == "copy" &&
                           copy_from_inline_stdin(text.substr(
                               static_cast<std::size_t>(extent.command.name_end),
                               static_cast<std::size_t>(extent.command.end - extent.command.name_end)))) {
                    expect_copy_data(extent.command.end);
                }
                return command;
            }
            if (name == "r" || name == "reset") {
                // The statement typed so far is discarded.
                out.resize(first_token);
                item.holes.clear();
                item.variables = false;
                words = 0;
                begin_depth = 0;
                paren_depth = 0;
                item.begin = extent.next;
                lexer = Lexer(text, extent.next, size, options);
                continue;
            }
            // Any other command runs while the statement stays open.
            item.holes.push_back(extent.command);
            lexer.skip_to(extent.next);
            continue;
        }
        switch (token.kind) {
        case TokenKind::open_paren:
            ++paren_depth;
            break;
        case TokenKind::close_paren:
            paren_depth = std::max(paren_depth - 1, 0);
            break;
        case TokenKind::semicolon:
            if (paren_depth == 0 && begin_depth == 0) {
                end = token.begin;
                next = token.end;
                finished_statement = true;
            }
            break;
        case TokenKind::identifier: {
            const std::string_view word = token_text(text, token);
            if (words < leading.size() &&
                (iequals(word, "create") || iequals(word, "function") ||
                 iequals(word, "procedure") || iequals(word, "or") || iequals(word, "replace"))) {
                leading[words] = fold(word.front());
            }
            ++words;
            const bool routine = leading[0] == 'c' &&
                                 (leading[1] == 'f' || leading[1] == 'p' ||
                                  (leading[1] == 'o' && leading[2] == 'r' &&
                                   (leading[3] == 'f' || leading[3] == 'p')));
            if (routine && paren_depth == 0) {
                if (iequals(word, "begin")) {
                    ++begin_depth;
                } else if (iequals(word, "case") && begin_depth >= 1) {
                    ++begin_depth;
                } else if (iequals(word, "end") && begin_depth > 0) {
                    --begin_depth;
                }
            }
            break;
        }
        case TokenKind::psql_variable:
            item.variables = true;
            break;
        default:
            break;
        }
        if (finished_statement) {
            break;
        }
        out.push_back(token);
    }
    if (!finished_statement) {
        if (!final && limit == static_cast<int>(text.size())) {
            out.resize(first_token);
            return std::nullopt;
        }
        end = size;
        next = size;
    }
    if (out.size() == first_token) {
        // Only white space and comments: nothing to hand out.
        blank_until = next >= static_cast<int>(text.size()) ? -1 : next;
        return std::nullopt;
    }
    item.kind = ScriptItem::Kind::statement;
    item.end = end;
    item.next = next;
    if (const void* nul = std::memchr(text.data() + item.begin, '\0',
                                      static_cast<std::size_t>(item.end - item.begin))) {
        item.nul_offset = static_cast<int>(static_cast<const char*>(nul) - text.data());
    }
    // Searched within the statement only: a search to the end of the buffer made reading a
    // piece of many short statements quadratic in its size.
    if (std::memchr(text.data() + item.begin, '@', static_cast<std::size_t>(item.end - item.begin)) != nullptr) {
        merge_extension_placeholders(text, out, first_token, item.placeholders);
    }
    const std::span<const Token> own(out.data() + first_token, out.size() - first_token);
    if (copy_from_stdin(text, own) && finished_statement) {
        expect_copy_data(end);
    }
    if (const std::optional<bool> setting = standard_strings_setting(text, own)) {
        m_standard_strings = *setting;
    }
    return item;
}

} // namespace dbadvise::sqlparse
