// How psql lays out a one-column result (src/fe_utils/print.c), as far as a pasted plan needs:
//
//   aligned, border 1 (the default)        expanded (\x)
//                 QUERY PLAN               -[ RECORD 1 ]-------------
//   ---------------------------------      QUERY PLAN | [           +
//    [                               +                |   {         +
//      "Plan": {                     +     ...
//    Seq Scan on t  (cost=...) (actu.      wrapped (\pset format wrapped): a line cut at
//   .al time=...)                          the width ends with `.` and its rest starts
//   (1 row)                                with `.` in the margin.
//
// Every line of a cell is padded to the column's width when a mark follows it: `+` when the
// value goes on on the next line (the longest line gets its `+` right after its last
// character, with no space), `.` when psql wrapped the line. Unicode line style uses `↵` and
// `…`, and box-drawing characters for the borders; border 0 has no margin, border 2 frames
// every line with `|`. Widths are display columns (a CJK character takes two).
#include "analyzer/plan/pasted_plan.hpp"

#include "analyzer/text.hpp"
#include "sqlparse/lexer.hpp"

#include <algorithm>
#include <cstdint>

namespace dbadvise::analyzer::plan {

namespace {

struct InputLine {
    std::string_view text;
    int number = 0; // 1-based
};

std::vector<InputLine> split_lines(std::string_view input) {
    std::vector<InputLine> lines;
    std::size_t start = 0;
    int number = 0;
    while (start <= input.size()) {
        std::size_t end = input.find('\n', start);
        if (end == std::string_view::npos) {
            end = input.size();
        }
        std::string_view line = input.substr(start, end - start);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        lines.push_back({line, ++number});
        if (end == input.size()) {
            break;
        }
        start = end + 1;
    }
    return lines;
}

// One UTF-8 character: its code point (U+FFFD for a bad byte) and its size in bytes.
std::uint32_t decode(std::string_view text, std::size_t at, std::size_t& size) {
    const auto byte = static_cast<unsigned char>(text[at]);
    std::size_t n = byte < 0x80 ? 1 : (byte & 0xE0) == 0xC0 ? 2 : (byte & 0xF0) == 0xE0 ? 3
                                  : (byte & 0xF8) == 0xF0 ? 4 : 1;
    if (at + n > text.size()) {
        n = 1;
    }
    std::uint32_t code = n == 1 ? byte : byte & (0x7F >> n);
    for (std::size_t i = 1; i < n; ++i) {
        const auto next = static_cast<unsigned char>(text[at + i]);
        if ((next & 0xC0) != 0x80) {
            size = 1;
            return 0xFFFD;
        }
        code = (code << 6) | (next & 0x3F);
    }
    size = n;
    return n == 1 && byte >= 0x80 ? 0xFFFD : code;
}

// Display columns of a character, as psql counts them (pg_wcwidth): combining marks none,
// East Asian wide and full-width characters two.
int char_width(std::uint32_t c) {
    if (c < 0x300) {
        return c < 0x20 ? 0 : 1;
    }
    if ((c >= 0x300 && c <= 0x36F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE20 && c <= 0xFE2F)) {
        return 0;
    }
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) ||
        (c >= 0x20000 && c <= 0x3FFFD)) {
        return 2;
    }
    return 1;
}

int display_width(std::string_view text) {
    int width = 0;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t size = 1;
        width += char_width(decode(text, i, size));
        i += size;
    }
    return width;
}

// The last character of `text`: its code point, and where it starts.
std::uint32_t last_char(std::string_view text, std::size_t& start) {
    start = text.size();
    if (text.empty()) {
        return 0;
    }
    start = text.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
        --start;
    }
    std::size_t size = 1;
    return decode(text, start, size);
}

constexpr std::uint32_t k_newline_ascii = '+';
constexpr std::uint32_t k_newline_unicode = 0x21B5; // ↵
constexpr std::uint32_t k_wrap_ascii = '.';
constexpr std::uint32_t k_wrap_unicode = 0x2026; // …

bool is_border(std::uint32_t c) {
    return c == '|' || c == 0x2502 /* │ */ || c == 0x2551 /* ║ */;
}

// A line made of table rules only: `-----`, `+----+`, `├───┤`, `└───┘`, `═══`.
bool is_rule(std::string_view line) {
    if (line.empty()) {
        return false;
    }
    bool dash = false;
    for (std::size_t i = 0; i < line.size();) {
        std::size_t size = 1;
        const std::uint32_t c = decode(line, i, size);
        i += size;
        if (c == '-' || c == 0x2500 || c == 0x2550) {
            dash = true;
        } else if (!(c == '+' || (c >= 0x2500 && c <= 0x257F))) {
            return false;
        }
    }
    return dash;
}

bool is_footer(std::string_view line) {
    return is_row_count(line);
}

