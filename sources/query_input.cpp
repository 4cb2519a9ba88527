#include "sources/query_input.hpp"

#include "sources/gzip.hpp"
#include "sources/log_records.hpp"
#include "sources/session_table.hpp"

#include "analyzer/rule_registry.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/script_reader.hpp"
#include "sqlparse/source_text.hpp"
#include "util/ascii.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <unordered_map>

namespace dbadvise::sources {

namespace {

using analyzer::Finding;
using analyzer::RuleId;

// The severities a server writes, and LOCATION and QUERY, whose lines belong to the record
// before (log_error_verbosity = verbose). Asked of every line: by length first.
bool is_severity(std::string_view word) {
    switch (word.size()) {
    case 3: return word == "LOG";
    case 4: return word == "HINT" || word == "INFO";
    case 5: return word == "ERROR" || word == "FATAL" || word == "PANIC" || word == "DEBUG" || word == "QUERY";
    case 6: return word == "DETAIL" || word == "NOTICE" || (word.starts_with("DEBUG") && word[5] >= '1' && word[5] <= '5');
    case 7: return word == "CONTEXT" || word == "WARNING";
    case 8: return word == "LOCATION";
    case 9: return word == "STATEMENT";
    default: return false;
    }
}

// `text` from `from` on, which is at most its size: the unchecked substr of the hot paths.
std::string_view after(std::string_view text, std::size_t from) { return {text.data() + from, text.size() - from}; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || is_digit(c); }

// Where a stderr record's severity marker ("LOG:  ") starts and where its message starts,
// after whatever log_line_prefix the server writes; nullopt when the line has none.
struct Marker {
    std::string_view severity;
    std::size_t message = 0;
};

std::optional<Marker> find_marker(std::string_view line) {
    // A timestamp at the start holds no marker (its colons are followed by digits): the
    // search starts after it, one search instead of three on the usual line.
    const std::size_t from = starts_with_timestamp(line) ? 19 : 0;
    for (std::size_t at = line.find(":  ", from); at != std::string_view::npos; at = line.find(":  ", at + 1)) {
        std::size_t begin = at;
        while (begin > 0 && is_upper_or_digit(line[begin - 1])) --begin;
        if (begin == at) continue;
        // (The byte before is no capital letter nor digit: the loop stopped there.)
        if (begin > 0 && ((line[begin - 1] >= 'a' && line[begin - 1] <= 'z') || line[begin - 1] == '_'))
            continue;
        const std::string_view word = line.substr(begin, at - begin);
        if (is_severity(word)) return Marker{word, at + 3};
    }
    return std::nullopt;
}

// The server process in a stderr log_line_prefix: the digits of `[%p]` (the default prefix
// is '%m [%p] '); empty when the prefix has none.
std::string_view session_in_prefix(std::string_view prefix) {
    for (std::size_t open = prefix.find('['); open != std::string_view::npos; open = prefix.find('[', open + 1)) {
        std::size_t end = open + 1;
        while (end < prefix.size() && is_digit(prefix[end])) ++end;
        if (end > open + 1 && end < prefix.size() && prefix[end] == ']') return {prefix.data() + open + 1, end - open - 1};
    }
    return {};
}

// The start of a csvlog record: `<timestamp>,<user>,<database>,<pid>,` where user and
// database are empty or quoted ("" doubles a quote) and pid is digits. Text inside a quoted
// field that starts a line like this is all but impossible; a record cut in the middle of a
// quoted field (a log truncated and appended to, a line lost in a copy) is followed by one.
bool starts_csv_record(std::string_view line) {
    if (!starts_with_timestamp(line)) return false;
    std::size_t i = line.find(',');
    if (i == std::string_view::npos || line.substr(0, i).find('"') != std::string_view::npos) return false;
    ++i;
    for (int field = 0; field < 2; ++field) { // user, database
        if (i < line.size() && line[i] == '"') {
            for (++i; i < line.size(); ++i) {
                if (line[i] != '"') continue;
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    ++i;
                    continue;
                }
                break;
            }
            if (i >= line.size()) return false;
            ++i; // the closing quote
        }
        if (i >= line.size() || line[i] != ',') return false;
        ++i;
    }
    const std::size_t digits = i;
    while (i < line.size() && is_digit(line[i])) ++i;
    return i > digits && i < line.size() && line[i] == ',';
}

// No SQL statement starts with a digit, and none with a syslog date ("Mar  1 12:00:00").
bool looks_like_log(std::string_view line) {
    if (!line.empty() && is_digit(line.front())) return true;
    return line.size() >= 16 && std::isupper(static_cast<unsigned char>(line[0])) != 0 &&
           std::islower(static_cast<unsigned char>(line[1])) != 0 &&
           std::islower(static_cast<unsigned char>(line[2])) != 0 && line[3] == ' ' &&
           is_digit(line[5]) && line[6] == ' ' && is_digit(line[7]) && line[9] == ':' && line[12] == ':';
}

bool is_trimmed(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (begin < end && is_trimmed(text[begin])) ++begin;
    while (end > begin && is_trimmed(text[end - 1])) --end;
    return text.substr(begin, end - begin);
}

// The key a statement's executions are first grouped by: sqlparse::text_shape_key where it
// vouches for the text (the cheaper one, top bit set), else sqlparse::token_shape_key (top bit
// clear). Texts with the same key have the same token fingerprint; texts of one fingerprint
// may have several keys, each normalized once and found to be one statement (Reader::group).
// nullopt for a text with a NUL byte, which fails the parse wherever it is, even in a literal
// or comment the keys step over: such a text is never taken for a key's statement.
std::optional<std::uint64_t> record_key(std::string_view sql) {
    if (sql.find('\0') != std::string_view::npos) return std::nullopt;
    constexpr std::uint64_t top = std::uint64_t{1} << 63;
    if (const std::optional<std::uint64_t> key = sqlparse::text_shape_key(sql)) return *key | top;
    return sqlparse::token_shape_key(sql) & ~top;
}

// Where a statement came from: what it is grouped in. A log that has both
// log_min_duration_statement lines and auto_explain plans (or log_statement lines without a
// duration) would count each execution twice; the first kind present wins (reader's notes).
enum class Kind { timed_statement, plan, untimed_statement };
constexpr std::size_t k_kinds = 3;

class Reader {
public:
    explicit Reader(const QueryInputOptions& options) : m_options(options) {}

    // --- findings ---
    // True when the finding is kept (not only counted).
    bool unreadable(int line, std::string title, std::string message) {
        ++m_unreadable;
        if (m_result.findings.size() >= m_options.max_findings) {
            ++m_findings_dropped;
            return false;
        }
        Finding finding(RuleId::unreadable_line);
        finding.title = std::move(title);
        finding.message = std::move(message);
        finding.subject = fmt::format("{}:{}", m_options.name, line);
        finding.location = analyzer::Location{m_options.name, line, 0, -1, {}};
        m_result.findings.push_back(std::move(finding));
        return true;
    }

    static std::string csv_cut_message(int line) {
        return fmt::format("A quoted field of this record is still open when line {} starts a new record (the log "
                           "was truncated or lines were lost?). Skipped.",
                           line);
    }

    void parse_error(int line, int column, const std::string& message, std::string_view sql) {
        ++m_parse_errors;
        if (m_result.findings.size() >= m_options.max_findings) {
            ++m_findings_dropped;
            return;
        }
        Finding finding(RuleId::parse_error);
        finding.severity = analyzer::Severity::warning;
        finding.title = fmt::format("Statement does not parse: {}", message);
        finding.message = fmt::format(
            "This statement is left out of the workload. {}: {}",
            m_sql_file
                ? "It is not valid SQL for the PostgreSQL 15 parser (a typo, or syntax newer than the parser)"
                : "In a log the text may be cut (a line cut in the middle) or use syntax newer than the parser",
            sql.substr(0, 200));
        finding.subject = fmt::format("{}:{}", m_options.name, line);
        finding.location = analyzer::Location{m_options.name, line, column, -1, {}};
        m_result.findings.push_back(std::move(finding));
    }

    // --- statements ---
    // One execution (or `calls` of them) of `sql` taking `total_ns` in all, at `line` (a log
    // record's first line) and `column` (SQL files; 0 in logs): where a new statement was first
    // seen, and for messages; `source` and `offset` locate a parse error in a SQL file.
    //
    // A log's records are grouped by a key of their text that leaves out literal values
    // (record_key), which reads every byte of every record: much of a log's read time, which
    // is why a large log is read in parts at once (read_query_parts).
    void add(Kind kind, std::string_view sql, std::int64_t total_ns, std::int64_t calls, int line, int column = 0,
             const sqlparse::SourceText* source = nullptr, int offset = 0) {
        sql = trim(sql);
        // pg_stat_statements keeps no terminating semicolon: neither do the statements here.
        while (sql.ends_with(';')) sql = trim(sql.substr(0, sql.size() - 1));
        if (sql.empty()) return;
        group(kind, sql, total_ns, calls, line, column, source, offset);
    }

