// The analyzer's Planner for a live PostgreSQL: PREPARE + EXPLAIN (FORMAT JSON) of normalized
// statements, with hypothetical indexes from HypoPG. Every plan runs inside a read-only
// transaction that is rolled back; nothing is written to the database. Every round trip goes
// through db::Connection, so each has the client-side reply deadline.
#pragma once

#include "analyzer/planner.hpp"
#include "db/connection.hpp"

#include <expected>
#include <memory>
#include <string>
#include <vector>

namespace dbadvise::db {

/// The extra planner cost a plan (EXPLAIN (FORMAT JSON) output) would pay if each LIMIT that
/// stops early while discarding rows (a Filter, join condition or nested loop streaming below
/// it, no Sort, Hash or Aggregate in between) had to read its whole input: 0 when no LIMIT
/// relies on early exit, or when the text is not a plan.
double early_exit_extra_cost(std::string_view explain_json);

struct LivePlannerOptions {
    int statement_timeout_ms = 10000; // per planned statement (PREPARE and EXPLAIN)
    int lock_timeout_ms = 500;        // PREPARE takes ACCESS SHARE locks on the tables
};

class LivePlanner final : public analyzer::Planner {
public:
    /// Plans over `connection`, which the caller owns and keeps open while the planner lives.
    /// The session's own settings are left alone: each plan sets its timeouts with SET LOCAL.
    explicit LivePlanner(Connection& connection, LivePlannerOptions options = {});
    ~LivePlanner() override;
    LivePlanner(const LivePlanner&) = delete;
    LivePlanner& operator=(const LivePlanner&) = delete;

    std::expected<std::vector<std::string>, analyzer::PlannerError>
    describe(const std::string& sql, const std::vector<std::string>& explicit_types) override;
    std::expected<analyzer::PlanResult, analyzer::PlannerError>
    plan(const analyzer::PlanRequest& request) override;
    int planner_calls() const override { return m_planner_calls; }
    int describe_calls() const override { return m_describe_calls; }
    int hypothetical_indexes_created() const override { return m_hypothetical_created; }
    /// True when the hypopg extension is created in the connected database.
    bool supports_hypothetical() const override { return m_hypopg; }

    /// server_version_num of the connected server (150004).
    int server_version_num() const { return m_server_version; }

private:
    Connection& m_connection;
    LivePlannerOptions m_options;
    int m_server_version = 0;
    bool m_hypopg = false;
    std::string m_hypopg_schema; // quoted, for calling HypoPG's functions by their schema
    int m_planner_calls = 0;
    int m_describe_calls = 0;
    int m_hypothetical_created = 0;
    // Hypothetical indexes visible in the session now, with HypoPG's oids and sizes: a plan
    // whose request has the same set reuses them instead of resetting and recreating.
    std::vector<analyzer::IndexSpec> m_visible;
    std::vector<unsigned> m_visible_oids;
    std::vector<std::int64_t> m_visible_sizes;

    std::expected<void, analyzer::PlannerError>
    show_hypothetical(const std::vector<analyzer::IndexSpec>& indexes);
    analyzer::PlannerError planner_error(const DbError& error) const;
    void end_transaction(bool prepared, std::string_view name);
    std::string hypopg_reset_sql() const;
};

} // namespace dbadvise::db
