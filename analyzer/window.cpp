// The window between two captures. pg_stat_statements keeps one entry per (userid, dbid,
// queryid, toplevel) with counters that only grow until the entry is reset
// (pg_stat_statements_reset(), for one entry or all) or evicted (the least used entries go
// when pg_stat_statements.max is reached; dealloc in pg_stat_statements_info counts those
// evictions, 14+). An entry that comes back starts from zero, so a counter that went down, or
// (17+) a stats_since after the earlier capture, means "reset in between": its later value is
// all that is known of the window. pg_stat_statements_info.stats_reset moves only when every
// entry is reset (or the file is lost in a crash): then nothing of the earlier capture can be
// subtracted and the window is refused. The statistics views (pg_stat_database, pg_stat_all_*)
// behave the same way with pg_stat_database.stats_reset.
#include "analyzer/window.hpp"

#include "analyzer/rule_registry.hpp"
#include "analyzer/statement_columns.hpp"
#include "analyzer/timestamp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <map>
#include <unordered_map>

namespace dbadvise::analyzer {

namespace {

std::string entry_key(const WorkloadStatement& s) {
    return fmt::format("{}/{}/{}", s.queryid, s.userid, s.toplevel ? 't' : 'f');
}

std::optional<double> as_number(const StatValue& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value))
        return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&value))
        return *d;
    return std::nullopt;
}

// The later value minus the earlier one, keeping integers integers; nullopt when it went
// down (a reset) or the earlier value is missing.
std::optional<StatValue> minus(const StatValue& later, const StatValue& earlier) {
    if (std::holds_alternative<std::monostate>(later))
        return later;
    const auto* li = std::get_if<std::int64_t>(&later);
    const auto* ei = std::get_if<std::int64_t>(&earlier);
    if (li && ei) {
        if (*li < *ei)
            return std::nullopt;
        return StatValue{*li - *ei};
    }
    const std::optional<double> l = as_number(later);
    const std::optional<double> e = as_number(earlier);
    if (!l || !e)
        return std::nullopt;
    if (*l < *e)
        return std::nullopt;
    return StatValue{*l - *e};
}

// The count column a derived column's mean and stddev are over: mean_exec_time ->
// (total_exec_time, calls), mean_plan_time -> (total_plan_time, plans), mean_time (before 13)
// -> (total_time, calls).
struct Series {
    std::string total;
    std::string count;
};
std::optional<Series> series_of(std::string_view derived) {
    const std::size_t underscore = derived.find('_');
    if (underscore == std::string_view::npos)
        return std::nullopt;
    const std::string_view suffix = derived.substr(underscore + 1); // exec_time, plan_time, time
    const std::string count = suffix == "plan_time" ? "plans" : "calls";
    return Series{"total_" + std::string(suffix), count};
}

