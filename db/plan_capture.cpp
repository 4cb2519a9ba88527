// EXPLAIN ANALYZE executes the statement. The targets are statements the analyzer proved free
// of side effects (analyzer::choose_plan_targets with the catalog facts of db/plan_safety),
// and each runs inside BEGIN TRANSACTION READ ONLY ... ROLLBACK as a second line of defence: a
// statement that would write fails with "cannot execute ... in a read-only transaction"
// instead. SET LOCAL keeps the timeouts to that transaction, leaving the session's own
// settings alone. The statement is PREPAREd and run through explain_prepared(), so neither its
// text nor its parameter values reach pg_stat_statements.
#include "db/plan_capture.hpp"

#include "db/prepared_explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace dbadvise::db {

namespace {

constexpr std::string_view k_capture_name = "dbadvise_capture";

} // namespace

std::vector<analyzer::CapturedPlan> capture_plans(Connection& connection,
                                                  const std::vector<analyzer::PlanTarget>& targets,
                                                  const PlanCaptureOptions& options) {
    std::vector<analyzer::CapturedPlan> plans;
    bool lost = false;
    const auto started = std::chrono::steady_clock::now();
    for (const analyzer::PlanTarget& target : targets) {
        analyzer::CapturedPlan plan;
        plan.queryid = target.queryid;
        if (lost || !connection.alive()) {
            lost = true;
            plan.error = connection.lost_message();
            plan.not_run = true;
            plan.connection_lost = true;
            plans.push_back(std::move(plan));
            continue;
        }
        const auto used = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
        const auto left = static_cast<int>(options.budget_ms - used);
        // Less than a tenth of a second left is no time to run a statement in.
        if (left < 100) {
            plan.error = fmt::format("the time budget of {:.1f} s for --analyze-plans was used up "
                                     "(--analyze-plans-budget)",
                                     options.budget_ms / 1000.0);
            plan.not_run = true;
            plans.push_back(std::move(plan));
            continue;
        }
        const std::string what = fmt::format("EXPLAIN ANALYZE of statement {}", target.queryid);
        auto begun = connection.execute(
            fmt::format("BEGIN TRANSACTION READ ONLY{0}SET LOCAL statement_timeout = {1}{0}"
                        "SET LOCAL lock_timeout = {2}",
                        k_next_statement, std::min(options.statement_timeout_ms, left), options.lock_timeout_ms),
            what);
        bool prepared = false;
        std::expected<std::string, DbError> json = std::unexpected(DbError());
        if (!begun) {
            json = std::unexpected(begun.error());
        } else if (auto done = prepare_statement(connection, k_capture_name, target.sql, target.param_types);
                   !done) {
            json = std::unexpected(done.error());
        } else {
            prepared = true;
            std::vector<Param> params(target.params.begin(), target.params.end());
            json = explain_prepared(connection, k_capture_name, params, ExplainMode::analyze);
        }
        if (json) {
            plan.plan_json = std::move(*json);
        } else {
            plan.error = json.error().server_message.empty() ? json.error().message
                                                             : json.error().server_message;
            lost = json.error().kind == DbError::Kind::connection_lost;
            plan.connection_lost = lost;
        }
        if (!lost) {
            // Always roll back: nothing the statement did survives, and an aborted transaction
            // (after an error or a timeout) is ended before the next statement.
            auto ended = connection.execute(
                prepared ? fmt::format("ROLLBACK{}DEALLOCATE {}", k_next_statement, k_capture_name)
                         : std::string("ROLLBACK"),
                what);
            lost = !ended && ended.error().kind == DbError::Kind::connection_lost;
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

} // namespace dbadvise::db
