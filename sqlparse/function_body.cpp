#include "sqlparse/function_body_internal.hpp"
#include "util/ascii.hpp"

#include <pg_query.h>

#include <algorithm>
#include <charconv>
#include <memory>

namespace dbadvise::sqlparse::detail {

namespace {

struct PlpgsqlResultDeleter {
    void operator()(PgQueryPlpgsqlParseResult* result) const {
        pg_query_free_plpgsql_parse_result(*result);
        delete result;
    }
};
using PlpgsqlResultPtr = std::unique_ptr<PgQueryPlpgsqlParseResult, PlpgsqlResultDeleter>;


// Offset in `text` of the start of 1-based line `line` (the end when there are fewer).
std::size_t line_offset(std::string_view text, long line) {
    std::size_t at = 0;
    for (long l = 1; l < line; ++l) {
        const std::size_t newline = text.find('\n', at);
        if (newline == std::string_view::npos) {
            return text.size();
        }
        at = newline + 1;
    }
    return at;
}

// Where the statements PL/pgSQL cut from a body start in it. libpg_query's PL/pgSQL JSON
// gives a statement's line (`lineno`) and its text, no offset; the text is the body's, except
// that an INTO clause is blanked to spaces and PERFORM became SELECT (one byte shorter). A
// statement starts at a real token of the body (never inside a comment, a string or
// parentheses) on or after its line, its text runs from there, and what follows is the `;`
// that ends it (or LOOP, after the query of FOR ... IN query). Statements are placed in the
// parser's order (by line, then as nested in the tree: source order), each at the first such
// start not already inside a placed statement, so several on one line, or one ending another
// (INSERT ... SELECT 1; SELECT 1;), each get their own place.
class BodyLocator {
public:
    explicit BodyLocator(std::string_view body) : m_body(body), m_tokens(lex(body)) {
        m_used.assign(m_tokens.size(), false);
        m_lines.push_back(0);
        for (std::size_t at = body.find('\n'); at != std::string_view::npos; at = body.find('\n', at + 1)) {
            m_lines.push_back(at + 1);
        }
    }

    /// The offset of `query` in the body, or nullopt when no start fits.
    std::optional<std::size_t> locate(long line, std::string_view query, bool perform) {
        const std::string_view tail =
            perform ? query.substr(std::min<std::size_t>(6, query.size())) : query;
        const std::size_t head = perform ? 7 : 0; // "PERFORM"
        const std::size_t size = head + tail.size();
        // Statements come in line order: the search starts at the line, not the body.
        const std::size_t from = line < 1 ? 0
                                 : static_cast<std::size_t>(line) <= m_lines.size()
                                     ? m_lines[static_cast<std::size_t>(line) - 1]
                                     : m_body.size();
        for (std::size_t i = first_token(from); i < m_tokens.size(); ++i) {
            const Token& token = m_tokens[i];
            const auto at = static_cast<std::size_t>(token.begin);
            if (m_used[i] || token.depth != 0) {
                continue;
            }
            if (at + size > m_body.size()) {
                break;
            }
            const bool fits = perform ? token_is(m_body, token, "perform") && matches(at + head, tail)
                                      : matches(at, tail);
            if (!fits) {
                continue;
            }
            const std::optional<std::size_t> after = ends_statement(at + size);
            if (!after) {
                continue;
            }
            for (std::size_t j = i; j < *after; ++j) {
                m_used[j] = true;
            }
            return at;
        }
        return std::nullopt;
    }

private:
    // True when the body at `at` reads `text`, where a space of `text` (a blanked INTO
    // clause) stands for any byte.
    bool matches(std::size_t at, std::string_view text) const {
        if (at + text.size() > m_body.size()) {
            return false;
        }
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != m_body[at + i] && text[i] != ' ') {
                return false;
            }
        }
        return true;
    }

    // The index of the first token at or after `offset` (the token count when none is).
    std::size_t first_token(std::size_t offset) const {
        const auto it = std::lower_bound(m_tokens.begin(), m_tokens.end(), offset,
                                         [](const Token& token, std::size_t at) {
                                             return static_cast<std::size_t>(token.begin) < at;
                                         });
        return static_cast<std::size_t>(it - m_tokens.begin());
    }