// Recomputes the window's mean_* and stddev_* from the totals, counts and (for stddev) the
// sums of squares both captures imply: pg_stat_statements keeps the population variance
// times the count (Welford), so sum(x^2) = n * (stddev^2 + mean^2) at each capture.
void recompute_derived(WorkloadStatement& window, const WorkloadStatement& earlier,
                       const WorkloadStatement& later, const std::vector<StatementColumn>& columns,
                       const std::vector<int>& earlier_index) {
    const auto number_at = [&](const WorkloadStatement& s, const std::vector<StatementColumn>& cols,
                               const std::vector<int>* map,
                               std::string_view name) -> std::optional<double> {
        int at = column_index(cols, name);
        if (at < 0)
            return std::nullopt;
        if (map != nullptr) {
            at = (*map)[static_cast<std::size_t>(at)];
            if (at < 0)
                return std::nullopt;
        }
        if (static_cast<std::size_t>(at) >= s.values.size())
            return std::nullopt;
        return as_number(s.values[static_cast<std::size_t>(at)]);
    };
    const auto later_number = [&](const WorkloadStatement& s, std::string_view name) {
        return number_at(s, columns, nullptr, name);
    };
    const auto earlier_number = [&](std::string_view name) {
        return number_at(earlier, columns, &earlier_index, name);
    };
    for (std::size_t c = 0; c < columns.size(); ++c) {
        if (column_role(columns[c]) != ColumnRole::derived)
            continue;
        const std::string& name = columns[c].name;
        StatValue& out = window.values[c];
        out = std::monostate{};
        const std::optional<Series> series = series_of(name);
        if (!series)
            continue;
        const std::optional<double> n = later_number(window, series->count);
        const std::optional<double> total = later_number(window, series->total);
        if (!n || !total || *n <= 0)
            continue;
        const double mean = *total / *n;
        if (name.starts_with("mean_")) {
            out = mean;
        } else if (name.starts_with("stddev_")) {
            const std::string mean_name = "mean_" + name.substr(7);
            const auto n0 = earlier_number(series->count);
            const auto m0 = earlier_number(mean_name);
            const auto s0 = earlier_number(name);
            const auto n1 = later_number(later, series->count);
            const auto m1 = later_number(later, mean_name);
            const auto s1 = later_number(later, name);
            if (!n0 || !m0 || !s0 || !n1 || !m1 || !s1)
                continue;
            const double squares = *n1 * (*s1 * *s1 + *m1 * *m1) - *n0 * (*s0 * *s0 + *m0 * *m0);
            out = std::sqrt(std::max(0.0, squares / *n - mean * mean));
        }
        // min_* and max_* of the window are unknown: NULL.
    }
}

