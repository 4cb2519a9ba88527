// The lint driver: parse a script, run every rule on every statement, locate the findings.
#include "analyzer/lint.hpp"

#include "analyzer/rule.hpp"
#include "analyzer/rule_registry.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"
#include "util/ascii.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>

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

// --- psql variables ------------------------------------------------------------------------
// The parser saw each psql variable as a placeholder of the same size (`:name` as the name
// `_name`, `:"name"` as the quoted name "name", `:'name'` as the string 'name'), so names the
// rules take from the model can be placeholders. Once psql substitutes the variable they
// name nothing: findings show the variable as written instead.

struct PsqlVariable {
    std::string written; // :name, :"name", :'name'
    std::string value;   // the name or string the placeholder stood for: _name, name
    char form = ':';     // ':', '"' or '\''
};

// A byte that can continue an unquoted name.
bool identifier_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// The variables of a script statement, but for those whose placeholder's value the
// statement also uses as a real name (a finding naming it could mean either).
std::vector<PsqlVariable> statement_variables(std::string_view text, sqlparse::Span span) {
    std::vector<PsqlVariable> out;
    const std::string_view source = text.substr(static_cast<std::size_t>(span.begin),
                                                static_cast<std::size_t>(span.end - span.begin));
    if (source.find(':') == std::string_view::npos) {
        return out;
    }
    sqlparse::LexOptions options;
    options.psql = true;
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(source, options);
    std::vector<std::string> names;
    for (const sqlparse::Token& token : tokens) {
        const std::string_view written = sqlparse::token_text(source, token);
        if (token.kind == sqlparse::TokenKind::psql_variable && written.size() >= 2) {
            PsqlVariable variable;
            variable.written = std::string(written);
            if (written[1] == '"' || written[1] == '\'') {
                if (written.size() < 3 || written.back() != written[1]) {
                    continue;
                }
                variable.form = written[1];
                variable.value = std::string(written.substr(2, written.size() - 3));
            } else if (written[1] != '{') {
                variable.value = "_" + util::ascii_lower(written.substr(1));
            } else {
                continue; // :{?name} stands for true
            }
            out.push_back(std::move(variable));
        } else if (sqlparse::is_name_kind(token.kind)) {
            names.push_back(sqlparse::identifier_value(source, token));
        }
    }
    std::erase_if(out, [&](const PsqlVariable& v) {
        return v.form != '\'' && std::find(names.begin(), names.end(), v.value) != names.end();
    });
    return out;
}

bool same_name(std::string_view a, std::string_view b, char form) {
    return form == ':' ? util::ascii_lower(a) == b : a == b;
}

// Prose (a title, message, subject or evidence): each placeholder name, as a whole word or
// in quotes, becomes the variable as written.
void restore_in_prose(std::string& text, const std::vector<PsqlVariable>& variables) {
    for (const PsqlVariable& v : variables) {
        const std::size_t n = v.value.size();
        for (std::size_t at = 0; at + n <= text.size();) {
            const std::size_t end = at + n;
            const bool word = (at == 0 || !identifier_byte(text[at - 1])) &&
                              (end == text.size() || !identifier_byte(text[end]));
            if (!word || !same_name(std::string_view(text).substr(at, n), v.value, v.form)) {
                ++at;
                continue;
            }
            const bool quoted = at > 0 && end < text.size() &&
                                (text[at - 1] == '"' || text[at - 1] == '\'') &&
                                text[end] == text[at - 1];
            if (quoted && at > 1 && text[at - 2] == ':') {
                at = end + 1; // the variable as written already
                continue;
            }
            if (!quoted && (v.form == '\'' || (at > 0 && text[at - 1] == ':'))) {
                at = end; // a string's value only counts quoted; :name is already right
                continue;
            }
            const std::size_t from = quoted ? at - 1 : at;
            const std::size_t to = quoted ? end + 1 : end;
            text.replace(from, to - from, v.written);
            at = from + v.written.size();
        }
    }
}

