// partition-candidate: a table large against memory whose workload filters by a time column
// (range predicates) or a tenant column (equality) and deletes old rows (or a tenant's rows) in
// bulk by that column: partitioning by it turns the DELETEs into dropping a partition and lets
// the filtering statements read only the partitions they need.
//
// Rationale: a retention DELETE of millions of rows writes WAL for each, leaves dead tuples and
// index entries that vacuum must clean, and bloats the table and its indexes; DROP TABLE or
// DETACH PARTITION of a partition is a catalog change, whatever its size. A table larger than
// shared_buffers cannot be held by PostgreSQL's cache: statements that read a time range (or
// one tenant) fetch pages mixed with rows of other ranges; with partitions, the planner prunes
// the partitions the predicate excludes and the hot (recent) partitions stay cached.
// PostgreSQL behaviour: partition pruning needs the partition key compared with a constant or a
// parameter (plain column, no function or cast around it); unique keys of a partitioned table
// must include the partition key; a table cannot be turned into a partitioned one in place (a
// new table, rows moved, names swapped). pg_stat_user_tables' n_tup_del counts rows deleted
// since the statistics were reset; pg_stat_statements' rows counts the rows each DELETE removed.
// Known false positives: statements that filter by the column but need rows from every
// partition anyway (a range wider than the retention); workloads whose most frequent statements
// look rows up by a key that is not the partition key (each such lookup then probes every
// partition's index); a table that is about to shrink for good.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"
#include "analyzer/timestamp.hpp"
#include "sqlparse/lexer.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <iterator>
#include <map>
#include <set>

