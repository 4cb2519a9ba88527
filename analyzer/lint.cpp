// The lint driver: parse a script, run every rule on every statement, locate the findings.
#include "analyzer/lint.hpp"

#include "analyzer/psql_variables.hpp"
#include "analyzer/rule.hpp"
#include "analyzer/rule_registry.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <span>
#include <utility>

namespace dbadvise::analyzer {

namespace {

Finding parse_error_finding(const sqlparse::ParseError& error) {
    using Kind = sqlparse::ParseError::Kind;
    const auto [rule, title] = [&]() -> std::pair<RuleId, std::string_view> {
        switch (error.kind) {
        case Kind::function_body:
            return {RuleId::body_parse_error, "Function body does not parse"};
        case Kind::unchecked:
            return {RuleId::not_checked, "Not checked"};
        case Kind::psql_command:
            return {RuleId::psql_unknown_command, "Unknown psql meta-command"};
        case Kind::too_large:
            return {RuleId::statement_too_large, "Statement too large to check"};
        case Kind::statement:
            break;
        }
        return {RuleId::parse_error, "Statement does not parse"};
    }();
    Finding f(rule);
    f.title = std::string(title);
    f.message = error.message.empty() ? std::string("the statement could not be parsed")
                                      : error.message;
    f.subject = error.message;
    f.fingerprint = error.enclosing_fingerprint; // set for a function body's errors
    f.location = Location{};
    f.location->offset = error.offset >= 0 ? error.offset : error.statement_span.begin;
    return f;
}

// Runs the rules on one parsed statement (or turns its error into a finding), appending to
// `found` with offsets into the text the statement came from.
void lint_statement(sqlparse::ParsedStatement&& entry, const RuleContext& context,
                    std::vector<Finding>& found, LintStats& stats) {
    if (entry.error && (entry.error->kind == sqlparse::ParseError::Kind::psql_command ||
                        entry.error->kind == sqlparse::ParseError::Kind::unchecked)) {
        found.push_back(parse_error_finding(*entry.error));
        return;
    }
    if (entry.error && entry.error->kind == sqlparse::ParseError::Kind::too_large) {
        ++stats.statements; // a statement, just not one lint reads
        found.push_back(parse_error_finding(*entry.error));
        return;
    }
    if (entry.statement && entry.statement->origin != sqlparse::StatementOrigin::script) {
        ++stats.body_statements;
    } else if (!entry.error || entry.error->kind == sqlparse::ParseError::Kind::statement) {
        ++stats.statements;
    }
    if (entry.error || !entry.statement) {
        ++stats.parse_errors;
        if (entry.error) {
            found.push_back(parse_error_finding(*entry.error));
        }
        return;
    }
    const sqlparse::Statement& statement = *entry.statement;
    const std::size_t first = found.size();
    for (const Rule& rule : lint_rules()) {
        rule.check(statement, context, found);
    }
    show_psql_variables(statement, context.source, std::span<Finding>(found).subspan(first));
    if (statement.origin == sqlparse::StatementOrigin::quoted_function_body) {
        // The source text of a '...' body has its quotes doubled: a rewrite spliced from
        // it is neither the body's text nor standalone SQL.
        for (std::size_t i = first; i < found.size(); ++i) {
            found[i].suggestion.rewritten_query.clear();
        }
    }
    if (found.size() == first) {
        return; // most statements: no finding to stamp
    }
    const std::string fingerprint =
        statement.enclosing_fingerprint.empty()
            ? statement.fingerprint
            : statement.enclosing_fingerprint + "/" + statement.fingerprint;
    for (std::size_t i = first; i < found.size(); ++i) {
        found[i].fingerprint = fingerprint;
    }
}

sqlparse::ParseOptions lint_parse_options(sqlparse::ParseOptions::Threading threading) {
    sqlparse::ParseOptions options;
    // The token fingerprint (whitespace, comments, keyword case and constants ignored) goes
    // into each finding's id: it tells apart findings of the same rule on the same subject in
    // different statements of a file, and unlike a line number it survives edits elsewhere in
    // the file and reformatting.
    options.fingerprint = true;
    options.libpg_query_fingerprint = false;
    options.threading = threading;
    return options;
}

} // namespace

ScriptLint::ScriptLint(std::string_view file_name, const Schema* schema, LintStats& stats,
                       sqlparse::ParseOptions::Threading threading)
    : m_file(file_name), m_schema(schema), m_stats(stats), m_feed(lint_parse_options(threading)) {}

std::size_t ScriptLint::feed(std::string_view text, bool final, std::vector<Finding>& out) {
    const RuleContext context{text, m_schema};
    std::vector<Finding> found;
    const std::size_t consumed = m_feed.feed(text, final, [&](sqlparse::ParsedStatement&& entry) {
        lint_statement(std::move(entry), context, found, m_stats);
    });
    // Offsets into `text` become the file's lines and columns: `text` starts at m_start.
    const sqlparse::SourceText source(text);
    for (Finding& f : found) {
        if (!f.location) {
            f.location = Location{};
        }
        f.location->file = m_file;
        if (f.location->offset < 0 && f.rule == RuleId::parse_error && m_open_comment) {
            // "unterminated /* comment": the comment began in text read and dropped before.
            f.location->line = m_open_comment->line;
            f.location->column = m_open_comment->column;
            f.location->offset = static_cast<int>(std::min<std::int64_t>(m_open_comment_offset, INT_MAX));
            continue;
        }
        const sqlparse::LineColumn lc = source.locate(f.location->offset, m_start);
        f.location->line = lc.line;
        f.location->column = lc.column;
        if (f.location->offset >= 0) {
            const std::int64_t offset = m_offset + f.location->offset;
            f.location->offset = static_cast<int>(std::min<std::int64_t>(offset, INT_MAX));
        }
    }
    sort_by_location(found);
    if (out.empty()) {
        // The usual case (one file, read whole): hand the vector over instead of moving
        // every finding (704 bytes each) into a second one, which doubled the peak memory
        // of a run with many findings.
        out.swap(found);
    } else {
        out.insert(out.end(), std::make_move_iterator(found.begin()),
                   std::make_move_iterator(found.end()));
    }
    if (const std::optional<int> open = m_feed.open_block_comment(); !final && open) {
        const std::int64_t at = static_cast<std::int64_t>(consumed) + *open; // in this text
        if (at >= 0 && at < static_cast<std::int64_t>(text.size())) {
            m_open_comment = source.locate(static_cast<int>(at), m_start);
            m_open_comment_offset = m_offset + at;
        }
    } else {
        m_open_comment.reset();
    }
    // Where the next piece starts: the index already counted the lines (same as advance()).
    m_start = source.locate(static_cast<int>(consumed), m_start);
    m_offset += static_cast<std::int64_t>(consumed);
    return consumed;
}

void lint_text(std::string_view file_name, std::string_view text, const Schema* schema,
               std::vector<Finding>& out, LintStats& stats,
               sqlparse::ParseOptions::Threading threading) {
    ScriptLint(file_name, schema, stats, threading).feed(text, true, out);
}

} // namespace dbadvise::analyzer