    // When a statement ending at `end` ends on a token boundary followed by `;`, LOOP or
    // the end of the body: the index of that following token (the token count at the end).
    // An INTO clause at the end of a statement is not in its text (PL/pgSQL blanked it and
    // trimmed the spaces): `INTO [STRICT] target, ...` may come before the `;`.
    std::optional<std::size_t> ends_statement(std::size_t end) const {
        std::size_t next = first_token(end);
        if (next > 0 && static_cast<std::size_t>(m_tokens[next - 1].end) > end) {
            return std::nullopt; // the text stops inside a token
        }
        if (next < m_tokens.size() && token_is(m_body, m_tokens[next], "into")) {
            ++next;
            while (next < m_tokens.size() &&
                   (is_name_kind(m_tokens[next].kind) || m_tokens[next].kind == TokenKind::dot ||
                    m_tokens[next].kind == TokenKind::comma)) {
                ++next;
            }
            if (next == m_tokens.size() || m_tokens[next].kind != TokenKind::semicolon) {
                return std::nullopt;
            }
        }
        if (next < m_tokens.size() && m_tokens[next].kind != TokenKind::semicolon &&
            !token_is(m_body, m_tokens[next], "loop")) {
            return std::nullopt;
        }
        return next;
    }

    std::string_view m_body;
    std::vector<Token> m_tokens;
    std::vector<bool> m_used;         // tokens inside a placed statement
    std::vector<std::size_t> m_lines; // offset of each line's first byte
};

// The body string token of the statement: the first literal at or after `location`.
const Token* body_token(std::span<const Token> tokens, int location) {
    for (const Token& token : tokens) {
        if (token.begin >= location && is_string_kind(token.kind)) {
            return &token;
        }
    }
    return nullptr;
}

// The content of a body literal: its text without the quotes or dollar tags, as script
// offsets; `quoted` for a '...' literal. Nullopt for kinds whose escapes do not line up
// (E'...', U&'...', N'...').
struct Content {
    int begin = 0;
    int end = 0;
    bool quoted = false;
};
std::optional<Content> content_of(std::string_view text, const Token& token) {
    if (token.unterminated()) {
        return std::nullopt;
    }
    if (token.kind == TokenKind::dollar_string) {
        const std::string_view literal = token_text(text, token);
        const std::size_t second = literal.find('$', 1);
        if (second == std::string_view::npos || 2 * (second + 1) > literal.size()) {
            return std::nullopt;
        }
        const int tag = static_cast<int>(second + 1);
        return Content{token.begin + tag, token.end - tag, false};
    }
    if (token.kind == TokenKind::string) {
        // A literal continued over lines ('a'\n'b') has a lone quote inside: not a body
        // whose bytes line up with its text.
        const std::string_view inner = token_text(text, token).substr(1, static_cast<std::size_t>(token.size() - 2));
        for (std::size_t i = 0; i < inner.size(); ++i) {
            if (inner[i] == '\'') {
                if (i + 1 >= inner.size() || inner[i + 1] != '\'') {
                    return std::nullopt;
                }
                ++i;
            }
        }
        return Content{token.begin + 1, token.end - 1, true};
    }
    return std::nullopt;
}

// "compilation of PL/pgSQL function "f" near line 7" -> 7; 0 when absent.
long context_line(const char* context) {
    if (context == nullptr) {
        return 0;
    }
    const std::string_view text(context);
    const std::size_t at = text.rfind("line ");
    long line = 0;
    if (at != std::string_view::npos) {
        std::from_chars(text.data() + at + 5, text.data() + text.size(), line);
    }
    return line;
}