    void group(Kind kind, std::string_view sql, std::int64_t total_ns, std::int64_t calls, int line, int column,
               const sqlparse::SourceText* source, int offset) {
        Groups& groups = m_groups[static_cast<std::size_t>(kind)];
        const auto count = [&](std::size_t index) {
            Tally& tally = groups.tallies[index];
            m_executions[static_cast<std::size_t>(kind)] += calls;
            tally.calls += calls;
            tally.total_ns += total_ns;
        };
        const std::optional<std::uint64_t> key = record_key(sql); // nullopt: never cached
        std::uint32_t* known = key ? groups.by_key.find(*key) : nullptr;
        if (known == nullptr) {
            const auto normalized = normalize(sql);
            if (!normalized) {
                int at_column = 0;
                int at_line = line;
                if (source != nullptr && normalized.error().offset >= 0) {
                    const auto where = source->locate(offset + normalized.error().offset);
                    at_line = where.line;
                    at_column = where.column;
                }
                parse_error(at_line, at_column, normalized.error().message, sql);
                return;
            }
            // Grouped as pg_stat_statements groups: by the normalized text's tokens (not
            // libpg_query's fingerprint, which drops digits at the end of table names and
            // would merge orders_1 with orders_2).
            const std::string fingerprint = sqlparse::token_fingerprint(*normalized);
            auto group = groups.by_fingerprint.find(fingerprint);
            std::size_t index = 0;
            if (group == groups.by_fingerprint.end()) {
                index = groups.statements.size();
                analyzer::WorkloadStatement statement;
                statement.queryid = fingerprint;
                statement.text = std::move(*normalized);
                statement.origin_file = m_options.name;
                statement.origin_line = line;
                statement.origin_column = column;
                groups.statements.push_back(std::move(statement));
                groups.tallies.emplace_back();
                groups.by_fingerprint.emplace(fingerprint, index);
            } else {
                index = group->second;
            }
            if (!key) {
                count(index);
                return;
            }
            known = &groups.by_key.insert(*key, static_cast<std::uint32_t>(index));
        }
        count(*known);
    }

    // --- log messages (every format) ---
    // `session` identifies the server process that wrote the record (csvlog's and jsonlog's
    // pid, the `[%p]` of a stderr log_line_prefix; empty when unknown): with log_statement
    // and a duration setting both on, the server logs `statement: SQL` when a statement
    // starts and a bare `duration: X ms` when it ends, and the two are paired per session.
    //
    // `detail` is the record's DETAIL (csvlog and jsonlog carry it in the record; a stderr log
    // writes it as the next line, which comes here as a record of severity DETAIL).
    void message(std::string_view severity, std::string_view text, int line, std::string_view session,
                 std::string_view detail = {}) {
        ++m_records;
        if (severity == "DETAIL") {
            prepared_detail(session, text);
            return;
        }
        release_execute();
        if (severity != "LOG") return; // ERROR, STATEMENT, HINT, ...
        ++m_log_records;
        if (text.starts_with("duration: ")) {
            duration_message(text, line, session, detail);
        } else if (text.starts_with("statement: ")) {
            start_statement(session, statement_text(after(text, 11), detail), line);
        } else if (auto sql = after_named_step(text, "execute ")) {
            start_statement(session, *sql, line);
        } else {
            return;
        }
        ++m_recognized;
    }

    // --- SQL-level PREPARE / EXECUTE ---
    // `EXECUTE p(5)` is logged with `DETAIL:  prepare: PREPARE p(bigint) AS SELECT ...`: the
    // statement that ran, and the one to analyze, is the prepared one.
    static bool is_execute(std::string_view sql) {
        // Ruled out by its first byte, as most statements are, before lexing: EXECUTE, or
        // white space or a comment before it.
        if (sql.empty() || (util::ascii_lower(sql.front()) != 'e' && sql.front() != '-' && sql.front() != '/' &&
                            std::isspace(static_cast<unsigned char>(sql.front())) == 0))
            return false;
        sqlparse::Lexer lexer(sql);
        sqlparse::Token token;
        return lexer.next(token) && token.kind == sqlparse::TokenKind::identifier &&
               starts_with_key(sqlparse::token_text(sql, token), "execute") && token.end - token.begin == 7;
    }

    // The statement after AS in `prepare: PREPARE name [(types)] AS statement`.
    static std::optional<std::string_view> prepared_statement(std::string_view detail) {
        if (!detail.starts_with("prepare: ")) return std::nullopt;
        const std::string_view prepare = detail.substr(9);
        sqlparse::Lexer lexer(prepare);
        sqlparse::Token token;
        for (int i = 0; lexer.next(token); ++i) {
            if (i >= 2 && token.depth == 0 && token.kind == sqlparse::TokenKind::identifier &&
                token.end - token.begin == 2 && starts_with_key(sqlparse::token_text(prepare, token), "as"))
                return prepare.substr(static_cast<std::size_t>(token.end));
        }
        return std::nullopt;
    }

    // The statement to group for `sql`: the prepared one when `sql` executes it.
    static std::string_view statement_text(std::string_view sql, std::string_view detail) {
        if (!detail.empty() && is_execute(sql)) {
            if (const auto prepared = prepared_statement(detail)) return *prepared;
        }
        return sql;
    }

    // A stderr log's DETAIL line: the prepared statement of the EXECUTE just before it.
    void prepared_detail(std::string_view session, std::string_view detail) {
        const std::optional<std::string_view> prepared = prepared_statement(detail);
        if (m_held && m_held->session == session) {
            Held held = std::move(*m_held);
            m_held.reset();
            add(Kind::timed_statement, prepared ? *prepared : std::string_view(held.sql), held.ns, 1, held.line);
            return;
        }
        release_execute();
        if (!prepared) return;
        // log_statement: `statement: EXECUTE ...` waits for its duration; it ran the prepared one.
        const std::size_t started = m_started.find(session);
        if (started == m_started.npos) {
            earlier(Earlier::prepared, session, 0, *prepared);
        } else if (is_execute(m_started[started].sql)) {
            m_started[started].sql.assign(*prepared);
        }
    }

    // The EXECUTE held for its DETAIL line, as it is when none came.
    void release_execute() {
        if (!m_held) return;
        Held held = std::move(*m_held);
        m_held.reset();
        add(Kind::timed_statement, held.sql, held.ns, 1, held.line);
    }

    // A statement logged when it started (log_statement): its duration may follow.
    void start_statement(std::string_view session, std::string_view sql, int line) {
        end_statement(session);
        if (m_started.size() >= k_max_started) {
            flush_started(); // sessions that never log a duration (log_statement alone): do not hold them all
        }
        Started& started = m_started[m_started.insert(session)];
        started.sql.assign(sql);
        started.line = line;
        m_most_started = std::max(m_most_started, m_started.size());
    }

    // Every started statement, untimed, in log order.
    void flush_started() {
        std::vector<Started*> started;
        m_started.for_each([&started](std::string_view, Started& statement) { started.push_back(&statement); });
        std::ranges::sort(started, {}, [](const Started* statement) { return statement->line; });
        for (Started* statement : started) {
            add(Kind::untimed_statement, statement->sql, 0, 1, statement->line);
            release_large(statement->sql);
        }
        m_started.clear();
    }

    // The session's started statement, if any, ran without a duration line: counted untimed.
    void end_statement(std::string_view session) {
        const std::size_t found = m_started.find(session);
        if (found == m_started.npos) {
            earlier(Earlier::ended, session);
            return;
        }
        add(Kind::untimed_statement, m_started[found].sql, 0, 1, m_started[found].line);
        close_started(found);
    }

    // Removes the started statement at `started`. Its text's memory is kept for the session's
    // next statement, unless it is large: a session that once logged a 10 MB INSERT does not
    // hold 10 MB for the rest of the log.
    void close_started(std::size_t started) {
        release_large(m_started[started].sql);
        m_started.remove(started);
    }
    static void release_large(std::string& text) {
        constexpr std::size_t k_kept_bytes = std::size_t{64} << 10;
        if (text.capacity() > k_kept_bytes) std::string().swap(text);
    }

    // The started statement at `started` took `ns`: the bare duration its session logged.
    void time_started(std::size_t started, std::int64_t ns) {
        ++m_paired;
        add(Kind::timed_statement, m_started[started].sql, ns, 1, m_started[started].line);
        close_started(started);
    }

    // `execute <name>: SQL` (also `execute S_1/C_2:` of a portal): the SQL after the name.
    static std::optional<std::string_view> after_named_step(std::string_view text, std::string_view step) {
        if (!text.starts_with(step)) return std::nullopt;
        const std::size_t colon = text.find(": ", step.size());
        if (colon == std::string_view::npos) return std::nullopt;
        return text.substr(colon + 2);
    }

