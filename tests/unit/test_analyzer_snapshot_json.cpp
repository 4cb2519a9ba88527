#include "analyzer/snapshot_json.hpp"

#include <algorithm>
#include <cmath>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <limits>
#include <string>

using namespace dbadvise::analyzer;

namespace {

Workload sample_workload() {
    Workload w;
    w.server_version = "15.4";
    w.server_version_num = 150004;
    w.database = "shop";
    w.search_path = {"public"};
    w.hypopg_available = true;
    w.settings = {{"work_mem", "4MB", "kB", "4096"},
                  {"track_activity_query_size", "1kB", "B", "1024"}};
    w.database_stats = {100, 20, 8192000, 1, 4096};
    w.capture.captured_at = "2025-03-01 12:00:00.5+00";
    w.capture.system_identifier = "7312345678901234567";
    w.capture.server_started_at = "2025-02-28 08:00:00+00";
    w.capture.database_oid = 16384;
    w.capture.statements_version = "1.10";
    w.capture.statements_dealloc = 3;
    w.capture.statements_reset = "2025-02-28 08:00:01+00";
    // Two known columns, one this dbadvise never heard of, a timestamp.
    w.statement_columns = {{"userid", "oid"},
                           {"toplevel", "boolean"},
                           {"queryid", "bigint"},
                           {"query", "text"},
                           {"calls", "bigint"},
                           {"total_exec_time", "double precision"},
                           {"mean_exec_time", "double precision"},
                           {"rows", "bigint"},
                           {"wal_bytes", "numeric"},
                           {"future_counter", "bigint"},
                           {"stats_since", "timestamp with time zone"}};
    WorkloadStatement s;
    s.values = {std::int64_t{10},
                true,
                std::int64_t{-9123456789012345678},
                std::string("SELECT \"x\"\n FROM t WHERE id = $1 -- caf\xc3\xa9"),
                std::int64_t{3},
                1.5,
                0.5,
                std::int64_t{3},
                1234.0,
                std::int64_t{7},
                std::string("2025-02-28 09:00:00+00")};
    w.statements.push_back(s);
    CatalogTable t;
    t.schema = "public";
    t.name = "t";
    t.reltuples = 1000;
    t.relpages = 10;
    t.size_bytes = 81920;
    t.columns = {{"id", "bigint", 1, true}, {"Name", "text", 2, false}};
    t.seq_scan = 4;
    t.heap_blks_hit = 99;
    t.ever_analyzed = true;
    w.tables.push_back(t);
    CatalogIndex i;
    i.schema = "public";
    i.name = "t_pkey";
    i.table_schema = "public";
    i.table = "t";
    i.keys = {"id"};
    i.descending = {false};
    i.method = "btree";
    i.definition = "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)";
    i.unique = i.primary = i.is_constraint = true;
    i.size_bytes = 16384;
    i.idx_scan = 12;
    w.indexes.push_back(i);
    w.foreign_keys.push_back({"t_fk", "public", "t", {"id"}, "public", "u", {"id"}});
    ColumnStats c;
    c.schema = "public";
    c.table = "t";
    c.column = "Name";
    c.null_frac = 0.25;
    c.n_distinct = -0.5;
    c.avg_width = 12;
    c.correlation = 0.75;
    c.most_common_vals = {"a", "b,c"};
    c.most_common_freqs = {0.5, 0.25};
    c.histogram_bounds = {"d", "e", "f"};
    c.histogram_count = 3;
    w.column_stats.push_back(c);
    return w;
}

std::string error_of(std::string_view json) {
    const auto read = read_snapshot(json, "0.1.0");
    REQUIRE_FALSE(read.has_value());
    if (read.error().line > 0)
        return std::to_string(read.error().line) + ":" + std::to_string(read.error().column) +
               ": " + read.error().message;
    return read.error().message;
}

// A minimal valid snapshot with `rows` as its pg_stat_statements rows.
std::string minimal(std::string_view columns, std::string_view rows, std::string_view extra = "") {
    return std::string(R"({"snapshot_version": 1, "captured_at": "2025-03-01 12:00:00+00",)") +
           R"( "server": {"version_num": 150004, "database": "shop"},)" + std::string(extra) +
           R"( "pg_stat_statements": {"columns": )" + std::string(columns) + R"(, "rows": )" +
           std::string(rows) + "}}";
}

constexpr std::string_view k_columns =
    R"([{"name": "queryid", "type": "bigint"}, {"name": "query", "type": "text"},)"
    R"( {"name": "calls", "type": "bigint"}, {"name": "total_exec_time", "type": "double precision"},)"
    R"( {"name": "rows", "type": "bigint"}])";

} // namespace

