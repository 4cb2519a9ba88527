#include "db/live_planner.hpp"

#include "db/prepared_explain.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace dbadvise::db {

using analyzer::IndexSpec;
using analyzer::PlannerError;
using analyzer::PlanRequest;
using analyzer::PlanResult;

namespace {

// Prepared statement names, constant so that dbadvise's statement texts repeat.
constexpr std::string_view k_describe_name = "dbadvise_describe";
constexpr std::string_view k_plan_name = "dbadvise_plan";

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

double early_exit_extra_cost(std::string_view explain_json) {
    const nlohmann::json plan = nlohmann::json::parse(explain_json, nullptr, false);
    if (plan.is_discarded() || !plan.is_array() || plan.empty() || !plan[0].contains("Plan")) return 0;
    return early_exit_extra(plan[0]["Plan"]);
}

LivePlanner::LivePlanner(Connection& connection, LivePlannerOptions options)
    : m_connection(connection), m_options(options) {
    if (!m_connection.alive()) {
        return;
    }
    m_server_version = m_connection.server_version_num();
    // HypoPG's functions are called by their schema: the session keeps its search_path for the
    // workload's statements, where a function of the same name could stand in front of them.
    const auto result = m_connection.query(
        "SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e "
        "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = $1::pg_catalog.name",
        {"hypopg"}, "looking for hypopg");
    m_hypopg = result && result->rows() == 1;
    if (m_hypopg) {
        m_hypopg_schema = std::string(result->text(0, 0));
    }
}

std::string LivePlanner::hypopg_reset_sql() const {
    return fmt::format("SELECT {}.hypopg_reset()", m_hypopg_schema);
}

LivePlanner::~LivePlanner() {
    // Leave a borrowed session as we found it: no hypothetical index stays visible.
    if (!m_visible.empty() && m_connection.alive()) {
        (void)m_connection.query(hypopg_reset_sql(), {}, "removing hypothetical indexes");
    }
}

// The server's primary message ("relation \"t\" does not exist"), without the LINE/caret
// context that points into dbadvise's own PREPARE text; the whole message once the connection
// is gone.
PlannerError LivePlanner::planner_error(const DbError& error) const {
    PlannerError out;
    out.fatal = error.kind == DbError::Kind::connection_lost;
    out.message = out.fatal || error.server_message.empty() ? error.message : error.server_message;
    out.sqlstate = error.sqlstate;
    out.lock_timeout = error.sqlstate == "55P03";
    if (out.lock_timeout) {
        out.message = "a table it reads is locked by another session: lock_timeout expired (" + out.message + ")";
    }
    return out;
}

// Ends a plan's transaction. PREPARE is not transactional: the rollback leaves the prepared
// statement in place, so it is deallocated too.
void LivePlanner::end_transaction(bool prepared, std::string_view name) {
    if (!m_connection.alive()) {
        return;
    }
    (void)m_connection.execute(prepared ? fmt::format("ROLLBACK{}DEALLOCATE {}", k_next_statement, name)
                                        : std::string("ROLLBACK"),
                               "ending a plan");
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
        if (auto reset = m_connection.query(hypopg_reset_sql(), {}, "hypopg_reset()"); !reset) {
            PlannerError error = planner_error(reset.error());
            error.message = "hypopg_reset(): " + error.message;
            return std::unexpected(error);
        }
    }
    std::vector<unsigned> oids;
    std::vector<std::int64_t> sizes;
    const auto read_row = [&](const Result& rows, int row) {
        unsigned oid = 0;
        const std::string_view oid_text = rows.text(row, 0);
        std::from_chars(oid_text.data(), oid_text.data() + oid_text.size(), oid);
        std::int64_t size = 0;
        const std::string_view size_text = rows.text(row, 1);
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
        oids.push_back(oid);
        sizes.push_back(size);
    };
    if (indexes.size() > 1) {
        // All of them in one round trip (screening shows up to 24 at once). When HypoPG refuses
        // one, the statement fails without saying which: the indexes are then created one by
        // one below, which names it.
        std::vector<Param> definitions;
        for (const IndexSpec& index : indexes) definitions.emplace_back("CREATE INDEX " + index.on_clause());
        auto created = m_connection.query(
            fmt::format("SELECT h.indexrelid, {0}.hypopg_relation_size(h.indexrelid) "
                        "FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS d(definition, n), "
                        "LATERAL {0}.hypopg_create_index(d.definition) AS h ORDER BY d.n",
                        m_hypopg_schema),
            {array_literal(definitions)}, "creating hypothetical indexes");
        if (created && created->rows() == static_cast<int>(indexes.size())) {
            m_hypothetical_created += static_cast<int>(indexes.size());
            for (int row = 0; row < created->rows(); ++row) read_row(*created, row);
            m_visible = indexes;
            m_visible_oids = std::move(oids);
            m_visible_sizes = std::move(sizes);
            return {};
        }
        if (!created && created.error().kind == DbError::Kind::connection_lost) {
            return std::unexpected(planner_error(created.error()));
        }
        // Whatever part of the set was created goes before the indexes are tried one by one.
        if (auto reset = m_connection.query(hypopg_reset_sql(), {}, "hypopg_reset()"); !reset) {
            PlannerError error = planner_error(reset.error());
            error.message = "hypopg_reset(): " + error.message;
            return std::unexpected(error);
        }
    }
    for (const IndexSpec& index : indexes) {
        // The definition travels as a parameter: pg_stat_statements records the statement once.
        const std::string definition = "CREATE INDEX " + index.on_clause();
        auto created = m_connection.query(
            fmt::format("SELECT indexrelid, {0}.hypopg_relation_size(indexrelid) FROM {0}.hypopg_create_index($1)",
                        m_hypopg_schema),
            {definition}, "creating a hypothetical index");
        if (!created || created->rows() != 1) {
            PlannerError error = created ? PlannerError{"no index was created", false} : planner_error(created.error());
            error.message = fmt::format("hypothetical index `{}`: {}", definition, error.message);
            error.rejected_index = static_cast<int>(oids.size());
            if (!error.fatal) {
                (void)m_connection.query(hypopg_reset_sql(), {}, "hypopg_reset()");
            }
            return std::unexpected(error);
        }
        ++m_hypothetical_created;
        read_row(*created, 0);
    }
    m_visible = indexes;
    m_visible_oids = std::move(oids);
    m_visible_sizes = std::move(sizes);
    return {};
}