    void duration_message(std::string_view text, int line, std::string_view session, std::string_view detail) {
        std::string_view rest = after(text, 10);
        const std::size_t unit = rest.find(" ms");
        const std::optional<std::int64_t> ns =
            unit == std::string_view::npos ? std::nullopt : parse_log_duration_ns({rest.data(), unit});
        if (!ns) {
            unreadable(line, "A duration line that cannot be read (cut in the middle?)",
                       fmt::format("Expected `duration: <number> ms`, found `{}`; the line is "
                                   "skipped and the rest of the log is read.",
                                   text.substr(0, 80)));
            return;
        }
        rest = after(rest, unit + 3);
        if (rest.empty()) {
            // The end of a statement logged when it started (log_statement), or log_duration
            // alone: nothing to group then.
            const std::size_t started = m_started.find(session);
            if (started == m_started.npos) {
                ++m_duration_only; // unless a part before left the session's statement open
                earlier(Earlier::timed, session, *ns);
                return;
            }
            time_started(started, *ns);
            return;
        }
        end_statement(session);
        if (!rest.starts_with("  ")) {
            unreadable(line, "A duration line that cannot be read (cut in the middle?)",
                       fmt::format("Expected two spaces and `statement:`, `execute <name>:` or "
                                   "`plan:` after the duration, found `{}`.",
                                   rest.substr(0, 80)));
            return;
        }
        rest = after(rest, 2);
        if (rest.starts_with("statement: ")) {
            const std::string_view sql = after(rest, 11);
            if (m_format_stderr && detail.empty() && is_execute(sql)) {
                // Its DETAIL line (the prepared statement) is the next record.
                m_held = Held{std::string(session), std::string(sql), *ns, line};
                return;
            }
            add(Kind::timed_statement, statement_text(sql, detail), *ns, 1, line);
        } else if (auto sql = after_named_step(rest, "execute ")) {
            add(Kind::timed_statement, *sql, *ns, 1, line);
        } else if (rest.starts_with("parse ") || rest.starts_with("bind ")) {
            // Extended protocol steps: the execute line carries the statement.
        } else if (rest.starts_with("plan:")) {
            plan(rest.substr(5), *ns, line);
        } else {
            unreadable(line, "A duration line with an unknown statement kind",
                       fmt::format("Expected `statement:`, `execute <name>:` or `plan:` after the "
                                   "duration, found `{}`.",
                                   rest.substr(0, 80)));
        }
    }

    // auto_explain: `plan:` then the plan in JSON (auto_explain.log_format = json) or text,
    // whose `Query Text:` is the statement.
    void plan(std::string_view body, std::int64_t ns, int line) {
        body = trim(body);
        if (body.starts_with("{")) {
            const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
            if (document.is_discarded() || !document.is_object() || !document.contains("Query Text") ||
                !document["Query Text"].is_string()) {
                unreadable(line, "An auto_explain JSON plan that cannot be read (cut in the middle?)",
                           "Expected a JSON object with \"Query Text\" after `plan:`; the plan is "
                           "skipped.");
                return;
            }
            add(Kind::plan, document["Query Text"].get<std::string>(), ns, 1, line);
            return;
        }
        // Text format: "Query Text: <statement, possibly over several lines>", then
        // "Query Parameters: ..." (16+) or the plan's first node.
        const std::size_t start = body.find("Query Text: ");
        if (start == std::string_view::npos) {
            unreadable(line, "An auto_explain plan without its Query Text",
                       "auto_explain prints `Query Text:` before the plan (text and JSON formats); "
                       "the plan is skipped.");
            return;
        }
        std::string_view rest = body.substr(start + 12);
        std::size_t end = 0;
        bool first = true;
        while (end < rest.size()) {
            const std::size_t newline = rest.find('\n', end);
            const std::size_t line_end = newline == std::string_view::npos ? rest.size() : newline;
            const std::string_view text_line = rest.substr(end, line_end - end);
            if (!first && (text_line.starts_with("Query Parameters: ") || looks_like_plan_node(text_line)))
                break;
            first = false;
            end = newline == std::string_view::npos ? rest.size() : newline + 1;
        }
        add(Kind::plan, rest.substr(0, end), ns, 1, line);
    }

    static bool looks_like_plan_node(std::string_view line) {
        if (line.find("  (cost=") != std::string_view::npos || line.find("  (actual ") != std::string_view::npos ||
            line.find(" (never executed)") != std::string_view::npos)
            return true;
        static constexpr std::array<std::string_view, 40> k_nodes = {
            "Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan",
            "Nested Loop", "Hash Join", "Merge Join", "Hash", "Sort", "Incremental Sort",
            "Aggregate", "HashAggregate", "GroupAggregate", "MixedAggregate", "Limit", "Result",
            "Append", "Merge Append", "Gather", "Gather Merge", "Unique", "Materialize", "Memoize",
            "Subquery Scan", "CTE Scan", "Function Scan", "Values Scan", "WindowAgg", "Insert on",
            "Update on", "Delete on", "Merge on", "LockRows", "SetOp", "ProjectSet", "Finalize",
            "Partial", "Parallel", "Custom Scan"};
        for (std::string_view node : k_nodes) {
            if (line.starts_with(node)) return true;
        }
        return false;
    }

    // --- formats ---
    // A stderr log's line; `continued` when the line after it continues its record (starts
    // with a tab). A record of one line, the usual, is read where it is, with no copy.
    void stderr_line(std::string_view line, int number, bool continued) {
        m_format_stderr = true;
        if (line.starts_with("\t")) {
            if (!m_pending) {
                unreadable(number, "A continuation line with no log record before it",
                           "Lines that start with a tab continue the record above; this one has "
                           "none (the log starts in the middle of a record?). Skipped.");
                return;
            }
            if (m_pending_text.size() + line.size() > m_options.max_record_bytes) {
                if (!m_pending_too_long)
                    unreadable(m_pending_line, "A log record too long to read",
                               fmt::format("The record is longer than {} bytes; it is skipped.",
                                           m_options.max_record_bytes));
                m_pending_too_long = true;
                return;
            }
            m_pending_text += '\n';
            m_pending_text.append(line.substr(1));
            if (!continued) flush_stderr();
            return;
        }
        if (line.empty() || (is_trimmed(line.front()) && trim(line).empty())) return;
        const std::optional<Marker> marker = find_marker(line);
        flush_stderr();
        if (!marker) {
            unreadable(number, "A line that is not a log record",
                       fmt::format("No severity marker (`LOG:  `, `ERROR:  `, `DETAIL:  `, ...) "
                                   "after the log_line_prefix: `{}`. A line cut in the middle, "
                                   "another program's output, or lc_messages other than English. "
                                   "Skipped.",
                                   line.substr(0, 80)));
            return;
        }
        const std::string_view session =
            session_in_prefix({line.data(), static_cast<std::size_t>(marker->severity.data() - line.data())});
        if (!continued) {
            message(marker->severity, after(line, marker->message), number, session);
            return;
        }
        m_pending = true;
        m_pending_too_long = false;
        m_pending_line = number;
        m_pending_severity.assign(marker->severity);
        m_pending_session.assign(session);
        m_pending_text.assign(line.substr(marker->message));
    }

    void flush_stderr() {
        if (!m_pending) return;
        m_pending = false;
        if (!m_pending_too_long) message(m_pending_severity, m_pending_text, m_pending_line, m_pending_session);
        m_pending_text.clear();
    }

    // csvlog: one record per CSV row; quoted fields may hold newlines, so a record may span
    // several lines. Columns (PostgreSQL 12-17): 11 error_severity, 13 message, 14 detail.
    void csv_line(std::string_view line, int number) {
        if (!m_csv_record.empty() && starts_csv_record(line)) {
            // The pending record never closed its quoted field and a new record begins: it was
            // cut. Report it and read on from here, rather than swallow the records after it.
            if (unreadable(m_csv_line, "A csvlog record cut in the middle", csv_cut_message(number)))
                m_cut_messages.emplace_back(m_result.findings.size() - 1, number);
            m_csv_record.clear();
        }
        const auto quotes = static_cast<std::size_t>(std::count(line.begin(), line.end(), '"'));
        if (m_csv_record.empty()) {
            if (trim(line).empty()) return;
            m_csv_line = number;
            if (quotes % 2 == 0) { // a record of one line, the usual: read where it is
                csv_record(line);
                return;
            }
            m_csv_quotes = 0;
        } else {
            m_csv_record += '\n';
        }
        if (m_csv_record.size() + line.size() > m_options.max_record_bytes) {
            unreadable(m_csv_line, "A csvlog record too long to read",
                       fmt::format("The record is longer than {} bytes (or a quote is missing "
                                   "and it never ends); it is skipped up to this line.",
                                   m_options.max_record_bytes));
            m_csv_record.clear();
            return;
        }
        m_csv_record.append(line);
        m_csv_quotes += quotes;
        if (m_csv_quotes % 2 != 0) return; // inside a quoted field: the record goes on
        csv_record(m_csv_record);
        m_csv_record.clear();
    }

