// EXPLAIN output as people paste it: psql's tables (aligned, wrapped, expanded; any border;
// ASCII or Unicode lines), psql's CSV output, and rows copied from pgAdmin or DBeaver (one
// quoted row per line, quotes doubled inside). Reduced to what EXPLAIN itself printed, one
// plan row per line (a JSON plan is one row holding the whole document), with the input
// line each line came from, so that the plan parsers can read it and still point at the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer::plan {

struct PastedPlan {
    std::string text;              // the plan as EXPLAIN printed it
    std::vector<int> source_lines; // for each line of `text`: its 1-based line in the input
    /// For each line of `text`: how many bytes of its input line come before its first byte
    /// (borders, margins, the `QUERY PLAN |` label), to turn a column into the input's.
    std::vector<int> source_columns;
    std::string layout; // "aligned", "wrapped", "expanded", "csv", "tuples-only" (psql -t),
                        // "unaligned" (psql -A): what was recognised
};

/// The plan inside `input` when it is psql's or a GUI's tabular output of EXPLAIN; nullopt
/// when it is not (EXPLAIN's own text or JSON, as `psql -A -t` prints it: parse it as is).
/// psql's notices ("Output format is wrapped.", "Expanded display is on.", ...), the
/// `QUERY PLAN` header, borders, the `(N rows)` footer, the `+` (or `↵`) marks of a value
/// that goes on on the next line and the `.` (or `…`) marks of a line psql wrapped are all
/// removed; several tables (a script of EXPLAINs) follow one another.
std::optional<PastedPlan> unwrap_pasted_plan(std::string_view input);

} // namespace dbadvise::analyzer::plan
