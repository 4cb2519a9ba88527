// The lint driver: runs every rule over every statement of a script and locates findings.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/schema.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"

#include <cstdint>

#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

struct LintStats {
    std::int64_t statements = 0;      // statements of the scripts
    std::int64_t parse_errors = 0;    // statements and function bodies that do not parse
    std::int64_t body_statements = 0; // statements inside function bodies, also checked
};

/// Parses `text` (the contents of `file_name`), runs all lint rules on each statement and
/// appends findings with file:line:column to `out`. A statement that does not parse becomes
/// a `parse-error` finding (category input, severity error) and the others are still checked.
/// `threading` says where the SQL parser runs (sqlparse::ParseOptions::threading): by default
/// on a second thread for large texts.
void lint_text(std::string_view file_name, std::string_view text, const Schema* schema,
               std::vector<Finding>& out, LintStats& stats,
               sqlparse::ParseOptions::Threading threading = sqlparse::ParseOptions::Threading::automatic);

/// lint_text for a script read in pieces, so that only the statement in progress is held:
/// feed() lints the complete statements of `text` (the script's next bytes), appends their
/// findings located in the whole script (line, column and byte offset), and returns how many
/// bytes at the start of `text` it has read. The caller drops those and passes the rest with
/// the input that follows, `final` at the end (see sqlparse::ScriptFeed). The findings are
/// those lint_text gives for the whole text, in the same order once sorted by location.
class ScriptLint {
public:
    ScriptLint(std::string_view file_name, const Schema* schema, LintStats& stats,
               sqlparse::ParseOptions::Threading threading = sqlparse::ParseOptions::Threading::automatic);

    std::size_t feed(std::string_view text, bool final, std::vector<Finding>& out);

private:
    std::string m_file;
    const Schema* m_schema;
    LintStats& m_stats;
    sqlparse::ScriptFeed m_feed;
    sqlparse::LineColumn m_start{1, 1}; // where the next text starts in the script
    std::int64_t m_offset = 0;          // its byte offset
    // A `/*` still open at the end of the text read so far: where it began in the script.
    std::optional<sqlparse::LineColumn> m_open_comment;
    std::int64_t m_open_comment_offset = 0;
};

} // namespace dbadvise::analyzer