    void csv_record(std::string_view record) {
        split_csv_record(record, m_csv_fields);
        const std::string_view first = csv_field_value(m_csv_fields[0], m_csv_values[0]);
        if (m_csv_fields.size() < 15 || !starts_with_timestamp(first)) {
            unreadable(m_csv_line, "A line that is not a csvlog record",
                       fmt::format("A csvlog record starts with a timestamp and has at least 23 "
                                   "fields; this one has {}{}. A record cut in the middle? Skipped.",
                                   m_csv_fields.size(), starts_with_timestamp(first) ? "" : " and no timestamp"));
            return;
        }
        message(csv_field_value(m_csv_fields[11], m_csv_values[1]), csv_field_value(m_csv_fields[13], m_csv_values[2]),
                m_csv_line, csv_field_value(m_csv_fields[3], m_csv_values[3]),
                csv_field_value(m_csv_fields[14], m_csv_values[4]));
    }

    void csv_end() {
        if (m_csv_record.empty()) return;
        unreadable(m_csv_line, "A csvlog record cut at the end of the file",
                   "The file ends inside a quoted field of this record (the log was copied while "
                   "the server wrote it?). Skipped.");
        m_csv_record.clear();
    }

    // jsonlog (15+): one JSON object per line.
    void json_line(std::string_view line, int number) {
        if (trim(line).empty()) return;
        JsonlogFields fields;
        if (scan_jsonlog_line(line, fields, m_json_values)) {
            if (!fields.severity || !fields.message) {
                unreadable(number, "A jsonlog record without error_severity or message",
                           "Skipped: a jsonlog record names its severity and message.");
                return;
            }
            message(*fields.severity, *fields.message, number, fields.pid.value_or(std::string_view()),
                    fields.detail.value_or(std::string_view()));
            return;
        }
        // Anything the scanner does not read (nested values, numbers with exponents, not JSON
        // at all) is parsed in full.
        const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
        if (record.is_discarded() || !record.is_object()) {
            unreadable(number, "A line that is not a jsonlog record",
                       "jsonlog writes one JSON object per line; this line is not one (cut in the "
                       "middle?). Skipped.");
            return;
        }
        const auto severity = record.find("error_severity");
        const auto text = record.find("message");
        if (severity == record.end() || !severity->is_string() || text == record.end() || !text->is_string()) {
            unreadable(number, "A jsonlog record without error_severity or message",
                       "Skipped: a jsonlog record names its severity and message.");
            return;
        }
        std::string session;
        if (const auto pid = record.find("pid"); pid != record.end()) {
            session = pid->is_string() ? pid->get<std::string>() : pid->dump();
        }
        std::string detail;
        if (const auto found = record.find("detail"); found != record.end() && found->is_string())
            detail = found->get<std::string>();
        message(severity->get_ref<const std::string&>(), text->get_ref<const std::string&>(), number, session, detail);
    }

    // --- SQL files ---
    // One statement per query, separated by semicolons; `-- calls: N` and `-- ms: X` comments
    // (also `-- weight: N`, on one line: `-- calls: 120, ms: 4.5`) weigh the statement after them.
    struct Weight {
        std::optional<std::int64_t> calls;
        std::optional<double> mean_ms;
    };

    // A table at any level of the query is named by a psql variable (`FROM :tbl`, `:"s".t`).
    static bool names_table_by_variable(const sqlparse::Query& query) {
        for (const sqlparse::Relation& relation : query.relations) {
            if (relation.psql_variable) return true;
        }
        return std::ranges::any_of(query.subqueries, names_table_by_variable);
    }

    void sql_text(const std::string& text) {
        m_sql_file = true;
        const sqlparse::SourceText source(text);
        sqlparse::ParseOptions options;
        // Read as psql reads it, as lint does: a meta-command (\set, \echo, \i, ...) ends at
        // the end of its line and is not a statement; `:name` variables are placeholders.
        options.psql = true;
        options.function_bodies = false;
        options.fingerprint = false;
        // The statements first, then their weights: a weight comment after a statement's `;`
        // on the same line weighs that statement; one on a line of its own, the next.
        struct Entry {
            sqlparse::Span span;
            std::optional<sqlparse::ParseError> error; // a parse error; kind psql_command: a meta-command
            Weight weight;
            bool variable_relation = false; // a table named by a psql variable (FROM :"tbl")
        };
        std::vector<Entry> entries;
        sqlparse::parse_script(text, options, [&](sqlparse::ParsedStatement&& parsed) {
            const sqlparse::Span span = parsed.statement ? parsed.statement->span : parsed.error->statement_span;
            if (!span.valid()) return;
            const bool variable_relation = parsed.statement && names_table_by_variable(parsed.statement->query);
            entries.push_back(Entry{span, std::move(parsed.error), {}, variable_relation});
        });
        int previous_end = 0;
        Entry* previous = nullptr;
        for (Entry& entry : entries) {
            const bool command = entry.error && entry.error->kind == sqlparse::ParseError::Kind::psql_command;
            const int line = source.locate(entry.span.begin).line;
            const int previous_line = previous != nullptr ? source.locate(previous->span.end).line : 0;
            weigh_between(text, source, previous_end, entry.span.begin, previous_line,
                          previous != nullptr ? &previous->weight : nullptr, command ? nullptr : &entry.weight, line);
            previous_end = entry.span.end;
            previous = command ? nullptr : &entry; // a comment above a meta-command weighs nothing
        }
        weigh_between(text, source, previous_end, static_cast<int>(text.size()),
                      previous != nullptr ? source.locate(previous->span.end).line : 0,
                      previous != nullptr ? &previous->weight : nullptr, nullptr, 0);
        for (const Entry& entry : entries) {
            const sqlparse::Span span = entry.span;
            if (entry.error && entry.error->kind == sqlparse::ParseError::Kind::psql_command) continue;
            const auto where = source.locate(span.begin);
            if (entry.error) {
                const auto at = source.locate(entry.error->offset >= 0 ? entry.error->offset : span.begin);
                parse_error(at.line, at.column, entry.error->message,
                            std::string_view(text).substr(static_cast<std::size_t>(span.begin),
                                                          static_cast<std::size_t>(span.end - span.begin)));
                continue;
            }
            std::string_view sql = std::string_view(text).substr(
                static_cast<std::size_t>(span.begin), static_cast<std::size_t>(span.end - span.begin));
            // psql's variables stand for values here: :'name' becomes the literal 'name' and
            // :name a number, each the same length, so normalizing makes them $n and the
            // locations stay the file's. A variable that names a table (`FROM :tbl`) or is an
            // identifier wherever it stands (`:"name"`) leaves the statement out: which table
            // or column psql puts there is not known, and the placeholder's name may be a
            // real table that is not the one meant.
            bool named_by_variable = entry.variable_relation;
            std::string with_values;
            for (const sqlparse::Token& token : sqlparse::lex(sql, sqlparse::LexOptions{.psql = true})) {
                if (token.kind != sqlparse::TokenKind::psql_variable) continue;
                if (token.size() > 1 && sql[static_cast<std::size_t>(token.begin) + 1] == '"') {
                    named_by_variable = true;
                    break;
                }
                if (with_values.empty()) with_values.assign(sql);
                sqlparse::write_variable_placeholder(sqlparse::token_text(sql, token),
                                                     with_values.data() + token.begin, true);
            }
            if (named_by_variable) {
                if (m_variable_named == 0) m_variable_named_line = where.line;
                ++m_variable_named;
                continue;
            }
            if (!with_values.empty()) sql = with_values;
            const Weight& weight = entry.weight;
            const std::int64_t calls = weight.calls.value_or(1);
            if (!weight.mean_ms) ++m_untimed_sql;
            add(Kind::timed_statement, sql, ms_to_ns(static_cast<double>(calls) * weight.mean_ms.value_or(1.0)), calls,
                where.line, where.column, &source, span.begin);
        }
    }


