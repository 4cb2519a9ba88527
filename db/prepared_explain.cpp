#include "db/prepared_explain.hpp"

#include "sqlparse/lexer.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dbadvise::db {

namespace {

std::string_view trimmed_statement(std::string_view sql) {
    while (!sql.empty() && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n' ||
                            sql.back() == '\t' || sql.back() == '\r')) {
        sql.remove_suffix(1);
    }
    return sql;
}

// The DO block: runs EXPLAIN EXECUTE with the argument list left in the setting
// dbadvise.args and leaves the plan in dbadvise.plan. Its text depends only on the statement
// name and the EXPLAIN options. The EXPLAIN it runs carries the marker too, for servers that
// record nested statements (track = all).
std::string do_block(std::string_view name, std::string_view options) {
    return fmt::format("DO $dbadvise$ DECLARE line text; plan text := ''; BEGIN "
                       "FOR line IN EXECUTE '/* dbadvise */ EXPLAIN ({1}) EXECUTE {0}' || "
                       "pg_catalog.current_setting('dbadvise.args') LOOP plan := plan || line; END LOOP; "
                       "PERFORM pg_catalog.set_config('dbadvise.plan', plan, true); END $dbadvise$"
                       "{2}SELECT pg_catalog.current_setting('dbadvise.plan')",
                       name, options, k_next_statement);
}

std::string_view options_of(ExplainMode mode) {
    return mode == ExplainMode::analyze ? "ANALYZE, BUFFERS, FORMAT JSON" : "FORMAT JSON";
}

// Sets dbadvise.p1, dbadvise.p2, ... to the values (with a 'v' prefix, so that NULL, an unset
// setting and the empty string stay apart) and dbadvise.args to the argument list that reads
// them back, cast to the parameter types of the prepared statement:
// `(CAST(substr(NULLIF(current_setting('dbadvise.p1', true), ''), 2) AS date), ...)`. A
// parameter of a pseudo-type (`CASE ... THEN a.attmissingval ELSE $5 END`: the server infers
// anyarray) can take no value from text, so it gets NULL, which the server coerces to it. It
// runs with the session's search_path (the prepared statement needs it), so every function
// it calls is qualified and every operator has an exact match in pg_catalog (text || text):
// an overload planted in a schema of the search path cannot match better.
constexpr std::string_view k_set_values =
    "SELECT pg_catalog.set_config('dbadvise.args', coalesce('(' || pg_catalog.string_agg("
    "CASE WHEN ty.typtype = 'p' THEN 'NULL' ELSE pg_catalog.format("
    "'CAST(pg_catalog.substr(NULLIF(pg_catalog.current_setting(%L, true), ''''), 2) AS %s)', "
    "'dbadvise.p' || u.n::pg_catalog.text, u.t) END, ', ' ORDER BY u.n) FILTER (WHERE u.n IS NOT NULL) || ')', ''), "
    "true), (SELECT pg_catalog.count(pg_catalog.set_config('dbadvise.p' || v.n::pg_catalog.text, v.v, true)) "
    "FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS v(v, n) WHERE v.v IS NOT NULL) "
    "FROM pg_catalog.pg_prepared_statements p "
    "LEFT JOIN LATERAL ROWS FROM (pg_catalog.unnest(p.parameter_types::pg_catalog.text[]), "
    "pg_catalog.unnest(p.parameter_types::pg_catalog.oid[])) "
    "WITH ORDINALITY AS u(t, oid, n) ON true LEFT JOIN pg_catalog.pg_type ty ON ty.oid = u.oid "
    "WHERE p.name = $2::pg_catalog.text";

} // namespace

// A parameter type as PREPARE's type list may hold: names, dots, type modifiers and array
// brackets, nothing else. Types come from the server's format_type(), from dbadvise's own
// guesses, or from casts in the statement's text (quoted by sqlparse): a string that is not
// one type would let that text close the list and append SQL of its own.
bool is_one_type(std::string_view type) {
    using sqlparse::TokenKind;
    int depth = 0;
    // Comments are tokens here (and refused), so the server cannot read around what we saw.
    for (const sqlparse::Token& token : sqlparse::lex(type, sqlparse::LexOptions{.comments = true})) {
        switch (token.kind) {
        case TokenKind::identifier:
        case TokenKind::dot:
        case TokenKind::integer:
        case TokenKind::comma:
            break;
        case TokenKind::quoted_identifier:
            if (token.unterminated()) return false;
            break;
        case TokenKind::open_paren:
        case TokenKind::open_bracket:
            ++depth;
            break;
        case TokenKind::close_paren:
        case TokenKind::close_bracket:
            if (--depth < 0) return false;
            break;
        default:
            return false;
        }
        if (token.kind == TokenKind::comma && depth == 0) return false;
    }
    return depth == 0;
}

