// The analyzer's Planner for a live PostgreSQL: PREPARE + EXPLAIN (FORMAT JSON) of normalized
// statements, with hypothetical indexes from HypoPG. Every plan runs inside a read-only
// transaction that is rolled back; nothing is written to the database.
#pragma once

#include "analyzer/planner.hpp"

#include <expected>
#include <memory>
#include <string>
#include <vector>

struct pg_conn; // libpq's PGconn; libpq-fe.h stays inside db/*.cpp

namespace dbadvise::db {

struct LivePlannerOptions {
    int statement_timeout_ms = 10000; // per planned statement (PREPARE and EXPLAIN)
    int lock_timeout_ms = 2000;       // PREPARE takes ACCESS SHARE locks on the tables
};

class LivePlanner final : public analyzer::Planner {
public:
    /// Opens its own connection to `conninfo` (a libpq conninfo string or URI; empty uses the
    /// PG* environment). Error: libpq's message, with any password redacted.
    static std::expected<std::unique_ptr<LivePlanner>, std::string>
    connect(const std::string& conninfo, LivePlannerOptions options = {});

    /// Plans over `connection`, which the caller owns and keeps open while the planner lives.
    /// The session's own settings are left alone: each plan sets its timeouts with SET LOCAL.
    explicit LivePlanner(pg_conn* connection, LivePlannerOptions options = {});
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
    struct Owned;
    std::unique_ptr<Owned> m_owned; // set when connect() opened the connection
    pg_conn* m_conn = nullptr;
    LivePlannerOptions m_options;
    int m_server_version = 0;
    bool m_hypopg = false;
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
    analyzer::PlannerError error_from_connection(const std::string& context) const;
};

} // namespace dbadvise::db