// The offset in the body of what the PL/pgSQL parser's error points at: the token quoted in
// `at or near "X"` on the reported line (or after it), else the line's first non-blank byte.
std::size_t error_offset(std::string_view body, const PgQueryError& error) {
    const long line = context_line(error.context);
    std::size_t at = line > 0 ? line_offset(body, line) : 0;
    const std::string_view message = error.message != nullptr ? error.message : "";
    const std::size_t near = message.find("at or near \"");
    if (near != std::string_view::npos) {
        const std::size_t start = near + 12;
        const std::size_t stop = message.rfind('"');
        if (stop > start) {
            const std::size_t found = body.find(message.substr(start, stop - start), at);
            if (found != std::string_view::npos) {
                return found;
            }
        }
    }
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t' || body[at] == '\n' ||
                                body[at] == '\r')) {
        ++at;
    }
    return std::min(at, body.size());
}

class PlpgsqlBody {
public:
    PlpgsqlBody(std::string_view body, int body_begin, FunctionBody& out)
        : m_body(body), m_begin(body_begin), m_out(out) {}

    void walk(JsonRef value, int depth) {
        if (depth > 500 || !value.valid()) {
            return;
        }
        for (JsonRef member : JsonChildren(value)) {
            const std::string_view key = member.key();
            if (key.starts_with("PLpgSQL_")) {
                visit(key, member);
            }
            walk(member, depth + 1);
        }
    }

    /// Places the statements found by walk() in the body and adds them to the output.
    void place() {
        std::stable_sort(m_found.begin(), m_found.end(),
                         [](const Found& a, const Found& b) { return a.line < b.line; });
        BodyLocator locator(m_body);
        for (const Found& found : m_found) {
            const std::optional<std::size_t> at = locator.locate(found.line, found.query, found.perform);
            if (!at) {
                continue; // not where the parser said: skip it rather than misplace findings
            }
            BodySql sql;
            sql.begin = m_begin + static_cast<int>(*at);
            if (found.perform) {
                // PERFORM f(x) is SELECT f(x): "SELECT " over the seven bytes of PERFORM.
                sql.parse_text = "SELECT " + std::string(found.query.substr(
                                                 std::min<std::size_t>(6, found.query.size())));
            } else {
                sql.parse_text = std::string(found.query);
            }
            m_out.sql.push_back(std::move(sql));
        }
    }

private:
    struct Found {
        long line = 0;
        std::string_view query; // in the parser's JSON document
        bool perform = false;
    };

    void visit(std::string_view kind, JsonRef node) {
        const long line = static_cast<long>(node["lineno"].integer(0));
        if (kind == "PLpgSQL_stmt_execsql") {
            add(line, node["sqlstmt"], false);
        } else if (kind == "PLpgSQL_stmt_perform") {
            add(line, node["expr"], true);
        } else if (kind == "PLpgSQL_stmt_return_query" || kind == "PLpgSQL_stmt_fors" ||
                   kind == "PLpgSQL_stmt_open") {
            add(line, node["query"], false);
        } else if (kind == "PLpgSQL_var") {
            add(line, node["cursor_explicit_expr"], false); // DECLARE c CURSOR FOR query
        }
    }

    void add(long line, JsonRef expr, bool perform) {
        const std::string_view query = expr["PLpgSQL_expr"]["query"].str();
        if (!query.empty() && line > 0) {
            m_found.push_back({line, query, perform});
        }
    }

    std::string_view m_body;
    int m_begin;
    FunctionBody& m_out;
    std::vector<Found> m_found;
};

// True when `function` (a CreateFunctionStmt body) has OUT, INOUT or TABLE parameters.
bool has_output_parameters(JsonRef function) {
    for (JsonRef parameter : JsonChildren(function["parameters"])) {
        const std::string_view mode = parameter["FunctionParameter"]["mode"].str();
        if (mode == "FUNC_PARAM_OUT" || mode == "FUNC_PARAM_INOUT" || mode == "FUNC_PARAM_TABLE") {
            return true;
        }
    }
    return false;
}