std::expected<void, DbError> prepare_statement(Connection& connection, std::string_view name,
                                               std::string_view sql,
                                               const std::vector<std::string>& types,
                                               std::string_view before) {
    for (const std::string& type : types) {
        if (!type.empty() && !is_one_type(type)) {
            DbError error;
            error.message = fmt::format("dbadvise did not prepare the statement: the parameter type {} is "
                                        "not one type name",
                                        type);
            return std::unexpected(error);
        }
    }
    std::string text = fmt::format("{}PREPARE {}", before, name);
    if (std::any_of(types.begin(), types.end(), [](const std::string& t) { return !t.empty(); })) {
        std::vector<std::string> shown;
        for (const std::string& t : types) {
            shown.push_back(t.empty() ? "unknown" : t);
        }
        text += fmt::format(" ({})", fmt::join(shown, ", "));
    }
    text += " AS ";
    const std::string_view statement = trimmed_statement(sql);
    text += statement;
    if (auto done = connection.execute(text, "preparing a statement"); !done) {
        // The error's position counts from the start of `sql`.
        DbError error = done.error();
        const int start = static_cast<int>(text.size() - statement.size());
        error.position = error.position >= start ? error.position - start : -1;
        return std::unexpected(error);
    }
    return {};
}

std::expected<std::string, DbError> explain_prepared(Connection& connection, std::string_view name,
                                                     const std::vector<Param>& values, ExplainMode mode) {
    const std::string_view what = mode == ExplainMode::analyze ? "EXPLAIN ANALYZE" : "EXPLAIN";
    const auto run = [&](const std::string& arguments) -> std::expected<std::string, DbError> {
        auto rows = connection.query(fmt::format("EXPLAIN ({}) EXECUTE {}{}", options_of(mode), name, arguments), {},
                                     what);
        if (!rows) {
            return std::unexpected(rows.error());
        }
        std::string plan;
        for (int row = 0; row < rows->rows(); ++row) {
            plan += rows->text(row, 0);
        }
        return plan;
    };
    std::expected<std::string, DbError> plan;
    if (connection.untracked() && !values.empty()) {
        // Nothing this session sends is recorded: EXECUTE takes the values as literals, in one
        // round trip and without PL/pgSQL.
        std::vector<std::string> arguments;
        for (const Param& value : values) {
            arguments.push_back(value ? connection.quote_literal(*value) : std::string("NULL"));
        }
        plan = run(fmt::format("({})", fmt::join(arguments, ", ")));
    } else {
        std::vector<Param> tagged;
        for (const Param& value : values) {
            tagged.push_back(value ? Param("v" + *value) : std::nullopt);
        }
        auto set = connection.query(k_set_values, {array_literal(tagged), std::string(name)},
                                    "passing parameter values");
        if (!set) {
            return std::unexpected(set.error());
        }
        if (set->rows() != 1) {
            return std::unexpected(DbError(DbError::Kind::query, "the prepared statement is missing"));
        }
        if (connection.untracked() || connection.nested_tracking()) {
            // Untracked, or tracked with everything nested (track = all), where the DO block's
            // own statements would be recorded too: EXECUTE with the argument list that reads
            // the settings. Its text depends on the parameter types only.
            plan = run(std::string(set->text(0, 0)));
        } else {
            auto rows = connection.execute(do_block(name, options_of(mode)), what);
            if (!rows) {
                return std::unexpected(rows.error());
            }
            plan = rows->rows() == 1 ? std::string(rows->text(0, 0)) : std::string();
        }
    }
    if (plan && plan->empty()) {
        return std::unexpected(DbError(DbError::Kind::query, std::string(what) + " returned no plan"));
    }
    return plan;
}

} // namespace dbadvise::db
