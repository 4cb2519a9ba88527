#include "analyzer/window.hpp"

#include <algorithm>
#include <cmath>
#include <doctest/doctest.h>
#include <string>

using namespace dbadvise::analyzer;

namespace {

const std::vector<StatementColumn> k_columns = {
    {"userid", "oid"},
    {"dbid", "oid"},
    {"toplevel", "boolean"},
    {"queryid", "bigint"},
    {"query", "text"},
    {"calls", "bigint"},
    {"total_exec_time", "double precision"},
    {"min_exec_time", "double precision"},
    {"mean_exec_time", "double precision"},
    {"stddev_exec_time", "double precision"},
    {"rows", "bigint"},
    {"shared_blks_hit", "bigint"},
    {"wal_bytes", "numeric"},
    {"stats_since", "timestamp with time zone"},
};

// A statement whose executions took `times` ms each, as pg_stat_statements would show it.
WorkloadStatement entry(std::int64_t queryid, const std::vector<double>& times,
                        std::string stats_since = "2025-03-01 00:00:00+00",
                        std::int64_t userid = 10) {
    double total = 0;
    double squares = 0;
    double low = times.empty() ? 0 : times.front();
    for (const double t : times) {
        total += t;
        squares += t * t;
        low = std::min(low, t);
    }
    const double n = static_cast<double>(times.size());
    const double mean = n > 0 ? total / n : 0;
    const double stddev = n > 0 ? std::sqrt(std::max(0.0, squares / n - mean * mean)) : 0;
    WorkloadStatement s;
    s.values = {userid,
                std::int64_t{5},
                true,
                queryid,
                "SELECT " + std::to_string(queryid),
                static_cast<std::int64_t>(times.size()),
                total,
                low,
                mean,
                stddev,
                static_cast<std::int64_t>(times.size()),
                static_cast<std::int64_t>(times.size() * 10),
                100.0 * n,
                std::move(stats_since)};
    s.queryid = std::to_string(queryid);
    s.userid = userid;
    s.calls = static_cast<std::int64_t>(times.size());
    s.total_ms = total;
    s.mean_ms = mean;
    return s;
}

Workload capture_at(std::string when, std::vector<WorkloadStatement> statements) {
    Workload w;
    w.database = "shop";
    w.server_version_num = 170000;
    w.server_version = "17.0";
    w.capture.captured_at = std::move(when);
    w.capture.system_identifier = "7000";
    w.capture.database_oid = 5;
    w.capture.statements_dealloc = 0;
    w.capture.statements_reset = "2025-03-01 00:00:00+00";
    w.capture.server_started_at = "2025-03-01 00:00:00+00";
    w.statement_columns = k_columns;
    w.statements = std::move(statements);
    return w;
}

const WindowInputs k_inputs{"--since a.json", "the live server"};

const WorkloadStatement* find(const Workload& w, const std::string& queryid) {
    for (const WorkloadStatement& s : w.statements)
        if (s.queryid == queryid)
            return &s;
    return nullptr;
}

std::int64_t stat(const Capture& c, std::string_view name) {
    for (const auto& [key, value] : c.stats)
        if (key == name)
            return std::get<std::int64_t>(value);
    FAIL("no stat " << name);
    return -1;
}

bool has_rule(const Capture& c, std::string_view rule) {
    return std::ranges::any_of(c.findings, [&](const Finding& f) { return f.rule_id() == rule; });
}

} // namespace

