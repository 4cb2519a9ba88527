// EXPLAIN output as people paste it: psql's tables (aligned, wrapped, expanded; any border;
// ASCII or Unicode lines), psql's CSV output, rows copied from pgAdmin or DBeaver (one
// quoted row per line, quotes doubled inside), a psql session with its prompts and the
// statement typed at them, and auto_explain's records copied from the server log. Reduced to what EXPLAIN itself printed, one
// plan row per line (a JSON plan is one row holding the whole document), with the input
// line each line came from, so that the plan parsers can read it and still point at the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer::plan {

/// A statement that came with a plan: typed at a psql prompt before the plan's table, or
/// auto_explain's `Query Text:` line(s) in a text-format record.
struct PastedQuery {
    std::string text;   // as typed or logged; an EXPLAIN's keyword and options left out
    int plan_line = 0;  // 1-based line of PastedPlan::text where its plan starts
    int source_line = 0; // 1-based line of the input where the statement starts
};

struct PastedPlan {
    std::string text;              // the plan as EXPLAIN printed it
    std::vector<int> source_lines; // for each line of `text`: its 1-based line in the input
    /// For each line of `text`: how many bytes of its input line come before its first byte
    /// (borders, margins, the `QUERY PLAN |` label), to turn a column into the input's.
    std::vector<int> source_columns;
    std::string layout; // "aligned", "wrapped", "expanded", "csv", "tuples-only" (psql -t),
                        // "unaligned" (psql -A), "auto_explain": what was recognised
    std::vector<PastedQuery> queries; // in input order
};

/// The plan inside `input` when it is psql's or a GUI's tabular output of EXPLAIN; nullopt
/// when it is not (EXPLAIN's own text or JSON, as `psql -A -t` prints it: parse it as is).
/// psql's notices ("Output format is wrapped.", "Expanded display is on.", ...), the
/// `QUERY PLAN` header, borders, the `(N rows)` footer, the `+` (or `↵`) marks of a value
/// that goes on on the next line and the `.` (or `…`) marks of a line psql wrapped are all
/// removed; several tables (a script of EXPLAINs) follow one another.
///
/// A psql session: lines with psql's default prompts (`shop=# `, `shop=> `, `shop=*# `, and
/// the continuation prompts `shop-# `, `shop(# `, ...) hold the statement typed; the one
/// typed before a table is that plan's query, and the session's other lines (the banner,
/// other commands' output, a trailing prompt) are passed over. auto_explain's records from
/// the server log: a `duration: ... ms  plan:` line (any log_line_prefix and level) and the
/// lines after it that the stderr log starts with a tab (or, with the tabs lost, up to a
/// blank line or the next log line); a record may also start at its `Query Text:` line. A
/// JSON record is passed on whole (its "Query Text" is a member); a text record's
/// `Query Text:` lines become a PastedQuery and the plan follows them.
std::optional<PastedPlan> unwrap_pasted_plan(std::string_view input);

/// psql's row count after a table, `(N rows)`, in any language of the client (`(37 lignes)`).
bool is_row_count(std::string_view line);

} // namespace dbadvise::analyzer::plan
