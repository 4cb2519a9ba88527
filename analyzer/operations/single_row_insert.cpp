// single-row-insert: an INSERT called very often that writes one row per call: rows inserted
// in a loop, each in its own statement (and often its own transaction).
//
// Rationale: every statement pays a round trip, parse/bind, executor start-up and, in
// autocommit, a commit with its WAL flush; a multi-row INSERT (`VALUES (...), (...)` or
// `SELECT * FROM unnest($1::int[], $2::text[])`) or COPY writes many rows for one of each.
// PostgreSQL behaviour: pg_stat_statements' rows counts the rows the INSERT wrote, so rows per
// call of 1 means one row per statement.
// Known false positives: inserts that arrive one at a time (one per web request) cannot be
// batched without a queue.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

void check_single_row_insert(const Statements& statements, std::vector<Finding>& out) {
    for (const ParsedWorkloadStatement& entry : statements) {
        const WorkloadStatement& statement = *entry.source;
        const sqlparse::Statement& parsed = *entry.parsed.statement;
        if (parsed.kind != sqlparse::StatementKind::insert || !statement.toplevel ||
            statement.calls < k_batch_min_calls || statement.rows <= 0 ||
            rows_per_call(statement) > k_insert_max_rows_per_call)
            continue;
        const std::string table = parsed.query.relations.empty()
                                      ? std::string("the table")
                                      : (parsed.query.relations.front().schema.empty()
                                             ? parsed.query.relations.front().name
                                             : parsed.query.relations.front().schema + "." +
                                                   parsed.query.relations.front().name);
        const double network_ms = static_cast<double>(statement.calls) * k_round_trip_ms;
        Finding finding(RuleId::single_row_insert);
        finding.query = health::query_ref(statement);
        finding.title = fmt::format("{} single-row INSERTs into {}: insert many rows per statement", statement.calls,
                                    table);
        finding.message = fmt::format(
            "This INSERT ran {} times and wrote {:.2f} rows per call: rows are inserted one statement at a time. "
            "Each statement pays a round trip, parse and executor start-up, and in autocommit a commit that "
            "waits for its WAL flush. Insert the rows of a batch with one multi-row INSERT (`INSERT INTO {} "
            "... SELECT * FROM unnest($1::type[], ...)` or `VALUES (...), (...)`), or COPY for bulk loads, "
            "inside one transaction. At stake: {:.0f} ms of server time plus about {:.0f} ms of round trips "
            "({} ms each, assumed).",
            statement.calls, rows_per_call(statement), table, statement.total_ms, network_ms, k_round_trip_ms);
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("rows_per_call", rows_per_call(statement));
        finding.evidence.emplace_back("mean_ms", statement.mean_ms);
        finding.evidence.emplace_back("total_ms", statement.total_ms);
        finding.evidence.emplace_back("table", table);
        finding.evidence.emplace_back("round_trips", statement.calls);
        finding.evidence.emplace_back("round_trip_ms_assumed", k_round_trip_ms);
        finding.rank = statement.total_ms + network_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