TEST_CASE("write_snapshot and read_snapshot") {
    SUBCASE("a round trip keeps everything, unknown columns included, and the same bytes") {
        const Workload original = sample_workload();
        const std::string text = write_snapshot(original, "0.1.0");
        const auto read = read_snapshot(text, "0.1.0");
        REQUIRE(read.has_value());
        const Workload& w = *read;
        CHECK(w.server_version == "15.4");
        CHECK(w.server_version_num == 150004);
        CHECK(w.database == "shop");
        CHECK(w.hypopg_available);
        CHECK(w.search_path == original.search_path);
        CHECK(w.settings.size() == 2);
        CHECK(w.settings[0].setting == "4096");
        CHECK(w.database_stats.temp_bytes == 4096);
        CHECK(w.capture.captured_at == original.capture.captured_at);
        CHECK(w.capture.system_identifier == "7312345678901234567");
        CHECK(w.capture.database_oid == 16384);
        CHECK(w.capture.statements_dealloc == 3);
        CHECK(w.capture.statements_reset == original.capture.statements_reset);
        CHECK(w.statement_columns == original.statement_columns);
        REQUIRE(w.statements.size() == 1);
        CHECK(w.statements[0].values == original.statements[0].values);
        CHECK(w.statements[0].queryid == "-9123456789012345678");
        CHECK(w.statements[0].calls == 3);
        CHECK(w.statements[0].total_ms == 1.5);
        REQUIRE(w.tables.size() == 1);
        CHECK(w.tables[0].columns.size() == 2);
        CHECK(w.tables[0].columns[1].name == "Name");
        CHECK(w.tables[0].heap_blks_hit == 99);
        REQUIRE(w.indexes.size() == 1);
        CHECK(w.indexes[0].primary);
        CHECK(w.indexes[0].idx_scan == 12);
        REQUIRE(w.foreign_keys.size() == 1);
        CHECK(w.foreign_keys[0].referenced_table == "u");
        REQUIRE(w.column_stats.size() == 1);
        CHECK(w.column_stats[0].most_common_vals == original.column_stats[0].most_common_vals);
        CHECK(w.column_stats[0].most_common_freqs == original.column_stats[0].most_common_freqs);
        CHECK(w.column_stats[0].correlation == 0.75);
        CHECK_FALSE(w.column_stats[0].values_omitted);
        CHECK(write_snapshot(w, "0.1.0") == text);
    }
    SUBCASE("negative zero reads back as negative zero") {
        // Written as `-0`, JSON's integer zero, it read back as +0 and the next write
        // differed (found by fuzz/snapshot.cpp).
        Workload original = sample_workload();
        original.column_stats[0].n_distinct = -0.0;
        original.statements[0].values[5] = -0.0; // total_exec_time
        const std::string text = write_snapshot(original, "0.1.0");
        const auto read = read_snapshot(text, "0.1.0");
        REQUIRE(read.has_value());
        CHECK(read->column_stats[0].n_distinct == 0.0);
        CHECK(std::signbit(read->column_stats[0].n_distinct));
        REQUIRE(std::holds_alternative<double>(read->statements[0].values[5]));
        CHECK(std::signbit(std::get<double>(read->statements[0].values[5])));
        CHECK(write_snapshot(*read, "0.1.0") == text);
    }
    SUBCASE("--no-values: the values are absent, frequencies and counts stay") {
        Workload original = sample_workload();
        original.capture.values_omitted = true;
        ColumnStats& stats = original.column_stats[0];
        stats.values_omitted = true;
        stats.most_common_vals.clear();
        stats.histogram_bounds.clear();
        const std::string text = write_snapshot(original, "0.1.0");
        CHECK(text.find("most_common_vals") == std::string::npos);
        CHECK(text.find("histogram_bounds") == std::string::npos);
        const auto read = read_snapshot(text, "0.1.0");
        REQUIRE(read.has_value());
        CHECK(read->capture.values_omitted);
        CHECK(read->column_stats[0].values_omitted);
        CHECK(read->column_stats[0].histogram_count == 3);
        CHECK(read->column_stats[0].most_common_freqs.size() == 2);
    }
    SUBCASE("statements without their row are written from their typed members") {
        Workload original = sample_workload();
        original.statement_columns.clear();
        WorkloadStatement s;
        s.queryid = "77";
        s.text = "SELECT 1";
        s.calls = 2;
        s.total_ms = 4;
        s.mean_ms = 2;
        original.statements = {s};
        const auto read = read_snapshot(write_snapshot(original, "0.1.0"), "0.1.0");
        REQUIRE(read.has_value());
        REQUIRE(read->statements.size() == 1);
        CHECK(read->statements[0].queryid == "77");
        CHECK(read->statements[0].total_ms == 4);
    }
    SUBCASE("a minimal snapshot; a 64-bit queryid written as text; members this version does not "
            "know") {
        const auto read =
            read_snapshot(minimal(k_columns, R"([["-9123456789012345678", "SELECT 1", 2, 3.5, 2]])",
                                  R"( "written_by_a_later_release": {"x": 1},)"),
                          "0.1.0");
        REQUIRE(read.has_value());
        CHECK(read->statements[0].queryid == "-9123456789012345678");
        CHECK(read->statements[0].mean_ms == 1.75);
        CHECK(read->tables.empty());
    }
}

