// EXPLAIN ANALYZE executes the statement. The targets are plain SELECTs
// (analyzer::choose_plan_targets), and each runs inside BEGIN TRANSACTION READ ONLY ... ROLLBACK
// as a second line of defence: a statement that would write (a volatile function, a
// data-modifying CTE) fails with "cannot execute ... in a read-only transaction" instead.
// SET LOCAL keeps the timeout to that transaction, leaving the session's own settings alone.
// Parameters travel out of line (PQexecParams), so values never need quoting and the server
// infers their types from the statement, as it did for the original call.
#include "db/plan_capture.hpp"

#include <fmt/format.h>

namespace dbadvise::db {

std::vector<analyzer::CapturedPlan> capture_plans(Connection& connection,
                                                  const std::vector<analyzer::PlanTarget>& targets,
                                                  const PlanCaptureOptions& options) {
    std::vector<analyzer::CapturedPlan> plans;
    bool lost = false;
    for (const analyzer::PlanTarget& target : targets) {
        analyzer::CapturedPlan plan;
        plan.queryid = target.queryid;
        if (lost || !connection.alive()) {
            lost = true;
            plan.error = "not run: the connection to the server was lost";
            plans.push_back(std::move(plan));
            continue;
        }
        const std::string what = fmt::format("EXPLAIN ANALYZE of statement {}", target.queryid);
        auto begun = connection.execute("BEGIN TRANSACTION READ ONLY", what);
        if (begun) {
            begun = connection.execute(
                fmt::format("SET LOCAL statement_timeout = {}", options.statement_timeout_ms),
                what);
        }
        if (!begun) {
            plan.error = begun.error().message;
            lost = begun.error().kind == DbError::Kind::connection_lost;
            if (!lost) {
                (void)connection.execute("ROLLBACK", what);
            }
            plans.push_back(std::move(plan));
            continue;
        }
        std::vector<Param> params(target.params.begin(), target.params.end());
        auto result =
            connection.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + target.sql, params, what);
        if (result && result->rows() == 1 && result->columns() >= 1) {
            plan.plan_json = std::string(result->text(0, 0));
        } else if (result) {
            plan.error =
                fmt::format("{} returned {} rows, expected one plan", what, result->rows());
        } else {
            plan.error = result.error().message;
            lost = result.error().kind == DbError::Kind::connection_lost;
        }
        if (!lost) {
            // Always roll back: nothing the statement did survives, and an aborted transaction
            // (after an error or a timeout) is ended before the next statement.
            if (auto rolled_back = connection.execute("ROLLBACK", what); !rolled_back) {
                lost = rolled_back.error().kind == DbError::Kind::connection_lost;
            }
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

} // namespace dbadvise::db