// psql's messages when a \pset or \x is run from the script, and \timing's.
bool is_notice(std::string_view line) {
    for (const std::string_view start :
         {"Output format is ", "Target width is ", "Expanded display is ", "Line style is ",
          "Border style is ", "Pager usage is ", "Timing is ", "Time: ", "Null display is ",
          "Tuples only is ", "Title is ", "Default footer is ", "Unicode border line style is ",
          "Unicode column line style is ", "Unicode header line style is "}) {
        if (line.starts_with(start)) {
            return true;
        }
    }
    // Command tags of the statements around the EXPLAIN: SET, BEGIN, ROLLBACK, ...
    return line == "SET" || line == "BEGIN" || line == "ROLLBACK" || line == "COMMIT";
}

// The text of a header line without its borders: between two (border 2), or before one (a
// grid copied from DBeaver: `QUERY PLAN   |`).
std::string_view header_text(std::string_view line) {
    std::string_view text = trim(line);
    for (const std::string_view border : {std::string_view("|"), std::string_view("\u2502"),
                                          std::string_view("\u2551")}) {
        if (text.starts_with(border) && text.ends_with(border) && text.size() > 2 * border.size()) {
            return trim(text.substr(border.size(), text.size() - 2 * border.size()));
        }
        if (text.ends_with(border) && text.size() > border.size()) {
            return trim(text.substr(0, text.size() - border.size()));
        }
    }
    return text;
}

// The header of an aligned table: `QUERY PLAN`, centred, possibly between borders.
bool is_header(std::string_view line) {
    return header_text(line) == "QUERY PLAN";
}

