#include "db/live_planner.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace dbadvise::db {

using analyzer::IndexSpec;
using analyzer::PlannerError;
using analyzer::PlanRequest;
using analyzer::PlanResult;

namespace {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Every statement the planner sends starts with this comment, so that the workload reader can
// leave dbadvise's own PREPARE/EXPLAIN out of pg_stat_statements. pg_stat_statements records
// the statements of one multi-statement string one by one, so those strings join their
// statements with k_next, which repeats the marker.
constexpr std::string_view k_marker = "/* dbadvise */ ";
constexpr std::string_view k_next = "; /* dbadvise */ ";

std::string marked(const std::string& sql) {
    return std::string(k_marker) + sql;
}

Result exec(PGconn* conn, const std::string& sql) {
    return Result(PQexec(conn, marked(sql).c_str()), &PQclear);
}

Result exec_params(PGconn* conn, const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const std::string& p : params) {
        values.push_back(p.c_str());
    }
    return Result(PQexecParams(conn, marked(sql).c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0),
                  &PQclear);
}

bool ok(const Result& result) {
    if (!result) {
        return false;
    }
    const ExecStatusType status = PQresultStatus(result.get());
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// The server's primary message ("relation \"t\" does not exist"), without libpq's "ERROR:"
// prefix and the LINE/caret context, which point into dbadvise's own PREPARE text.
std::string server_message(PGconn* conn, const Result& result) {
    if (result) {
        if (const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY)) {
            return primary;
        }
    }
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return message.empty() ? "unknown error" : message;
}

// The server's SQLSTATE and where its error points, as a byte offset into the statement text
// that starts at byte `sql_begin` of `sent` (PG_DIAG_STATEMENT_POSITION counts characters
// from 1 in the whole string sent); -1 when the error points elsewhere or nowhere.
void locate_error(const Result& result, const std::string& sent, std::size_t sql_begin, PlannerError& error) {
    if (!result) {
        return;
    }
    if (const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE)) {
        error.sqlstate = state;
    }
    const char* position = PQresultErrorField(result.get(), PG_DIAG_STATEMENT_POSITION);
    if (!position) {
        return;
    }
    long characters = std::strtol(position, nullptr, 10);
    std::size_t byte = 0;
    while (byte < sent.size() && characters > 1) {
        const auto lead = static_cast<unsigned char>(sent[byte]);
        byte += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        --characters;
    }
    if (byte >= sql_begin && byte <= sent.size()) {
        error.position = static_cast<int>(byte - sql_begin);
    }
}

std::string trimmed_statement(const std::string& sql) {
    std::string out = sql;
    while (!out.empty() && (out.back() == ';' || out.back() == ' ' || out.back() == '\n' ||
                            out.back() == '\t' || out.back() == '\r')) {
        out.pop_back();
    }
    return out;
}

// `PREPARE name (t1, t2) AS sql`. An empty type becomes `unknown`, which PostgreSQL treats as
// "infer from context", so explicit types can be given for some parameters only.
std::string prepare_sql(const std::string& name, const std::string& sql,
                        const std::vector<std::string>& types) {
    std::string out = "PREPARE " + name;
    if (std::any_of(types.begin(), types.end(), [](const std::string& t) { return !t.empty(); })) {
        std::vector<std::string> shown;
        for (const std::string& t : types) {
            shown.push_back(t.empty() ? "unknown" : t);
        }
        out += fmt::format(" ({})", fmt::join(shown, ", "));
    }
    out += " AS ";
    out += trimmed_statement(sql);
    return out;
}

std::string literal(PGconn* conn, const std::string& value) {
    char* escaped = PQescapeLiteral(conn, value.c_str(), value.size());
    if (!escaped) {
        return "NULL";
    }
    std::string out(escaped);
    PQfreemem(escaped);
    return out;
}

// HypoPG names its indexes `<oid>btree_table_col`; the oid tells which request index it is.
std::optional<unsigned> hypothetical_oid(const std::string& index_name) {
    if (index_name.size() < 3 || index_name[0] != '<') {
        return std::nullopt;
    }
    const auto close = index_name.find('>');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    unsigned oid = 0;
    const char* first = index_name.data() + 1;
    const char* last = index_name.data() + close;
    const auto [ptr, ec] = std::from_chars(first, last, oid);
    if (ec != std::errc{} || ptr != last) {
        return std::nullopt;
    }
    return oid;
}

void collect_index_names(const nlohmann::json& node, std::vector<std::string>& out) {
    if (node.is_object()) {
        if (const auto name = node.find("Index Name"); name != node.end() && name->is_string()) {
            out.push_back(name->get<std::string>());
        }
        if (const auto plans = node.find("Plans"); plans != node.end()) {
            for (const auto& child : *plans) {
                collect_index_names(child, out);
            }
        }
    }
}

