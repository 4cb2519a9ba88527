// The lint driver: parse a script, run every rule on every statement, locate the findings.
#include "analyzer/lint.hpp"

#include "analyzer/rule.hpp"
#include "analyzer/rule_registry.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"

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

} // namespace

void lint_text(std::string_view file_name, std::string_view text, const Schema* schema,
               std::vector<Finding>& out, LintStats& stats,
               sqlparse::ParseOptions::Threading threading) {
    const RuleContext context{text, schema};
    std::vector<Finding> found;
    sqlparse::ParseOptions options;
    // The token fingerprint (whitespace, comments, keyword case and constants ignored) goes
    // into each finding's id: it tells apart findings of the same rule on the same subject in
    // different statements of a file, and unlike a line number it survives edits elsewhere in
    // the file and reformatting.
    options.fingerprint = true;
    options.libpg_query_fingerprint = false;
    options.threading = threading;
    sqlparse::parse_script(text, options, [&](sqlparse::ParsedStatement&& entry) {
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
        if (statement.origin == sqlparse::StatementOrigin::quoted_function_body) {
            // The source text of a '...' body has its quotes doubled: a rewrite spliced from
            // it is neither the body's text nor standalone SQL.
            for (std::size_t i = first; i < found.size(); ++i) {
                found[i].suggestion.rewritten_query.clear();
            }
        }
        const std::string fingerprint =
            statement.enclosing_fingerprint.empty()
                ? statement.fingerprint
                : statement.enclosing_fingerprint + "/" + statement.fingerprint;
        for (std::size_t i = first; i < found.size(); ++i) {
            found[i].fingerprint = fingerprint;
        }
    });
    const sqlparse::SourceText source(text);
    for (Finding& f : found) {
        if (!f.location) {
            f.location = Location{};
        }
        f.location->file = std::string(file_name);
        const sqlparse::LineColumn lc = source.locate(f.location->offset);
        f.location->line = lc.line;
        f.location->column = lc.column;
    }
    sort_by_location(found);
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
}

} // namespace dbadvise::analyzer