// True when `body` declares `name` as a cursor: `name [NO] [SCROLL] CURSOR` or `name refcursor`.
bool declares_cursor(std::string_view body, std::string_view name) {
    const std::vector<Token> tokens = lex(body);
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (!is_name_kind(tokens[i].kind) || identifier_value(body, tokens[i]) != util::ascii_lower(name)) {
            continue;
        }
        std::size_t j = i + 1;
        while (j < tokens.size() && (token_is(body, tokens[j], "no") || token_is(body, tokens[j], "scroll"))) {
            ++j;
        }
        if (j < tokens.size() && (token_is(body, tokens[j], "cursor") || token_is(body, tokens[j], "refcursor"))) {
            return true;
        }
    }
    return false;
}

// The name quoted in a message: `variable "c" must be ...` -> c.
std::string_view quoted_name(std::string_view message) {
    const std::size_t open = message.find('"');
    const std::size_t close = open == std::string_view::npos ? open : message.find('"', open + 1);
    return close == std::string_view::npos ? std::string_view() : message.substr(open + 1, close - open - 1);
}

// libpg_query compiles PL/pgSQL without a catalog: no variable has a type (so no cursor is a
// cursor and no row or record variable has fields), RETURNS TABLE columns are not variables,
// and `ALIAS FOR $n` finds no parameter. An error for one of these reasons says nothing about
// the body, which PostgreSQL may accept.
bool catalog_limitation(std::string_view message, std::string_view body, JsonRef function) {
    const std::string_view name = quoted_name(message);
    if (message.find("must be of type cursor or refcursor") != std::string_view::npos) {
        return true;
    }
    if (message.find("is not a known variable") != std::string_view::npos) {
        // a field of a row variable, or an unnamed OUT parameter ($1 := ...)
        return name.find('.') != std::string_view::npos || name.starts_with('$');
    }
    if (message.starts_with("variable \"$") && message.ends_with("does not exist")) {
        return true;
    }
    if (message.starts_with("missing expression")) {
        return has_output_parameters(function);
    }
    if (message.starts_with("syntax error at or near")) {
        return !name.empty() && declares_cursor(body, name);
    }
    return false;
}

// The PL/pgSQL statements of the function `function_text`, whose body content is `body`,
// at script offset `body_begin`.
void plpgsql_body(const std::string& function_text, std::string_view body, int body_begin,
                  JsonRef function, FunctionBody& out) {
    const PlpgsqlResultPtr result(
        new PgQueryPlpgsqlParseResult(pg_query_parse_plpgsql(function_text.c_str())));
    if (result->error != nullptr) {
        const std::string_view message =
            result->error->message != nullptr ? result->error->message : "parse error";
        ParseError error;
        if (catalog_limitation(message, body, function)) {
            error.kind = ParseError::Kind::unchecked;
            error.message = "the PL/pgSQL body was not checked: libpg_query's PL/pgSQL parser, "
                            "which has no catalog to learn variable types from, stopped at: " +
                            std::string(message);
        } else {
            error.kind = ParseError::Kind::function_body;
            error.message = "PL/pgSQL: " + std::string(message);
        }
        error.offset = body_begin + static_cast<int>(error_offset(body, *result->error));
        error.statement_span = {body_begin, body_begin + static_cast<int>(body.size())};
        out.error = std::move(error);
        return;
    }
    if (result->plpgsql_funcs == nullptr) {
        return;
    }
    JsonDocument document;
    if (!document.parse(result->plpgsql_funcs)) {
        return;
    }
    PlpgsqlBody walker(body, body_begin, out);
    walker.walk(document.root(), 0);
    walker.place();
    std::sort(out.sql.begin(), out.sql.end(),
              [](const BodySql& a, const BodySql& b) { return a.begin < b.begin; });
}

} // namespace