double number_or_zero(const nlohmann::json& node, const char* key) {
    const auto it = node.find(key);
    return it != node.end() && it->is_number() ? it->get<double>() : 0.0;
}

// True when the plan below a LIMIT streams rows it may discard: a Filter or join condition
// before a blocking node (a Sort, Hash or Aggregate below reads its whole input anyway).
bool discards_while_streaming(const nlohmann::json& node) {
    const std::string type = node.value("Node Type", "");
    if (type == "Sort" || type == "Incremental Sort" || type == "Hash" || type == "Aggregate" ||
        type == "Materialize" || type == "SetOp") {
        return false;
    }
    if (node.contains("Filter") || node.contains("Join Filter") || node.contains("Hash Cond") ||
        node.contains("Merge Cond") || type == "Nested Loop") {
        return true;
    }
    if (const auto plans = node.find("Plans"); plans != node.end() && plans->is_array()) {
        for (const auto& child : *plans) {
            if (child.value("Parent Relationship", "") != "InitPlan" && discards_while_streaming(child)) {
                return true;
            }
        }
    }
    return false;
}

// The extra cost the plan would pay if each LIMIT that stops early over discarded rows had to
// read its whole input (outermost such LIMITs only).
double early_exit_extra(const nlohmann::json& node) {
    if (node.value("Node Type", "") == "Limit") {
        const auto plans = node.find("Plans");
        if (plans != node.end() && plans->is_array() && !plans->empty()) {
            const nlohmann::json& child = plans->front();
            const double extra = number_or_zero(child, "Total Cost") - number_or_zero(node, "Total Cost");
            if (extra > 0 && discards_while_streaming(child)) {
                return extra;
            }
        }
    }
    double extra = 0;
    if (const auto plans = node.find("Plans"); plans != node.end() && plans->is_array()) {
        for (const auto& child : *plans) {
            extra += early_exit_extra(child);
        }
    }
    return extra;
}

} // namespace

struct LivePlanner::Owned {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn{nullptr, &PQfinish};
};

std::expected<std::unique_ptr<LivePlanner>, std::string>
LivePlanner::connect(const std::string& conninfo, LivePlannerOptions options) {
    auto owned = std::make_unique<Owned>();
    owned->conn.reset(PQconnectdb(conninfo.c_str()));
    if (!owned->conn || PQstatus(owned->conn.get()) != CONNECTION_OK) {
        std::string message = owned->conn ? PQerrorMessage(owned->conn.get()) : "out of memory";
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
            message.pop_back();
        }
        return std::unexpected(message);
    }
    auto planner = std::make_unique<LivePlanner>(owned->conn.get(), options);
    planner->m_owned = std::move(owned);
    return planner;
}

LivePlanner::LivePlanner(pg_conn* connection, LivePlannerOptions options)
    : m_conn(connection), m_options(options) {
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) {
        return;
    }
    m_server_version = PQserverVersion(m_conn);
    const Result result = exec(m_conn, "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'hypopg'");
    m_hypopg = ok(result) && PQntuples(result.get()) == 1;
}

LivePlanner::~LivePlanner() {
    // Leave a borrowed session as we found it: no hypothetical index stays visible.
    if (m_conn && !m_visible.empty() && PQstatus(m_conn) == CONNECTION_OK) {
        exec(m_conn, "SELECT hypopg_reset()");
    }
}

PlannerError LivePlanner::error_from_connection(const std::string& context) const {
    PlannerError error;
    error.fatal = !m_conn || PQstatus(m_conn) != CONNECTION_OK;
    std::string message = m_conn ? PQerrorMessage(m_conn) : "no connection";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    error.message = context.empty() ? message : context + ": " + message;
    return error;
}