    // The `-- key: value` comments in text[from, to): those on `previous_line` (after the
    // previous statement's `;`) weigh `previous`, the others `next` (at `next_line`); a weight
    // comment with no statement to weigh is left alone.
    void weigh_between(std::string_view text, const sqlparse::SourceText& source, int from, int to, int previous_line,
                       Weight* previous, Weight* next, int next_line) {
        const std::string_view between = text.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from));
        const std::vector<sqlparse::Token> tokens = sqlparse::lex(between, sqlparse::LexOptions{.comments = true});
        for (const sqlparse::Token& token : tokens) {
            if (token.kind != sqlparse::TokenKind::line_comment) continue;
            const bool trailing = previous != nullptr && source.locate(from + token.begin).line == previous_line;
            Weight* target = trailing ? previous : next;
            if (target == nullptr) continue;
            read_weight(trim(sqlparse::token_text(between, token).substr(2)), trailing ? previous_line : next_line,
                        *target);
        }
    }

    static bool starts_with_key(std::string_view comment, std::string_view key) {
        if (comment.size() < key.size()) return false;
        for (std::size_t i = 0; i < key.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(comment[i])) != key[i]) return false;
        }
        return true;
    }

    // One comment's `key: value` pairs (keys in any case) into `weight`.
    void read_weight(std::string_view comment, int statement_line, Weight& weight) {
        if (!(starts_with_key(comment, "calls:") || starts_with_key(comment, "weight:") || starts_with_key(comment, "ms:")))
            return;
        // More executions than this is a typo (or an overflow waiting to happen in the sums).
        constexpr double k_max_calls = 1e12;
        std::size_t at = 0;
        while (at < comment.size()) {
            std::size_t comma = comment.find(',', at);
            if (comma == std::string_view::npos) comma = comment.size();
            const std::string_view pair = trim(comment.substr(at, comma - at));
            at = comma + 1;
            const std::size_t colon = pair.find(':');
            std::string key(colon == std::string_view::npos ? pair : trim(pair.substr(0, colon)));
            for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const std::string_view value = colon == std::string_view::npos ? std::string_view{} : trim(pair.substr(colon + 1));
            const std::optional<double> number = parse_log_number(value);
            const bool count = key == "calls" || key == "weight";
            if (!number || (key != "ms" && !count) ||
                (count && (*number < 1 || *number != std::floor(*number) || *number > k_max_calls))) {
                unreadable(statement_line, "A weight comment that cannot be read",
                           fmt::format("Expected `-- calls: N, ms: X` (N a whole number of "
                                       "executions from 1 to 10^12, X the mean milliseconds of one), "
                                       "found `{}`; the statement counts as one call of 1 ms.",
                                       pair));
                continue;
            }
            if (count)
                weight.calls = static_cast<std::int64_t>(*number);
            else
                weight.mean_ms = *number;
        }
    }

    // --- a log read in parts (read_query_parts) ---
    // Each part of a log is read by a reader of its own, which numbers the part's lines from 1
    // and starts with nothing open; the readers are then put together in file order. That
    // gives what one reader gives when nothing carries over from one part into the next.
    //
    // What does carry over from a log_statement log: statements that started in a part before
    // and wait for their session's duration. A part's reader does not know them. So when it
    // meets a session it has no started statement for, and that it has not started or ended
    // one for itself, it keeps what its record would do to such a statement (Earlier): pair it
    // with a bare duration, end it untimed (the session starts another statement), or give an
    // EXECUTE its prepared statement. absorb() then does each to the statements actually open,
    // at the place among the part's new statements and findings where one reader would have.

    // This reader reads a part that is not the log's first.
    void continue_earlier() { m_continues = true; }

    // Closes what the next part's first record (a new LOG record) would close: the stderr
    // record read last, and an EXECUTE waiting for a DETAIL line. True when the next part, read
    // by `later`, can be taken in as it was read: no csvlog record is open (its closing quote
    // is in the next part), and either no statement waits for its duration (log_statement) or
    // `later` kept all it did to such statements. Otherwise the next part must be read by this
    // reader, after this one.
    bool end_part(const Reader& later) {
        flush_stderr();
        release_execute();
        if (!m_csv_record.empty()) return false;
        if (m_started.empty()) return true;
        // Past k_max_started open statements one reader flushes them all, untimed: `later`
        // counted only its own.
        if (m_started.size() + later.m_most_started >= k_max_started) return false;
        // A statement open here whose session `later` met only after it stopped keeping events
        // (or may have: the filter errs that way).
        bool met_after = false;
        if (!later.m_met_after.empty()) {
            m_started.for_each([&](std::string_view session, Started&) {
                met_after = met_after || (later.m_settled.find(session) == later.m_settled.npos && later.met_after(session));
            });
        }
        return !met_after;
    }

    // Moves every line number this reader holds `offset` lines down: its part begins after
    // `offset` lines of the file.
    void shift_lines(int offset) {
        for (analyzer::Finding& finding : m_result.findings) {
            if (!finding.location) continue;
            finding.location->line += offset;
            finding.subject = fmt::format("{}:{}", m_options.name, finding.location->line);
        }
        for (auto& [index, line] : m_cut_messages) {
            line += offset;
            m_result.findings[index].message = csv_cut_message(line);
        }
        for (Groups& groups : m_groups) {
            for (analyzer::WorkloadStatement& statement : groups.statements) statement.origin_line += offset;
        }
        m_pending_line += offset;
        if (m_held) m_held->line += offset;
        m_started.for_each([offset](std::string_view, Started& started) { started.line += offset; });
        m_csv_line += offset;
    }

    // Takes in the reader of the part that follows this reader's (its lines shifted), once
    // end_part() said it can: its statements, findings (up to max_findings) and counts come
    // after this reader's, with what it did to the statements left open here done at its place
    // among them; what it left open is this reader's to close.
    void absorb(Reader&& later) {
        for (std::size_t kind = 0; kind < k_kinds; ++kind) m_executions[kind] += later.m_executions[kind];
        m_format_stderr = m_format_stderr || later.m_format_stderr;
        m_paired += later.m_paired;
        m_log_records += later.m_log_records;
        m_recognized += later.m_recognized;
        m_records += later.m_records;
        m_unreadable += later.m_unreadable;
        m_parse_errors += later.m_parse_errors;
        m_findings_dropped += later.m_findings_dropped;
        m_duration_only += later.m_duration_only;
        m_cut_messages.clear(); // this reader's lines are final now

        std::array<std::size_t, k_kinds> statements_taken{};
        std::size_t findings_taken = 0;
        // The later reader's statements and findings up to the counts it had then.
        const auto take = [&](const std::array<std::size_t, k_kinds>& statements, std::size_t findings) {
            for (std::size_t kind = 0; kind < k_kinds; ++kind) {
                Groups& into = m_groups[kind];
                Groups& from = later.m_groups[kind];
                for (std::size_t& i = statements_taken[kind]; i < statements[kind]; ++i) {
                    const auto [found, added] = into.by_fingerprint.try_emplace(from.statements[i].queryid,
                                                                               into.statements.size());
                    if (added) {
                        into.statements.push_back(std::move(from.statements[i]));
                        into.tallies.push_back(from.tallies[i]);
                    } else {
                        into.tallies[found->second].calls += from.tallies[i].calls;
                        into.tallies[found->second].total_ns += from.tallies[i].total_ns;
                    }
                }
            }
            for (; findings_taken < findings; ++findings_taken) {
                if (m_result.findings.size() < m_options.max_findings) {
                    m_result.findings.push_back(std::move(later.m_result.findings[findings_taken]));
                } else {
                    ++m_findings_dropped;
                }
            }
        };
        for (const Earlier& event : later.m_earlier) {
            take(event.statements, event.findings);
            const std::size_t started = m_started.find(event.session);
            if (started == m_started.npos) continue; // nothing open: what the later reader did stands
            switch (event.kind) {
            case Earlier::ended:
                end_statement(event.session);
                break;
            case Earlier::timed:
                --m_duration_only; // it has its statement after all
                time_started(started, event.ns);
                break;
            case Earlier::prepared:
                if (is_execute(m_started[started].sql)) m_started[started].sql.assign(event.sql);
                break;
            }
        }
        std::array<std::size_t, k_kinds> all{};
        for (std::size_t kind = 0; kind < k_kinds; ++kind) all[kind] = later.m_groups[kind].statements.size();
        take(all, later.m_result.findings.size());

        // What the later reader left open. No session has a statement open in both: one open
        // here whose session started another in the later part was ended above (an Earlier
        // event).
        later.m_started.for_each([this](std::string_view session, Started& started) {
            const std::size_t here = m_started.find(session);
            m_started[here == m_started.npos ? m_started.insert(session) : here] = std::move(started);
        });
        m_held = std::move(later.m_held);
        m_pending = later.m_pending;
        m_pending_too_long = later.m_pending_too_long;
        m_pending_line = later.m_pending_line;
        m_pending_severity = std::move(later.m_pending_severity);
        m_pending_session = std::move(later.m_pending_session);
        m_pending_text = std::move(later.m_pending_text);
        m_csv_record = std::move(later.m_csv_record);
        m_csv_line = later.m_csv_line;
        m_csv_quotes = later.m_csv_quotes;
    }

    QueryInput finish(QueryFormat format, int lines) {
        flush_stderr();
        csv_end();
        release_execute();
        flush_started(); // still waiting for their duration: the log ends, or they failed
        m_result.format = format;
        std::size_t chosen = k_kinds;
        for (std::size_t kind = 0; kind < k_kinds; ++kind) {
            if (!m_groups[kind].statements.empty() || m_executions[kind] > 0) {
                chosen = kind;
                break;
            }
        }
        static constexpr std::array<std::string_view, k_kinds> k_names = {
            "duration lines (log_min_duration_statement)", "auto_explain plans",
            "statement lines without a duration (log_statement)"};
        if (chosen < k_kinds) {
            if (m_paired > 0) {
                m_result.notes.push_back(fmt::format(
                    "{}: {} statements logged when they started (log_statement) took their "
                    "duration from the `duration:` line their session logged when they ended.",
                    m_options.name, m_paired));
            }
            for (std::size_t kind = chosen + 1; kind < k_kinds; ++kind) {
                if (m_executions[kind] == 0) continue;
                if (kind == static_cast<std::size_t>(Kind::untimed_statement) && m_paired > 0) {
                    m_result.notes.push_back(fmt::format(
                        "{}: {} statements logged without a duration line after them (faster than "
                        "log_min_duration_statement, failed, or still running) were left out: "
                        "their time is unknown.",
                        m_options.name, m_executions[kind]));
                    continue;
                }
                m_result.notes.push_back(fmt::format(
                    "{}: the workload is read from its {}; {} {} were left out so that no "
                    "execution counts twice.",
                    m_options.name, k_names[chosen], m_executions[kind], k_names[kind]));
            }
            Groups& groups = m_groups[chosen];
            for (std::size_t i = 0; i < groups.statements.size(); ++i) {
                analyzer::WorkloadStatement& statement = groups.statements[i];
                statement.calls = groups.tallies[i].calls;
                statement.total_ms = static_cast<double>(groups.tallies[i].total_ns) / 1e6;
                statement.mean_ms = statement.calls > 0 ? statement.total_ms / static_cast<double>(statement.calls) : 0;
                m_result.statements.push_back(std::move(statement));
            }
        }
        if (format == QueryFormat::sql && m_untimed_sql > 0) {
            m_result.notes.push_back(fmt::format(
                "{}: {} statement{} had no `-- ms:` comment: each call of {} counts as 1 ms.",
                m_options.name, m_untimed_sql, m_untimed_sql == 1 ? "" : "s",
                m_untimed_sql == 1 ? "it" : "them"));
        }
        if (m_variable_named > 0) {
            m_result.notes.push_back(fmt::format(
                "{}: {} statement{} name{} a table or column through a psql variable (`FROM :\"tbl\"`; "
                "the first at line {}): which one psql puts there is not known, so {} left out.",
                m_options.name, m_variable_named, m_variable_named == 1 ? "" : "s",
                m_variable_named == 1 ? "s" : "", m_variable_named_line,
                m_variable_named == 1 ? "it was" : "they were"));
        }
        if (m_log_records > 0 && m_recognized == 0 && format != QueryFormat::sql) {
            // German, French, ... server messages: `Dauer: 17.755 ms  Anweisung: ...`.
            m_result.notes.push_back(fmt::format(
                "{}: none of its {} LOG records is a `duration:`, `statement:` or `execute` "
                "message in English: the server writes them in the language of lc_messages, "
                "and dbadvise reads English. Set lc_messages = 'C' for the server's log.",
                m_options.name, m_log_records));
        }
        if (m_duration_only > 0 && m_result.statements.empty()) {
            m_result.notes.push_back(fmt::format(
                "{}: {} duration lines without their statement (log_duration = on): set "
                "log_min_duration_statement (0 logs every statement with its duration) instead.",
                m_options.name, m_duration_only));
        }
        if (m_findings_dropped > 0) {
            m_result.notes.push_back(fmt::format("{}: {} more bad lines or statements were not "
                                                 "reported one by one.",
                                                 m_options.name, m_findings_dropped));
        }
        analyzer::Evidence& stats = m_result.stats;
        stats.emplace_back("queries_format", std::string(to_string(format)));
        stats.emplace_back("queries_lines", static_cast<std::int64_t>(lines));
        if (format != QueryFormat::sql) stats.emplace_back("queries_log_records", m_records);
        stats.emplace_back("queries_executions",
                           chosen < k_kinds ? m_executions[chosen] : std::int64_t{0});
        stats.emplace_back("queries_statements", static_cast<std::int64_t>(m_result.statements.size()));
        stats.emplace_back("queries_unreadable_lines", m_unreadable);
        stats.emplace_back("queries_parse_errors", m_parse_errors);
        return std::move(m_result);
    }