std::expected<std::vector<std::string>, PlannerError>
LivePlanner::describe(const std::string& sql, const std::vector<std::string>& explicit_types) {
    if (!m_connection.alive()) {
        return std::unexpected(PlannerError{m_connection.lost_message(), true});
    }
    ++m_describe_calls;
    // The transaction and the PREPARE go in one round trip.
    const std::string begin =
        fmt::format("BEGIN READ ONLY{0}SET LOCAL statement_timeout = {1}{0}SET LOCAL lock_timeout = {2}{0}",
                    k_next_statement, m_options.statement_timeout_ms, m_options.lock_timeout_ms);
    if (auto prepared = prepare_statement(m_connection, k_describe_name, sql, explicit_types, begin); !prepared) {
        end_transaction(false, k_describe_name);
        PlannerError error = planner_error(prepared.error());
        error.position = prepared.error().position; // into `sql`: where the parameter typing failed
        return std::unexpected(error);
    }
    auto types = m_connection.query("SELECT u.t::pg_catalog.text FROM pg_catalog.pg_prepared_statements p, "
                                    "pg_catalog.unnest(p.parameter_types) WITH ORDINALITY AS u(t, n) "
                                    "WHERE p.name = $1::pg_catalog.text ORDER BY u.n",
                                    {std::string(k_describe_name)}, "reading parameter types");
    end_transaction(true, k_describe_name);
    if (!types) {
        return std::unexpected(planner_error(types.error()));
    }
    std::vector<std::string> out;
    for (int row = 0; row < types->rows(); ++row) {
        out.emplace_back(types->text(row, 0));
    }
    return out;
}

std::expected<PlanResult, PlannerError> LivePlanner::plan(const PlanRequest& request) {
    ++m_planner_calls;
    if (!m_connection.alive()) {
        return std::unexpected(PlannerError{m_connection.lost_message(), true});
    }
    if (auto shown = show_hypothetical(request.hypothetical); !shown) {
        return std::unexpected(shown.error());
    }

    // Without values, the generic plan: PREPARE, then EXECUTE with NULLs under
    // force_generic_plan (the values do not matter then). The same statement texts serve
    // every PostgreSQL version.
    const bool generic = request.params.empty();
    // Re-PREPARE for every plan: a prepared statement caches its generic plan, which would not
    // see hypothetical indexes created after it. The transaction, its settings and the PREPARE
    // go in one round trip.
    const std::string begin = fmt::format(
        "BEGIN READ ONLY{0}SET LOCAL statement_timeout = {1}{0}SET LOCAL lock_timeout = {2}{0}"
        "SET LOCAL plan_cache_mode = {3}{0}",
        k_next_statement, m_options.statement_timeout_ms, m_options.lock_timeout_ms,
        generic ? "force_generic_plan" : "force_custom_plan");
    if (auto done = prepare_statement(m_connection, k_plan_name, request.sql, request.param_types, begin); !done) {
        end_transaction(false, k_plan_name);
        PlannerError error = planner_error(done.error());
        error.position = done.error().position;
        return std::unexpected(error);
    }
    std::vector<Param> values(request.params.begin(), request.params.end());
    auto explained = explain_prepared(m_connection, k_plan_name, values, ExplainMode::plan);
    end_transaction(true, k_plan_name);
    if (!explained) {
        return std::unexpected(planner_error(explained.error()));
    }
    const std::string json_text = std::move(*explained);

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
