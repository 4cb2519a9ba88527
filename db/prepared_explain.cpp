#include "db/prepared_explain.hpp"

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

// The DO block. It builds the argument list from pg_prepared_statements (one
// `CAST(substr(NULLIF(current_setting('dbadvise.pN', true), ''), 2) AS type)` per parameter:
// values are set with a 'v' prefix so that a missing setting, an unset one and the empty
// string stay apart) and leaves the plan in the setting dbadvise.plan. The EXPLAIN it runs
// carries the marker too, for servers that record nested statements (track = all).
std::string do_block(std::string_view name, std::string_view options) {
    return fmt::format(
        "DO $dbadvise$ DECLARE args text; line text; plan text := ''; BEGIN "
        "SELECT pg_catalog.string_agg(pg_catalog.format("
        "'CAST(pg_catalog.substr(NULLIF(pg_catalog.current_setting(%L, true), ''''), 2) AS %s)', "
        "'dbadvise.p' || u.n, u.t), ', ' ORDER BY u.n) INTO args "
        "FROM pg_catalog.pg_prepared_statements p, "
        "unnest(p.parameter_types::pg_catalog.text[]) WITH ORDINALITY AS u(t, n) WHERE p.name = '{0}'; "
        "FOR line IN EXECUTE '/* dbadvise */ EXPLAIN ({1}) EXECUTE {0}' || coalesce('(' || args || ')', '') LOOP "
        "plan := plan || line; END LOOP; "
        "PERFORM pg_catalog.set_config('dbadvise.plan', plan, true); END $dbadvise$"
        "{2}SELECT pg_catalog.current_setting('dbadvise.plan')",
        name, options, k_next_statement);
}

} // namespace

std::expected<void, DbError> prepare_statement(Connection& connection, std::string_view name,
                                               std::string_view sql,
                                               const std::vector<std::string>& types) {
    std::string text = fmt::format("PREPARE {}", name);
    if (std::any_of(types.begin(), types.end(), [](const std::string& t) { return !t.empty(); })) {
        std::vector<std::string> shown;
        for (const std::string& t : types) {
            shown.push_back(t.empty() ? "unknown" : t);
        }
        text += fmt::format(" ({})", fmt::join(shown, ", "));
    }
    text += " AS ";
    text += trimmed_statement(sql);
    if (auto done = connection.execute(text, "preparing a statement"); !done) {
        return std::unexpected(done.error());
    }
    return {};
}

std::expected<std::string, DbError> explain_prepared(Connection& connection, std::string_view name,
                                                     const std::vector<Param>& values, ExplainMode mode) {
    std::vector<Param> tagged;
    for (const Param& value : values) {
        tagged.push_back(value ? Param("v" + *value) : std::nullopt);
    }
    if (auto set = connection.query(
            "SELECT count(pg_catalog.set_config('dbadvise.p' || u.n, u.v, true)) "
            "FROM unnest($1::pg_catalog.text[]) WITH ORDINALITY AS u(v, n) WHERE u.v IS NOT NULL",
            {array_literal(tagged)}, "passing parameter values");
        !set) {
        return std::unexpected(set.error());
    }
    auto plan = connection.execute(
        do_block(name, mode == ExplainMode::analyze ? "ANALYZE, BUFFERS, FORMAT JSON" : "FORMAT JSON"),
        mode == ExplainMode::analyze ? "EXPLAIN ANALYZE" : "EXPLAIN");
    if (!plan) {
        return std::unexpected(plan.error());
    }
    if (plan->rows() != 1 || plan->columns() != 1) {
        return std::unexpected(DbError(DbError::Kind::query, "EXPLAIN returned no plan"));
    }
    return std::string(plan->text(0, 0));
}

} // namespace dbadvise::db