TEST_CASE("read_snapshot: bad input") {
    SUBCASE("truncated: the JSON error and where") {
        const std::string text = write_snapshot(sample_workload(), "0.1.0");
        // Cut inside the first table: the error is at the end of the text.
        constexpr std::string_view k_cut_after = "\"tables\": [\n    {";
        const std::string cut = text.substr(0, text.find(k_cut_after) + k_cut_after.size());
        const auto lines = std::count(cut.begin(), cut.end(), '\n');
        const auto last_line = cut.size() - cut.rfind('\n') - 1;
        const auto read = read_snapshot(cut, "0.1.0");
        REQUIRE_FALSE(read.has_value());
        CHECK(read.error().line == lines + 1);
        CHECK(read.error().column == static_cast<int>(last_line) + 1);
        CHECK(read.error().message ==
              "invalid JSON: syntax error while parsing object key - unexpected end of input; "
              "expected string literal");
    }
    SUBCASE("not JSON at all") {
        CHECK(error_of("SELECT 1;") == "1:1: invalid JSON: syntax error while parsing value - "
                                       "invalid literal; last read: 'S'");
    }
    SUBCASE("JSON that is not a snapshot") {
        CHECK(error_of("[1, 2]") == "/: expected an object (a dbadvise snapshot), got an array");
        CHECK(error_of(R"({"a": 1})") == "not a dbadvise snapshot: no \"snapshot_version\" member");
        CHECK(error_of(R"({"schema_version": 1, "findings": []})") ==
              "a dbadvise report, not a snapshot: take one with `dbadvise snapshot -o FILE`");
    }
    SUBCASE("from a newer dbadvise: both versions named") {
        CHECK(error_of(
                  R"({"snapshot_version": 2, "tool": {"name": "dbadvise", "version": "0.4.0"}})") ==
              "written by dbadvise 0.4.0 in snapshot format 2; this dbadvise 0.1.0 reads snapshot "
              "format 1 and older: upgrade dbadvise to read it");
        CHECK(error_of(R"({"snapshot_version": 0})") ==
              "/snapshot_version: 0 is not a snapshot format");
        CHECK(error_of(R"({"snapshot_version": "1"})") ==
              "/snapshot_version: expected an integer, got a string");
    }
    SUBCASE("required members") {
        CHECK(error_of(R"({"snapshot_version": 1})") == "/: missing member \"captured_at\"");
        CHECK(error_of(R"({"snapshot_version": 1, "captured_at": "2025-03-01 12:00:00+00",)"
                       R"( "server": {"database": "d"}})") ==
              "/server: missing member \"version_num\"");
    }
    SUBCASE("a member of the wrong type, named by its JSON pointer") {
        CHECK(error_of(
                  minimal(k_columns, "[]", R"( "tables": [{"schema": "public", "name": 12}],)")) ==
              "/tables/0/name: expected a string, got an integer");
        CHECK(error_of(minimal(k_columns, R"([[1, "SELECT 1", "many", 1.0, 1]])")) ==
              "/pg_stat_statements/rows/0/2: expected an integer (calls is bigint), got a string");
        CHECK(error_of(minimal(k_columns, R"([[1, "SELECT 1", 1.5, 1.0, 1]])")) ==
              "/pg_stat_statements/rows/0/2: expected an integer (calls is bigint), got a number");
        CHECK(error_of(minimal(k_columns, R"([[1, "SELECT 1", 18446744073709551615, 1.0, 1]])")) ==
              "/pg_stat_statements/rows/0/2: integer 18446744073709551615 is out of range");
    }
    SUBCASE("rows that do not match their columns") {
        CHECK(error_of(minimal(k_columns, R"([[1, "SELECT 1", 1]])")) ==
              "/pg_stat_statements/rows/0: 3 values for 5 columns");
        CHECK(error_of(minimal(k_columns, R"([{"queryid": 1}])")) ==
              "/pg_stat_statements/rows/0: expected an array of column values, got an object");
    }
    SUBCASE("columns analyze needs, or twice the same") {
        CHECK(error_of(minimal(R"([{"name": "queryid", "type": "bigint"}])", "[]")) ==
              "/pg_stat_statements/columns: pg_stat_statements has no column query (needed: "
              "queryid, query, calls, rows and total_exec_time or total_time)");
        CHECK(error_of(minimal(
                  R"([{"name": "query", "type": "text"}, {"name": "query", "type": "text"}])",
                  "[]")) == "/pg_stat_statements/columns/1: column \"query\" appears twice");
    }
    SUBCASE("most common values that do not match their frequencies") {
        CHECK(error_of(
                  minimal(k_columns, "[]",
                          R"( "column_stats": [{"schema": "s", "table": "t", "column": "c",)"
                          R"( "most_common_vals": ["a"], "most_common_freqs": [0.5, 0.5]}],)")) ==
              "/column_stats/0: 1 most_common_vals for 2 most_common_freqs");
    }
}