// "1 statement", "3 statements".
std::string count_of(std::int64_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string list_queryids(const std::vector<std::string>& ids) {
    std::string out;
    for (std::size_t i = 0; i < ids.size() && i < 5; ++i) {
        if (i > 0)
            out += ", ";
        out += ids[i];
    }
    if (ids.size() > 5)
        out += fmt::format(" and {} more", ids.size() - 5);
    return out;
}

Finding input_finding(RuleId rule, std::string title, std::string message) {
    Finding finding(rule);
    finding.title = std::move(title);
    finding.message = std::move(message);
    finding.subject = std::string(to_string(rule));
    return finding;
}

// Table and database counters: subtracted field by field, or kept whole when one went down.
template <typename T, std::size_t N>
bool subtract_fields(T& later, const T& earlier, std::int64_t T::*const (&fields)[N]) {
    for (std::int64_t T::*field : fields) {
        if (later.*field < earlier.*field)
            return false;
    }
    for (std::int64_t T::*field : fields)
        later.*field -= earlier.*field;
    return true;
}

constexpr std::int64_t CatalogTable::*k_table_counters[] = {
    &CatalogTable::seq_scan,       &CatalogTable::seq_tup_read,  &CatalogTable::idx_scan,
    &CatalogTable::n_tup_ins,      &CatalogTable::n_tup_upd,     &CatalogTable::n_tup_hot_upd,
    &CatalogTable::n_tup_del,
    &CatalogTable::heap_blks_read, &CatalogTable::heap_blks_hit, &CatalogTable::idx_blks_read,
    &CatalogTable::idx_blks_hit};
// idx_scan stays cumulative: an index unused for an hour may serve the nightly report.
constexpr std::int64_t CatalogIndex::*k_index_counters[] = {&CatalogIndex::idx_blks_hit,
                                                            &CatalogIndex::idx_blks_read};
constexpr std::int64_t DatabaseStats::*k_database_counters[] = {
    &DatabaseStats::blks_hit, &DatabaseStats::blks_read, &DatabaseStats::temp_files,
    &DatabaseStats::temp_bytes};

// Subtracts the statistics views' counters; returns a finding when they were reset.
std::optional<Finding> subtract_statistics(Workload& window, const Workload& earlier,
                                           std::int64_t since_us, const WindowInputs& inputs) {
    const std::optional<std::int64_t> reset =
        parse_timestamp_us(window.capture.database_stats_reset);
    if (reset && *reset > since_us) {
        return input_finding(
            RuleId::window_statistics_reset,
            fmt::format("Table and index statistics were reset during the window ({})",
                        window.capture.database_stats_reset),
            fmt::format("pg_stat_database.stats_reset is {}, after {} was captured ({}): the "
                        "table, index and database counters (scans, tuples, blocks read and hit) "
                        "restarted from zero then, so the cache and table figures cover only "
                        "the time since the reset. The statements' figures are not affected.",
                        window.capture.database_stats_reset, inputs.earlier,
                        earlier.capture.captured_at));
    }
    int reset_objects = 0;
    if (!subtract_fields(window.database_stats, earlier.database_stats, k_database_counters))
        ++reset_objects;
    std::map<std::pair<std::string, std::string>, const CatalogTable*> tables;
    for (const CatalogTable& table : earlier.tables)
        tables[{table.schema, table.name}] = &table;
    for (CatalogTable& table : window.tables) {
        const auto found = tables.find({table.schema, table.name});
        if (found != tables.end() && !subtract_fields(table, *found->second, k_table_counters))
            ++reset_objects;
    }
    std::map<std::pair<std::string, std::string>, const CatalogIndex*> indexes;
    for (const CatalogIndex& index : earlier.indexes)
        indexes[{index.schema, index.name}] = &index;
    for (CatalogIndex& index : window.indexes) {
        const auto found = indexes.find({index.schema, index.name});
        if (found != indexes.end() && !subtract_fields(index, *found->second, k_index_counters))
            ++reset_objects;
    }
    if (reset_objects == 0)
        return std::nullopt;
    Finding finding = input_finding(
        RuleId::window_statistics_reset,
        fmt::format(
            "Statistics of {} were reset during the window",
            count_of(reset_objects, "table, index or database", "tables, indexes or databases")),
        fmt::format(
            "Counters of {} went down between {} and {} "
            "(pg_stat_reset_single_table_counters(), or a crash): for those the figures "
            "are the later capture's, since their reset, not the window's.",
            count_of(reset_objects, "table, index or database", "tables, indexes or databases"),
            inputs.earlier, inputs.later));
    finding.evidence.emplace_back("objects_reset", static_cast<std::int64_t>(reset_objects));
    return finding;
}

// Server activity in the window (docs/snapshot.md): what is a sample at one moment (sessions,
// prepared transactions, ID ages, dead tuples, sequences, sizes) is the later capture's; the
// cumulative session counters of pg_stat_database are subtracted like the other statistics
// (kept whole, covering the time since their reset, when they were reset in between); the
// statements' counters cover the window, so the call rates of cacheable-result do too.
void subtract_activity(Workload& window, const Workload& earlier, std::int64_t since_us,
                       std::int64_t until_us, const WindowInputs& inputs,
                       std::vector<std::string>& notes) {
    if (!window.activity)
        return;
    ServerActivity& activity = *window.activity;
    const double window_s = static_cast<double>(until_us - since_us) / 1e6;
    activity.statements_window_s = window_s;
    if (!activity.session_counters)
        return;
    SessionCounters& later = *activity.session_counters;
    const std::optional<std::int64_t> reset =
        parse_timestamp_us(window.capture.database_stats_reset);
    if (reset && *reset > since_us)
        return; // whole since the reset: window-statistics-reset says so
    const SessionCounters* before = earlier.activity && earlier.activity->session_counters
                                        ? &*earlier.activity->session_counters
                                        : nullptr;
    if (before == nullptr) {
        activity.session_counters.reset();
        notes.push_back(fmt::format(
            "{} has no session counters of pg_stat_database (taken before 14, or by a dbadvise "
            "that did not record them): the sessions of the window are unknown and "
            "connection-churn was skipped.",
            inputs.earlier));
        return;
    }
    if (later.sessions < before->sessions || later.session_time_ms < before->session_time_ms ||
        later.active_time_ms < before->active_time_ms)
        return; // went down: reset with the database's counters (window-statistics-reset), kept whole
    later.sessions -= before->sessions;
    later.session_time_ms -= before->session_time_ms;
    later.active_time_ms -= before->active_time_ms;
    later.idle_in_transaction_time_ms =
        std::max(0.0, later.idle_in_transaction_time_ms - before->idle_in_transaction_time_ms);
    later.abandoned = std::max<std::int64_t>(0, later.abandoned - before->abandoned);
    later.fatal = std::max<std::int64_t>(0, later.fatal - before->fatal);
    later.killed = std::max<std::int64_t>(0, later.killed - before->killed);
    later.window_s = window_s;
}

} // namespace