// A header that names the column otherwise: EXPLAIN's lines returned by a function or under
// an alias (`SELECT * FROM explain_filter(...)`, as PostgreSQL's own regression tests do). A
// name psql prints as it is: letters, digits and `_`, up to NAMEDATALEN - 1 bytes.
bool is_named_header(std::string_view line) {
    const std::string_view text = header_text(line);
    if (text.empty() || text.size() > 63 || (text.front() >= '0' && text.front() <= '9')) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// `-[ RECORD 1 ]----`, `─[ RECORD 1 ]───`, `+-[ RECORD 1 ]---+`, `┌─[ RECORD 1 ]───┐`.
bool is_record_header(std::string_view line) {
    const std::size_t at = line.find("[ RECORD ");
    return at != std::string_view::npos && at <= 6;
}

// A psql prompt at the start of a line. psql's default PROMPT1 and PROMPT2 are both
// '%/%R%x%# ': the database name; %R, '=' where a statement starts ('^' in single-line mode,
// '!' when the connection is lost) and '-', '(', a quote, '$' or '*' where one goes on
// (inside parentheses, a string, a dollar quote, a comment); %x, '*', '!' or '?' inside a
// transaction; '#' for a superuser, else '>'; then a space. A custom prompt is taken for one
// when what comes before the status has no space, quote, `|`, `,` or `;`: `postgres@shop=# `,
// `[local]shop=> `, `(12345)shop=# ` (%p, %n, %M, %>); one with spaces is not.
struct Prompt {
    std::string_view name;
    bool continues = false; // PROMPT2: the statement goes on
    std::size_t size = 0;   // bytes up to the statement typed after it
};

std::optional<Prompt> read_prompt(std::string_view line) {
    constexpr std::string_view k_status = "=^!-('\"$*";
    constexpr std::size_t k_longest_name = 64; // NAMEDATALEN - 1
    for (std::size_t r = 1; r < line.size() && r <= k_longest_name; ++r) {
        const auto byte = static_cast<unsigned char>(line[r - 1]);
        if (byte <= ' ' || std::string_view("|,;'\"`").find(line[r - 1]) != std::string_view::npos) {
            return std::nullopt;
        }
        const char c = line[r];
        if (k_status.find(c) != std::string_view::npos) {
            std::size_t at = r + 1;
            if (at < line.size() && (line[at] == '*' || line[at] == '!' || line[at] == '?')) {
                ++at;
            }
            if (at < line.size() && (line[at] == '#' || line[at] == '>') &&
                (at + 1 == line.size() || line[at + 1] == ' ')) {
                return Prompt{line.substr(0, r), c != '=' && c != '^' && c != '!',
                              std::min(at + 2, line.size())};
            }
        }
    }
    return std::nullopt;
}

// The statement an EXPLAIN typed at a prompt explains: `EXPLAIN (ANALYZE, BUFFERS) SELECT
// ...;` gives `SELECT ...`. Other statements are kept as typed, less the final `;`.
std::string explained_query(std::string_view statement) {
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(statement);
    std::size_t at = 0;
    if (!tokens.empty() && sqlparse::token_is(statement, tokens[0], "explain")) {
        at = 1;
        if (at < tokens.size() && tokens[at].kind == sqlparse::TokenKind::open_paren) {
            const std::int32_t depth = tokens[at].depth;
            ++at;
            while (at < tokens.size() && !(tokens[at].kind == sqlparse::TokenKind::close_paren &&
                                           tokens[at].depth == depth)) {
                ++at;
            }
            ++at;
        } else {
            // The options' older spelling: EXPLAIN ANALYZE VERBOSE ...
            while (at < tokens.size() && (sqlparse::token_is(statement, tokens[at], "analyze") ||
                                          sqlparse::token_is(statement, tokens[at], "analyse") ||
                                          sqlparse::token_is(statement, tokens[at], "verbose"))) {
                ++at;
            }
        }
    }
    std::string_view query =
        at < tokens.size() ? statement.substr(static_cast<std::size_t>(tokens[at].begin)) : statement;
    query = trim(query);
    while (query.ends_with(';')) {
        query = trim(query.substr(0, query.size() - 1));
    }
    return std::string(query);
}

// auto_explain's record in the server log starts `duration: 12.345 ms  plan:` after the
// log_line_prefix and the level (LOG:, or auto_explain.log_level's).
bool is_log_record_header(std::string_view line) {
    const std::string_view text = trim(line);
    const std::size_t at = text.find("duration: ");
    return at != std::string_view::npos && text.ends_with(" ms  plan:");
}

// A line that starts another log message: its level after the log_line_prefix.
bool is_log_line(std::string_view line) {
    if (line.empty() || line.front() == ' ' || line.front() == '\t') {
        return false;
    }
    for (const std::string_view level :
         {"LOG:  ", "ERROR:  ", "WARNING:  ", "NOTICE:  ", "INFO:  ", "DEBUG", "FATAL:  ",
          "PANIC:  ", "STATEMENT:  ", "DETAIL:  ", "HINT:  ", "CONTEXT:  "}) {
        const std::size_t at = line.find(level);
        if (at != std::string_view::npos && (at == 0 || line[at - 1] == ' ')) {
            return true;
        }
    }
    return false;
}

// A line of EXPLAIN's text output with a node's figures.
bool is_text_plan_row(std::string_view line) {
    return line.find(" (cost=") != std::string_view::npos ||
           line.find(" (actual ") != std::string_view::npos;
}

// The root line of a text plan (`Limit  (cost=...)`): not indented, and with the figures
// every plan node has. auto_explain always prints costs.
bool is_plan_root(std::string_view line) {
    return !line.empty() && line.front() != ' ' && is_text_plan_row(line);
}

class Unwrapper {
public:
    explicit Unwrapper(std::vector<InputLine> lines) : m_lines(std::move(lines)) {}

    std::optional<PastedPlan> run() {
        // A psql session or a piece of server log: lines that are neither a plan nor a
        // prompt (the banner, other commands' output, other log messages) are passed over.
        bool lenient = false;
        bool preamble = false; // SQL typed without a prompt came before the first plan
        for (std::size_t k = 0; k < m_lines.size() && !lenient; ++k) {
            const std::string_view text = m_lines[k].text;
            // A psql table with its `QUERY PLAN` header and rule: words pasted above it
            // ("Here is the plan:") are passed over too.
            lenient = read_prompt(text) || is_log_record_header(text) ||
                      (is_header(text) && k + 1 < m_lines.size() && is_rule(m_lines[k + 1].text));
        }
        std::size_t i = 0;
        bool found = false;
        while (i < m_lines.size()) {
            const std::string_view line = m_lines[i].text;
            if (trim(line).empty() || is_notice(line) || is_footer(line)) {
                ++i;
                continue;
            }
            if (const std::optional<Prompt> prompt = read_prompt(line)) {
                i = typed_statement(i, *prompt);
                continue;
            }
            if (!found) {
                // SQL before the first plan, typed without a prompt: what follows it is
                // passed over up to a plan, as in a psql session.
                if (const std::size_t after = typed_without_prompt(i); after != i) {
                    preamble = true;
                    lenient = true;
                    i = after;
                    continue;
                }
            }
            const int plan_line = static_cast<int>(m_out.source_lines.size()) + 1;
            std::size_t next = i;
            if (is_log_record_header(line) || trim(line).starts_with("Query Text: ")) {
                next = log_record(i);
            } else if (is_record_header(line)) {
                next = expanded(i);
                m_out.layout = m_out.layout.empty() ? "expanded" : m_out.layout;
            } else if (table_header_at(i) || (is_rule(line) && table_header_at(i + 1))) {
                next = aligned(i);
            }
            if (next == i && !found) {
                // psql --csv: a bare header, then rows; pgAdmin and DBeaver: quoted rows.
                // psql -A: the same header, then a JSON plan's lines as they are (--csv
                // would have quoted them), then the row count.
                const std::string_view head = trim(line);
                const bool bare_header = head == "QUERY PLAN" || head == "\"QUERY PLAN\"";
                if (bare_header && i + 1 < m_lines.size() && starts_json(m_lines[i + 1].text)) {
                    next = unaligned(i + 1);
                } else if (bare_header) {
                    next = csv(i + 1);
                    m_out.layout = "csv";
                } else if (starts_quoted_rows(i)) {
                    next = csv(i);
                    m_out.layout = "csv";
                } else if (starts_single_quoted_rows(i)) {
                    next = single_quoted_rows(i);
                    m_out.layout = "quoted";
                } else if (starts_json(line) && ends_with_mark(line)) {
                    next = headerless(i); // psql -t: an aligned cell without header or rule
                } else if (starts_json(line)) {
                    next = unaligned(i); // EXPLAIN's JSON followed by psql's row count
                } else if (preamble && is_text_plan_row(line)) {
                    next = bare_text_plan(i); // EXPLAIN's text after the SQL that made it
                }
            }
            if (next == i) {
                // Not a table: when nothing was found yet, the input is no pasted table.
                if (!found && !lenient) {
                    return std::nullopt;
                }
                ++i;
                continue;
            }
            // The statement typed at the prompt before the table is its plan's query.
            if (m_typed && static_cast<int>(m_out.source_lines.size()) >= plan_line) {
                m_typed->plan_line = plan_line;
                m_out.queries.push_back(std::move(*m_typed));
            }
            m_typed.reset();
            found = true;
            i = next;
        }
        if (!found || m_out.text.empty()) {
            return std::nullopt;
        }
        return std::move(m_out);
    }

private:
    // One result row: a value whose text may hold newlines, with the input line and column
    // where each of its lines starts.
    struct Cell {
        std::string text;
        std::vector<int> lines;
        std::vector<int> columns; // bytes before the line's first byte in its input line

        void start_line(int line, int column) {
            if (!lines.empty()) {
                text += '\n';
            }
            lines.push_back(line);
            columns.push_back(column);
        }
    };

    // A row after the first starts a new line, even when the rows before it were empty (a
    // blank CSV field, an expanded value whose first line is blank): whether a row came
    // before is the count of lines, not whether the text is empty.
    void emit(const Cell& cell) {
        if (!m_out.source_lines.empty()) {
            m_out.text += '\n';
        }
        m_out.text += cell.text;
        m_out.source_lines.insert(m_out.source_lines.end(), cell.lines.begin(), cell.lines.end());
        m_out.source_columns.insert(m_out.source_columns.end(), cell.columns.begin(),
                                    cell.columns.end());
    }

    // One physical line of a cell: the content between the left part (`left` display
    // columns: borders and label, then one margin column unless `margin` is false) and an
    // end mark in display column `mark_column` (or just before a right border).
    struct Piece {
        std::string_view content;
        int column = 0;          // bytes before the content
        bool continued = false;  // wrapped from the line before (a wrap mark in the margin)
        bool newline = false;    // the value goes on on the next line
        bool wrapped = false;    // the line was cut; its rest is on the next line
    };
    static Piece piece(std::string_view line, int left, bool margin, bool right_border,
                       int mark_column) {
        Piece p;
        std::size_t at = 0;
        int columns = 0;
        while (at < line.size() && columns < left) {
            std::size_t size = 1;
            columns += char_width(decode(line, at, size));
            at += size;
        }
        if (margin && at < line.size()) {
            std::size_t size = 1;
            const std::uint32_t c = decode(line, at, size);
            p.continued = c == k_wrap_ascii || c == k_wrap_unicode;
            at += size;
        }
        std::string_view rest = line.substr(std::min(at, line.size()));
        std::size_t last = 0;
        if (right_border) {
            if (is_border(last_char(rest, last))) {
                rest = rest.substr(0, last);
            }
            // The column before the border holds a mark or padding.
            const std::uint32_t c = last_char(rest, last);
            if (c != ' ' && !rest.empty()) {
                p.newline = c == k_newline_ascii || c == k_newline_unicode;
                p.wrapped = c == k_wrap_ascii || c == k_wrap_unicode;
                if (p.newline || p.wrapped) {
                    rest = rest.substr(0, last);
                }
            }
        } else {
            const std::uint32_t c = last_char(rest, last);
            const bool newline = c == k_newline_ascii || c == k_newline_unicode;
            if (mark_column > 0 && display_width(line) == mark_column + 1) {
                p.newline = newline;
                p.wrapped = c == k_wrap_ascii || c == k_wrap_unicode;
            } else {
                // Off the column (the padding trimmed by an editor): ` +` still marks a value
                // that goes on, as no plan line ends so.
                p.newline = newline && last > 0 && rest[last - 1] == ' ';
            }
            if (p.newline || p.wrapped) {
                rest = rest.substr(0, last);
            }
        }
        // Padding before a `+` mark or a border; a wrapped line has none (its spaces are
        // the value's, cut at the width).
        while (!p.wrapped && !rest.empty() && rest.back() == ' ') {
            rest.remove_suffix(1);
        }
        p.content = rest;
        p.column = static_cast<int>(at);
        return p;
    }

    // Lines [first, end) of one column, joined into cells by their marks.
    void cells(std::size_t first, std::size_t end, int left, bool margin, bool right_border,
               int mark_column) {
        Cell cell;
        bool open = false;
        bool wrapped = false;
        // The character in the margin of line k: ' ' for a row, `.` or `…` where psql went on
        // with a line it wrapped itself.
        const auto margin_char = [&](std::size_t k) -> std::uint32_t {
            const std::string_view text = m_lines[k].text;
            std::size_t size = 1;
            return text.empty() ? ' ' : decode(text, 0, size);
        };
        for (std::size_t i = first; i < end; ++i) {
            if (margin && left == 0 && !right_border && i > first) {
                // A row cut by a terminal or an editor goes on at the left edge, where every
                // row of the table has its margin: the text continues the row before.
                const std::uint32_t c = margin_char(i);
                if (c != ' ' && c != k_wrap_ascii && c != k_wrap_unicode) {
                    if (open) {
                        cell.text += m_lines[i].text;
                    } else {
                        m_out.text += m_lines[i].text;
                    }
                    continue;
                }
            }
            Piece p = piece(m_lines[i].text, left, margin, right_border, mark_column);
            if (p.wrapped && margin && !right_border) {
                // A `.` in the mark column is psql's only when the next line goes on after a
                // `.` in its margin; else it is the row's own last character.
                const bool next_continued =
                    i + 1 < end && piece(m_lines[i + 1].text, left, margin, right_border, mark_column).continued;
                if (!next_continued) {
                    const std::string_view text = m_lines[i].text;
                    p.content = text.substr(static_cast<std::size_t>(p.content.data() - text.data()));
                    p.wrapped = false;
                }
            }
            if (!open) {
                cell = Cell{};
            }
            if (!open || !wrapped) {
                cell.start_line(m_lines[i].number, p.column);
            }
            cell.text += p.content;
            if (p.wrapped) {
                m_out.layout = "wrapped";
            }
            open = p.newline || p.wrapped;
            wrapped = p.wrapped;
            if (!open) {
                emit(cell);
            }
        }
        if (open) {
            emit(cell);
        }
    }

    static bool starts_json(std::string_view line) {
        const std::string_view text = trim(line);
        return !text.empty() && (text.front() == '[' || text.front() == '{');
    }

    // A line that ends with psql's `+` (or `↵`) mark after padding: no line of a JSON plan
    // ends so.
    static bool ends_with_mark(std::string_view line) {
        while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
        return line.ends_with("+") || line.ends_with("\u21B5");
    }

    // psql -t (tuples only): one aligned cell with no header, rule or footer. Its lines are
    // padded to one width, so the widest (the longest line, with its mark right after it)
    // gives the mark's column. Returns the index after it.
    std::size_t headerless(std::size_t at) {
        std::size_t end = at;
        int width = 0;
        while (end < m_lines.size() && !is_footer(m_lines[end].text) && !trim(m_lines[end].text).empty()) {
            width = std::max(width, display_width(m_lines[end].text));
            ++end;
        }
        m_out.layout = "tuples-only";
        const bool margin = m_lines[at].text.front() == ' ';
        cells(at, end, 0, margin, false, width - 1);
        return end < m_lines.size() && is_footer(m_lines[end].text) ? end + 1 : end;
    }

    // The statement typed at `prompt` (line `at`) and on the continuation prompts after it.
    // Remembered for the table that follows, unless it is a meta-command (`\x`, `\q`).
    // Returns the index after it.
    std::size_t typed_statement(std::size_t at, const Prompt& prompt) {
        std::string statement(m_lines[at].text.substr(prompt.size));
        std::size_t i = at + 1;
        for (; i < m_lines.size(); ++i) {
            const std::optional<Prompt> next = read_prompt(m_lines[i].text);
            if (!next || !next->continues || next->name != prompt.name) {
                break;
            }
            statement += '\n';
            statement += m_lines[i].text.substr(next->size);
        }
        const std::string_view typed = trim(statement);
        if (!typed.empty() && typed.front() != '\\') {
            m_typed = PastedQuery{explained_query(typed), 0, m_lines[at].number};
        }
        return i;
    }

    // An auto_explain record from line `at`: its `duration: ... plan:` line, or its `Query
    // Text:` line when the paste starts there. The stderr log starts each line after the
    // first with a tab; when the first line after the header has none (the tabs were lost),
    // the record goes on up to a blank line or the next log line. A JSON record is one cell;
    // a text record's `Query Text:` lines, up to the plan's root line, are its query.
    std::size_t log_record(std::size_t at) {
        std::size_t first = is_log_record_header(m_lines[at].text) ? at + 1 : at;
        const bool tabbed = first < m_lines.size() && m_lines[first].text.starts_with('\t');
        std::size_t end = first;
        while (end < m_lines.size()) {
            const std::string_view text = m_lines[end].text;
            if (tabbed ? !text.starts_with('\t')
                       : trim(text).empty() || is_log_line(text) || is_log_record_header(text)) {
                break;
            }
            ++end;
        }
        if (end == first) {
            return at;
        }
        const auto body = [&](std::size_t i) {
            return tabbed ? m_lines[i].text.substr(1) : m_lines[i].text;
        };
        const int column = tabbed ? 1 : 0;
        m_out.layout = "auto_explain";
        std::size_t plan = first;
        if (const std::string_view head = body(first); head.starts_with("Query Text: ")) {
            std::string query(head.substr(12));
            plan = first + 1;
            while (plan < end && !is_plan_root(body(plan)) && !body(plan).starts_with("Query Parameters: ")) {
                query += '\n';
                query += body(plan);
                ++plan;
            }
            m_out.queries.push_back(
                {std::string(trim(query)), static_cast<int>(m_out.source_lines.size()) + 1,
                 m_lines[first].number});
            // PostgreSQL 16 and later log the parameters' values after the query (with
            // log_parameter_max_length): not part of the plan.
            while (plan < end && body(plan).starts_with("Query Parameters: ")) {
                ++plan;
            }
        }
        Cell cell;
        for (std::size_t i = plan; i < end; ++i) {
            cell.start_line(m_lines[i].number, column);
            cell.text += body(i);
        }
        if (!cell.lines.empty()) {
            emit(cell);
        }
        return end;
    }

    // psql -A (unaligned): the value's lines as they are, up to the row count. Returns the
    // index after it.
    std::size_t unaligned(std::size_t at) {
        Cell cell;
        std::size_t end = at;
        while (end < m_lines.size() && !is_footer(m_lines[end].text)) {
            cell.start_line(m_lines[end].number, 0);
            cell.text += m_lines[end].text;
            ++end;
        }
        m_out.layout = "unaligned";
        emit(cell);
        return end < m_lines.size() ? end + 1 : end;
    }

    // An aligned table starting at `at` (its header, or a top rule above it). Returns the
    // index after it.
    std::size_t aligned(std::size_t at) {
        std::size_t header = table_header_at(at) ? at : at + 1;
        const std::size_t rule = header + 1;
        if (rule >= m_lines.size() || !is_rule(m_lines[rule].text)) {
            return at;
        }
        if (m_out.layout.empty()) {
            m_out.layout = "aligned";
        }
        // Border 2 frames the header too: `|  QUERY PLAN  |`, `║  QUERY PLAN  ║`.
        const std::string_view head = trim(m_lines[header].text);
        std::size_t first_size = 1;
        const bool framed = !head.empty() && is_border(decode(head, 0, first_size));
        std::size_t last_at = 0;
        // A grid copied from DBeaver: a border after each row only, and no marks.
        const bool grid = !framed && is_border(last_char(head, last_at));
        std::size_t end = rule + 1;
        while (end < m_lines.size() && !is_footer(m_lines[end].text) &&
               !(is_rule(m_lines[end].text) && framed) && !trim(m_lines[end].text).empty() &&
               !is_header(m_lines[end].text)) {
            ++end;
        }
        const int width = display_width(m_lines[rule].text);
        if (grid) {
            m_out.layout = "grid";
            grid_rows(rule + 1, end);
        } else if (framed) {
            cells(rule + 1, end, 1, true, true, 0);
        } else {
            // Border 1 has a margin column before the values; border 0 none. A plan's first
            // row starts with a node name or `[`, never a space. A rule a terminal cut goes
            // on over more lines of dashes.
            std::size_t body = rule + 1;
            while (body < end && is_rule(m_lines[body].text)) {
                ++body;
            }
            const bool margin = body < end && !m_lines[body].text.empty() && m_lines[body].text.front() == ' ';
            cells(body, end, 0, margin, false, margin ? width - 1 : width);
        }
        if (end < m_lines.size() && is_rule(m_lines[end].text)) {
            ++end; // the bottom rule of border 2
        }
        if (end < m_lines.size() && is_footer(m_lines[end].text)) {
            ++end;
        }
        return end;
    }

    // The header of an aligned table at line `at`: `QUERY PLAN`, or another column name when
    // a rule follows and then a row that starts a plan.
    bool table_header_at(std::size_t at) const {
        if (at >= m_lines.size()) {
            return false;
        }
        if (is_header(m_lines[at].text)) {
            return true;
        }
        return is_named_header(m_lines[at].text) && at + 2 < m_lines.size() &&
               is_rule(m_lines[at + 1].text) && starts_plan(m_lines[at + 2].text);
    }

    // A table's first row that starts a plan: JSON's `[` or `{`, or a text plan's root node
    // with its figures; after a border and the margin.
    static bool starts_plan(std::string_view row) {
        std::string_view text = trim(row);
        std::size_t size = 1;
        if (!text.empty() && is_border(decode(text, 0, size))) {
            text = trim(text.substr(size));
        }
        return starts_json(text) || is_text_plan_row(text);
    }

    // The first word of `text`, lower-cased, when a statement people paste with a plan starts
    // with it; empty otherwise.
    static std::string statement_keyword(std::string_view text) {
        std::size_t word = 0;
        while (word < text.size() && ((text[word] >= 'a' && text[word] <= 'z') ||
                                      (text[word] >= 'A' && text[word] <= 'Z'))) {
            ++word;
        }
        if (word == 0 || (word < text.size() && text[word] != ' ' && text[word] != '(' && text[word] != ';')) {
            return {};
        }
        std::string keyword(text.substr(0, word));
        std::transform(keyword.begin(), keyword.end(), keyword.begin(),
                       [](char c) { return static_cast<char>(c | 0x20); });
        constexpr std::string_view k_starts[] = {
            "explain", "select", "with", "values", "table", "set", "reset", "show", "begin",
            "start", "commit", "rollback", "end", "savepoint", "release", "load", "discard",
            "prepare", "execute", "deallocate", "analyze", "analyse", "vacuum", "lock",
            "create", "drop", "alter", "insert", "update", "delete", "merge", "do", "call"};
        return std::find(std::begin(k_starts), std::end(k_starts), keyword) == std::end(k_starts)
                   ? std::string()
                   : keyword;
    }

    // SQL typed or echoed before a plan without a prompt: `--` comment lines, psql's
    // meta-commands (`psql -a` echoes a script's lines, `\timing` and all), lines after a `#`
    // (psql's bare `%# ` prompt, or a Markdown heading over the paste), and statements that
    // start with a keyword above and end on a line that ends with `;` (within 200 lines).
    // People paste the statement above its plan; `psql -a -f` prints it so. An EXPLAIN is kept
    // as the next plan's query. Returns the index after it, or `at`.
    std::size_t typed_without_prompt(std::size_t at) {
        const std::string_view first = trim(m_lines[at].text);
        if (first.starts_with("--") || first.starts_with("\\")) {
            return at + 1;
        }
        if (first.starts_with('#')) {
            const std::string_view typed = trim(first.substr(1));
            if (statement_keyword(typed) == "explain" && typed.ends_with(';')) {
                m_typed = PastedQuery{explained_query(typed), 0, m_lines[at].number};
            }
            return at + 1;
        }
        if (is_text_plan_row(first) || m_lines[at].text.starts_with(' ')) {
            return at; // `Update on t  (cost=...)` is a plan's root; a plan row is indented
        }
        const std::string keyword = statement_keyword(first);
        if (keyword.empty()) {
            return at;
        }
        std::string statement;
        for (std::size_t i = at; i < m_lines.size() && i < at + 200; ++i) {
            const std::string_view text = trim(m_lines[i].text);
            if (i > at && (is_rule(text) || table_header_at(i) || is_text_plan_row(text))) {
                return at; // a plan came before the `;`: this was no statement
            }
            if (!statement.empty()) {
                statement += '\n';
            }
            statement += m_lines[i].text;
            if (text.ends_with(';')) {
                if (keyword == "explain") {
                    m_typed = PastedQuery{explained_query(trim(statement)), 0, m_lines[at].number};
                }
                return i + 1;
            }
        }
        return at;
    }

    // EXPLAIN's text output as it is, after the SQL pasted above it: up to a blank line, a
    // row count or a prompt. Returns the index after it.
    std::size_t bare_text_plan(std::size_t at) {
        std::size_t end = at;
        while (end < m_lines.size() && !trim(m_lines[end].text).empty() &&
               !is_footer(m_lines[end].text) && !read_prompt(m_lines[end].text)) {
            ++end;
        }
        Cell cell;
        for (std::size_t i = at; i < end; ++i) {
            cell.start_line(m_lines[i].number, 0);
            cell.text += m_lines[i].text;
        }
        if (m_out.layout.empty()) {
            m_out.layout = "text";
        }
        emit(cell);
        return end;
    }

    // Rows of a grid with a border after each (DBeaver's text copy): one line of the value
    // each, padded to the column's width; no marks, as the grid has none.
    void grid_rows(std::size_t first, std::size_t end) {
        for (std::size_t i = first; i < end; ++i) {
            std::string_view text = m_lines[i].text;
            std::size_t last = 0;
            if (is_border(last_char(text, last))) {
                text = text.substr(0, last);
            }
            while (!text.empty() && text.back() == ' ') {
                text.remove_suffix(1);
            }
            Cell cell;
            cell.start_line(m_lines[i].number, 0);
            cell.text += text;
            emit(cell);
        }
    }

    // Expanded records from `at` (a record header). Returns the index after them.
    std::size_t expanded(std::size_t at) {
        std::size_t i = at;
        while (i < m_lines.size() && is_record_header(m_lines[i].text)) {
            const bool framed = !m_lines[i].text.starts_with("-") &&
                                !m_lines[i].text.starts_with("\u2500");
            std::size_t end = i + 1;
            while (end < m_lines.size() && !is_record_header(m_lines[end].text) &&
                   !is_rule(m_lines[end].text) && !trim(m_lines[end].text).empty() &&
                   !is_footer(m_lines[end].text)) {
                ++end;
            }
            if (end > i + 1) {
                // The value starts after the first `|` that follows the label.
                const std::string_view first = m_lines[i + 1].text;
                std::size_t bar = framed ? 1 : 0;
                int left = 0;
                for (std::size_t k = 0; k < first.size();) {
                    std::size_t size = 1;
                    const std::uint32_t c = decode(first, k, size);
                    left += char_width(c);
                    k += size;
                    if (is_border(c) && bar-- == 0) {
                        break;
                    }
                }
                // Marks sit in the widest lines' last column, once a value spans lines.
                int widest = 0;
                for (std::size_t k = i + 1; k < end; ++k) {
                    widest = std::max(widest, display_width(m_lines[k].text));
                }
                cells(i + 1, end, left, true, framed, end - i > 2 ? widest - 1 : 0);
            }
            i = end;
            if (i < m_lines.size() && is_rule(m_lines[i].text)) {
                ++i;
            }
        }
        if (i < m_lines.size() && is_footer(m_lines[i].text)) {
            ++i;
        }
        return i;
    }

    // Rows copied from pgAdmin or DBeaver, or psql --csv: every non-empty line a quoted row.
    bool starts_quoted_rows(std::size_t at) const {
        for (std::size_t i = at; i < m_lines.size(); ++i) {
            const std::string_view line = trim(m_lines[i].text);
            if (!line.empty()) {
                return line.front() == '"' && line.size() > 1;
            }
        }
        return false;
    }

    // Every row between single quotes, nothing doubled inside (as pgAdmin III copies a result
    // and people quote lines by hand): from `at` to the end, the first row a plan's start.
    bool starts_single_quoted_rows(std::size_t at) const {
        bool first = true;
        for (std::size_t i = at; i < m_lines.size(); ++i) {
            const std::string_view line = trim(m_lines[i].text);
            if (line.empty()) {
                continue;
            }
            if (line.size() < 2 || line.front() != '\'' || line.back() != '\'') {
                return false;
            }
            if (first && !starts_plan(line.substr(1, line.size() - 2))) {
                return false;
            }
            first = false;
        }
        return !first;
    }

    std::size_t single_quoted_rows(std::size_t at) {
        for (std::size_t i = at; i < m_lines.size(); ++i) {
            const std::string_view line = m_lines[i].text;
            const std::string_view text = trim(line);
            if (text.empty()) {
                continue;
            }
            const std::size_t open = line.find('\'');
            Cell cell;
            cell.start_line(m_lines[i].number, static_cast<int>(open) + 1);
            cell.text += text.substr(1, text.size() - 2);
            emit(cell);
        }
        return m_lines.size();
    }

    // One column of CSV from `at`: a quoted field may span lines and doubles its quotes.
    std::size_t csv(std::size_t at) {
        std::size_t i = at;
        while (i < m_lines.size()) {
            const std::string_view line = m_lines[i].text;
            if (trim(line).empty()) {
                ++i;
                continue;
            }
            const std::size_t indent = line.find_first_not_of(" \t");
            Cell cell;
            if (line[indent] != '"') {
                cell.start_line(m_lines[i].number, 0);
                cell.text += line;
                emit(cell);
                ++i;
                continue;
            }
            cell.start_line(m_lines[i].number, static_cast<int>(indent) + 1);
            std::size_t k = indent + 1;
            bool closed = false;
            while (!closed && i < m_lines.size()) {
                const std::string_view text = m_lines[i].text;
                while (k < text.size()) {
                    if (text[k] == '"') {
                        if (k + 1 < text.size() && text[k + 1] == '"') {
                            cell.text += '"';
                            k += 2;
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    cell.text += text[k++];
                }
                ++i;
                if (!closed && i < m_lines.size()) {
                    cell.start_line(m_lines[i].number, 0);
                    k = 0;
                }
            }
            emit(cell);
        }
        return i;
    }

    std::vector<InputLine> m_lines;
    PastedPlan m_out;
    std::optional<PastedQuery> m_typed; // the statement typed at the last prompt
};

} // namespace

bool is_row_count(std::string_view line) {
    // psql's `(N rows)`, in the client's language: `(37 lignes)`, `(1 Zeile)`, `(2 filas)`.
    line = trim(line);
    if (line.size() < 4 || line.front() != '(' || line.back() != ')') {
        return false;
    }
    std::size_t at = 1;
    while (at < line.size() && line[at] >= '0' && line[at] <= '9') {
        ++at;
    }
    if (at == 1 || at >= line.size() || line[at] != ' ') {
        return false;
    }
    const std::string_view word = line.substr(at + 1, line.size() - at - 2);
    return !word.empty() && word.find_first_of(" ()=:") == std::string_view::npos;
}

std::optional<PastedPlan> unwrap_pasted_plan(std::string_view input) {
    if (input.starts_with("\xEF\xBB\xBF")) {
        input.remove_prefix(3);
    }
    const std::string_view first = trim(input);
    if (first.empty()) {
        return std::nullopt;
    }
    // `[local]shop=> ` (psql's %M) is a prompt, not JSON.
    if ((first.front() == '[' || first.front() == '{') && !read_prompt(first.substr(0, first.find('\n')))) {
        // EXPLAIN (FORMAT JSON) as it is, unless psql -t put `+` marks after its lines or
        // a row count follows it.
        const std::vector<InputLine> lines = split_lines(input);
        std::size_t last = lines.size();
        while (last > 0 && trim(lines[last - 1].text).empty()) --last;
        std::size_t head = 0;
        while (head < lines.size() && trim(lines[head].text).empty()) ++head;
        std::string_view top = head < lines.size() ? lines[head].text : std::string_view();
        while (!top.empty() && top.back() == ' ') top.remove_suffix(1);
        const bool marked = top.ends_with("+") || top.ends_with("\u21B5");
        if (!marked && !(last > 0 && is_footer(lines[last - 1].text))) {
            return std::nullopt;
        }
        return Unwrapper(lines).run();
    }
    return Unwrapper(split_lines(input)).run();
}

} // namespace dbadvise::analyzer::plan