// SQL (a rewrite or a statement to run): each token that is a placeholder becomes the
// variable as written, which psql substitutes where a name or literal goes. A placeholder
// psql cannot substitute (inside a longer quoted name or string) leaves the SQL unusable:
// false, and the caller drops it.
bool restore_in_sql(std::string& sql, const std::vector<PsqlVariable>& variables) {
    if (sql.empty()) {
        return true;
    }
    sqlparse::LexOptions options;
    options.psql = true;
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(sql, options);
    std::string out;
    std::size_t copied = 0;
    for (const sqlparse::Token& token : tokens) {
        using sqlparse::TokenKind;
        if (token.kind == TokenKind::psql_variable) {
            continue;
        }
        const std::string_view text = sqlparse::token_text(sql, token);
        const bool name = sqlparse::is_name_kind(token.kind);
        const bool string = sqlparse::is_string_kind(token.kind);
        if (!name && !string) {
            continue;
        }
        const std::string value = name ? sqlparse::identifier_value(sql, token)
                                       : std::string(text.size() >= 2 ? text.substr(1, text.size() - 2) : "");
        const std::string* replacement = nullptr;
        std::string glued;
        for (const PsqlVariable& v : variables) {
            if (value == v.value && (name ? v.form != '\'' : v.form == '\'' && token.kind == TokenKind::string)) {
                replacement = &v.written;
                break;
            }
            const bool inside = v.form == ':' ? util::ascii_lower(value).find(v.value) != std::string::npos
                                              : false;
            if (inside && token.kind == TokenKind::identifier) {
                // A name made from the placeholder (an index name): the variable's name
                // without the placeholder's underscore is as good a name.
                glued = util::ascii_lower(text);
                for (std::size_t at; (at = glued.find(v.value)) != std::string::npos;) {
                    glued.erase(at, 1);
                }
                replacement = &glued;
                break;
            }
            if (inside) {
                return false;
            }
        }
        if (replacement != nullptr) {
            out.append(sql, copied, static_cast<std::size_t>(token.begin) - copied);
            out += *replacement;
            copied = static_cast<std::size_t>(token.end);
        }
    }
    if (copied == 0) {
        return true;
    }
    out.append(sql, copied, std::string::npos);
    sql = std::move(out);
    return true;
}

void restore_variables(const sqlparse::Statement& statement, std::string_view text,
                       std::span<Finding> findings) {
    if (findings.empty() || statement.origin != sqlparse::StatementOrigin::script) {
        return; // psql substitutes no variable inside a function body's quotes
    }
    const std::vector<PsqlVariable> variables = statement_variables(text, statement.span);
    if (variables.empty()) {
        return;
    }
    for (Finding& f : findings) {
        restore_in_prose(f.title, variables);
        restore_in_prose(f.message, variables);
        restore_in_prose(f.subject, variables);
        for (auto& [key, value] : f.evidence) {
            if (auto* s = std::get_if<std::string>(&value)) {
                restore_in_prose(*s, variables);
            }
        }
        bool dropped = false;
        for (std::string* sql : {&f.suggestion.sql, &f.suggestion.rewritten_query}) {
            if (!restore_in_sql(*sql, variables)) {
                sql->clear();
                dropped = true;
            }
        }
        if (dropped) {
            f.message += " (No SQL is suggested: it would need a psql variable's value inside a "
                         "quoted name or string, where psql does not substitute it.)";
        }
    }
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
    restore_variables(statement, context.source,
                      std::span<Finding>(found).subspan(first));
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
        const sqlparse::LineColumn lc = source.locate(f.location->offset, m_start);
        f.location->line = lc.line;
        f.location->column = lc.column;
        if (f.location->offset >= 0) {
            const std::int64_t offset = m_offset + f.location->offset;
            f.location->offset = static_cast<int>(std::min<std::int64_t>(offset, INT_MAX));
        }
    }
    sort_by_location(found);
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
    m_start = sqlparse::advance(m_start, text.substr(0, consumed));
    m_offset += static_cast<std::int64_t>(consumed);
    return consumed;
}

void lint_text(std::string_view file_name, std::string_view text, const Schema* schema,
               std::vector<Finding>& out, LintStats& stats,
               sqlparse::ParseOptions::Threading threading) {
    ScriptLint(file_name, schema, stats, threading).feed(text, true, out);
}

} // namespace dbadvise::analyzer
