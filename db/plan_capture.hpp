// --analyze-plans: runs EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of chosen SELECT statements on
// a live server. Each statement runs in its own read-only transaction with a statement
// timeout, and the transaction is rolled back.
#pragma once

#include "analyzer/health.hpp"
#include "db/connection.hpp"

#include <vector>

namespace dbadvise::db {

struct PlanCaptureOptions {
    int statement_timeout_ms = 5000; // per statement: EXPLAIN ANALYZE executes it
    int lock_timeout_ms = 500;       // a lock taken since the catalog was read: give up soon
    int budget_ms = 30000;           // all statements together
};

/// One CapturedPlan per target, in the targets' order. A statement that fails (timeout,
/// permission, a parameter the server cannot type) carries the server's message and the run
/// goes on; once the time budget is used up, or the connection is lost, the remaining targets
/// are marked as not run.
std::vector<analyzer::CapturedPlan> capture_plans(Connection& connection,
                                                  const std::vector<analyzer::PlanTarget>& targets,
                                                  const PlanCaptureOptions& options = {});

} // namespace dbadvise::db