namespace dbadvise::analyzer::operations {

namespace {

bool is_time_type(std::string_view type) {
    return type == "date" || type.starts_with("timestamp");
}

bool is_range(std::string_view op) {
    return op == "<" || op == "<=" || op == ">" || op == ">=" || op == "BETWEEN";
}

bool is_equality(const sqlparse::Predicate& predicate) {
    using sqlparse::OperandKind;
    const OperandKind kind = predicate.operand.kind;
    if (predicate.op == "=") return kind == OperandKind::parameter || kind == OperandKind::constant;
    return (predicate.op == "IN" || predicate.op == "= ANY") &&
           (kind == OperandKind::list || kind == OperandKind::parameter);
}

// A predicate the planner can prune partitions with: the bare column (no function, cast or
// operator around it), not under OR or NOT.
bool prunes(const sqlparse::Predicate& predicate) {
    return predicate.wrap == sqlparse::WrapKind::none && !predicate.in_or && !predicate.negated &&
           !predicate.column.name.empty() && predicate.column.name != "*";
}

// What one statement does with each table it names: read it, filter it by a column.
struct TableUse {
    std::set<std::string> range_columns;    // a range predicate on the column prunes
    std::set<std::string> equality_columns; // an equality on the column prunes
    bool deleted_from = false;              // the DELETE's target
    std::set<std::string> delete_range;     // the DELETE's own predicates on its target
    std::set<std::string> delete_equality;
};

using StatementUse = std::map<const CatalogTable*, TableUse>;

void collect(const Workload& workload, const sqlparse::Query& query, bool top, const sqlparse::Statement& statement,
             StatementUse& use) {
    for (std::size_t i = 0; i < query.relations.size(); ++i) {
        const sqlparse::Relation& relation = query.relations[i];
        if (relation.kind != sqlparse::RelationKind::table || relation.is_cte) continue;
        // An INSERT's target is written, not read: routing rows to partitions costs little.
        if (top && i == 0 && statement.kind == sqlparse::StatementKind::insert) continue;
        if (const CatalogTable* table = workload.find_table(relation.schema, relation.name)) {
            TableUse& entry = use[table];
            if (top && i == 0 && statement.kind == sqlparse::StatementKind::delete_) entry.deleted_from = true;
        }
    }
    for (const sqlparse::Predicate& predicate : query.predicates) {
        if (!prunes(predicate) || predicate.column.relation < 0 ||
            static_cast<std::size_t>(predicate.column.relation) >= query.relations.size())
            continue;
        const sqlparse::Relation& relation = query.relations[predicate.column.relation];
        if (relation.kind != sqlparse::RelationKind::table || relation.is_cte) continue;
        const CatalogTable* table = workload.find_table(relation.schema, relation.name);
        if (table == nullptr) continue;
        TableUse& entry = use[table];
        const bool on_target =
            top && predicate.column.relation == 0 && statement.kind == sqlparse::StatementKind::delete_;
        if (is_range(predicate.op)) {
            entry.range_columns.insert(predicate.column.name);
            if (on_target) entry.delete_range.insert(predicate.column.name);
        } else if (is_equality(predicate)) {
            entry.equality_columns.insert(predicate.column.name);
            if (on_target) entry.delete_equality.insert(predicate.column.name);
        }
    }
    for (const sqlparse::Query& subquery : query.subqueries) collect(workload, subquery, false, statement, use);
}

// One candidate partition key of a table and the workload's time behind it.
struct Candidate {
    const CatalogColumn* column = nullptr;
    bool time = true;
    double filter_ms = 0; // statements other than the DELETEs that filter by it
    double delete_ms = 0;
    std::int64_t delete_rows = 0;
    std::vector<const WorkloadStatement*> deletes;
    double stake() const { return filter_ms + delete_ms; }
};

struct TableWorkload {
    double read_ms = 0; // statements that read, update or delete from the table
    std::map<std::string, Candidate> range;    // by column name
    std::map<std::string, Candidate> equality;
};

std::string lowered(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Seconds of a quoted interval literal's content, "90 days", "3 months", "1 year", "12 hours";
// nullopt for anything else (several fields, fractions, other units).
std::optional<double> literal_seconds(std::string_view content) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    std::size_t at = 0;
    while (at < content.size() && is_space(content[at])) ++at;
    const std::size_t digits = at;
    while (at < content.size() && at - digits < 7 && std::isdigit(static_cast<unsigned char>(content[at]))) ++at;
    if (at == digits || at - digits > 6) return std::nullopt;
    const double count = std::stod(std::string(content.substr(digits, at - digits)));
    while (at < content.size() && is_space(content[at])) ++at;
    std::string unit = lowered(content.substr(at));
    while (!unit.empty() && is_space(unit.back())) unit.pop_back();
    if (unit.ends_with('s')) unit.pop_back();
    const double seconds = unit == "hour"                   ? 3'600.0
                           : unit == "day"                  ? 86'400.0
                           : unit == "week"                 ? 604'800.0
                           : unit == "mon" || unit == "month" ? 2'629'800.0 // a twelfth of a year
                           : unit == "year"                 ? 31'557'600.0
                                                            : 0.0;
    if (seconds == 0 || count == 0) return std::nullopt;
    return count * seconds;
}

// The retention a DELETE's text states: `interval '90 days'`, `'3 months'::interval`; the
// shortest when several do. pg_stat_statements replaces these constants with parameters, so
// this finds them in workloads from query files and in texts written without constants.
std::optional<double> stated_retention_s(const std::vector<const WorkloadStatement*>& deletes) {
    std::optional<double> shortest;
    for (const WorkloadStatement* statement : deletes) {
        // sqlparse's lexer: quotes inside comments, E'' and dollar quotes are not intervals.
        const std::string_view text = statement->text;
        const std::vector<sqlparse::Token> tokens = sqlparse::lex(text);
        const auto word = [&](std::size_t i, std::string_view expected) {
            return i < tokens.size() && tokens[i].kind == sqlparse::TokenKind::identifier &&
                   sqlparse::token_is(text, tokens[i], expected);
        };
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            if (tokens[i].kind != sqlparse::TokenKind::string) continue;
            // interval '90 days' or '3 months'::interval
            const bool typed = i > 0 && word(i - 1, "interval");
            const bool cast = i + 2 < tokens.size() && tokens[i + 1].kind == sqlparse::TokenKind::typecast &&
                              word(i + 2, "interval");
            if (!typed && !cast) continue;
            const std::string_view quoted = text.substr(tokens[i].begin + 1, tokens[i].size() - 2);
            const auto seconds = literal_seconds(quoted);
            if (seconds && (!shortest || *seconds < *shortest)) shortest = seconds;
        }
    }
    return shortest;
}

// The span of time the column's values cover by its statistics (histogram bounds and most
// common values): what the rows kept span, the retention the DELETEs keep.
std::optional<double> statistics_span_s(const Workload& workload, const CatalogTable& table, std::string_view column) {
    const ColumnStats* stats = workload.find_stats(table.schema, table.name, column);
    if (stats == nullptr) return std::nullopt;
    std::optional<std::int64_t> low;
    std::optional<std::int64_t> high;
    const auto see = [&](const std::vector<std::string>& values) {
        for (const std::string& value : values) {
            const std::optional<std::int64_t> us = parse_timestamp_us(value);
            if (!us) continue;
            if (!low || *us < *low) low = us;
            if (!high || *us > *high) high = us;
        }
    };
    see(stats->histogram_bounds);
    see(stats->most_common_vals);
    if (!low || !high || *high <= *low) return std::nullopt;
    return static_cast<double>(*high - *low) / 1e6;
}

struct PartitionInterval {
    std::string_view name; // "1 month"
    double seconds;
};

// The largest of month, week, day and hour that cuts the retention into at least
// k_partition_min_partitions partitions: dropping the oldest then removes at most an eighth of
// the rows kept, and the count stays in the tens to low hundreds, where pruning is cheap.
PartitionInterval partition_interval(std::optional<double> retention_s) {
    static constexpr PartitionInterval k_intervals[] = {
        {"1 month", 2'629'800}, {"1 week", 604'800}, {"1 day", 86'400}, {"1 hour", 3'600}};
    if (!retention_s) return k_intervals[0];
    for (const PartitionInterval& interval : k_intervals)
        if (*retention_s / interval.seconds >= k_partition_min_partitions) return interval;
    return k_intervals[3];
}

// Distinct values of a column by its statistics; nullopt when unknown.
std::optional<double> distinct_values(const Workload& workload, const CatalogTable& table, std::string_view column,
                                      double rows) {
    const ColumnStats* stats = workload.find_stats(table.schema, table.name, column);
    if (stats == nullptr || stats->n_distinct == 0) return std::nullopt;
    return stats->n_distinct > 0 ? stats->n_distinct : -stats->n_distinct * rows;
}

// The column alone is a unique key: an equality on it finds one row, not a tenant's rows.
bool unique_alone(const Workload& workload, const CatalogTable& table, std::string_view column) {
    return std::ranges::any_of(workload.indexes, [&](const CatalogIndex& index) {
        return index.unique && index.table_schema == table.schema && index.table == table.name &&
               index.keys.size() == 1 && index.keys[0] == column && index.predicate.empty();
    });
}

const CatalogColumn* find_column(const CatalogTable& table, std::string_view name) {
    for (const CatalogColumn& column : table.columns)
        if (column.name == name) return &column;
    return nullptr;
}

std::string statement_list(const std::vector<const WorkloadStatement*>& statements) {
    std::string out;
    for (const WorkloadStatement* statement : statements) {
        if (!out.empty()) out += "; ";
        out += statement->text;
    }
    return out;
}

} // namespace

void check_partition_candidate(const Workload& workload, const Statements& statements, std::vector<Finding>& out) {
    const std::optional<std::int64_t> shared_buffers = health::setting_bytes(workload, "shared_buffers");
    const std::optional<std::int64_t> cache = health::setting_bytes(workload, "effective_cache_size");
    if (!shared_buffers || *shared_buffers <= 0) return;

    std::map<const CatalogTable*, TableWorkload> tables;
    for (const ParsedWorkloadStatement& entry : statements) {
        const WorkloadStatement& statement = *entry.source;
        const sqlparse::Statement& parsed = *entry.parsed.statement;
        StatementUse use;
        collect(workload, parsed.query, true, parsed, use);
        for (const auto& [table, seen] : use) {
            TableWorkload& load = tables[table];
            load.read_ms += statement.total_ms;
            const auto add = [&](std::map<std::string, Candidate>& candidates, const std::set<std::string>& columns,
                                 const std::set<std::string>& delete_columns) {
                for (const std::string& name : columns) {
                    Candidate& candidate = candidates[name];
                    if (seen.deleted_from && delete_columns.contains(name)) {
                        candidate.delete_ms += statement.total_ms;
                        candidate.delete_rows += statement.rows;
                        candidate.deletes.push_back(&statement);
                    } else {
                        candidate.filter_ms += statement.total_ms;
                    }
                }
            };
            add(load.range, seen.range_columns, seen.delete_range);
            add(load.equality, seen.equality_columns, seen.delete_equality);
        }
    }

    for (auto& [table_ptr, load] : tables) {
        const CatalogTable& table = *table_ptr;
        // Already partitioned, a partition, or a kind that cannot be partitioned.
        if (table.kind != 'r' || table.is_partition || table.temporary) continue;
        if (table.size_bytes < *shared_buffers || load.read_ms <= 0) continue;
        const double rows = std::max(table.reltuples, static_cast<double>(table.n_live_tup));
        if (rows <= 0 || static_cast<double>(table.n_tup_del) < k_partition_min_deleted_share * rows) continue;

        const Candidate* best = nullptr;
        std::optional<double> best_distinct;
        const auto consider = [&](std::map<std::string, Candidate>& candidates, bool time) {
            for (auto& [name, candidate] : candidates) {
                const CatalogColumn* column = find_column(table, name);
                if (column == nullptr || is_time_type(column->type_name) != time) continue;
                if (candidate.deletes.empty() || candidate.delete_rows < k_partition_min_deleted_rows) continue;
                if (candidate.stake() < k_partition_min_filter_share * load.read_ms) continue;
                std::optional<double> distinct;
                if (!time) {
                    // A tenant column: a few to some thousands of values with many rows each.
                    if (unique_alone(workload, table, name)) continue;
                    distinct = distinct_values(workload, table, name, rows);
                    if (!distinct || *distinct < 2 || *distinct > k_partition_max_tenants ||
                        rows / *distinct < k_partition_min_rows_per_tenant)
                        continue;
                }
                candidate.column = column;
                candidate.time = time;
                if (best == nullptr || candidate.stake() > best->stake()) {
                    best = &candidate;
                    best_distinct = distinct;
                }
            }
        };
        consider(load.range, true);
        consider(load.equality, false);
        if (best == nullptr) continue;

        const std::string name = health::qualified_name(table.schema, table.name);
        const std::string& key = best->column->name;
        const double size = static_cast<double>(table.size_bytes);
        const bool beyond_cache = cache && *cache > 0 && table.size_bytes >= *cache;
        const double share = best->stake() / load.read_ms;
        const double deleted_share = static_cast<double>(table.n_tup_del) / rows;
        std::vector<const WorkloadStatement*> deletes = best->deletes;
        std::ranges::stable_sort(deletes, std::ranges::greater{}, &WorkloadStatement::total_ms);

        Finding finding(RuleId::partition_candidate);
        finding.severity = beyond_cache ? Severity::warning : Severity::info;
        finding.subject = name;
        finding.object = ObjectRef{"table", table.schema, table.name, {}, {}};
        finding.query = health::query_ref(*deletes.front());
        const std::string memory =
            beyond_cache ? fmt::format("more than effective_cache_size, {}", health::format_bytes(*cache))
                         : fmt::format("more than shared_buffers, {}", health::format_bytes(*shared_buffers));
        std::string method;
        std::string retention_text;
        std::string outline;
        Evidence key_evidence; // how the key and its partitions were chosen, after the common evidence
        if (best->time) {
            std::optional<double> retention = stated_retention_s(deletes);
            std::string source = "the DELETEs' constants";
            if (!retention) {
                retention = statistics_span_s(workload, table, key);
                source = "the span of the column's values in its statistics";
            }
            const PartitionInterval interval = partition_interval(retention);
            method = "range";
            retention_text =
                retention ? fmt::format("The rows kept span about {} ({}): partitions of {} make {:.0f} of them, and "
                                        "retention drops the oldest whole. ",
                                        format_seconds(*retention), source, interval.name,
                                        std::ceil(*retention / interval.seconds))
                          : fmt::format("The retention is not known (the DELETEs' constants are parameters and the "
                                        "column has no statistics): partitions of {} are a start, finer if the rows "
                                        "kept span less than 8 months. ",
                                        interval.name);
            outline = fmt::format(
                "-- Outline only (dbadvise runs nothing); plan it as a migration:\n"
                "-- CREATE TABLE {0}_partitioned (LIKE {0} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                "PARTITION BY RANGE ({1});\n"
                "-- CREATE TABLE {0}_p<start> PARTITION OF {0}_partitioned FOR VALUES FROM ('<start>') TO "
                "('<start> + {2}');  -- one per {2}, created ahead of time (pg_partman or a scheduled job)\n"
                "-- Recreate the indexes on the parent, with {1} in every primary key and unique index; move the "
                "rows in batches, swap the names.\n"
                "-- Retention: ALTER TABLE {0} DETACH PARTITION {0}_p<oldest> CONCURRENTLY; DROP TABLE "
                "{0}_p<oldest>;  -- instead of the DELETE",
                name, key, interval.name);
            key_evidence.emplace_back("partition_interval", std::string(interval.name));
            if (retention) {
                key_evidence.emplace_back("retention_s", *retention);
                key_evidence.emplace_back("retention_from", source);
            }
        } else {
            const bool list = *best_distinct <= k_partition_max_list_tenants;
            method = list ? "list" : "hash";
            // Hash: enough partitions that one is at most a quarter of shared_buffers (a larger
            // relation is scanned through a small ring of buffers, not the cache), 4 to 64.
            int modulus = 4;
            while (modulus < 64 && size / modulus > static_cast<double>(*shared_buffers) / 4) modulus *= 2;
            retention_text =
                list ? fmt::format("With {:.0f} values, one partition per {} value: removing a tenant's rows becomes "
                                   "dropping its partition. ",
                                   *best_distinct, key)
                     : fmt::format("With {:.0f} values, hash partitions ({} of them, each at most a quarter of "
                                   "shared_buffers) prune every statement to one partition; a tenant's DELETE then "
                                   "touches one partition only. ",
                                   *best_distinct, modulus);
            outline = list ? fmt::format(
                                 "-- Outline only (dbadvise runs nothing); plan it as a migration:\n"
                                 "-- CREATE TABLE {0}_partitioned (LIKE {0} INCLUDING DEFAULTS INCLUDING "
                                 "CONSTRAINTS) PARTITION BY LIST ({1});\n"
                                 "-- CREATE TABLE {0}_<value> PARTITION OF {0}_partitioned FOR VALUES IN "
                                 "('<value>');  -- one per value, and a DEFAULT partition\n"
                                 "-- Recreate the indexes with {1} in every primary key and unique index; move the "
                                 "rows in batches, swap the names.\n"
                                 "-- Removing a tenant: ALTER TABLE {0} DETACH PARTITION {0}_<value> CONCURRENTLY; "
                                 "DROP TABLE {0}_<value>;  -- instead of the DELETE",
                                 name, key)
                         : fmt::format(
                               "-- Outline only (dbadvise runs nothing); plan it as a migration:\n"
                               "-- CREATE TABLE {0}_partitioned (LIKE {0} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                               "PARTITION BY HASH ({1});\n"
                               "-- CREATE TABLE {0}_h<r> PARTITION OF {0}_partitioned FOR VALUES WITH (MODULUS {2}, "
                               "REMAINDER <r>);  -- r = 0..{3}\n"
                               "-- Recreate the indexes with {1} in every primary key and unique index; move the rows "
                               "in batches, swap the names.",
                               name, key, modulus, modulus - 1);
            key_evidence.emplace_back("distinct_values", *best_distinct);
            if (!list) key_evidence.emplace_back("hash_partitions", static_cast<std::int64_t>(modulus));
        }
        finding.title = fmt::format(
            "Table {} ({}, {}) is filtered by {} in {:.0f}% of its statements' time and loses rows in bulk by it: "
            "{}-partition it by {}",
            name, health::format_bytes(size), memory, key, share * 100, method, key);
        finding.message = fmt::format(
            "{} holds {:.0f} rows in {} ({}). Statements that {} take {:.0f}% of the time of its statements "
            "({:.0f} of {:.0f} ms), and {} DELETE statement{} by {} removed {} rows ({:.0f} ms), while "
            "{} rows ({:.0f}% of the table) were deleted since the statistics were reset. Each deleted row "
            "costs WAL, a dead tuple and index entries that vacuum must clean, and the table keeps the space; "
            "with {} partitioning by {}, the planner prunes the partitions a statement's {} excludes and "
            "retention becomes dropping (or detaching) a partition, a catalog change whatever its size. {}"
            "Unique keys of a partitioned table must include {}; statements that do not filter by it read "
            "every partition.",
            name, rows, health::format_bytes(size), memory,
            best->time ? fmt::format("filter {} by a range", key) : fmt::format("select by equality on {}", key),
            share * 100, best->stake(), load.read_ms, deletes.size(), deletes.size() == 1 ? "" : "s", key,
            best->delete_rows, best->delete_ms, table.n_tup_del, deleted_share * 100, method, key,
            best->time ? "range" : "value", retention_text, key);
        finding.suggestion.sql = std::move(outline);
        finding.evidence.emplace_back("table", name);
        finding.evidence.emplace_back("partition_key", key);
        finding.evidence.emplace_back("partitioning", method);
        finding.evidence.emplace_back("table_bytes", table.size_bytes);
        finding.evidence.emplace_back("shared_buffers_bytes", *shared_buffers);
        if (cache) finding.evidence.emplace_back("effective_cache_size_bytes", *cache);
        finding.evidence.emplace_back("table_rows", rows);
        finding.evidence.emplace_back("rows_deleted", table.n_tup_del);
        finding.evidence.emplace_back("deleted_share", deleted_share);
        finding.evidence.emplace_back("filter_share", share);
        finding.evidence.emplace_back("filter_ms", best->filter_ms);
        finding.evidence.emplace_back("delete_ms", best->delete_ms);
        finding.evidence.emplace_back("delete_rows", best->delete_rows);
        finding.evidence.emplace_back("table_statements_ms", load.read_ms);
        finding.evidence.emplace_back("delete_statements", statement_list(deletes));
        std::ranges::move(key_evidence, std::back_inserter(finding.evidence));
        // At stake: the DELETEs' time and that of the statements that would prune.
        finding.rank = best->stake();
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