std::expected<void, PlannerError>
LivePlanner::show_hypothetical(const std::vector<IndexSpec>& indexes) {
    if (indexes == m_visible) {
        return {};
    }
    if (!m_hypopg) {
        return std::unexpected(PlannerError{"hypothetical indexes need the hypopg extension", false});
    }
    // Planning time grows with every hypothetical index visible to the session, so only the
    // request's indexes are: reset, then create exactly those.
    if (!m_visible.empty()) {
        m_visible.clear();
        m_visible_oids.clear();
        m_visible_sizes.clear();
        const Result reset = exec(m_conn, "SELECT hypopg_reset()");
        if (!ok(reset)) {
            PlannerError error{"hypopg_reset(): " + server_message(m_conn, reset), false};
            error.fatal = PQstatus(m_conn) != CONNECTION_OK;
            return std::unexpected(error);
        }
    }
    std::vector<unsigned> oids;
    std::vector<std::int64_t> sizes;
    for (const IndexSpec& index : indexes) {
        const std::string definition = "CREATE INDEX " + index.on_clause();
        const Result created = exec_params(
            m_conn, "SELECT indexrelid, hypopg_relation_size(indexrelid) FROM hypopg_create_index($1)",
            {definition});
        if (!ok(created) || PQntuples(created.get()) != 1) {
            PlannerError error{fmt::format("hypothetical index `{}`: {}", definition,
                                           server_message(m_conn, created)),
                               PQstatus(m_conn) != CONNECTION_OK};
            locate_error(created, definition, std::string::npos, error);
            error.rejected_index = static_cast<int>(oids.size());
            exec(m_conn, "SELECT hypopg_reset()");
            return std::unexpected(error);
        }
        ++m_hypothetical_created;
        unsigned oid = 0;
        const std::string oid_text = PQgetvalue(created.get(), 0, 0);
        std::from_chars(oid_text.data(), oid_text.data() + oid_text.size(), oid);
        std::int64_t size = 0;
        const std::string size_text = PQgetvalue(created.get(), 0, 1);
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
        oids.push_back(oid);
        sizes.push_back(size);
    }
    m_visible = indexes;
    m_visible_oids = std::move(oids);
    m_visible_sizes = std::move(sizes);
    return {};
}

std::expected<std::vector<std::string>, PlannerError>
LivePlanner::describe(const std::string& sql, const std::vector<std::string>& explicit_types) {
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) {
        return std::unexpected(error_from_connection("connection lost"));
    }
    const Result begin = exec(m_conn, fmt::format("BEGIN READ ONLY{0}SET LOCAL statement_timeout = {1}{0}"
                                                  "SET LOCAL lock_timeout = {2}",
                                                  k_next, m_options.statement_timeout_ms, m_options.lock_timeout_ms));
    if (!ok(begin)) {
        return std::unexpected(error_from_connection("BEGIN"));
    }
    ++m_describe_calls;
    const std::string prepare = prepare_sql("dbadvise_describe", sql, explicit_types);
    const Result prepared = exec(m_conn, prepare);
    if (!ok(prepared)) {
        PlannerError error{server_message(m_conn, prepared), PQstatus(m_conn) != CONNECTION_OK};
        locate_error(prepared, marked(prepare), k_marker.size() + prepare.size() - trimmed_statement(sql).size(), error);
        exec(m_conn, "ROLLBACK");
        return std::unexpected(error);
    }
    const Result types = exec(m_conn,
                              "SELECT u.t::pg_catalog.text FROM pg_catalog.pg_prepared_statements p, "
                              "unnest(p.parameter_types) WITH ORDINALITY AS u(t, n) "
                              "WHERE p.name = 'dbadvise_describe' ORDER BY u.n");
    std::vector<std::string> out;
    std::optional<PlannerError> error;
    if (ok(types)) {
        for (int row = 0; row < PQntuples(types.get()); ++row) {
            out.emplace_back(PQgetvalue(types.get(), row, 0));
        }
    } else {
        error = PlannerError{server_message(m_conn, types), PQstatus(m_conn) != CONNECTION_OK};
    }
    // PREPARE is not transactional: the rollback leaves the prepared statement in place.
    exec(m_conn, fmt::format("ROLLBACK{}DEALLOCATE dbadvise_describe", k_next));
    if (error) {
        return std::unexpected(*error);
    }
    return out;
}