TEST_CASE("subtract_captures") {
    const Workload earlier =
        capture_at("2025-03-01 10:00:00+00",
                   {entry(1, {1, 2, 3}), entry(2, {5}), entry(3, {7}), entry(4, {1, 1})});
    SUBCASE("counters subtracted; mean, stddev recomputed, min unknown; idle and gone left out") {
        const Workload later =
            capture_at("2025-03-01 11:00:00+00", {entry(1, {1, 2, 3, 10, 20}), entry(2, {5}),
                                                  entry(4, {1, 1, 4}), entry(9, {8, 8})});
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE(window.has_value());
        const Workload& w = window->workload;
        CHECK(w.statements.size() == 3); // 1, 4 and the new 9; 2 did not run; 3 is gone
        const WorkloadStatement* one = find(w, "1");
        REQUIRE(one != nullptr);
        CHECK(one->calls == 2);
        CHECK(one->total_ms == doctest::Approx(30));
        CHECK(one->mean_ms == doctest::Approx(15));
        CHECK(one->rows == 2);
        CHECK(one->shared_blks_hit == 20);
        CHECK(std::get<double>(one->values[9]) == doctest::Approx(5));    // stddev of {10, 20}
        CHECK(std::holds_alternative<std::monostate>(one->values[7]));    // min of the window
        CHECK(std::get<double>(one->values[12]) == doctest::Approx(200)); // wal_bytes
        const WorkloadStatement* nine = find(w, "9");
        REQUIRE(nine != nullptr);
        CHECK(nine->calls == 2); // appeared: whole
        CHECK(find(w, "2") == nullptr);
        CHECK(stat(*window, "window_statements") == 3);
        CHECK(stat(*window, "window_statements_new") == 1);
        CHECK(stat(*window, "window_statements_idle") == 1);
        CHECK(stat(*window, "window_statements_gone") == 1);
        CHECK(stat(*window, "window_statements_reset") == 0);
        CHECK(window->findings.empty());
        CHECK(window->description.window_start == "2025-03-01 10:00:00+00");
        CHECK(window->description.window_end == "2025-03-01 11:00:00+00");
        CHECK(window->notes[1] ==
              "1 statement of --since a.json is no longer in pg_stat_statements (evicted, or "
              "reset with pg_stat_statements_reset()): what it ran before leaving is unknown, "
              "and it is left out of the window.");
        CHECK(
            window->notes[0] ==
            "Window from --since a.json (2025-03-01 10:00:00+00) to the live server "
            "(2025-03-01 11:00:00+00), database \"shop\", PostgreSQL 17.0: 3 statements ran in it "
            "(1 new); 1 did not run.");
    }
    SUBCASE("statements without their pg_stat_statements row: the typed counters") {
        Workload e = capture_at("2025-03-01 10:00:00+00", {entry(1, {1, 2})});
        Workload l = capture_at("2025-03-01 11:00:00+00", {entry(1, {1, 2, 5}), entry(2, {})});
        for (Workload* w : {&e, &l}) {
            w->statement_columns.clear();
            for (WorkloadStatement& s : w->statements)
                s.values.clear();
        }
        const auto window = subtract_captures(e, l, k_inputs);
        REQUIRE(window.has_value());
        REQUIRE(window->workload.statements.size() == 1);
        CHECK(window->workload.statements[0].calls == 1);
        CHECK(window->workload.statements[0].total_ms == doctest::Approx(5));
        CHECK(window->workload.statements[0].mean_ms == doctest::Approx(5));
        // Entry 2 appeared without a call (planned only): it did not run.
        CHECK(stat(*window, "window_statements_new") == 0);
        CHECK(stat(*window, "window_statements_idle") == 1);
    }
    SUBCASE("the same queryid run by two roles, or nested, are separate entries") {
        const Workload e =
            capture_at("2025-03-01 10:00:00+00", {entry(1, {1}, "2025-03-01 00:00:00+00", 10),
                                                  entry(1, {1}, "2025-03-01 00:00:00+00", 11)});
        const Workload l = capture_at("2025-03-01 11:00:00+00",
                                      {entry(1, {1, 2}, "2025-03-01 00:00:00+00", 10),
                                       entry(1, {1, 3, 3}, "2025-03-01 00:00:00+00", 11)});
        const auto window = subtract_captures(e, l, k_inputs);
        REQUIRE(window.has_value());
        REQUIRE(window->workload.statements.size() == 2);
        CHECK(window->workload.statements[0].calls + window->workload.statements[1].calls == 3);
    }
    SUBCASE("counters that went down, or a later stats_since: reset in between, counted whole") {
        const Workload later = capture_at(
            "2025-03-01 11:00:00+00", {entry(1, {4}), entry(2, {5, 5}, "2025-03-01 10:30:00+00"),
                                       entry(3, {7}), entry(4, {1, 1})});
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE(window.has_value());
        CHECK(find(window->workload, "1")->calls == 1);
        CHECK(find(window->workload, "2")->calls == 2);
        CHECK(stat(*window, "window_statements_reset") == 2);
        REQUIRE(has_rule(*window, "window-statements-reset"));
        const Finding& f = window->findings.front();
        CHECK(f.category() == Category::input);
        CHECK(f.severity == Severity::warning);
        CHECK(f.message.find("queryid 1, 2.") != std::string::npos);
    }
    SUBCASE("evictions counted by pg_stat_statements_info.dealloc") {
        Workload later = capture_at("2025-03-01 11:00:00+00", {entry(1, {1, 2, 3, 4})});
        later.capture.statements_dealloc = 40;
        later.settings.push_back({"pg_stat_statements.max", "5000", "", "5000"});
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE(window.has_value());
        REQUIRE(has_rule(*window, "window-statements-evicted"));
        const Finding& f = *std::ranges::find_if(window->findings, [](const Finding& x) {
            return x.rule_id() == "window-statements-evicted";
        });
        CHECK(f.title == "pg_stat_statements evicted 40 entries during the window");
        CHECK(f.suggestion.sql == "ALTER SYSTEM SET pg_stat_statements.max = 10000;");
        CHECK(stat(*window, "window_statements_gone") == 3);
    }
    SUBCASE("PostgreSQL 13 and older: no pg_stat_statements_info, said in a note") {
        Workload e = earlier;
        Workload l = capture_at("2025-03-01 11:00:00+00", {entry(1, {1, 2, 3, 4})});
        e.capture.statements_dealloc.reset();
        l.capture.statements_dealloc.reset();
        const auto window = subtract_captures(e, l, k_inputs);
        REQUIRE(window.has_value());
        CHECK(std::ranges::any_of(window->notes, [](const std::string& n) {
            return n.starts_with("pg_stat_statements_info is missing");
        }));
    }
}