private:
    // record_key -> group, looked up for every record: open addressing in one array
    // (the keys are hashes already), which costs a fraction of a node-based map.
    class KeyTable {
    public:
        std::uint32_t* find(std::uint64_t key) {
            if (m_slots.empty()) return nullptr;
            for (std::size_t at = slot(key);; at = (at + 1) & (m_slots.size() - 1)) {
                Slot& candidate = m_slots[at];
                if (candidate.used == 0) return nullptr;
                if (candidate.key == key) return &candidate.value;
            }
        }
        // `key` must not be in the table.
        std::uint32_t& insert(std::uint64_t key, std::uint32_t value) {
            if (2 * (m_size + 1) > m_slots.size()) grow();
            ++m_size;
            return place(key, value);
        }

    private:
        struct Slot {
            std::uint64_t key = 0;
            std::uint32_t value = 0;
            std::uint32_t used = 0;
        };
        [[nodiscard]] std::size_t slot(std::uint64_t key) const {
            return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> m_shift);
        }
        std::uint32_t& place(std::uint64_t key, std::uint32_t value) {
            std::size_t at = slot(key);
            while (m_slots[at].used != 0) at = (at + 1) & (m_slots.size() - 1);
            m_slots[at] = Slot{key, value, 1};
            return m_slots[at].value;
        }
        void grow() {
            std::vector<Slot> old = std::exchange(m_slots, std::vector<Slot>(m_slots.empty() ? 1024 : 2 * m_slots.size()));
            m_shift = 64 - std::countr_zero(m_slots.size());
            for (const Slot& entry : old) {
                if (entry.used != 0) place(entry.key, entry.value);
            }
        }
        std::vector<Slot> m_slots; // a power of two, at most half full
        std::size_t m_size = 0;
        int m_shift = 64;
    };

    // A group's calls and time, apart from its statement: the one part touched for every
    // record, kept small so that a log of many groups stays in the cache.
    // libpg_query's normalization of `sql`. A text that failed is remembered, so that a
    // statement failing again and again is parsed once: by its whole text, not by its key
    // (texts of one key may fail with other messages, one naming its own literal, or parse),
    // so that what each record gives does not depend on the records read before it. At most
    // k_failed_texts texts are kept: the memory stays bounded, and the result is the same.
    std::expected<std::string, sqlparse::ParseError> normalize(std::string_view sql) {
        const std::uint64_t hash = std::hash<std::string_view>{}(sql);
        if (const auto failed = m_failed_texts.find(hash); failed != m_failed_texts.end() && failed->second.first == sql)
            return std::unexpected(failed->second.second);
        auto normalized = sqlparse::normalize(sql);
        if (!normalized) {
            if (m_failed_texts.size() >= k_failed_texts) m_failed_texts.clear();
            m_failed_texts.insert_or_assign(hash, std::pair(std::string(sql), normalized.error()));
        }
        return normalized;
    }

    // Times are summed in whole nanoseconds: a sum of integers does not depend on the order
    // of its terms, so a log read in parts sums to what one read gives.
    struct Tally {
        std::int64_t calls = 0;
        std::int64_t total_ns = 0;
    };
    struct Groups {
        std::vector<analyzer::WorkloadStatement> statements;
        std::vector<Tally> tallies; // one per statement
        KeyTable by_key;
        std::unordered_map<std::string, std::size_t> by_fingerprint;
    };

    const QueryInputOptions& m_options;
    QueryInput m_result;
    std::array<Groups, k_kinds> m_groups;
    std::array<std::int64_t, k_kinds> m_executions{};
    static constexpr std::size_t k_failed_texts = 1024;
    std::unordered_map<std::uint64_t, std::pair<std::string, sqlparse::ParseError>> m_failed_texts;
    // csvlog "cut in the middle" findings (index in m_result.findings) and the line their
    // message names, for shift_lines.
    std::vector<std::pair<std::size_t, int>> m_cut_messages;
    // Statements logged when they started (log_statement), per session, until their duration.
    struct Started {
        std::string sql;
        int line = 0;
    };
    static constexpr std::size_t k_max_started = 10000;
    SessionTable<Started> m_started;
    std::size_t m_most_started = 0; // the most m_started held at once

    // A part after the first (continue_earlier): what a record did to a session's statement
    // that a part before may have left open (see absorb), with the number of statements of
    // each kind and of findings this reader had then.
    struct Earlier {
        enum Kind { ended, timed, prepared } kind;
        std::string session;
        std::int64_t ns = 0; // timed: the duration
        std::string sql; // prepared: the prepared statement
        std::array<std::size_t, k_kinds> statements{};
        std::size_t findings = 0;
    };
    bool m_continues = false;
    std::vector<Earlier> m_earlier;
    // Sessions whose earlier statement, if any, is settled here: ended or timed by a record of
    // this part (the first record of the session that did either, or started a statement).
    struct Nothing {};
    SessionTable<Nothing> m_settled;
    // Past k_max_earlier events (a log of many short connections) no more are kept, nor
    // sessions settled: the sessions met after are set in a Bloom filter (two bits each of
    // 2^23, a megabyte), and a statement left open before the part whose session it may hold
    // has the part read again (end_part). Memory stays bounded, whatever the sessions.
    static constexpr std::size_t k_max_earlier = 10000;
    static constexpr int k_filter_bits = 23;
    std::vector<std::uint64_t> m_met_after; // empty until then
    static std::array<std::size_t, 2> filter_bits(std::string_view session) {
        const std::uint64_t hash = session_hash(session, session_head(session));
        constexpr std::uint64_t mask = (std::uint64_t{1} << k_filter_bits) - 1;
        return {static_cast<std::size_t>(hash & mask),
                static_cast<std::size_t>(((hash * 0x9E3779B97F4A7C15ULL) >> (64 - k_filter_bits)) & mask)};
    }
    [[nodiscard]] bool met_after(std::string_view session) const {
        return std::ranges::all_of(filter_bits(session), [this](std::size_t bit) { return ((m_met_after[bit / 64] >> (bit % 64)) & 1) != 0; });
    }

    // Called when `session` has no started statement here: keeps what the record does to one a
    // part before may have left open.
    void earlier(Earlier::Kind kind, std::string_view session, std::int64_t ns = 0, std::string_view sql = {}) {
        if (m_continues) keep_earlier(kind, session, ns, sql);
    }
    void keep_earlier(Earlier::Kind kind, std::string_view session, std::int64_t ns, std::string_view sql) {
        if (m_settled.find(session) != m_settled.npos) return;
        if (m_earlier.size() >= k_max_earlier) {
            if (m_met_after.empty()) m_met_after.assign((std::size_t{1} << k_filter_bits) / 64, 0);
            for (const std::size_t bit : filter_bits(session)) m_met_after[bit / 64] |= std::uint64_t{1} << (bit % 64);
            return;
        }
        Earlier& event = m_earlier.emplace_back(Earlier{kind, std::string(session), ns, std::string(sql), {}, 0});
        for (std::size_t k = 0; k < k_kinds; ++k) event.statements[k] = m_groups[k].statements.size();
        event.findings = m_result.findings.size();
        if (kind != Earlier::prepared) m_settled.insert(session);
    }
    // stderr: an `EXECUTE name` with its duration, until the DETAIL line that may follow it.
    struct Held {
        std::string session;
        std::string sql;
        std::int64_t ns = 0;
        int line = 0;
    };
    std::optional<Held> m_held;
    bool m_format_stderr = false;
    std::int64_t m_paired = 0;       // durations paired with the statement logged before them
    std::int64_t m_log_records = 0;  // LOG records
    std::int64_t m_recognized = 0;   // LOG records that are statements or durations
    std::int64_t m_records = 0;
    std::int64_t m_unreadable = 0;
    std::int64_t m_parse_errors = 0;
    std::int64_t m_findings_dropped = 0;
    std::int64_t m_duration_only = 0;
    std::int64_t m_untimed_sql = 0;
    std::int64_t m_variable_named = 0; // SQL-file statements left out: a name is a psql variable
    int m_variable_named_line = 0;     // the first of them
    bool m_sql_file = false; // reading a SQL file, not a log
    // stderr: the record being read (its continuation lines follow it)
    bool m_pending = false;
    bool m_pending_too_long = false;
    int m_pending_line = 0;
    std::string m_pending_severity;
    std::string m_pending_session;
    std::string m_pending_text;
    // csvlog: the record being read (a quoted field may span lines)
    std::string m_csv_record;
    int m_csv_line = 0;
    std::size_t m_csv_quotes = 0;
    std::vector<std::string_view> m_csv_fields; // the record's fields, raw
    std::array<std::string, 5> m_csv_values;    // the values of those read that needed unquoting
    // jsonlog: the values of the fields read that needed unescaping
    std::array<std::string, 4> m_json_values;
};

} // namespace