std::string unquote_aligned(std::string_view content) {
    std::string out;
    out.reserve(content.size());
    bool inside = false; // inside a literal of the unquoted text
    std::size_t pending = 0; // spaces owed, placed after the literal closes
    std::size_t i = 0;
    while (i < content.size()) {
        const char c = content[i];
        const bool pair = c == '\'' && i + 1 < content.size() && content[i + 1] == '\'';
        if (!inside && !pair && c == '-' && i + 1 < content.size() && content[i + 1] == '-') {
            // A comment of the unquoted text: quotes in it open nothing.
            while (i < content.size() && content[i] != '\n') {
                out += content[i++];
            }
            continue;
        }
        if (!pair) {
            out += c;
            ++i;
            continue;
        }
        if (!inside) {
            out += " '";
            inside = true;
            i += 2;
        } else if (i + 3 < content.size() && content[i + 2] == '\'' && content[i + 3] == '\'') {
            out += "''"; // an escaped quote inside the literal: '''' stands for ''
            pending += 2;
            i += 4;
        } else {
            out += '\'';
            out.append(pending + 1, ' ');
            pending = 0;
            inside = false;
            i += 2;
        }
    }
    out.append(pending, ' ');
    return out;
}

FunctionBody function_body(JsonRef stmt, std::string_view text, int base, Span span,
                           std::span<const Token> tokens, std::string_view parse_text) {
    FunctionBody out;
    const std::string_view type = stmt.node_type();
    const JsonRef body = stmt.body();
    std::string language;
    JsonRef as;
    if (type == "DoStmt") {
        language = "plpgsql";
        for (JsonRef option : JsonChildren(body["args"])) {
            const JsonRef def = option["DefElem"];
            if (def["defname"].str() == "language") {
                language = util::ascii_lower(def["arg"]["String"]["sval"].str());
            } else if (def["defname"].str() == "as") {
                as = def;
            }
        }
    } else if (type == "CreateFunctionStmt") {
        for (JsonRef option : JsonChildren(body["options"])) {
            const JsonRef def = option["DefElem"];
            if (def["defname"].str() == "language") {
                language = util::ascii_lower(def["arg"]["String"]["sval"].str());
            } else if (def["defname"].str() == "as") {
                as = def;
            }
        }
        if (body["sql_body"]["ReturnStmt"].valid()) {
            // RETURN expr: SELECT expr, written over RETURN (both six bytes).
            for (const Token& token : tokens) {
                if (token.depth == 0 && token_is(text, token, "return")) {
                    BodySql sql;
                    sql.begin = token.begin;
                    sql.parse_text = "SELECT" + std::string(parse_text.substr(
                                                    static_cast<std::size_t>(token.end - span.begin)));
                    out.sql.push_back(std::move(sql));
                }
            }
            if (out.sql.size() > 1) {
                out.sql.erase(out.sql.begin(), out.sql.end() - 1); // the last RETURN is the body
            }
            return out;
        }
    } else {
        return out;
    }
    if (!as.valid() || (language != "sql" && language != "plpgsql")) {
        return out;
    }
    const JsonRef arg = as["arg"];
    if (arg["List"]["items"].size() > 1) {
        return out; // AS 'object file', 'link symbol'
    }
    const Token* literal = body_token(tokens, base + as.location());
    if (literal == nullptr) {
        return out;
    }
    const std::optional<Content> content = content_of(text, *literal);
    if (!content || content->begin < span.begin || content->end > span.end) {
        return out;
    }
    out.quoted = content->quoted;
    const auto aligned = [&](int begin, int end) {
        return parse_text.substr(static_cast<std::size_t>(begin - span.begin),
                                 static_cast<std::size_t>(end - begin));
    };
    const std::string body_text = content->quoted
                                      ? unquote_aligned(aligned(content->begin, content->end))
                                      : std::string(aligned(content->begin, content->end));
    if (language == "sql") {
        out.sql.push_back({content->begin, body_text});
        return out;
    }
    std::string function_text;
    if (!content->quoted) {
        function_text = std::string(parse_text);
    } else {
        // PL/pgSQL reads the unquoted body; give it dollar-quoted, so its lines and the
        // statements it cuts line up with the script's.
        std::string tag = "$dbadvise$";
        while (body_text.find(tag) != std::string::npos) {
            tag.insert(tag.size() - 1, "_");
        }
        function_text = std::string(aligned(span.begin, literal->begin)) + tag + body_text + tag +
                        std::string(aligned(literal->end, span.end));
    }
    plpgsql_body(function_text, body_text, content->begin, body, out);
    return out;
}

} // namespace dbadvise::sqlparse::detail