TEST_CASE("subtract_captures: captures that cannot be combined") {
    const Workload earlier = capture_at("2025-03-01 10:00:00+00", {entry(1, {1})});
    SUBCASE("pg_stat_statements reset as a whole after the earlier capture") {
        Workload later = capture_at("2025-03-01 11:00:00+00", {entry(1, {1})});
        later.capture.statements_reset = "2025-03-01 10:30:00+00";
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE_FALSE(window.has_value());
        CHECK(window.error().kind == SourceError::Kind::mismatch);
        CHECK(window.error().message ==
              "pg_stat_statements was reset at 2025-03-01 10:30:00+00 "
              "(pg_stat_statements_info.stats_reset), after --since a.json was captured "
              "(2025-03-01 10:00:00+00): its counters no longer cover the window. Analyze "
              "without --since for what ran since the reset, or take the start of the window "
              "after it");
    }
    SUBCASE("another server") {
        Workload later = capture_at("2025-03-01 11:00:00+00", {});
        later.capture.system_identifier = "8000";
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE_FALSE(window.has_value());
        CHECK(window.error().message ==
              "--since a.json was captured on another server (system identifier 7000) than the "
              "live server (8000): a window needs two captures of the same database");
    }
    SUBCASE("another database, or the same name recreated") {
        Workload later = capture_at("2025-03-01 11:00:00+00", {});
        later.database = "crm";
        auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE_FALSE(window.has_value());
        CHECK(window.error().message ==
              "--since a.json is of database \"shop\" and the live server of database \"crm\": a "
              "window needs two captures of the same database");
        later.database = "shop";
        later.capture.database_oid = 6;
        window = subtract_captures(earlier, later, k_inputs);
        REQUIRE_FALSE(window.has_value());
        CHECK(window.error().kind == SourceError::Kind::mismatch);
    }
    SUBCASE("the wrong way round is a usage error") {
        const Workload later = capture_at("2025-03-01 09:00:00+00", {});
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE_FALSE(window.has_value());
        CHECK(window.error().kind == SourceError::Kind::usage);
        CHECK(window.error().message ==
              "--since a.json (captured 2025-03-01 10:00:00+00) is newer than the live server "
              "(captured 2025-03-01 09:00:00+00): --since takes the earlier capture");
    }
}

TEST_CASE("subtract_captures: table, index and database statistics") {
    Workload earlier = capture_at("2025-03-01 10:00:00+00", {});
    Workload later = capture_at("2025-03-01 11:00:00+00", {});
    CatalogTable t;
    t.schema = "public";
    t.name = "orders";
    t.seq_scan = 10;
    t.heap_blks_hit = 1000;
    t.heap_blks_read = 100;
    t.n_live_tup = 500;
    earlier.tables.push_back(t);
    t.seq_scan = 15;
    t.heap_blks_hit = 1600;
    t.heap_blks_read = 150;
    t.n_live_tup = 700;
    later.tables.push_back(t);
    CatalogIndex i;
    i.schema = "public";
    i.name = "orders_pkey";
    i.idx_scan = 40;
    i.idx_blks_hit = 10;
    earlier.indexes.push_back(i);
    i.idx_scan = 40;
    i.idx_blks_hit = 30;
    later.indexes.push_back(i);
    earlier.database_stats = {1000, 100, 1, 0, 0};
    later.database_stats = {3000, 150, 1, 0, 0};
    SUBCASE("counters subtracted; gauges and an index's idx_scan kept") {
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE(window.has_value());
        const Workload& w = window->workload;
        CHECK(w.tables[0].seq_scan == 5);
        CHECK(w.tables[0].heap_blks_hit == 600);
        CHECK(w.tables[0].heap_blks_read == 50);
        CHECK(w.tables[0].n_live_tup == 700);
        CHECK(w.indexes[0].idx_scan == 40);
        CHECK(w.indexes[0].idx_blks_hit == 20);
        CHECK(w.database_stats.blks_hit == 2000);
        CHECK(w.database_stats.size_bytes == 1);
        CHECK(window->findings.empty());
    }
    SUBCASE("a table whose counters went down keeps them, with a finding") {
        later.tables[0].seq_scan = 2;
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE(window.has_value());
        CHECK(window->workload.tables[0].seq_scan == 2);
        CHECK(window->workload.tables[0].heap_blks_hit == 1600);
        REQUIRE(has_rule(*window, "window-statistics-reset"));
    }
    SUBCASE("pg_stat_database.stats_reset in the window: nothing subtracted") {
        later.capture.database_stats_reset = "2025-03-01 10:10:00+00";
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE(window.has_value());
        CHECK(window->workload.database_stats.blks_hit == 3000);
        CHECK(window->workload.tables[0].seq_scan == 15);
        REQUIRE(has_rule(*window, "window-statistics-reset"));
        CHECK(window->findings[0].title ==
              "Table and index statistics were reset during the window (2025-03-01 10:10:00+00)");
    }
}