namespace {

// Every part of the server activity, with values that tell members apart.
ServerActivity sample_activity() {
    ServerActivity a;
    ClientSession waiting;
    waiting.pid = 4242;
    waiting.database = "shop";
    waiting.user = "app";
    waiting.application = "web \"1\"";
    waiting.state = "active";
    waiting.backend_age_s = 3600.5;
    waiting.xact_age_s = 12.25;
    waiting.state_age_s = 12;
    waiting.xmin_age = 900;
    waiting.wait_event_type = "Lock";
    waiting.wait_event = "relation";
    waiting.blocked_by = {4243, 4244};
    waiting.queryid = "-17";
    ClientSession idle;
    idle.pid = 4243;
    idle.state = "idle in transaction";
    a.sessions = {waiting, idle};
    a.session_counters = SessionCounters{500, 2'000.5, 1'000.25, 10, 1, 2, 3, 86'400};
    a.stats_window_s = 86'400;
    a.statements_window_s = 7'200;
    a.databases = {{"", "shop", 150'000'000, 200'000'000, 0}};
    a.tables = {{"public", "orders", 120'000'000, 150'000'000, 8'192}};
    a.multixact_databases = {{"", "shop", 10, 400'000'000, 0}};
    a.multixact_tables = {{"public", "orders", 11, 400'000'000, 8'192}};
    a.prepared = {{"tm-42", "shop", "app", 30.5, 1'000, 3, {"public.orders"}}};
    VacuumState vacuum;
    vacuum.schema = "public";
    vacuum.name = "orders";
    vacuum.reltuples = 1e6;
    vacuum.n_dead_tup = 400'000;
    vacuum.vacuum_threshold = 1'000;
    vacuum.vacuum_scale_factor = 0.05;
    vacuum.table_autovacuum = false;
    vacuum.autovacuumed_age_s = 7'200;
    vacuum.size_bytes = 1 << 30;
    a.vacuum = {vacuum};
    a.sequences = {{"public", "orders_id_seq", "integer", 2'000'000'000, 1, 2'147'483'647, 1, "public.orders.id",
                    "integer"},
                   {"public", "unused_seq", "bigint", std::nullopt, 1, 9, 1, "", ""}};
    a.integer_keys = {{"public", "codes", "id", "smallint", "codes_pkey", 32'000, -5, 60.0},
                      {"public", "fresh", "id", "integer", "fresh_pkey", std::nullopt, std::nullopt, std::nullopt}};
    TableFootprint table;
    table.schema = "public";
    table.name = "orders";
    table.reltuples = 2e6;
    table.relpages = 30'000;
    table.fillfactor = 90;
    table.columns = 7;
    table.columns_with_stats = 6;
    table.data_width = 71.5;
    table.max_padding = 10;
    table.nullable = true;
    table.analyzed_age_s = 600;
    a.footprints = {table};
    IndexFootprint index;
    index.schema = "public";
    index.name = "orders_pkey";
    index.table_schema = "public";
    index.table = "orders";
    index.reltuples = 2e6;
    index.relpages = 6'000;
    index.block_size = 16'384;
    index.columns = 1;
    index.columns_with_stats = 1;
    index.data_width = 8;
    a.index_footprints = {index};
    a.unavailable = {"sequences: permission denied for sequence s"};
    return a;
}

} // namespace

TEST_CASE("write_snapshot and read_snapshot: server activity") {
    SUBCASE("a round trip keeps every member, the same bytes again") {
        Workload original = sample_workload();
        original.activity = sample_activity();
        const std::string text = write_snapshot(original, "0.1.0");
        const auto read = read_snapshot(text, "0.1.0");
        REQUIRE(read.has_value());
        REQUIRE(read->activity.has_value());
        const ServerActivity& a = *read->activity;
        const ServerActivity& o = *original.activity;
        REQUIRE(a.sessions.size() == 2);
        CHECK(a.sessions[0].pid == 4242);
        CHECK(a.sessions[0].application == "web \"1\"");
        CHECK(a.sessions[0].backend_age_s == 3600.5);
        CHECK(a.sessions[0].xact_age_s == 12.25);
        CHECK(a.sessions[0].xmin_age == 900);
        CHECK(a.sessions[0].blocked_by == std::vector<int>{4243, 4244});
        CHECK(a.sessions[0].queryid == "-17");
        CHECK(a.sessions[1].state == "idle in transaction");
        CHECK_FALSE(a.sessions[1].xact_age_s.has_value());
        CHECK_FALSE(a.sessions[1].xmin_age.has_value());
        REQUIRE(a.session_counters.has_value());
        CHECK(a.session_counters->sessions == 500);
        CHECK(a.session_counters->active_time_ms == 1'000.25);
        CHECK(a.session_counters->killed == 3);
        CHECK(a.session_counters->window_s == 86'400);
        CHECK(a.stats_window_s == 86'400);
        CHECK(a.statements_window_s == 7'200);
        CHECK(a.databases[0].age == 150'000'000);
        CHECK(a.tables[0].size_bytes == 8'192);
        CHECK(a.multixact_tables[0].age == 11);
        REQUIRE(a.prepared.size() == 1);
        CHECK(a.prepared[0].gid == "tm-42");
        CHECK(a.prepared[0].relations == o.prepared[0].relations);
        REQUIRE(a.vacuum.size() == 1);
        CHECK_FALSE(a.vacuum[0].table_autovacuum);
        CHECK_FALSE(a.vacuum[0].vacuumed_age_s.has_value());
        CHECK(a.vacuum[0].autovacuumed_age_s == 7'200);
        CHECK(a.vacuum[0].vacuum_scale_factor == 0.05);
        REQUIRE(a.sequences.size() == 2);
        CHECK(a.sequences[0].last_value == 2'000'000'000);
        CHECK_FALSE(a.sequences[1].last_value.has_value());
        REQUIRE(a.integer_keys.size() == 2);
        CHECK(a.integer_keys[0].max_value == 32'000);
        CHECK(a.integer_keys[0].min_value == -5);
        CHECK_FALSE(a.integer_keys[1].max_value.has_value());
        CHECK(a.footprints[0].fillfactor == 90);
        CHECK(a.footprints[0].nullable);
        CHECK(a.footprints[0].data_width == 71.5);
        CHECK(a.index_footprints[0].block_size == 16'384);
        CHECK(a.index_footprints[0].table == "orders");
        CHECK(a.unavailable == o.unavailable);
        CHECK(write_snapshot(*read, "0.1.0") == text);
    }
    SUBCASE("before 14: no session counters, no pg_stat_statements_info") {
        Workload original = sample_workload();
        original.activity = sample_activity();
        original.activity->session_counters.reset();
        original.activity->statements_window_s.reset();
        const auto read = read_snapshot(write_snapshot(original, "0.1.0"), "0.1.0");
        REQUIRE(read.has_value());
        REQUIRE(read->activity.has_value());
        CHECK_FALSE(read->activity->session_counters.has_value());
        CHECK_FALSE(read->activity->statements_window_s.has_value());
    }
    SUBCASE("a snapshot without activity (an older dbadvise) reads with none, not an empty one") {
        const std::string text = write_snapshot(sample_workload(), "0.1.0");
        CHECK(text.find("\"activity\"") == std::string::npos);
        const auto read = read_snapshot(text, "0.1.0");
        REQUIRE(read.has_value());
        CHECK_FALSE(read->activity.has_value());
    }
    SUBCASE("members of the wrong type are named by their JSON pointer") {
        CHECK(error_of(minimal(k_columns, "[]", R"( "activity": {"sessions": [{"pid": "x"}]},)")) ==
              "/activity/sessions/0/pid: expected an integer, got a string");
        CHECK(error_of(minimal(k_columns, "[]", R"( "activity": {"sessions": [{"state": "idle"}]},)")) ==
              "/activity/sessions/0: missing member \"pid\"");
        CHECK(error_of(minimal(k_columns, "[]", R"( "activity": {"sessions": [{"pid": 99999999999}]},)")) ==
              "/activity/sessions/0/pid: 99999999999 is out of range");
        CHECK(error_of(minimal(k_columns, "[]", R"( "activity": {"sessions": [{"pid": 1, "blocked_by": [1.5]}]},)")) ==
              "/activity/sessions/0/blocked_by/0: expected an integer, got a number");
        CHECK(error_of(minimal(k_columns, "[]", R"( "activity": {"vacuum": [{"schema": "p", "name": "t", "vacuumed_age_s": true}]},)")) ==
              "/activity/vacuum/0/vacuumed_age_s: expected a number, got a boolean");
        CHECK(error_of(minimal(k_columns, "[]", R"( "activity": [],)")) == "/activity: expected an object, got an array");
    }
}

namespace {

// pg_stat_statements columns of PostgreSQL 15 that the checks below look at: the entry's key,
// a counter, a derived column and a timestamp.
constexpr std::string_view k_keyed_columns =
    R"([{"name": "userid", "type": "oid"}, {"name": "dbid", "type": "oid"},)"
    R"( {"name": "toplevel", "type": "boolean"}, {"name": "queryid", "type": "bigint"},)"
    R"( {"name": "query", "type": "text"}, {"name": "calls", "type": "bigint"},)"
    R"( {"name": "total_exec_time", "type": "double precision"},)"
    R"( {"name": "stddev_exec_time", "type": "double precision"},)"
    R"( {"name": "rows", "type": "bigint"}, {"name": "shared_blks_read", "type": "bigint"},)"
    R"( {"name": "stats_since", "type": "timestamp with time zone"}])";

// A row of k_keyed_columns; `calls` .. `since` as JSON text.
std::string keyed_row(std::string_view queryid, std::string_view calls = "2",
                      std::string_view total = "1.5", std::string_view stddev = "0.5",
                      std::string_view blocks = "3", std::string_view since = "null",
                      std::string_view toplevel = "true", std::string_view userid = "10") {
    return fmt::format(R"([{}, 5, {}, {}, "SELECT 1", {}, {}, {}, 1, {}, {}])", userid, toplevel,
                       queryid, calls, total, stddev, blocks, since);
}

struct Read {
    Workload workload;
    std::vector<SnapshotProblem> problems;
};

Read read_with_problems(const std::string& json) {
    Read out;
    auto read = read_snapshot(json, "0.1.0", &out.problems);
    REQUIRE_MESSAGE(read.has_value(), (read ? std::string() : read.error().message));
    out.workload = std::move(*read);
    return out;
}

std::vector<std::string> queryids(const Workload& w) {
    std::vector<std::string> out;
    for (const WorkloadStatement& s : w.statements)
        out.push_back(s.queryid);
    return out;
}

// The one problem of `json`, as "where: message".
std::string only_problem(const std::string& json) {
    const Read read = read_with_problems(json);
    REQUIRE(read.problems.size() == 1);
    return read.problems.front().where + ": " + read.problems.front().message;
}

std::string with_rows(std::initializer_list<std::string> rows) {
    std::string text = "[";
    for (const std::string& row : rows)
        text += (text.size() > 1 ? ", " : "") + row;
    return minimal(k_keyed_columns, text + "]");
}

std::string with_column_stats(std::string_view members) {
    return minimal(
        k_columns, "[]",
        std::string(R"( "column_stats": [{"schema": "s", "table": "t", "column": "c",)") +
            std::string(members) + "}],");
}

std::string with_table(std::string_view members) {
    return minimal(k_columns, "[]",
                   std::string(R"( "tables": [{"schema": "s", "name": "t", )") +
                       std::string(members) + "}],");
}

} // namespace

TEST_CASE("read_snapshot: pg_stat_statements rows with values no server produces") {
    SUBCASE("a row with a negative, empty or non-finite counter is left out, the others read") {
        const Read read = read_with_problems(
            with_rows({keyed_row("1"), keyed_row("2", "-5"), keyed_row("3", "null"),
                       keyed_row("4", "2", "-0.5"), keyed_row("5", "2", "\"NaN\""),
                       keyed_row("6", "2", "\"Infinity\""), keyed_row("7", "2", "1.5", "0.5", "-1"),
                       keyed_row("8")}));
        CHECK(queryids(read.workload) == std::vector<std::string>{"1", "8"});
        REQUIRE(read.problems.size() == 6);
        for (const SnapshotProblem& problem : read.problems)
            CHECK(problem.kind == SnapshotProblem::Kind::invalid_value);
        CHECK(read.problems[0].where ==
              "/pg_stat_statements/rows/1 (queryid 2, userid 10, toplevel true)");
        CHECK(read.problems[0].message == "calls is -5: a counter is never negative");
        CHECK(read.problems[1].message ==
              "calls is null: pg_stat_statements always has a value there");
        CHECK(read.problems[2].message == "total_exec_time is -0.5: a counter is never negative");
        CHECK(read.problems[3].message == "total_exec_time is NaN: a counter is a finite number");
        CHECK(read.problems[4].message ==
              "total_exec_time is Infinity: a counter is a finite number");
        CHECK(read.problems[5].message == "shared_blks_read is -1: a counter is never negative");
    }
    SUBCASE("text where a number belongs, a negative oid, a stats_since that is no timestamp") {
        CHECK(only_problem(with_rows({keyed_row("1", "2", "\"slow\"")})) ==
              "/pg_stat_statements/rows/0 (queryid 1, userid 10, toplevel true): "
              "total_exec_time is \"slow\": not a number");
        CHECK(only_problem(
                  with_rows({keyed_row("1", "2", "1.5", "0.5", "3", "null", "true", "-10")})) ==
              "/pg_stat_statements/rows/0 (queryid 1, userid -10, toplevel true): userid is "
              "-10: an oid is never negative");
        CHECK(only_problem(with_rows({keyed_row("1", "2", "1.5", "0.5", "3", "\"yesterday\"")})) ==
              "/pg_stat_statements/rows/0 (queryid 1, userid 10, toplevel true): stats_since is "
              "\"yesterday\": not a timestamp");
    }
    SUBCASE("derived columns: NaN is the server's own, a negative spread is not") {
        const Read read = read_with_problems(
            with_rows({keyed_row("1", "2", "1.5", "\"NaN\""), keyed_row("2", "2", "1.5", "-1"),
                       keyed_row("3", "0", "0", "null", "3", "\"2025-02-28 09:00:00+00\"")}));
        CHECK(queryids(read.workload) == std::vector<std::string>{"1", "3"});
        CHECK(std::isnan(read.workload.statements[0].stddev_ms));
        REQUIRE(read.problems.size() == 1);
        CHECK(read.problems[0].message == "stddev_exec_time is -1: never negative");
    }
    SUBCASE(
        "a repeated entry is left out and said; toplevel and a NULL queryid tell entries apart") {
        const Read read = read_with_problems(with_rows(
            {keyed_row("1"), keyed_row("1", "7"),
             keyed_row("1", "2", "1.5", "0.5", "3", "null", "false"), keyed_row("null"),
             keyed_row("null"), keyed_row("1", "2", "1.5", "0.5", "3", "null", "true", "11")}));
        CHECK(read.workload.statements.size() == 5);
        CHECK(read.workload.statements[0].calls == 2); // the first row of the entry is kept
        REQUIRE(read.problems.size() == 1);
        CHECK(read.problems[0].kind == SnapshotProblem::Kind::duplicate_statement);
        CHECK(read.problems[0].where ==
              "/pg_stat_statements/rows/1 (queryid 1, userid 10, toplevel true)");
        CHECK(read.problems[0].message ==
              "the same entry as /pg_stat_statements/rows/0: pg_stat_statements has one row per "
              "userid, dbid, queryid and toplevel");
    }
    SUBCASE("before 14 there is no toplevel: userid, dbid and queryid are the entry") {
        const Read read = read_with_problems(
            minimal(R"([{"name": "userid", "type": "oid"}, {"name": "queryid", "type": "bigint"},)"
                    R"( {"name": "query", "type": "text"}, {"name": "calls", "type": "bigint"},)"
                    R"( {"name": "total_time", "type": "double precision"},)"
                    R"( {"name": "rows", "type": "bigint"}])",
                    R"([[10, 1, "SELECT 1", 1, 1.0, 1], [10, 1, "SELECT 1", 1, 1.0, 1],)"
                    R"( [11, 1, "SELECT 1", 1, 1.0, 1]])"));
        CHECK(read.workload.statements.size() == 2);
        REQUIRE(read.problems.size() == 1);
        CHECK(read.problems[0].where == "/pg_stat_statements/rows/1 (queryid 1, userid 10)");
    }
    SUBCASE("without a list for the problems the rows are still left out") {
        const auto read = read_snapshot(with_rows({keyed_row("1"), keyed_row("2", "-1")}), "0.1.0");
        REQUIRE(read.has_value());
        CHECK(queryids(*read) == std::vector<std::string>{"1"});
    }
}

TEST_CASE("read_snapshot: timestamps, catalog and statistics values") {
    SUBCASE("captured_at and the other timestamps must be timestamps") {
        const std::string good = minimal(k_columns, "[]");
        std::string text = good;
        text.replace(text.find("2025-03-01 12:00:00+00"), 22, "last Tuesday");
        CHECK(error_of(text) == "/captured_at: \"last Tuesday\" is not a timestamp (expected ISO "
                                "8601 as PostgreSQL prints it: \"2025-03-01 12:00:00.123456+00\")");
        text = good;
        text.replace(text.find("2025-03-01 12:00:00+00"), 22, "");
        CHECK(error_of(text).starts_with("/captured_at: \"\" is not a timestamp"));
        text = good;
        text.replace(text.find("2025-03-01 12:00:00+00"), 22, "2025-03-01T12:00:00.25Z");
        CHECK(read_snapshot(text, "0.1.0").has_value());
        CHECK(error_of(minimal(k_columns, "[]", R"( "database_stats": {"stats_reset": "soon"},)"))
                  .starts_with("/database_stats/stats_reset: \"soon\" is not a timestamp"));
        text = good;
        text.replace(text.find(R"("database": "shop")"), 0, R"("started_at": "noon", )");
        CHECK(error_of(text).starts_with("/server/started_at: \"noon\" is not a timestamp"));
        // Empty: unknown, as the writer leaves a reset that never happened.
        CHECK(read_snapshot(minimal(k_columns, "[]", R"( "database_stats": {"stats_reset": ""},)"),
                            "0.1.0")
                  .has_value());
    }
    SUBCASE("catalog counters below zero refuse the file, naming the member") {
        CHECK(error_of(with_table(R"("seq_scan": -3)")) ==
              "/tables/0/seq_scan: -3 is negative: a counter or size never is");
        CHECK(error_of(minimal(k_columns, "[]",
                               R"( "indexes": [{"schema": "s", "name": "i", "table_schema": "s",)"
                               R"( "table": "t", "idx_scan": -1}],)")) ==
              "/indexes/0/idx_scan: -1 is negative: a counter or size never is");
        CHECK(error_of(minimal(k_columns, "[]", R"( "database_stats": {"blks_read": -2},)")) ==
              "/database_stats/blks_read: -2 is negative: a counter or size never is");
        std::string text = minimal(k_columns, "[]");
        text.replace(text.find(R"("columns")"), 0, R"("info": {"dealloc": -4}, )");
        CHECK(error_of(text) == "/pg_stat_statements/info/dealloc: -4 is negative: a counter "
                                "never is");
        CHECK(error_of(minimal(k_columns, "[]", R"( "statement_limit": -50,)")) ==
              "/statement_limit: -50 is negative");
        text = minimal(k_columns, "[]");
        text.replace(text.find(R"("database": "shop")"), 0, R"("database_oid": -1, )");
        CHECK(error_of(text) == "/server/database_oid: -1 is negative");
    }
    SUBCASE("reltuples: -1 is never analyzed (14+), below is no estimate; relpages may wrap") {
        auto read = read_snapshot(with_table(R"("reltuples": -1, "relpages": -5)"), "0.1.0");
        REQUIRE(read.has_value());
        CHECK(read->tables[0].reltuples == -1);
        CHECK(read->tables[0].relpages == -5);
        CHECK(error_of(with_table(R"("reltuples": -2)")) ==
              "/tables/0/reltuples: -2 is not a row estimate (-1 when never analyzed, else a "
              "count of rows)");
        CHECK(error_of(with_table(R"("reltuples": "NaN")")) ==
              "/tables/0/reltuples: NaN is not a row estimate (-1 when never analyzed, else a "
              "count of rows)");
    }
    SUBCASE("pg_stats rows out of their ranges are left out; what pg_stats can hold is kept") {
        const auto problem = [](std::string_view members) {
            return only_problem(with_column_stats(members));
        };
        CHECK(problem(R"("null_frac": 1.5)") ==
              "/column_stats/0 (s.t.c): null_frac is 1.5: a fraction from 0 to 1");
        CHECK(problem(R"("null_frac": -0.1)") ==
              "/column_stats/0 (s.t.c): null_frac is -0.1: a fraction from 0 to 1");
        CHECK(problem(R"("null_frac": "NaN")") ==
              "/column_stats/0 (s.t.c): null_frac is NaN: a fraction from 0 to 1");
        CHECK(problem(R"("n_distinct": -2)") ==
              "/column_stats/0 (s.t.c): n_distinct is -2: a count of values, or from -1 to 0 a "
              "fraction of the rows");
        CHECK(problem(R"("correlation": 1.5)") ==
              "/column_stats/0 (s.t.c): correlation is 1.5: from -1 to 1");
        CHECK(problem(R"("most_common_freqs": [0.5, 2])") ==
              "/column_stats/0 (s.t.c): most_common_freqs has 2: a fraction from 0 to 1");
        const Read kept = read_with_problems(with_column_stats(
            R"("null_frac": 1, "n_distinct": -1, "correlation": "NaN", "most_common_freqs": [1])"));
        CHECK(kept.problems.empty());
        REQUIRE(kept.workload.column_stats.size() == 1);
        CHECK(std::isnan(*kept.workload.column_stats[0].correlation));
        CHECK(read_with_problems(with_column_stats(R"("n_distinct": 120000, "correlation": -1)"))
                  .problems.empty());
    }
}

TEST_CASE("write_snapshot: NaN and infinities read back as themselves") {
    Workload w = sample_workload();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    w.statement_columns.push_back({"stddev_exec_time", "double precision"});
    w.statement_columns.push_back({"max_exec_time", "double precision"});
    w.statements[0].values.push_back(nan);
    w.statements[0].values.push_back(inf);
    w.column_stats[0].correlation = nan;
    w.tables[0].analyzed_age_s = inf;
    ServerActivity activity;
    activity.stats_window_s = inf;
    activity.statements_window_s = -inf;
    ClientSession session;
    session.pid = 7;
    session.xact_age_s = nan;
    activity.sessions.push_back(session);
    w.activity = activity;

    const std::string text = write_snapshot(w, "0.1.0");
    CHECK(text.find("null, \"Infinity\"") == std::string::npos);
    CHECK(text.find("\"NaN\", \"Infinity\"]") != std::string::npos);
    std::vector<SnapshotProblem> problems;
    const auto read = read_snapshot(text, "0.1.0", &problems);
    REQUIRE_MESSAGE(read.has_value(), (read ? std::string() : read.error().message));
    CHECK(problems.empty());
    REQUIRE(read->statements.size() == 1);
    const std::vector<StatValue>& values = read->statements[0].values;
    REQUIRE(values.size() == w.statement_columns.size());
    CHECK(std::isnan(std::get<double>(values[values.size() - 2])));
    CHECK(std::get<double>(values.back()) == inf);
    CHECK(std::isnan(read->statements[0].stddev_ms));
    CHECK(read->statements[0].max_ms == inf);
    CHECK(std::isnan(*read->column_stats[0].correlation));
    CHECK(*read->tables[0].analyzed_age_s == inf);
    REQUIRE(read->activity.has_value());
    CHECK(read->activity->stats_window_s == inf);
    CHECK(*read->activity->statements_window_s == -inf);
    REQUIRE(read->activity->sessions.size() == 1);
    CHECK(std::isnan(*read->activity->sessions[0].xact_age_s));
    // And writes the same bytes again.
    CHECK(write_snapshot(*read, "0.1.0") == text);
}