std::expected<Capture, SourceError>
subtract_captures(const Workload& earlier, const Workload& later, const WindowInputs& inputs) {
    const auto fail = [](SourceError::Kind kind, std::string message) {
        return std::unexpected(SourceError{kind, std::move(message)});
    };
    const CaptureInfo& from = earlier.capture;
    const CaptureInfo& to = later.capture;
    if (!from.system_identifier.empty() && !to.system_identifier.empty() &&
        from.system_identifier != to.system_identifier) {
        return fail(SourceError::Kind::mismatch,
                    fmt::format("{} was captured on another server (system identifier {}) than "
                                "{} ({}): a window needs two captures of the same database",
                                inputs.earlier, from.system_identifier, inputs.later,
                                to.system_identifier));
    }
    if (earlier.database != later.database) {
        return fail(SourceError::Kind::mismatch,
                    fmt::format("{} is of database \"{}\" and {} of database \"{}\": a window "
                                "needs two captures of the same database",
                                inputs.earlier, earlier.database, inputs.later, later.database));
    }
    if (from.database_oid != 0 && to.database_oid != 0 && from.database_oid != to.database_oid) {
        return fail(SourceError::Kind::mismatch,
                    fmt::format("database \"{}\" of {} (oid {}) is not the one of {} (oid {}): "
                                "it was dropped and created again, or restored, in between, and "
                                "its counters started over",
                                earlier.database, inputs.earlier, from.database_oid, inputs.later,
                                to.database_oid));
    }
    const std::optional<std::int64_t> since = parse_timestamp_us(from.captured_at);
    const std::optional<std::int64_t> until = parse_timestamp_us(to.captured_at);
    if (!since || !until) {
        return fail(SourceError::Kind::mismatch,
                    fmt::format("cannot tell when {} was captured (captured_at \"{}\"): a window "
                                "needs the capture times",
                                since ? inputs.later : inputs.earlier,
                                since ? to.captured_at : from.captured_at));
    }
    if (*since > *until) {
        return fail(SourceError::Kind::usage,
                    fmt::format("{} (captured {}) is newer than {} (captured {}): --since takes "
                                "the earlier capture",
                                inputs.earlier, from.captured_at, inputs.later, to.captured_at));
    }
    if (const auto reset = parse_timestamp_us(to.statements_reset); reset && *reset > *since) {
        return fail(SourceError::Kind::mismatch,
                    fmt::format("pg_stat_statements was reset at {} (pg_stat_statements_info."
                                "stats_reset), after {} was captured ({}): its counters no "
                                "longer cover the window. Analyze without --since for what ran "
                                "since the reset, or take the start of the window after it",
                                to.statements_reset, inputs.earlier, from.captured_at));
    }

    Capture capture;
    capture.workload = later;
    Workload& window = capture.workload;
    capture.description.window_start = from.captured_at;
    capture.description.window_end = to.captured_at;
    const std::vector<StatementColumn>& columns = later.statement_columns;
    std::vector<int> earlier_index(columns.size(), -1);
    for (std::size_t c = 0; c < columns.size(); ++c)
        earlier_index[c] = column_index(earlier.statement_columns, columns[c].name);
    const int stats_since = column_index(columns, "stats_since");

    std::unordered_map<std::string, const WorkloadStatement*> before;
    before.reserve(earlier.statements.size());
    for (const WorkloadStatement& statement : earlier.statements)
        before.emplace(entry_key(statement), &statement);

    std::vector<WorkloadStatement> ran;
    std::vector<std::string> reset_ids;
    std::int64_t appeared = 0;
    std::int64_t idle = 0;
    std::size_t matched = 0;
    for (const WorkloadStatement& statement : later.statements) {
        const auto found = before.find(entry_key(statement));
        if (found == before.end()) {
            // Appeared; an entry planned but never executed (calls = 0) did not run.
            if (statement.calls > 0) {
                ++appeared;
                ran.push_back(statement);
            } else {
                ++idle;
            }
            continue;
        }
        ++matched;
        const WorkloadStatement& old = *found->second;
        bool reset = false;
        if (stats_since >= 0 && static_cast<std::size_t>(stats_since) < statement.values.size()) {
            if (const auto* text = std::get_if<std::string>(
                    &statement.values[static_cast<std::size_t>(stats_since)])) {
                const auto created = parse_timestamp_us(*text);
                reset = created && *created > *since;
            }
        }
        WorkloadStatement delta = statement;
        const bool generic = !columns.empty() && statement.values.size() == columns.size() &&
                             old.values.size() == earlier.statement_columns.size();
        if (!reset && generic) {
            for (std::size_t c = 0; c < columns.size() && !reset; ++c) {
                if (column_role(columns[c]) != ColumnRole::counter)
                    continue;
                const int e = earlier_index[c];
                if (e < 0)
                    continue; // a column the earlier capture did not have: whole
                const std::optional<StatValue> d =
                    minus(statement.values[c], old.values[static_cast<std::size_t>(e)]);
                if (!d)
                    reset = true;
                else
                    delta.values[c] = *d;
            }
            if (!reset) {
                recompute_derived(delta, old, statement, columns, earlier_index);
                fill_statement(delta, columns);
            }
        } else if (!reset) {
            // Statements without their row (built by hand): the typed counters only; the
            // row's values would no longer match them.
            reset = statement.calls < old.calls || statement.total_ms < old.total_ms;
            if (!reset) {
                delta.values.clear();
                delta.calls -= old.calls;
                delta.total_ms -= old.total_ms;
                delta.rows = std::max<std::int64_t>(0, delta.rows - old.rows);
                delta.shared_blks_hit =
                    std::max<std::int64_t>(0, delta.shared_blks_hit - old.shared_blks_hit);
                delta.shared_blks_read =
                    std::max<std::int64_t>(0, delta.shared_blks_read - old.shared_blks_read);
                delta.temp_blks_read =
                    std::max<std::int64_t>(0, delta.temp_blks_read - old.temp_blks_read);
                delta.temp_blks_written =
                    std::max<std::int64_t>(0, delta.temp_blks_written - old.temp_blks_written);
                delta.mean_ms =
                    delta.calls > 0 ? delta.total_ms / static_cast<double>(delta.calls) : 0;
            }
        }
        if (reset) {
            reset_ids.push_back(statement.queryid);
            if (statement.calls > 0)
                ran.push_back(statement);
            continue;
        }
        if (delta.calls <= 0) {
            ++idle;
            continue;
        }
        ran.push_back(std::move(delta));
    }
    const auto gone = static_cast<std::int64_t>(earlier.statements.size() - matched);
    window.statements = std::move(ran);

    capture.stats.emplace_back("window_statements",
                               static_cast<std::int64_t>(window.statements.size()));
    capture.stats.emplace_back("window_statements_new", appeared);
    capture.stats.emplace_back("window_statements_reset",
                               static_cast<std::int64_t>(reset_ids.size()));
    capture.stats.emplace_back("window_statements_gone", gone);
    capture.stats.emplace_back("window_statements_idle", idle);

    capture.notes.push_back(fmt::format(
        "Window from {} ({}) to {} ({}), database \"{}\", PostgreSQL {}: {} ran in it ({} new); "
        "{} did not run.",
        inputs.earlier, from.captured_at, inputs.later, to.captured_at, later.database,
        later.server_version,
        count_of(static_cast<std::int64_t>(window.statements.size()), "statement", "statements"),
        appeared, idle));
    if (gone > 0) {
        capture.notes.push_back(fmt::format(
            "{} of {} {} no longer in pg_stat_statements (evicted, or reset with "
            "pg_stat_statements_reset()): what {} ran before leaving is unknown, and {} left "
            "out of the window.",
            count_of(gone, "statement", "statements"), inputs.earlier, gone == 1 ? "is" : "are",
            gone == 1 ? "it" : "they", gone == 1 ? "it is" : "they are"));
    }
    if (from.statement_limit > 0 &&
        earlier.statements.size() >= static_cast<std::size_t>(from.statement_limit)) {
        capture.notes.push_back(fmt::format(
            "{} holds only the top {} statements (snapshot --top): a statement missing from it "
            "counts whole, although it may have run before the window.",
            inputs.earlier, from.statement_limit));
    }
    if (!from.statements_dealloc || !to.statements_dealloc) {
        capture.notes.push_back(
            "pg_stat_statements_info is missing (PostgreSQL 13 or older): evictions between the "
            "captures cannot be counted, only seen as statements that went away or whose "
            "counters went down.");
    }
    if (!from.server_started_at.empty() && !to.server_started_at.empty() &&
        from.server_started_at != to.server_started_at) {
        capture.notes.push_back(fmt::format(
            "The server restarted during the window (at {}); after a crash its statistics start "
            "over, which shows as resets.",
            to.server_started_at));
    }

    if (!reset_ids.empty()) {
        Finding finding = input_finding(
            RuleId::window_statements_reset,
            fmt::format("{} reset or re-entered pg_stat_statements during the window",
                        count_of(static_cast<std::int64_t>(reset_ids.size()), "statement was",
                                 "statements were")),
            fmt::format("Their counters went down between {} and {}, or their entry was created "
                        "after {} (stats_since): the entry was reset "
                        "(pg_stat_statements_reset()) or evicted and created again. Their "
                        "figures cover only the time since, so they rank lower than they "
                        "should. queryid {}.",
                        inputs.earlier, inputs.later, inputs.earlier, list_queryids(reset_ids)));
        finding.evidence.emplace_back("statements", static_cast<std::int64_t>(reset_ids.size()));
        capture.findings.push_back(std::move(finding));
    }
    if (from.statements_dealloc && to.statements_dealloc &&
        *to.statements_dealloc > *from.statements_dealloc) {
        const std::int64_t evicted = *to.statements_dealloc - *from.statements_dealloc;
        std::string max = "pg_stat_statements.max";
        std::int64_t raised = 10000;
        if (const Setting* setting = later.find_setting("pg_stat_statements.max")) {
            max = fmt::format("pg_stat_statements.max = {}", setting->value);
            raised = std::max<std::int64_t>(
                raised, 2 * std::strtoll(setting->setting.c_str(), nullptr, 10));
        }
        Finding finding = input_finding(
            RuleId::window_statements_evicted,
            fmt::format("pg_stat_statements evicted {} during the window",
                        count_of(evicted, "entry", "entries")),
            fmt::format("pg_stat_statements_info.dealloc grew by {} between {} and {}: the view "
                        "was full ({}) and dropped its least used entries. {} of the earlier "
                        "capture {} gone and left out; statements that came back count only "
                        "since. Raise pg_stat_statements.max (needs a restart) so that the "
                        "workload fits.",
                        evicted, inputs.earlier, inputs.later, max,
                        count_of(gone, "statement", "statements"), gone == 1 ? "is" : "are"));
        finding.evidence.emplace_back("dealloc", evicted);
        finding.evidence.emplace_back("statements_gone", gone);
        finding.suggestion.sql =
            fmt::format("ALTER SYSTEM SET pg_stat_statements.max = {};", raised);
        capture.findings.push_back(std::move(finding));
    }
    if (std::optional<Finding> statistics = subtract_statistics(window, earlier, *since, inputs))
        capture.findings.push_back(std::move(*statistics));
    subtract_activity(window, earlier, *since, *until, inputs, capture.notes);
    return capture;
}

} // namespace dbadvise::analyzer
