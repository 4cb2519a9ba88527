// batchable-lookup: a SELECT called very often that fetches about one row by an equality on a
// parameter (`WHERE id = $1`) and runs in well under a millisecond: the N+1 pattern, where the
// application loops over keys and asks for each row in its own round trip.
//
// Rationale: for a sub-millisecond lookup the network round trip, the protocol messages,
// parse/bind and executor start-up cost as much as the lookup itself. One statement with
// `= ANY($1)` and an array of the keys fetches the same rows in one round trip through the same
// index (PostgreSQL turns `= ANY(array)` into one index scan with several keys).
// PostgreSQL behaviour: pg_stat_statements counts calls and rows per normalized statement; it
// cannot tell a loop from many independent requests, so the finding says "per request" and
// the evidence shows calls and rows per call.
// Known false positives: lookups that really are independent (one per web request) cannot be
// batched; a cache (cacheable-result) may serve them instead.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"
#include "analyzer/rules/rules.hpp"
#include "analyzer/text.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

namespace {

// The equality on a parameter that makes the statement a keyed lookup: a plain column (not
// wrapped in a function), not under OR or NOT.
const sqlparse::Predicate* key_predicate(const sqlparse::Query& query) {
    for (const sqlparse::Predicate& predicate : query.predicates) {
        if (predicate.op == "=" && predicate.operand.kind == sqlparse::OperandKind::parameter &&
            predicate.wrap == sqlparse::WrapKind::none && !predicate.in_or && !predicate.negated &&
            !predicate.column.name.empty())
            return &predicate;
    }
    return nullptr;
}

bool selects_column(const sqlparse::Query& query, std::string_view column) {
    for (const sqlparse::TargetEntry& target : query.targets) {
        if (target.is_star || (target.column && target.column->name == column)) return true;
    }
    return false;
}

} // namespace

void check_batchable_lookup(const Statements& statements, std::vector<Finding>& out) {
    for (const ParsedWorkloadStatement& entry : statements) {
        const WorkloadStatement& statement = *entry.source;
        const sqlparse::Statement& parsed = *entry.parsed.statement;
        const sqlparse::Query& query = parsed.query;
        // A LIMIT or an aggregate would apply to the whole batch, and a set operation has no
        // one predicate to widen.
        if (parsed.kind != sqlparse::StatementKind::select || !statement.toplevel ||
            statement.calls < k_batch_min_calls || rows_per_call(statement) > k_batch_max_rows_per_call ||
            statement.mean_ms > k_batch_max_mean_ms || query.has_limit || query.has_aggregate ||
            !query.set_operations.empty() || !query.group_by.empty())
            continue;
        const sqlparse::Predicate* key = key_predicate(query);
        if (key == nullptr) continue;
        const std::string column =
            key->column.qualifier.empty() ? key->column.name : key->column.qualifier + "." + key->column.name;
        const double network_ms = static_cast<double>(statement.calls) * k_round_trip_ms;
        Finding finding(RuleId::batchable_lookup);
        finding.query = health::query_ref(statement);
        finding.title = fmt::format("{} lookups of about one row by {}: fetch them in one statement with = ANY",
                                    statement.calls, column);
        const std::string replacement = fmt::format("{} = ANY(${})", column, key->operand.param_number);
        finding.message = fmt::format(
            "This statement ran {} times at {:.3f} ms each and returned {:.2f} rows per call: a loop that "
            "fetches rows one key at a time (N+1). Each call pays a network round trip and the "
            "per-statement overhead, which for a sub-millisecond lookup cost as much as the lookup. "
            "Collect the keys of one request and fetch their rows in one statement, `{}` with an array "
            "of keys{}: the same index serves it, in one round trip. At stake: {:.0f} ms of server time "
            "plus about {:.0f} ms of round trips ({} ms each, assumed).",
            statement.calls, statement.mean_ms, rows_per_call(statement), replacement,
            selects_column(query, key->column.name)
                ? ""
                : fmt::format(", and add {} to the select list to match rows to keys", column),
            statement.total_ms, network_ms, k_round_trip_ms);
        if (key->span.valid()) {
            rules::Splice splice;
            splice.replace(key->span.begin, key->span.end, replacement);
            if (auto rewritten = splice.apply(statement.text, parsed.span))
                finding.suggestion.rewritten_query = std::move(*rewritten);
        }
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("rows_per_call", rows_per_call(statement));
        finding.evidence.emplace_back("mean_ms", statement.mean_ms);
        finding.evidence.emplace_back("total_ms", statement.total_ms);
        finding.evidence.emplace_back("key", column);
        finding.evidence.emplace_back("round_trips", statement.calls);
        finding.evidence.emplace_back("round_trip_ms_assumed", k_round_trip_ms);
        finding.rank = statement.total_ms + network_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