std::expected<PlanResult, PlannerError> LivePlanner::plan(const PlanRequest& request) {
    ++m_planner_calls;
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) {
        return std::unexpected(error_from_connection("connection lost"));
    }
    if (auto shown = show_hypothetical(request.hypothetical); !shown) {
        return std::unexpected(shown.error());
    }

    const bool generic = request.params.empty();
    // PostgreSQL 16 plans a statement with parameters directly (EXPLAIN (GENERIC_PLAN)); 15 and
    // older need PREPARE and EXECUTE with NULLs under force_generic_plan. Explicit parameter
    // types only fit the PREPARE form, so that form serves every version when types are given.
    const bool use_generic_option =
        generic && m_server_version >= 160000 &&
        std::all_of(request.param_types.begin(), request.param_types.end(),
                    [](const std::string& t) { return t.empty(); });

    const Result begin = exec(
        m_conn, fmt::format("BEGIN READ ONLY{0}SET LOCAL statement_timeout = {1}{0}SET LOCAL lock_timeout = {2}{0}"
                            "SET LOCAL plan_cache_mode = {3}",
                            k_next, m_options.statement_timeout_ms, m_options.lock_timeout_ms,
                            generic ? "force_generic_plan" : "force_custom_plan"));
    if (!ok(begin)) {
        PlannerError error = error_from_connection("BEGIN");
        exec(m_conn, "ROLLBACK");
        return std::unexpected(error);
    }

    std::string explain;
    bool prepared = false;
    if (use_generic_option) {
        explain = "EXPLAIN (GENERIC_PLAN, FORMAT JSON) " + trimmed_statement(request.sql);
    } else {
        // Re-PREPARE for every plan: a prepared statement caches its generic plan, which would
        // not see hypothetical indexes created after it.
        const std::string prepare = prepare_sql("dbadvise_plan", request.sql, request.param_types);
        const Result prep = exec(m_conn, prepare);
        if (!ok(prep)) {
            PlannerError error{server_message(m_conn, prep), PQstatus(m_conn) != CONNECTION_OK};
            locate_error(prep, marked(prepare), k_marker.size() + prepare.size() - trimmed_statement(request.sql).size(),
                         error);
            exec(m_conn, "ROLLBACK");
            return std::unexpected(error);
        }
        prepared = true;
        std::vector<std::string> values;
        if (generic) {
            // The number of parameters comes from the prepared statement itself.
            const Result described = exec(m_conn,
                                          "SELECT cardinality(parameter_types) FROM pg_catalog.pg_prepared_statements "
                                          "WHERE name = 'dbadvise_plan'");
            const int n = ok(described) && PQntuples(described.get()) == 1
                              ? std::atoi(PQgetvalue(described.get(), 0, 0))
                              : 0;
            values.assign(static_cast<std::size_t>(n), "NULL");
        } else {
            for (const auto& value : request.params) {
                values.push_back(value ? literal(m_conn, *value) : "NULL");
            }
        }
        explain = "EXPLAIN (FORMAT JSON) EXECUTE dbadvise_plan";
        if (!values.empty()) {
            explain += fmt::format("({})", fmt::join(values, ", "));
        }
    }

    const Result explained = exec(m_conn, explain);
    std::optional<PlannerError> error;
    std::string json_text;
    if (ok(explained) && PQntuples(explained.get()) >= 1) {
        for (int row = 0; row < PQntuples(explained.get()); ++row) {
            json_text += PQgetvalue(explained.get(), row, 0);
        }
    } else {
        error = PlannerError{server_message(m_conn, explained), PQstatus(m_conn) != CONNECTION_OK};
        if (use_generic_option) {
            locate_error(explained, marked(explain), k_marker.size() + explain.size() - trimmed_statement(request.sql).size(),
                         *error);
        } else {
            locate_error(explained, marked(explain), std::string::npos, *error);
        }
    }
    exec(m_conn, prepared ? fmt::format("ROLLBACK{}DEALLOCATE dbadvise_plan", k_next) : std::string("ROLLBACK"));
    if (error) {
        return std::unexpected(*error);
    }

    const nlohmann::json plan = nlohmann::json::parse(json_text, nullptr, false);
    if (plan.is_discarded() || !plan.is_array() || plan.empty() || !plan[0].contains("Plan")) {
        return std::unexpected(PlannerError{"EXPLAIN returned output that is not a JSON plan", false});
    }
    const nlohmann::json& top = plan[0]["Plan"];
    PlanResult result;
    result.startup_cost = number_or_zero(top, "Startup Cost");
    result.total_cost = number_or_zero(top, "Total Cost");
    result.plan_rows = number_or_zero(top, "Plan Rows");
    const double extra = early_exit_extra(top);
    result.risky_early_exit = extra > 0;
    result.full_cost = result.total_cost + extra;
    result.plan_json = std::move(json_text);
    result.hypothetical_sizes = m_visible_sizes;
    std::vector<std::string> names;
    collect_index_names(top, names);
    for (const std::string& name : names) {
        std::string shown = name;
        if (const auto oid = hypothetical_oid(name)) {
            const auto it = std::find(m_visible_oids.begin(), m_visible_oids.end(), *oid);
            if (it != m_visible_oids.end()) {
                const int position = static_cast<int>(it - m_visible_oids.begin());
                shown = fmt::format("#{}", position);
                if (std::find(result.hypothetical_used.begin(), result.hypothetical_used.end(), position) ==
                    result.hypothetical_used.end()) {
                    result.hypothetical_used.push_back(position);
                }
            }
        }
        if (std::find(result.indexes_used.begin(), result.indexes_used.end(), shown) == result.indexes_used.end()) {
            result.indexes_used.push_back(shown);
        }
    }
    std::sort(result.hypothetical_used.begin(), result.hypothetical_used.end());
    return result;
}

} // namespace dbadvise::db
