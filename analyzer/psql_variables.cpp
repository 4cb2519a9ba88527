// Findings about statements with psql variables show the variables, not their placeholders.
#include "analyzer/psql_variables.hpp"

#include "sqlparse/lexer.hpp"
#include "util/ascii.hpp"

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

namespace dbadvise::analyzer {

namespace {

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

} // namespace

void show_psql_variables(const sqlparse::Statement& statement, std::string_view text,
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

} // namespace dbadvise::analyzer