TEST_CASE("subtract_captures: server activity") {
    const auto with_activity = [](Workload w, std::int64_t sessions, double session_ms, std::string idle_state) {
        ServerActivity a;
        ClientSession session;
        session.pid = 7;
        session.state = std::move(idle_state);
        a.sessions = {session};
        a.session_counters = SessionCounters{sessions, session_ms, session_ms / 2, 0, 1, 0, 0, 86'400};
        a.stats_window_s = 86'400;
        a.statements_window_s = 86'400;
        VacuumState vacuum;
        vacuum.schema = "public";
        vacuum.name = "orders";
        a.vacuum = {vacuum};
        w.activity = a;
        return w;
    };
    const Workload earlier =
        with_activity(capture_at("2025-03-02 10:00:00+00", {entry(1, {1})}), 1'000, 50'000, "idle");
    const Workload later =
        with_activity(capture_at("2025-03-02 11:00:00+00", {entry(1, {1, 2})}), 4'600, 230'000, "idle in transaction");
    SUBCASE("samples from the later capture, session counters and rates over the window") {
        const auto window = subtract_captures(earlier, later, k_inputs);
        REQUIRE(window.has_value());
        REQUIRE(window->workload.activity.has_value());
        const ServerActivity& a = *window->workload.activity;
        REQUIRE(a.sessions.size() == 1);
        CHECK(a.sessions[0].state == "idle in transaction");
        CHECK(a.vacuum.size() == 1);
        REQUIRE(a.session_counters.has_value());
        CHECK(a.session_counters->sessions == 3'600);
        CHECK(a.session_counters->session_time_ms == 180'000);
        CHECK(a.session_counters->active_time_ms == 90'000);
        CHECK(a.session_counters->abandoned == 0);
        CHECK(a.session_counters->window_s == 3'600);
        CHECK(a.statements_window_s == 3'600);
        CHECK(a.stats_window_s == 86'400); // the later capture's: how long its statistics run
    }
    SUBCASE("statistics reset in the window: the session counters stay whole, since the reset") {
        Workload reset = later;
        reset.capture.database_stats_reset = "2025-03-02 10:30:00+00";
        reset.activity->session_counters = SessionCounters{900, 45'000, 20'000, 0, 0, 0, 0, 1'800};
        const auto window = subtract_captures(earlier, reset, k_inputs);
        REQUIRE(window.has_value());
        CHECK(window->workload.activity->session_counters->sessions == 900);
        CHECK(window->workload.activity->session_counters->window_s == 1'800);
    }
    SUBCASE("counters that went down stay whole") {
        Workload lower = later;
        lower.activity->session_counters->sessions = 10;
        const auto window = subtract_captures(earlier, lower, k_inputs);
        REQUIRE(window.has_value());
        CHECK(window->workload.activity->session_counters->sessions == 10);
        CHECK(window->workload.activity->session_counters->window_s == 86'400);
    }
    SUBCASE("an earlier capture without activity: no session counters for the window, and a note") {
        Workload old = earlier;
        old.activity.reset();
        const auto window = subtract_captures(old, later, k_inputs);
        REQUIRE(window.has_value());
        REQUIRE(window->workload.activity.has_value());
        CHECK_FALSE(window->workload.activity->session_counters.has_value());
        CHECK(window->workload.activity->sessions.size() == 1);
        CHECK(std::ranges::any_of(window->notes, [](const std::string& note) {
            return note.starts_with("--since a.json has no session counters") &&
                   note.find("connection-churn was skipped") != std::string::npos;
        }));
    }
    SUBCASE("a later capture without activity: none in the window") {
        Workload old = later;
        old.activity.reset();
        const auto window = subtract_captures(earlier, old, k_inputs);
        REQUIRE(window.has_value());
        CHECK_FALSE(window->workload.activity.has_value());
    }
}