std::optional<QueryFormat> parse_query_format(std::string_view name) {
    if (name == "auto") return QueryFormat::automatic;
    if (name == "sql") return QueryFormat::sql;
    if (name == "stderr") return QueryFormat::stderr_log;
    if (name == "csvlog") return QueryFormat::csvlog;
    if (name == "jsonlog") return QueryFormat::jsonlog;
    return std::nullopt;
}

std::string_view to_string(QueryFormat format) {
    switch (format) {
    case QueryFormat::automatic: return "auto";
    case QueryFormat::sql: return "sql";
    case QueryFormat::stderr_log: return "stderr";
    case QueryFormat::csvlog: return "csvlog";
    case QueryFormat::jsonlog: return "jsonlog";
    }
    return "auto";
}

QueryFormat detect_query_format(std::string_view first_line) {
    const std::string_view line = trim(first_line);
    if (line.starts_with("{")) return QueryFormat::jsonlog;
    // csvlog's record start (`<timestamp>,<user>,<database>,<pid>,`), not just a comma after
    // the timestamp: a stderr log_line_prefix such as '%m,%p ' has one too.
    if (starts_csv_record(line)) return QueryFormat::csvlog;
    if (find_marker(line)) return QueryFormat::stderr_log;
    return QueryFormat::sql;
}

namespace {

// Hands a log's line to the reader, with what its format needs to know of the next line.
void feed_line(Reader& reader, QueryFormat format, const LineReader& lines, std::string_view text, int number) {
    switch (format) {
    case QueryFormat::stderr_log: reader.stderr_line(text, number, lines.next_byte() == '\t'); break;
    case QueryFormat::csvlog: reader.csv_line(text, number); break;
    default: reader.json_line(text, number); break;
    }
}

// Feeds the lines `lines` has left, numbered on from `before`; the last number given.
int feed_lines(Reader& reader, QueryFormat format, LineReader& lines, int before) {
    std::string_view line;
    while (lines.next(line)) feed_line(reader, format, lines, line, before + lines.number());
    return before + lines.number();
}

std::string io_error(const QueryInputOptions& options, int line) {
    return line > 0 ? fmt::format("{}:{}: cannot read: I/O error", options.name, line)
                    : fmt::format("{}: cannot read: I/O error", options.name);
}

// The end of a gzip-compressed input that stopped early (GzipReader::error), after `lines`
// lines: a finding, the lines before being read.
void compressed_cut(Reader& reader, const GzipReader* gzip, int lines) {
    if (gzip == nullptr || gzip->error().empty()) return;
    reader.unreadable(std::max(lines, 1), "A compressed input cut short or corrupt",
                      fmt::format("The gzip stream stops after line {}: {}. The lines before are read; "
                                  "whatever the file held after them is not.",
                                  lines, gzip->error()));
}

// read_query_input on an uncompressed stream; `gzip` is the reader decompressing it, if any.
std::expected<QueryInput, std::string> read_plain_input(std::istream& in, const QueryInputOptions& options,
                                                        const GzipReader* gzip) {
    Reader reader(options);
    LineReader lines(in, options.block_bytes);
    // Whether the input could not be read: the stream, or, once the content has `ended` (only
    // then is GzipReader's error known), the compressed file under it.
    const auto read_failed = [&](bool ended) {
        return lines.bad() || (ended && gzip != nullptr && gzip->io_failed());
    };
    std::string_view line;
    bool started = false; // a non-blank line was read
    QueryFormat format = options.format;
    // The first non-blank line decides the format (unless given).
    std::string head;
    while (lines.next(line)) {
        head += lines.raw(); // (a SQL file is read as it is)
        if (!trim(line).empty()) {
            started = true;
            break;
        }
    }
    int number = lines.number();
    if (read_failed(!started)) return std::unexpected(io_error(options, 0));
    if (!started && gzip != nullptr && !gzip->error().empty())
        return std::unexpected(fmt::format("{}: cannot read: {}", options.name, gzip->error()));
    if (format == QueryFormat::automatic) {
        format = detect_query_format(line);
        if (format == QueryFormat::sql && looks_like_log(trim(line))) {
            return std::unexpected(fmt::format(
                "{}:{}: unknown log format: the line starts like a log line (a date or time) but "
                "has no severity marker (`LOG:  `) nor csvlog's commas; dbadvise reads stderr "
                "(any log_line_prefix, messages in English), csvlog and jsonlog logs: give "
                "--queries-format, or set lc_messages = 'C' on the server",
                options.name, number));
        }
    }
    if (format == QueryFormat::sql) {
        // A SQL file is read whole (statements span lines freely); logs stream.
        std::string text = std::move(head);
        lines.rest(text);
        if (read_failed(true)) return std::unexpected(io_error(options, 0));
        const auto newlines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
        reader.sql_text(text);
        const int total = newlines + (text.empty() || text.back() == '\n' ? 0 : 1);
        compressed_cut(reader, gzip, total);
        return reader.finish(format, total);
    }
    if (started) feed_line(reader, format, lines, line, number);
    number = feed_lines(reader, format, lines, 0);
    if (read_failed(true)) return std::unexpected(io_error(options, number));
    compressed_cut(reader, gzip, number);
    return reader.finish(format, number);
}

} // namespace

