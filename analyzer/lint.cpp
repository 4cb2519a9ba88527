// The lint driver: parse a script, run every rule on every statement, locate the findings.
#include "analyzer/lint.hpp"

#include "analyzer/rule.hpp"
#include "analyzer/rule_registry.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"

#include <fmt/format.h>

#include <cctype>
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
    f.location = Location{};
    f.location->offset = error.offset >= 0 ? error.offset : error.statement_span.begin;
    return f;
}

// A short hash of the statement's text with white space collapsed: it tells apart findings of
// the same rule on the same subject in different statements of a file, and unlike a line
// number it survives edits elsewhere in the file and reformatting. (libpg_query's fingerprint
// would ignore constants too, but costs a second parse of every statement.)
std::string statement_key(std::string_view text) {
    std::uint32_t hash = 2166136261U;
    bool space = false;
    for (const char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = true;
            continue;
        }
        if (space) {
            hash = (hash ^ ' ') * 16777619U;
            space = false;
        }
        hash = (hash ^ static_cast<unsigned char>(c)) * 16777619U;
    }
    return fmt::format("{:08x}", hash);
}

} // namespace

void lint_text(std::string_view file_name, std::string_view text, const Schema* schema,
               std::vector<Finding>& out, LintStats& stats,
               sqlparse::ParseOptions::Threading threading) {
    const RuleContext context{text, schema};
    std::vector<Finding> found;
    sqlparse::ParseOptions options;
    options.fingerprint = false;
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
        if (found.size() > first) {
            const std::string key = statement_key(
                text.substr(static_cast<std::size_t>(std::max(statement.span.begin, 0)),
                            static_cast<std::size_t>(std::max(
                                statement.span.end - statement.span.begin, 0))));
            for (std::size_t i = first; i < found.size(); ++i) {
                found[i].subject = fmt::format("{} @{}", found[i].subject, key);
            }
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
