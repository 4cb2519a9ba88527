// cacheable-result: a SELECT called often whose tables are rarely written, so that its result
// stays valid for a long time: an application cache with a TTL (or a materialized view) saves
// its executions and round trips.
//
// Rationale: a result that changes once an hour but is asked for many times a second is
// recomputed for nothing; a cache in the application (or a shared one) answers the repeats
// without a round trip. The TTL follows from how often the tables are written: half the mean
// interval between writes keeps most cached answers current.
// PostgreSQL behaviour: pg_stat_user_tables' n_mod_since_analyze counts the rows written since
// the last ANALYZE (whose time is known), which gives the recent write rate; pg_stat_statements'
// calls over its window gives the read rate. A table never analyzed has no recent write rate
// and keeps the statement out.
// Known false positives: results that must be exact at once (balances, stock levels) even when
// rarely written; statements whose parameters differ on every call (a cache would rarely hit).
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <set>

namespace dbadvise::analyzer::operations {

namespace {

// Functions whose result differs from call to call, or that change something: a statement
// calling one has no stable result to cache.
const std::set<std::string, std::less<>> k_unstable_functions = {
    "now", "random", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday",
    "nextval", "currval", "setval", "txid_current", "pg_current_xact_id", "gen_random_uuid", "uuid_generate_v4",
    "pg_sleep", "pg_advisory_lock", "pg_try_advisory_lock", "set_config", "current_setting"};

bool calls_unstable_function(const sqlparse::Query& query) {
    for (const sqlparse::FunctionCall& call : query.functions)
        if (k_unstable_functions.contains(call.name)) return true;
    return std::ranges::any_of(query.subqueries, calls_unstable_function);
}

// CURRENT_TIMESTAMP, LOCALTIME, ... are SQL value functions, not function calls; FOR UPDATE /
// FOR SHARE lock rows. Looked for in the upper-cased text.
bool text_rules_out_caching(std::string text) {
    std::ranges::transform(text, text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    for (const std::string_view word : {"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP",
                                        "LOCALTIME", "FOR UPDATE", "FOR SHARE", "FOR NO KEY", "FOR KEY SHARE"})
        if (text.find(word) != std::string::npos) return true;
    return false;
}

void collect_tables(const sqlparse::Query& query, std::vector<const sqlparse::Relation*>& out) {
    for (const sqlparse::Relation& relation : query.relations)
        if (relation.kind == sqlparse::RelationKind::table && !relation.is_cte) out.push_back(&relation);
    for (const sqlparse::Query& subquery : query.subqueries) collect_tables(subquery, out);
}

// Rows written per second recently: since the last ANALYZE when there was one.
std::optional<double> write_rate(const CatalogTable& table) {
    if (!table.analyzed_age_s || *table.analyzed_age_s <= 0) return std::nullopt;
    return static_cast<double>(table.n_mod_since_analyze) / *table.analyzed_age_s;
}

} // namespace

void check_cacheable_result(const Workload& workload, const Statements& statements, std::vector<Finding>& out) {
    if (!workload.activity) return;
    const ServerActivity& activity = *workload.activity;
    const double window_s = activity.statements_window_s.value_or(activity.stats_window_s);
    if (window_s <= 0) return;
    for (const ParsedWorkloadStatement& entry : statements) {
        const WorkloadStatement& statement = *entry.source;
        const sqlparse::Statement& parsed = *entry.parsed.statement;
        if (parsed.kind != sqlparse::StatementKind::select || !statement.toplevel ||
            statement.calls < k_cache_min_calls || calls_unstable_function(parsed.query) ||
            text_rules_out_caching(statement.text))
            continue;
        std::vector<const sqlparse::Relation*> relations;
        collect_tables(parsed.query, relations);
        if (relations.empty()) continue;
        const double call_rate = static_cast<double>(statement.calls) / window_s;
        double writes = 0;
        bool known = true;
        std::vector<std::string> names;
        for (const sqlparse::Relation* relation : relations) {
            const CatalogTable* table = workload.find_table(relation->schema, relation->name);
            const std::optional<double> rate = table ? write_rate(*table) : std::nullopt;
            if (!rate) {
                known = false;
                break;
            }
            writes += *rate;
            const std::string name = table->schema + "." + table->name;
            if (std::ranges::find(names, name) == names.end()) names.push_back(name);
        }
        if (!known || writes > k_cache_max_writes_per_call * call_rate) continue;
        const double ttl = writes > 0 ? std::clamp(0.5 / writes, k_cache_min_ttl_s, k_cache_max_ttl_s)
                                      : k_cache_max_ttl_s;
        std::string tables;
        for (const std::string& name : names) tables += (tables.empty() ? "" : ", ") + name;
        Finding finding(RuleId::cacheable_result);
        finding.query = health::query_ref(statement);
        finding.title = fmt::format("{:.1f} calls/s read {} that {} rarely written: cache the result for {}",
                                    call_rate, tables, names.size() == 1 ? "is" : "are", format_seconds(ttl));
        const bool has_parameters = statement.text.find('$') != std::string::npos;
        finding.message = fmt::format(
            "This statement ran {} times ({:.1f} per second) while {} {} written {:.4f} rows per second "
            "(rows modified since the last ANALYZE): its result changes far less often than it is asked for. "
            "Cache it in the application (or a shared cache) keyed by {}, with a TTL of {} ({}), or "
            "invalidate the entry when the application writes {}.{} At stake: "
            "{:.0f} ms of server time and {} round trips.",
            statement.calls, call_rate, tables, names.size() == 1 ? "was" : "were", writes,
            has_parameters ? "the statement's parameters" : "the statement",
            format_seconds(ttl),
            writes > 0 ? std::string("half the mean interval between writes, within 1 s and 1 h")
                       : std::string("no write since the last ANALYZE: the longest TTL suggested"),
            names.size() == 1 ? "the table" : "these tables",
            has_parameters || !parsed.query.has_aggregate
                ? std::string()
                : fmt::format(" A materialized view refreshed every {} serves it too.", format_seconds(ttl)),
            statement.total_ms, statement.calls);
        finding.evidence.emplace_back("calls", statement.calls);
        finding.evidence.emplace_back("calls_per_s", call_rate);
        finding.evidence.emplace_back("tables", tables);
        finding.evidence.emplace_back("writes_per_s", writes);
        finding.evidence.emplace_back("ttl_s", ttl);
        finding.evidence.emplace_back("total_ms", statement.total_ms);
        finding.rank = statement.total_ms;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