std::expected<QueryInput, std::string> read_query_input(std::istream& in, const QueryInputOptions& options) {
    // gzip's first byte, 0x1f, starts no text a log or a SQL file holds: a log rotated and
    // compressed is read as it is decompressed (GzipReader checks the rest of the header).
    if (in.peek() == 0x1f) {
        GzipReader gzip(in);
        std::istream inflated(&gzip);
        return read_plain_input(inflated, options, &gzip);
    }
    return read_plain_input(in, options, nullptr);
}

namespace {

constexpr unsigned k_max_parts = 16;
// How far past its target a part's first line is looked for.
constexpr std::size_t k_part_search_bytes = std::size_t{16} << 20;

// A line a part may begin with: one that starts a record of its own, which no line before it
// runs into (stderr: a LOG record; not a continuation line, nor the DETAIL of the record
// before; csvlog: a record's start; jsonlog: any line).
bool starts_part(std::string_view line, QueryFormat format) {
    switch (format) {
    case QueryFormat::stderr_log: {
        if (line.starts_with('\t')) return false;
        const std::optional<Marker> marker = find_marker(line);
        return marker && marker->severity == "LOG";
    }
    case QueryFormat::csvlog: return starts_csv_record(line);
    default: return !trim(line).empty();
    }
}

// The offset of the first line at or after `target` that a part may begin with; nullopt when
// there is none within k_part_search_bytes.
std::optional<std::size_t> part_start(const StreamOpener& open, std::size_t target, QueryFormat format,
                                      std::size_t block_bytes) {
    const std::unique_ptr<std::istream> in = open();
    const std::size_t from = target == 0 ? 0 : target - 1;
    if (!in || !in->seekg(static_cast<std::streamoff>(from))) return std::nullopt;
    // Small blocks first: the line looked for is usually among the first few.
    LineReader lines(*in, std::min<std::size_t>(block_bytes, 64 << 10), k_part_search_bytes);
    std::string_view line;
    std::size_t at = from;
    if (target > 0) { // the rest of the line that holds byte `target - 1`
        if (!lines.next(line)) return std::nullopt;
        at += lines.raw().size();
    }
    while (lines.next(line)) {
        if (!lines.raw().ends_with('\n')) return std::nullopt; // cut by the search's end, or the last line
        if (starts_part(line, format)) return at;
        at += lines.raw().size();
    }
    return std::nullopt;
}

// One part of a log: bytes [begin, end) of it (the last part reads on to the end), read by a
// reader of its own.
struct Part {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool last = false;
    std::unique_ptr<Reader> reader;
    int lines = 0;      // read
    bool failed = false; // the stream could not be opened, positioned or read
    std::exception_ptr error;
};

// Reads `part` with `reader` numbering its lines on from `before`; a first part skips the blank
// lines the file starts with, as read_query_input does.
void read_part(Part& part, Reader& reader, const StreamOpener& open, QueryFormat format,
               const QueryInputOptions& options, int before) {
    const std::unique_ptr<std::istream> in = open();
    if (!in || !in->seekg(static_cast<std::streamoff>(part.begin))) {
        part.failed = true;
        return;
    }
    LineReader lines(*in, options.block_bytes,
                     part.last ? static_cast<std::size_t>(-1) : part.end - part.begin);
    if (part.begin == 0) {
        std::string_view line;
        while (lines.next(line)) {
            if (trim(line).empty()) continue;
            feed_line(reader, format, lines, line, before + lines.number());
            break;
        }
    }
    part.lines = feed_lines(reader, format, lines, before) - before;
    part.failed = lines.bad();
}

} // namespace

std::expected<QueryInput, std::string> read_query_parts(const StreamOpener& open, std::size_t size,
                                                        const QueryInputOptions& options) {
    const auto at_once = [&]() -> std::expected<QueryInput, std::string> {
        const std::unique_ptr<std::istream> in = open();
        if (!in || !*in) return std::unexpected(io_error(options, 0));
        return read_query_input(*in, options);
    };
    const unsigned threads = std::min(
        k_max_parts, options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency()));
    if (options.cuts.empty() && (threads < 2 || size < 2 * std::max<std::size_t>(options.part_bytes, 1)))
        return at_once();
    // The format, from the first non-blank line: a SQL file is read whole, at once, and so is
    // a compressed file (it cannot be read from the middle), as it is decompressed.
    QueryFormat format = options.format;
    {
        const std::unique_ptr<std::istream> in = open();
        if (!in || !*in) return std::unexpected(io_error(options, 0));
        if (in->peek() == 0x1f) return read_query_input(*in, options);
        if (format == QueryFormat::automatic) {
            LineReader lines(*in, options.block_bytes);
            std::string_view line;
            while (lines.next(line) && trim(line).empty()) {}
            format = detect_query_format(line);
        }
    }
    if (format == QueryFormat::sql) return at_once();
    // Where the parts begin: at equal shares of the file (or where a test says), each moved on
    // to the first line a part may begin with.
    std::vector<std::size_t> targets = options.cuts;
    if (targets.empty()) {
        const std::size_t parts = std::min<std::size_t>(threads, size / std::max<std::size_t>(options.part_bytes, 1));
        for (std::size_t k = 1; k < parts; ++k) targets.push_back(size * k / parts);
    }
    std::vector<Part> parts(1);
    for (const std::size_t target : targets) {
        const std::optional<std::size_t> begin = part_start(open, target, format, options.block_bytes);
        if (begin && *begin > parts.back().begin && *begin < size) {
            parts.back().end = *begin;
            parts.emplace_back().begin = *begin;
        }
    }
    if (parts.size() == 1) return at_once();
    parts.back().end = size;
    parts.back().last = true;
    for (Part& part : parts) {
        part.reader = std::make_unique<Reader>(options);
        if (&part != &parts.front()) part.reader->continue_earlier();
    }

    // Every part but the first on a thread of its own; the first on this one.
    const auto run = [&](Part& part) {
        try {
            read_part(part, *part.reader, open, format, options, 0);
        } catch (...) {
            part.error = std::current_exception();
        }
    };
    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < parts.size(); ++i) {
        try {
            workers.emplace_back(run, std::ref(parts[i]));
        } catch (const std::system_error&) {
            break; // no more threads: the parts left are read below, after the others
        }
    }
    run(parts[0]);
    for (std::thread& worker : workers) worker.join();
    for (const Part& part : parts) {
        if (part.error) std::rethrow_exception(part.error);
    }

    // In file order: a part read afresh is taken in when nothing ran on into it from the part
    // before; otherwise (and when it was not read) it is read again by the first part's reader,
    // on from where that stopped.
    Reader& reader = *parts[0].reader;
    if (parts[0].failed) return std::unexpected(io_error(options, parts[0].lines));
    int lines = parts[0].lines;
    for (std::size_t i = 1; i < parts.size(); ++i) {
        Part& part = parts[i];
        const bool taken = i <= workers.size() && !part.failed;
        if (reader.end_part(*part.reader) && taken) {
            part.reader->shift_lines(lines);
            reader.absorb(std::move(*part.reader));
            part.reader.reset(); // what it kept for the merge
            lines += part.lines;
            continue;
        }
        read_part(part, reader, open, format, options, lines);
        lines += part.lines;
        if (part.failed) return std::unexpected(io_error(options, lines));
    }
    return reader.finish(format, lines);
}

std::expected<QueryInput, std::string> read_query_file(const std::string& path, const QueryInputOptions& options) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    const auto open = [&path]() -> std::unique_ptr<std::istream> {
        auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
        if (!in->is_open()) return nullptr;
        return in;
    };
    if (error || !std::filesystem::is_regular_file(path, error)) {
        const std::unique_ptr<std::istream> in = open();
        if (!in) return std::unexpected(io_error(options, 0));
        return read_query_input(*in, options);
    }
    return read_query_parts(open, static_cast<std::size_t>(size), options);
}

} // namespace dbadvise::sources
