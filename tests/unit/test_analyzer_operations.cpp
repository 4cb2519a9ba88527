// Unit tests of the checks beyond indexes (analyzer/operations/): each on constructed
// workloads, silent on a healthy one, and at the edges of its thresholds.
#include "analyzer/change_script.hpp"
#include "analyzer/health.hpp"
#include "analyzer/operations.hpp"
#include "analyzer/operations/checks.hpp"
#include "analyzer/rule_registry.hpp"
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <memory>
#include <sstream>
#include <string>

using namespace dbadvise;
using namespace dbadvise::analyzer;
namespace ops = dbadvise::analyzer::operations;

namespace {

WorkloadStatement statement(std::string queryid, std::string text, std::int64_t calls, double mean_ms,
                            std::int64_t rows) {
    WorkloadStatement s;
    s.queryid = std::move(queryid);
    s.text = std::move(text);
    s.calls = calls;
    s.mean_ms = mean_ms;
    s.total_ms = mean_ms * static_cast<double>(calls);
    s.rows = rows;
    return s;
}

CatalogTable table(std::string name, std::int64_t mod_since_analyze, double analyzed_age_s) {
    CatalogTable t;
    t.schema = "public";
    t.name = std::move(name);
    t.n_live_tup = 100'000;
    t.ever_analyzed = true;
    t.n_mod_since_analyze = mod_since_analyze;
    t.analyzed_age_s = analyzed_age_s;
    return t;
}

VacuumState vacuum_state(std::string name, double reltuples, std::int64_t live, std::int64_t dead,
                         std::optional<double> vacuumed_age_s) {
    VacuumState v;
    v.schema = "public";
    v.name = std::move(name);
    v.reltuples = reltuples;
    v.n_live_tup = live;
    v.n_dead_tup = dead;
    v.vacuumed_age_s = vacuumed_age_s;
    v.autovacuumed_age_s = vacuumed_age_s;
    v.size_bytes = 8'192 * 100;
    return v;
}

// Three columns (int, int, text with a third of it null) of 20 bytes a row on average, as
// pg_stats shows them for `rows` rows on `pages` pages.
TableFootprint footprint(std::string name, double rows, std::int64_t pages) {
    TableFootprint t;
    t.schema = "public";
    t.name = std::move(name);
    t.reltuples = rows;
    t.relpages = pages;
    t.columns = t.columns_with_stats = 3;
    t.data_width = 20.0;
    t.max_padding = 9;
    t.nullable = true;
    t.analyzed_age_s = 600;
    return t;
}

// A btree index on one integer column without nulls (entries of 20 bytes with their line
// pointer, 366 to a leaf page at fillfactor 90) with `entries` entries on `pages` pages.
IndexFootprint index_footprint(std::string name, double entries, std::int64_t pages) {
    IndexFootprint i;
    i.schema = i.table_schema = "public";
    i.name = std::move(name);
    i.table = "orders";
    i.reltuples = entries;
    i.relpages = pages;
    i.columns = i.columns_with_stats = 1;
    i.data_width = 4;
    i.analyzed_age_s = 600;
    return i;
}

ClientSession session(int pid, std::string state) {
    ClientSession s;
    s.pid = pid;
    s.database = "shop";
    s.user = "app";
    s.application = "web";
    s.state = std::move(state);
    s.backend_age_s = 3'600;
    s.state_age_s = 0.5;
    return s;
}

// A server in good shape for every check: a pool of mostly idle long-lived sessions well under
// max_connections, short transactions, young freeze ages, sequences far from their maximum,
// track_planning on without planning-heavy statements, statements with steady times.
Workload healthy() {
    Workload w;
    w.server_version_num = 150004;
    w.database = "shop";
    w.search_path = {"public"};
    w.settings = {{"max_connections", "100", "", "100"},
                  {"superuser_reserved_connections", "3", "", "3"},
                  {"idle_in_transaction_session_timeout", "0", "ms", "0"},
                  {"shared_buffers", "16MB", "8kB", "2048"},
                  {"effective_cache_size", "4GB", "8kB", "524288"},
                  {"pg_stat_statements.track_planning", "on", "", "on"}}; // last: tests change it
    w.tables = {table("orders", 50'000, 600), table("customers", 40, 3'600)};
    // Larger than shared_buffers, but nothing deletes from it.
    w.tables[0].size_bytes = std::int64_t{1} << 30;
    w.tables[0].reltuples = 100'000;
    // A lookup by key called fewer times than batching needs.
    WorkloadStatement lookup = statement("1", "SELECT id, total FROM orders WHERE id = $1", 900, 0.05, 900);
    lookup.plans = 50;
    lookup.total_plan_ms = 5;
    lookup.stddev_ms = 0.01;
    lookup.max_ms = 0.2;
    WorkloadStatement report = statement("2", "SELECT status, count(*) FROM orders GROUP BY status", 40, 120, 200);
    report.stddev_ms = 20;
    report.max_ms = 180;
    w.statements = {lookup, report};
    ServerActivity a;
    for (int pid = 100; pid < 120; ++pid) a.sessions.push_back(session(pid, pid < 103 ? "active" : "idle"));
    a.session_counters = SessionCounters{200, 200 * 3'600'000.0, 3'600'000.0, 1'000.0, 0, 0, 0, 36'000};
    a.stats_window_s = 36'000;
    a.statements_window_s = 36'000;
    a.databases = {{"", "shop", 5'000'000, 200'000'000, 0}, {"", "postgres", 5'000'000, 200'000'000, 0}};
    a.tables = {{"public", "orders", 4'000'000, 200'000'000, 80'000'000}};
    a.multixact_databases = {{"", "shop", 20'000, 400'000'000, 0}, {"", "postgres", 0, 400'000'000, 0}};
    a.multixact_tables = {{"public", "orders", 20'000, 400'000'000, 80'000'000}};
    // A two-phase commit in progress: prepared half a second ago, about to be committed.
    a.prepared = {{"tm-1", "shop", "app", 0.5, 12, 2, {"public.orders"}}};
    // Past its autovacuum trigger (20,050) but not twice it, vacuumed ten minutes ago.
    a.vacuum = {vacuum_state("orders", 100'000, 100'000, 25'000, 600)};
    a.integer_keys = {{"public", "customers", "id", "integer", "customers_pkey", 1'000'000, 1, 3'600}};
    // 200,000 rows on 1,282 pages: the size a fresh load of them takes (measured on PostgreSQL 15).
    a.footprints = {footprint("orders", 200'000, 1'282)};
    // A freshly built primary key of 300,000 entries: 820 leaves, 3 pages above, the root, the metapage.
    a.index_footprints = {index_footprint("orders_pkey", 300'000, 825)};
    a.sequences = {{"public", "orders_id_seq", "bigint", 1'000'000, 1, std::numeric_limits<std::int64_t>::max(), 1,
                    "public.orders.id", "bigint"}};
    w.activity = a;
    return w;
}

// The workload's statements parsed, as analyze() hands them over (pointers into `w`).
std::vector<ParsedWorkloadStatement> parse(const Workload& w) {
    std::vector<ParsedWorkloadStatement> out;
    for (const WorkloadStatement& s : w.statements) {
        ParsedWorkloadStatement entry{&s, sqlparse::parse_statement(s.text)};
        if (entry.parsed.statement && entry.parsed.statement->kind != sqlparse::StatementKind::utility)
            out.push_back(std::move(entry));
    }
    return out;
}

std::vector<Finding> run(const Workload& w) {
    return check_operations(w, parse(w)).findings;
}

std::vector<Finding> of_rule(const std::vector<Finding>& findings, RuleId rule) {
    std::vector<Finding> out;
    for (const Finding& f : findings)
        if (f.rule == rule) out.push_back(f);
    return out;
}

const EvidenceValue* evidence(const Finding& finding, std::string_view key) {
    for (const auto& [name, value] : finding.evidence)
        if (name == key) return &value;
    return nullptr;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

} // namespace

TEST_CASE("check_operations on a healthy server") {
    const Workload w = healthy();
    const OperationsResult result = check_operations(w, parse(w));
    CHECK(result.findings.empty());
    CHECK(result.notes.empty());
}

TEST_CASE("check_operations without server activity") {
    // A source that did not read the activity: the checks that need it stay silent rather
    // than call the server healthy, and the statement checks still run.
    Workload w = healthy();
    w.activity.reset();
    w.statements.push_back(statement("9", "SELECT name FROM customers WHERE id = $1", 5'000, 0.02, 5'000));
    const auto findings = run(w);
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].rule == RuleId::batchable_lookup);
}

TEST_CASE("batchable-lookup") {
    Workload w = healthy();
    w.statements = {statement("7", "SELECT name, email FROM customers WHERE id = $1", 2'000, 0.05, 2'000)};

    SUBCASE("a sub-millisecond lookup of one row by key, called 2,000 times") {
        const auto found = of_rule(run(w), RuleId::batchable_lookup);
        REQUIRE(found.size() == 1);
        const Finding& f = found[0];
        CHECK(f.category() == Category::application);
        CHECK(f.severity == Severity::warning);
        CHECK(f.suggestion.rewritten_query == "SELECT name, email FROM customers WHERE id = ANY($1)");
        CHECK(contains(f.message, "add id to the select list"));
        CHECK(std::get<std::int64_t>(*evidence(f, "round_trips")) == 2'000);
        // Ranked by its measured time plus the round trips the server cannot see.
        CHECK(f.rank == doctest::Approx(2'000 * 0.05 + 2'000 * ops::k_round_trip_ms));
        REQUIRE(f.query);
        CHECK(f.query->queryid == "7");
    }
    SUBCASE("the key already in the select list: no advice to add it") {
        w.statements[0].text = "SELECT id, name FROM customers c WHERE c.id = $1";
        const auto found = of_rule(run(w), RuleId::batchable_lookup);
        REQUIRE(found.size() == 1);
        CHECK_FALSE(contains(found[0].message, "select list"));
        CHECK(found[0].suggestion.rewritten_query == "SELECT id, name FROM customers c WHERE c.id = ANY($1)");
    }
    SUBCASE("thresholds: calls, rows per call, mean time") {
        w.statements[0].calls = ops::k_batch_min_calls - 1;
        w.statements[0].rows = w.statements[0].calls;
        CHECK(of_rule(run(w), RuleId::batchable_lookup).empty());
        w.statements[0].calls = ops::k_batch_min_calls;
        CHECK(of_rule(run(w), RuleId::batchable_lookup).size() == 1);
        w.statements[0].rows = 2 * w.statements[0].calls; // two rows per call: not a one-row lookup
        CHECK(of_rule(run(w), RuleId::batchable_lookup).empty());
        w.statements[0].rows = w.statements[0].calls;
        w.statements[0].mean_ms = 1.5; // slow enough that the round trip does not dominate
        CHECK(of_rule(run(w), RuleId::batchable_lookup).empty());
    }
    SUBCASE("not a keyed lookup: no parameter equality, a LIMIT, an aggregate, a wrapped column") {
        for (const char* text : {"SELECT name FROM customers WHERE id > $1",
                                 "SELECT name FROM customers WHERE region = $1 LIMIT 1",
                                 "SELECT count(*) FROM orders WHERE customer_id = $1",
                                 "SELECT name FROM customers WHERE lower(email) = $1",
                                 "SELECT name FROM customers WHERE id = $1 OR email = $2"}) {
            CAPTURE(text);
            w.statements[0].text = text;
            CHECK(of_rule(run(w), RuleId::batchable_lookup).empty());
        }
    }
    SUBCASE("statements run inside functions are not the application's round trips") {
        w.statements[0].toplevel = false;
        CHECK(of_rule(run(w), RuleId::batchable_lookup).empty());
    }
}

TEST_CASE("single-row-insert") {
    Workload w = healthy();
    w.statements = {statement("8", "INSERT INTO events (kind, at) VALUES ($1, $2)", 5'000, 0.08, 5'000)};
    SUBCASE("one row per call, 5,000 calls") {
        const auto found = of_rule(run(w), RuleId::single_row_insert);
        REQUIRE(found.size() == 1);
        CHECK(found[0].category() == Category::application);
        CHECK(contains(found[0].title, "5000 single-row INSERTs into events"));
        CHECK(std::get<double>(*evidence(found[0], "rows_per_call")) == doctest::Approx(1.0));
    }
    SUBCASE("multi-row inserts and rare inserts are left alone") {
        w.statements[0].rows = 50'000;
        CHECK(of_rule(run(w), RuleId::single_row_insert).empty());
        w.statements[0].rows = w.statements[0].calls = ops::k_batch_min_calls - 1;
        CHECK(of_rule(run(w), RuleId::single_row_insert).empty());
    }
}

TEST_CASE("cacheable-result") {
    Workload w = healthy();
    w.tables.push_back(table("countries", 0, 7'200));
    w.statements = {statement("5", "SELECT id, name FROM countries WHERE code = $1", 3'600, 0.03, 3'600)};
    w.activity->statements_window_s = 3'600; // one call a second

    SUBCASE("a table not written since its last ANALYZE: cache for the longest TTL") {
        const auto found = of_rule(run(w), RuleId::cacheable_result);
        REQUIRE(found.size() == 1);
        CHECK(found[0].category() == Category::application);
        CHECK(found[0].severity == Severity::info);
        CHECK(std::get<double>(*evidence(found[0], "ttl_s")) == doctest::Approx(ops::k_cache_max_ttl_s));
        CHECK(std::get<std::string>(*evidence(found[0], "tables")) == "public.countries");
        CHECK(contains(found[0].message, "keyed by the statement's parameters"));
    }
    SUBCASE("written once per 200 reads: cached, TTL half the interval between writes") {
        // 1 call/s; 18 writes in the hour since ANALYZE = 0.005 writes/s, one per 200 s.
        w.tables.back().n_mod_since_analyze = 36;
        w.tables.back().analyzed_age_s = 7'200;
        const auto found = of_rule(run(w), RuleId::cacheable_result);
        REQUIRE(found.size() == 1);
        CHECK(std::get<double>(*evidence(found[0], "ttl_s")) == doctest::Approx(100.0));
    }
    SUBCASE("the edge: more than one write per 100 reads is not cached") {
        w.tables.back().n_mod_since_analyze = 73; // 0.0101 writes/s against 1 call/s
        CHECK(of_rule(run(w), RuleId::cacheable_result).empty());
        w.tables.back().n_mod_since_analyze = 72; // 0.01 exactly
        CHECK(of_rule(run(w), RuleId::cacheable_result).size() == 1);
    }
    SUBCASE("a join with a frequently written table is not cached") {
        w.statements[0].text = "SELECT c.name FROM countries c JOIN orders o ON o.country_id = c.id WHERE o.id = $1";
        CHECK(of_rule(run(w), RuleId::cacheable_result).empty());
    }
    SUBCASE("unstable results are not cached: now(), FOR UPDATE, a never-analyzed table") {
        w.statements[0].text = "SELECT id FROM countries WHERE created_at > now() - $1::interval";
        CHECK(of_rule(run(w), RuleId::cacheable_result).empty());
        w.statements[0].text = "SELECT id FROM countries WHERE code = $1 FOR UPDATE";
        CHECK(of_rule(run(w), RuleId::cacheable_result).empty());
        w.statements[0].text = "SELECT id, name FROM countries WHERE code = $1";
        w.tables.back().analyzed_age_s.reset();
        CHECK(of_rule(run(w), RuleId::cacheable_result).empty());
    }
    SUBCASE("too few calls") {
        w.statements[0].calls = ops::k_cache_min_calls - 1;
        CHECK(of_rule(run(w), RuleId::cacheable_result).empty());
    }
}

TEST_CASE("connections-near-limit") {
    Workload w = healthy();
    // 97 slots (100 - 3 reserved); dbadvise's own session takes one.
    auto fill = [&](int sessions) {
        w.activity->sessions.clear();
        for (int i = 0; i < sessions; ++i) w.activity->sessions.push_back(session(1'000 + i, i < 4 ? "active" : "idle"));
    };
    SUBCASE("just under 80%: silent") {
        fill(76); // 77 of 97 = 79.4%
        CHECK(of_rule(run(w), RuleId::connections_near_limit).empty());
    }
    SUBCASE("80%: warning with a pool size") {
        fill(77); // 78 of 97 = 80.4%
        const auto found = of_rule(run(w), RuleId::connections_near_limit);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::connections);
        CHECK(std::get<std::int64_t>(*evidence(found[0], "connection_slots")) == 97);
        CHECK(std::get<std::string>(*evidence(found[0], "top_application")) == "web");
        // Mean active sessions 0.1 (1 h of active time in 10 h): the 4 active now decide.
        CHECK(std::get<std::int64_t>(*evidence(found[0], "pool_size")) == 4);
        CHECK(contains(found[0].message, "pool_mode = transaction"));
    }
    SUBCASE("95%: error") {
        fill(92); // 93 of 97
        const auto found = of_rule(run(w), RuleId::connections_near_limit);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::error);
    }
}

TEST_CASE("connection-churn") {
    Workload w = healthy();
    auto& counters = *w.activity->session_counters;
    counters.sessions = 36'000; // one a second over the 10 h window
    counters.session_time_ms = 36'000 * 40.0;
    SUBCASE("short sessions at one a second: warning") {
        const auto found = of_rule(run(w), RuleId::connection_churn);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(std::get<double>(*evidence(found[0], "mean_session_ms")) == doctest::Approx(40.0));
        CHECK(found[0].rank == doctest::Approx(36'000 * ops::k_connect_cost_ms));
    }
    SUBCASE("fewer than one a second: information") {
        counters.window_s = 72'000;
        const auto found = of_rule(run(w), RuleId::connection_churn);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info);
    }
    SUBCASE("long sessions or few of them: silent") {
        counters.session_time_ms = 36'000 * 1'001.0;
        CHECK(of_rule(run(w), RuleId::connection_churn).empty());
        counters.session_time_ms = 999 * 40.0;
        counters.sessions = ops::k_churn_min_sessions - 1;
        CHECK(of_rule(run(w), RuleId::connection_churn).empty());
    }
    SUBCASE("before 14 there are no session counters") {
        w.activity->session_counters.reset();
        CHECK(of_rule(run(w), RuleId::connection_churn).empty());
    }
}

TEST_CASE("idle-in-transaction and long-transaction") {
    Workload w = healthy();
    ClientSession idle = session(200, "idle in transaction");
    idle.xact_age_s = 30;
    idle.state_age_s = 20;
    SUBCASE("idle for 20 s: information, with the timeout to set") {
        w.activity->sessions.push_back(idle);
        const auto found = of_rule(run(w), RuleId::idle_in_transaction);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info);
        CHECK(found[0].category() == Category::connections);
        CHECK(found[0].suggestion.sql == "ALTER ROLE app SET idle_in_transaction_session_timeout = '60s';");
        CHECK(contains(found[0].message, "is off"));
        // Reported once, not also as a long transaction.
        CHECK(of_rule(run(w), RuleId::long_transaction).empty());
    }
    SUBCASE("idle under 5 s: silent; a snapshot held makes it a warning") {
        idle.state_age_s = ops::k_idle_in_transaction_s - 0.1;
        w.activity->sessions.push_back(idle);
        CHECK(of_rule(run(w), RuleId::idle_in_transaction).empty());
        w.activity->sessions.back().state_age_s = ops::k_idle_in_transaction_s;
        w.activity->sessions.back().xmin_age = 1'000;
        const auto found = of_rule(run(w), RuleId::idle_in_transaction);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
    }
    SUBCASE("an active transaction open for a minute") {
        ClientSession active = session(300, "active");
        active.xact_age_s = ops::k_long_transaction_s;
        active.queryid = "2";
        w.activity->sessions.push_back(active);
        const auto found = of_rule(run(w), RuleId::long_transaction);
        REQUIRE(found.size() == 1);
        REQUIRE(found[0].query);
        CHECK(found[0].query->queryid == "2"); // tied to the workload statement it runs
        w.activity->sessions.back().xact_age_s = ops::k_long_transaction_s - 1;
        CHECK(of_rule(run(w), RuleId::long_transaction).empty());
    }
    SUBCASE("a young transaction holding the horizon 100,000 transactions back") {
        ClientSession holder = session(301, "active");
        holder.xact_age_s = 3;
        holder.xmin_age = ops::k_long_transaction_xmin_age;
        w.activity->sessions.push_back(holder);
        const auto found = of_rule(run(w), RuleId::long_transaction);
        REQUIRE(found.size() == 1);
        CHECK(std::get<std::int64_t>(*evidence(found[0], "xmin_age")) == ops::k_long_transaction_xmin_age);
        w.activity->sessions.back().xmin_age = ops::k_long_transaction_xmin_age - 1;
        CHECK(of_rule(run(w), RuleId::long_transaction).empty());
    }
}

TEST_CASE("lock-wait") {
    Workload w = healthy();
    ClientSession holder = session(400, "idle in transaction");
    holder.xact_age_s = 3;
    holder.state_age_s = 2;
    ClientSession first = session(401, "active");
    first.wait_event_type = "Lock";
    first.wait_event = "transactionid";
    first.blocked_by = {400};
    first.state_age_s = 1.5;
    ClientSession second = session(402, "active");
    second.wait_event_type = "Lock";
    second.wait_event = "relation";
    second.blocked_by = {401}; // queued behind the first waiter: the chain's head is 400
    second.state_age_s = 1.0;
    w.activity->sessions.insert(w.activity->sessions.end(), {holder, first, second});
    const auto found = of_rule(run(w), RuleId::lock_wait);
    REQUIRE(found.size() == 1);
    CHECK(found[0].category() == Category::connections);
    CHECK(std::get<std::int64_t>(*evidence(found[0], "blocking_pid")) == 400);
    CHECK(std::get<std::string>(*evidence(found[0], "waiting_pids")) == "401, 402");
    CHECK(std::get<std::int64_t>(*evidence(found[0], "waiting_sessions")) == 2);
    CHECK(std::get<double>(*evidence(found[0], "longest_wait_s")) == doctest::Approx(1.5));
    CHECK(contains(found[0].message, "which is idle in transaction"));

    SUBCASE("sessions waiting for other things (I/O, the client) are not lock waits") {
        Workload quiet = healthy();
        ClientSession io = session(500, "active");
        io.wait_event_type = "IO";
        io.wait_event = "DataFileRead";
        quiet.activity->sessions.push_back(io);
        CHECK(of_rule(run(quiet), RuleId::lock_wait).empty());
    }
}

TEST_CASE("xid-wraparound") {
    Workload w = healthy();
    SUBCASE("a table at its own lowered autovacuum_freeze_max_age, held back by a session") {
        w.activity->tables = {{"public", "orders", 110'000, 100'000, 8'192}};
        ClientSession holder = session(600, "active");
        holder.xmin_age = 110'500;
        w.activity->sessions.push_back(holder);
        const auto found = of_rule(run(w), RuleId::xid_wraparound);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::maintenance);
        CHECK(found[0].suggestion.sql == "VACUUM (FREEZE, VERBOSE) public.orders;");
        CHECK(std::get<std::int64_t>(*evidence(found[0], "horizon_held_by_pid")) == 600);
        // The current database is as old as its oldest table: reported once.
        w.activity->databases[0].age = 110'000;
        w.activity->databases[0].freeze_max_age = 100'000;
        CHECK(of_rule(run(w), RuleId::xid_wraparound).size() == 1);
    }
    SUBCASE("edges: just below the limit is silent; half the ID space is an error") {
        w.activity->tables = {{"public", "orders", 199'999'999, 200'000'000, 0}};
        CHECK(of_rule(run(w), RuleId::xid_wraparound).empty());
        w.activity->tables[0].age = ops::k_wraparound_error_age;
        const auto found = of_rule(run(w), RuleId::xid_wraparound);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::error);
    }
    SUBCASE("another database past the limit") {
        w.activity->databases[1].age = 250'000'000;
        const auto found = of_rule(run(w), RuleId::xid_wraparound);
        REQUIRE(found.size() == 1);
        CHECK(std::get<std::string>(*evidence(found[0], "database")) == "postgres");
    }
}

TEST_CASE("xid-wraparound names a prepared transaction holding the horizon") {
    Workload w = healthy();
    w.activity->tables = {{"public", "orders", 110'000, 100'000, 8'192}};
    w.activity->prepared = {{"tm-42", "shop", "app", 30, 110'200, 3, {"public.orders"}}};
    const auto found = of_rule(run(w), RuleId::xid_wraparound);
    REQUIRE(found.size() == 1);
    CHECK(std::get<std::string>(*evidence(found[0], "horizon_held_by_prepared")) == "tm-42");
    CHECK(contains(found[0].message, "Prepared transaction 'tm-42' (database shop)"));
    // A session holding the horizon as far back is named instead.
    ClientSession holder = session(600, "active");
    holder.xmin_age = 110'500;
    w.activity->sessions.push_back(holder);
    const auto by_session = of_rule(run(w), RuleId::xid_wraparound);
    REQUIRE(by_session.size() == 1);
    CHECK(evidence(by_session[0], "horizon_held_by_prepared") == nullptr);
    CHECK(std::get<std::int64_t>(*evidence(by_session[0], "horizon_held_by_pid")) == 600);
}

TEST_CASE("prepared-transaction-open") {
    Workload w = healthy();
    w.settings.push_back({"autovacuum_freeze_max_age", "200000000", "", "200000000"});
    PreparedTransaction prepared{"tm-7'x", "shop", "app", 90, 5'000, 4, {"public.orders", "public.customers"}};
    SUBCASE("open for 90 s: warning, with its locks and the SQL to end it") {
        w.activity->prepared = {prepared};
        const auto found = of_rule(run(w), RuleId::prepared_transaction_open);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::connections);
        CHECK(found[0].suggestion.sql ==
              "-- In database shop, once its transaction manager confirms it was abandoned (else COMMIT PREPARED):\n"
              "ROLLBACK PREPARED 'tm-7''x';");
        CHECK(std::get<std::int64_t>(*evidence(found[0], "locks")) == 4);
        CHECK(std::get<std::string>(*evidence(found[0], "locked_relations")) == "public.orders, public.customers");
        CHECK(found[0].rank == doctest::Approx(90'000));
        CHECK(contains(found[0].message, "4 locks (on public.orders, public.customers)"));
    }
    SUBCASE("edges: 59 s and a young horizon silent; 60 s, or a horizon 100,000 back, reported") {
        prepared.age_s = 59.9;
        w.activity->prepared = {prepared};
        CHECK(of_rule(run(w), RuleId::prepared_transaction_open).empty());
        prepared.age_s = ops::k_prepared_transaction_s;
        w.activity->prepared = {prepared};
        CHECK(of_rule(run(w), RuleId::prepared_transaction_open).size() == 1);
        prepared.age_s = 2;
        prepared.xid_age = ops::k_long_transaction_xmin_age - 1;
        w.activity->prepared = {prepared};
        CHECK(of_rule(run(w), RuleId::prepared_transaction_open).empty());
        prepared.xid_age = ops::k_long_transaction_xmin_age;
        w.activity->prepared = {prepared};
        CHECK(of_rule(run(w), RuleId::prepared_transaction_open).size() == 1);
    }
    SUBCASE("holding the horizon back by autovacuum_freeze_max_age: error") {
        prepared.xid_age = 200'000'000;
        w.activity->prepared = {prepared};
        const auto found = of_rule(run(w), RuleId::prepared_transaction_open);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::error);
        prepared.xid_age = 199'999'999;
        w.activity->prepared = {prepared};
        CHECK(of_rule(run(w), RuleId::prepared_transaction_open)[0].severity == Severity::warning);
    }
    SUBCASE("a gid holding an escape sequence is written escaped") {
        prepared.gid = "a\x1b[2Jb";
        w.activity->prepared = {prepared};
        const auto found = of_rule(run(w), RuleId::prepared_transaction_open);
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].suggestion.sql, "ROLLBACK PREPARED U&'a\\001B[2Jb';"));
    }
}

TEST_CASE("multixact-wraparound") {
    Workload w = healthy();
    SUBCASE("a table at its own lowered autovacuum_multixact_freeze_max_age") {
        w.activity->multixact_tables = {{"public", "orders", 11'000, 10'000, 8'192}};
        const auto found = of_rule(run(w), RuleId::multixact_wraparound);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::maintenance);
        CHECK(found[0].suggestion.sql == "VACUUM (FREEZE, VERBOSE) public.orders;");
        CHECK(std::get<std::int64_t>(*evidence(found[0], "multixact_age")) == 11'000);
        CHECK(std::get<std::int64_t>(*evidence(found[0], "autovacuum_multixact_freeze_max_age")) == 10'000);
        // Transaction IDs are a separate counter: no xid-wraparound finding.
        CHECK(of_rule(run(w), RuleId::xid_wraparound).empty());
        // The current database, as old as its oldest table, is reported once.
        w.activity->multixact_databases[0].age = 11'000;
        w.activity->multixact_databases[0].freeze_max_age = 10'000;
        CHECK(of_rule(run(w), RuleId::multixact_wraparound).size() == 1);
    }
    SUBCASE("edges: just below the limit is silent; half the ID space is an error") {
        w.activity->multixact_tables = {{"public", "orders", 399'999'999, 400'000'000, 0}};
        CHECK(of_rule(run(w), RuleId::multixact_wraparound).empty());
        w.activity->multixact_tables[0].age = 400'000'000;
        REQUIRE(of_rule(run(w), RuleId::multixact_wraparound).size() == 1);
        CHECK(of_rule(run(w), RuleId::multixact_wraparound)[0].severity == Severity::warning);
        w.activity->multixact_tables[0].age = ops::k_wraparound_error_age;
        CHECK(of_rule(run(w), RuleId::multixact_wraparound)[0].severity == Severity::error);
    }
    SUBCASE("another database past the limit") {
        w.activity->multixact_databases[1].age = 450'000'000;
        const auto found = of_rule(run(w), RuleId::multixact_wraparound);
        REQUIRE(found.size() == 1);
        CHECK(std::get<std::string>(*evidence(found[0], "database")) == "postgres");
        CHECK(contains(found[0].suggestion.sql, "mxid_age(datminmxid)"));
    }
}

TEST_CASE("autovacuum-lag") {
    Workload w = healthy();
    SUBCASE("autovacuum off for the table: warning, with the reloption reset") {
        VacuumState churned = vacuum_state("churned", 1'000, 1'000, 3'000, std::nullopt);
        churned.table_autovacuum = false;
        w.activity->vacuum = {churned};
        const auto found = of_rule(run(w), RuleId::autovacuum_lag);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::maintenance);
        CHECK(found[0].suggestion.sql ==
              "VACUUM (VERBOSE, ANALYZE) public.churned;\nALTER TABLE public.churned RESET (autovacuum_enabled);");
        CHECK(std::get<double>(*evidence(found[0], "autovacuum_trigger")) == doctest::Approx(250));
        CHECK(std::get<double>(*evidence(found[0], "trigger_multiple")) == doctest::Approx(12));
        CHECK(std::get<std::string>(*evidence(found[0], "autovacuum")) == "off (table)");
        CHECK(contains(found[0].message, "50 + 0.2 x 1000 = 250 dead tuples"));
        CHECK(contains(found[0].message, "loaded and dropped in bulk. Until a vacuum comes"));
    }
    SUBCASE("autovacuum off for the server") {
        w.settings.push_back({"autovacuum", "off", "", "off"});
        w.activity->vacuum = {vacuum_state("orders", 100'000, 100'000, 50'000, 600)};
        const auto found = of_rule(run(w), RuleId::autovacuum_lag);
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].suggestion.sql, "ALTER SYSTEM SET autovacuum = on;"));
    }
    SUBCASE("edges: the trigger's own settings, twice it, 1,000 dead tuples, an hour since the last vacuum") {
        // The table's own trigger: threshold 1,000 + 0.01 x 100,000 = 2,000; 4,000 is twice it.
        VacuumState own = vacuum_state("orders", 100'000, 100'000, 4'000, 3'600);
        own.vacuum_threshold = 1'000;
        own.vacuum_scale_factor = 0.01;
        w.activity->vacuum = {own};
        auto found = of_rule(run(w), RuleId::autovacuum_lag);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info); // on, and fewer dead than live tuples
        CHECK(contains(found[0].suggestion.sql, "autovacuum_vacuum_scale_factor = 0.01"));
        own.n_dead_tup = 3'999;
        w.activity->vacuum = {own};
        CHECK(of_rule(run(w), RuleId::autovacuum_lag).empty());
        own.n_dead_tup = 4'000;
        own.vacuumed_age_s = 3'599;
        w.activity->vacuum = {own};
        CHECK(of_rule(run(w), RuleId::autovacuum_lag).empty());
        // Never vacuumed within a statistics window of ten hours: behind.
        own.vacuumed_age_s.reset();
        w.activity->vacuum = {own};
        CHECK(of_rule(run(w), RuleId::autovacuum_lag).size() == 1);
        w.activity->stats_window_s = 600;
        CHECK(of_rule(run(w), RuleId::autovacuum_lag).empty());
        // A small table: 999 dead tuples are not worth it even with autovacuum off.
        VacuumState small = vacuum_state("tiny", 100, 100, 999, std::nullopt);
        small.table_autovacuum = false;
        w.activity->vacuum = {small};
        CHECK(of_rule(run(w), RuleId::autovacuum_lag).empty());
    }
    SUBCASE("more dead than live tuples: warning; many-dead-tuples leaves the table to it") {
        w.activity->vacuum = {vacuum_state("orders", 100'000, 100'000, 150'000, 7'200)};
        const auto found = of_rule(run(w), RuleId::autovacuum_lag);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        w.tables[0].n_dead_tup = 150'000;
        CHECK(of_rule(check_health(w, {}).findings, RuleId::many_dead_tuples).empty());
        // Vacuumed ten minutes ago (the dead tuples are held by a snapshot, not by autovacuum):
        // many-dead-tuples reports it, autovacuum-lag does not.
        w.activity->vacuum[0].vacuumed_age_s = 600;
        CHECK(of_rule(run(w), RuleId::autovacuum_lag).empty());
        CHECK(of_rule(check_health(w, {}).findings, RuleId::many_dead_tuples).size() == 1);
    }
}

TEST_CASE("integer-key-near-max") {
    Workload w = healthy();
    IntegerKey key{"public", "tickets", "id", "integer", "tickets_pkey", 1'900'001'000, 1'900'000'001, 7'200};
    SUBCASE("an integer key at 88.5% by its statistics: warning, an estimate with its age") {
        w.activity->integer_keys = {key};
        const auto found = of_rule(run(w), RuleId::integer_key_near_max);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::maintenance);
        CHECK(found[0].suggestion.sql ==
              "SELECT max(id) FROM public.tickets;\nALTER TABLE public.tickets ALTER COLUMN id TYPE bigint;");
        CHECK(std::get<std::int64_t>(*evidence(found[0], "max_value_in_statistics")) == 1'900'001'000);
        CHECK(std::get<double>(*evidence(found[0], "statistics_age_s")) == doctest::Approx(7'200));
        CHECK(contains(found[0].title, "estimated from statistics taken 2.0 h ago"));
        CHECK(contains(found[0].message, "an estimate, from the sample ANALYZE took"));
    }
    SUBCASE("edges: 75% is reported, just below silent, 90% an error; no statistics silent") {
        key.max_value = 1'610'612'736; // 75.0000001%
        w.activity->integer_keys = {key};
        CHECK(of_rule(run(w), RuleId::integer_key_near_max).size() == 1);
        key.max_value = 1'610'612'735; // just under 75%
        w.activity->integer_keys = {key};
        CHECK(of_rule(run(w), RuleId::integer_key_near_max).empty());
        key.max_value = 1'932'735'283; // 90%
        w.activity->integer_keys = {key};
        CHECK(of_rule(run(w), RuleId::integer_key_near_max)[0].severity == Severity::error);
        key.max_value.reset();
        key.min_value.reset();
        w.activity->integer_keys = {key};
        CHECK(of_rule(run(w), RuleId::integer_key_near_max).empty());
    }
    SUBCASE("a smallint key counting down from -1 is measured from the bottom") {
        w.activity->integer_keys = {{"public", "codes", "Code", "smallint", "codes_pkey", -1, -30'000, std::nullopt}};
        const auto found = of_rule(run(w), RuleId::integer_key_near_max);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::error);
        CHECK(std::get<std::int64_t>(*evidence(found[0], "min_value_in_statistics")) == -30'000);
        CHECK(found[0].suggestion.sql ==
              "SELECT min(\"Code\") FROM public.codes;\nALTER TABLE public.codes ALTER COLUMN \"Code\" TYPE bigint;");
        CHECK(contains(found[0].title, "statistics of unknown age"));
    }
}

TEST_CASE("table-bloat") {
    Workload w = healthy();
    SUBCASE("the estimate: rows of 52-60 bytes, 136-157 to a page") {
        const ops::BloatEstimate fresh = ops::estimate_bloat(footprint("orders", 200'000, 1'282));
        CHECK(fresh.row_bytes_low == 48);
        CHECK(fresh.row_bytes_high == 56);
        CHECK(fresh.expected_pages_low == 1'274);  // 200,000 / 157
        CHECK(fresh.expected_pages_high == 1'471); // 200,000 / 136
        CHECK(fresh.wasted_pages_low == 0);
        CHECK(fresh.wasted_pages_high == 8);
        // fillfactor 50 halves the rows per page.
        TableFootprint half = footprint("orders", 200'000, 1'282);
        half.fillfactor = 50;
        CHECK(ops::estimate_bloat(half).expected_pages_low == 2'565); // 200,000 / 78
    }
    SUBCASE("nine rows in ten deleted, the pages kept: warning") {
        // Measured: 20,000 rows left on the 1,282 pages of 200,000 after DELETE and VACUUM.
        w.activity->footprints = {footprint("orders", 20'000, 1'282)};
        const auto found = of_rule(run(w), RuleId::table_bloat);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::maintenance);
        CHECK(found[0].suggestion.sql == "VACUUM (FULL, ANALYZE, VERBOSE) public.orders;");
        CHECK(std::get<std::int64_t>(*evidence(found[0], "wasted_bytes_low")) == (1'282 - 148) * 8'192);
        CHECK(std::get<double>(*evidence(found[0], "wasted_share_high")) == doctest::Approx((1'282.0 - 128) / 1'282));
        CHECK(contains(found[0].title, "an estimated 88-90% is empty space (statistics taken 10.0 min ago)"));
    }
    SUBCASE("edges: half the pages and 1,000 of them; a column without statistics") {
        // 136 rows a page at the most padding: 136,000 rows need at most 1,000 of 2,000 pages.
        w.activity->footprints = {footprint("orders", 136'000, 2'000)};
        REQUIRE(of_rule(run(w), RuleId::table_bloat).size() == 1);
        CHECK(of_rule(run(w), RuleId::table_bloat)[0].severity == Severity::info);
        w.activity->footprints = {footprint("orders", 136'001, 2'000)};
        CHECK(of_rule(run(w), RuleId::table_bloat).empty());
        w.activity->footprints = {footprint("orders", 135'864, 1'998)}; // half, but 999 pages
        CHECK(of_rule(run(w), RuleId::table_bloat).empty());
        TableFootprint unknown = footprint("orders", 20'000, 1'282);
        unknown.columns_with_stats = 2;
        w.activity->footprints = {unknown};
        CHECK(of_rule(run(w), RuleId::table_bloat).empty());
    }
}

// readings: 1,000,000 rows in 100 MB (shared_buffers 16 MB, effective_cache_size 4 GB), a tenth
// of them deleted since the reset; time ranges read 5,000 ms, the retention DELETE 2,000 ms and
// a lookup by id 1,000 ms: 87.5% of the time filters by taken_at.
Workload partition_workload() {
    Workload w = healthy();
    CatalogTable readings = table("readings", 0, 600);
    readings.columns = {{"id", "bigint", 1, true},
                        {"device_id", "integer", 2, true},
                        {"taken_at", "timestamp with time zone", 3, true},
                        {"value", "double precision", 4, false}};
    readings.size_bytes = 100 * 1'048'576;
    readings.reltuples = 1'000'000;
    readings.n_live_tup = 1'000'000;
    readings.n_tup_del = 100'000;
    w.tables.push_back(readings);
    w.statements = {
        statement("31", "SELECT avg(value) FROM readings WHERE taken_at >= $1 AND taken_at < $2", 100, 50, 100),
        statement("32", "DELETE FROM readings WHERE taken_at < $1", 10, 200, 100'000),
        statement("33", "SELECT * FROM readings WHERE id = $1", 1'000, 1, 1'000)};
    ColumnStats stats;
    stats.schema = "public";
    stats.table = "readings";
    stats.column = "taken_at";
    stats.n_distinct = -1;
    stats.histogram_bounds = {"2026-01-01 00:00:00+00", "2026-02-15 00:00:00+00", "2026-04-11 00:00:00+00"};
    w.column_stats = {stats};
    return w;
}

TEST_CASE("partition-candidate") {
    Workload w = partition_workload();
    SUBCASE("time ranges read and old rows deleted by taken_at: range partitions of a week") {
        const auto found = of_rule(run(w), RuleId::partition_candidate);
        REQUIRE(found.size() == 1);
        CHECK(found[0].category() == Category::schema);
        CHECK(found[0].severity == Severity::info);
        CHECK(found[0].subject == "public.readings");
        CHECK(found[0].query->text == "DELETE FROM readings WHERE taken_at < $1");
        CHECK(found[0].rank == doctest::Approx(7'000));
        CHECK(std::get<std::string>(*evidence(found[0], "partition_key")) == "taken_at");
        CHECK(std::get<std::string>(*evidence(found[0], "partitioning")) == "range");
        // 100 days kept: a month makes 3 partitions, a week 15.
        CHECK(std::get<std::string>(*evidence(found[0], "partition_interval")) == "1 week");
        CHECK(std::get<double>(*evidence(found[0], "retention_s")) == doctest::Approx(100 * 86'400.0));
        CHECK(std::get<double>(*evidence(found[0], "filter_share")) == doctest::Approx(0.875));
        CHECK(std::get<std::int64_t>(*evidence(found[0], "rows_deleted")) == 100'000);
        CHECK(std::get<std::string>(*evidence(found[0], "delete_statements")) ==
              "DELETE FROM readings WHERE taken_at < $1");
        CHECK(contains(found[0].suggestion.sql, "PARTITION BY RANGE (taken_at)"));
        CHECK(contains(found[0].suggestion.sql, "DETACH PARTITION"));
        // Only comments: nothing of it is meant to run as it is.
        std::istringstream lines(found[0].suggestion.sql);
        for (std::string line; std::getline(lines, line);) CHECK(line.starts_with("-- "));
        CHECK(contains(found[0].message, "make 15 of them"));
        // An outline, not a change: the change script has nothing of it to run.
        CHECK(change_script(found).empty());
    }
    SUBCASE("warning when the table is larger than effective_cache_size too") {
        w.tables.back().size_bytes = std::int64_t{4} << 30;
        const auto found = of_rule(run(w), RuleId::partition_candidate);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
    }
    SUBCASE("the retention a DELETE states: 30 days make partitions of a day") {
        w.statements[1].text = "DELETE FROM readings WHERE taken_at < now() - interval '30 days'";
        const auto found = of_rule(run(w), RuleId::partition_candidate);
        REQUIRE(found.size() == 1);
        CHECK(std::get<std::string>(*evidence(found[0], "partition_interval")) == "1 day");
        CHECK(std::get<std::string>(*evidence(found[0], "retention_from")) == "the DELETEs' constants");
        w.statements[1].text = "DELETE FROM readings WHERE taken_at < now() - '2 years'::interval";
        CHECK(std::get<std::string>(*evidence(of_rule(run(w), RuleId::partition_candidate)[0],
                                              "partition_interval")) == "1 month");
        // What it cannot read falls back on the column's statistics (100 days: a week).
        for (const char* text : {"DELETE FROM readings WHERE taken_at < now() - interval '1 year 2 mons'",
                                 "DELETE FROM readings WHERE taken_at < now() - interval '99999999999 days'",
                                 "DELETE FROM readings WHERE taken_at < now() - interval '5 fortnights'",
                                 "DELETE FROM readings WHERE taken_at < $1 AND note <> 'interval'",
                                 // Quotes that are not an interval's: in a comment, a dollar
                                 // quote, a quoted name.
                                 "DELETE FROM readings /* interval '2 days' */ WHERE taken_at < $1",
                                 "DELETE FROM readings WHERE taken_at < $1 AND note <> $$x' interval '3 days$$",
                                 "DELETE FROM readings WHERE \"interval\" = '4 days' AND taken_at < $1"}) {
            CAPTURE(text);
            w.statements[1].text = text;
            const auto fallback = of_rule(run(w), RuleId::partition_candidate);
            REQUIRE(fallback.size() == 1);
            CHECK(std::get<std::string>(*evidence(fallback[0], "partition_interval")) == "1 week");
            CHECK(std::get<std::string>(*evidence(fallback[0], "retention_from")) ==
                  "the span of the column's values in its statistics");
        }
    }
    SUBCASE("edges: shared_buffers, a tenth deleted, half the time, 1,000 rows by the DELETEs") {
        w.tables.back().size_bytes = 16 * 1'048'576 - 1;
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.tables.back().size_bytes = 16 * 1'048'576;
        CHECK(of_rule(run(w), RuleId::partition_candidate).size() == 1);
        w.tables.back().n_tup_del = 99'999;
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.tables.back().n_tup_del = 100'000;
        w.statements[2].total_ms = 7'000; // 7,000 of 14,000 ms filter by taken_at: half
        CHECK(of_rule(run(w), RuleId::partition_candidate).size() == 1);
        w.statements[2].total_ms = 7'001;
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.statements[2].total_ms = 1'000;
        w.statements[1].rows = 999;
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
    }
    SUBCASE("silent without a DELETE by the time column, or when it is wrapped or under OR") {
        w.statements[1].text = "DELETE FROM readings WHERE id = $1";
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.statements[1].text = "DELETE FROM readings WHERE date_trunc('day', taken_at) < $1";
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.statements[1].text = "DELETE FROM readings WHERE taken_at < $1 OR device_id = $2";
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
    }
    SUBCASE("never for a partitioned table or a partition") {
        w.tables.back().kind = 'p';
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.tables.back().kind = 'r';
        w.tables.back().is_partition = true;
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
    }
    SUBCASE("a range on a column that is not a date or timestamp is no time column") {
        w.tables.back().columns[2].type_name = "bigint";
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
    }
    SUBCASE("silent without shared_buffers to compare with") {
        std::erase_if(w.settings, [](const Setting& s) { return s.name == "shared_buffers"; });
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
    }
}

TEST_CASE("partition-candidate by tenant") {
    Workload w = partition_workload();
    w.statements = {statement("41", "SELECT id, value FROM readings WHERE device_id = $1 AND id > $2", 1'000, 5, 1'000),
                    statement("42", "DELETE FROM readings WHERE device_id = $1", 4, 500, 100'000),
                    statement("43", "SELECT count(*) FROM readings", 10, 100, 10)};
    ColumnStats device;
    device.schema = "public";
    device.table = "readings";
    device.column = "device_id";
    device.n_distinct = 40;
    w.column_stats.push_back(device);
    SUBCASE("40 devices: list partitions, a device's rows dropped with its partition") {
        const auto found = of_rule(run(w), RuleId::partition_candidate);
        REQUIRE(found.size() == 1);
        CHECK(std::get<std::string>(*evidence(found[0], "partition_key")) == "device_id");
        CHECK(std::get<std::string>(*evidence(found[0], "partitioning")) == "list");
        CHECK(contains(found[0].suggestion.sql, "PARTITION BY LIST (device_id)"));
        CHECK(found[0].rank == doctest::Approx(7'000));
    }
    SUBCASE("500 devices: 32 hash partitions of at most a quarter of shared_buffers") {
        w.column_stats.back().n_distinct = 500;
        const auto found = of_rule(run(w), RuleId::partition_candidate);
        REQUIRE(found.size() == 1);
        CHECK(std::get<std::string>(*evidence(found[0], "partitioning")) == "hash");
        CHECK(std::get<std::int64_t>(*evidence(found[0], "hash_partitions")) == 32);
        CHECK(contains(found[0].suggestion.sql, "MODULUS 32"));
    }
    SUBCASE("no tenant: nearly unique values, a unique key alone, no statistics") {
        w.column_stats.back().n_distinct = 10'001;
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.column_stats.back().n_distinct = 40;
        CatalogIndex unique;
        unique.schema = unique.table_schema = "public";
        unique.table = "readings";
        unique.name = "readings_device_key";
        unique.keys = {"device_id"};
        unique.unique = true;
        w.indexes.push_back(unique);
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
        w.indexes.pop_back();
        w.column_stats.pop_back();
        CHECK(of_rule(run(w), RuleId::partition_candidate).empty());
    }
}

TEST_CASE("index-bloat") {
    Workload w = healthy();
    SUBCASE("the estimate: 366 entries of 20 bytes to a leaf page, levels above, the metapage") {
        // 100,000 entries: 274 leaves, a root, the metapage (pgbench_accounts_pkey at scale 1).
        const ops::BloatEstimate fresh = ops::estimate_index_bloat(index_footprint("orders_pkey", 100'000, 276));
        CHECK(fresh.row_bytes_low == 16);
        CHECK(fresh.expected_pages_low == 276);
        CHECK(fresh.expected_pages_high == 276);
        CHECK(fresh.wasted_pages_low == 0);
        // A bigint after an integer may be padded by 4 bytes (max_padding 7): 28-byte entries at most.
        IndexFootprint two = index_footprint("orders_customer_idx", 100'000, 400);
        two.columns = two.columns_with_stats = 2;
        two.data_width = 12;
        two.max_padding = 7;
        const ops::BloatEstimate padded = ops::estimate_index_bloat(two);
        CHECK(padded.row_bytes_low == 24);
        CHECK(padded.row_bytes_high == 32);
        CHECK(padded.expected_pages_low == 386);  // 262 to a leaf: 382 leaves, 2 above, root, metapage
        CHECK(padded.expected_pages_high == 499); // 203 to a leaf: 493 leaves, 3 above, root, metapage
        // Nulls add the null bitmap: a 16-byte header.
        IndexFootprint nulls = index_footprint("orders_pkey", 100'000, 276);
        nulls.nullable = true;
        CHECK(ops::estimate_index_bloat(nulls).row_bytes_low == 24);
    }
    SUBCASE("nine entries in ten deleted, the pages kept: warning") {
        w.activity->index_footprints = {index_footprint("orders_pkey", 60'000, 1'648)};
        const auto found = of_rule(run(w), RuleId::index_bloat);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::maintenance);
        CHECK(found[0].subject == "public.orders_pkey");
        CHECK(found[0].suggestion.sql == "REINDEX INDEX CONCURRENTLY public.orders_pkey;");
        // 60,000 entries: 164 leaves, a root, the metapage.
        CHECK(std::get<double>(*evidence(found[0], "expected_pages_high")) == 166);
        CHECK(std::get<std::int64_t>(*evidence(found[0], "wasted_bytes_low")) == (1'648 - 166) * 8'192);
        CHECK(contains(found[0].title, "Index public.orders_pkey on public.orders is"));
        // The change script runs the REINDEX with the maintenance, not commented out.
        const std::vector<Change> changes = change_script(found);
        REQUIRE(changes.size() == 1);
        CHECK(changes[0].kind == ChangeKind::maintenance);
        CHECK(changes[0].statements == std::vector<std::string>{"REINDEX INDEX CONCURRENTLY public.orders_pkey;"});
    }
    SUBCASE("edges: half the pages and 1,000 of them; 1 GiB wasted; a column without statistics") {
        // 363,804 entries: 994 leaves, 4 + 1 pages above, the metapage: 1,000 expected.
        w.activity->index_footprints = {index_footprint("orders_pkey", 363'804, 2'000)};
        auto found = of_rule(run(w), RuleId::index_bloat);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info);
        w.activity->index_footprints = {index_footprint("orders_pkey", 363'805, 2'000)};
        CHECK(of_rule(run(w), RuleId::index_bloat).empty());
        // 118,419 pages expected of 300,000: 60% wasted, 1.4 GiB of it.
        w.activity->index_footprints = {index_footprint("orders_pkey", 366.0 * 118'000, 300'000)};
        found = of_rule(run(w), RuleId::index_bloat);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        IndexFootprint unknown = index_footprint("orders_pkey", 60'000, 1'648);
        unknown.columns_with_stats = 0;
        w.activity->index_footprints = {unknown};
        CHECK(of_rule(run(w), RuleId::index_bloat).empty());
    }
}

TEST_CASE("sequence-near-max") {
    Workload w = healthy();
    SequenceUse serial{"public", "items_id_seq", "integer", 2'100'000'000, 1, 2'147'483'647, 1, "public.items.id",
                       "integer"};
    SUBCASE("an integer serial at 97.8%: error, widen column and sequence") {
        w.activity->sequences = {serial};
        const auto found = of_rule(run(w), RuleId::sequence_near_max);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::error);
        CHECK(found[0].category() == Category::maintenance);
        CHECK(found[0].suggestion.sql ==
              "ALTER TABLE public.items ALTER COLUMN id TYPE bigint;\nALTER SEQUENCE public.items_id_seq AS bigint;");
        CHECK(std::get<std::int64_t>(*evidence(found[0], "values_left")) == 47'483'647);
    }
    SUBCASE("a bigint sequence feeding an integer column is limited by the column") {
        serial.data_type = "bigint";
        serial.max_value = std::numeric_limits<std::int64_t>::max();
        serial.last_value = 1'700'000'000; // 79% of the column's range
        w.activity->sequences = {serial};
        const auto found = of_rule(run(w), RuleId::sequence_near_max);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(contains(found[0].title, "its column public.items.id (integer)"));
        CHECK(found[0].suggestion.sql == "ALTER TABLE public.items ALTER COLUMN id TYPE bigint;");
    }
    SUBCASE("edges: below 75% silent, unread (no privilege) silent, descending counted from the bottom") {
        serial.last_value = 1'610'000'000; // 74.97%
        w.activity->sequences = {serial};
        CHECK(of_rule(run(w), RuleId::sequence_near_max).empty());
        serial.last_value.reset();
        w.activity->sequences = {serial};
        CHECK(of_rule(run(w), RuleId::sequence_near_max).empty());
        SequenceUse down{"public", "down_seq", "smallint", -30'000, -32'768, -1, -1, "", ""};
        w.activity->sequences = {down};
        const auto found = of_rule(run(w), RuleId::sequence_near_max);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql == "ALTER SEQUENCE public.down_seq AS bigint;");
    }
}

TEST_CASE("planning-time and track-planning-off") {
    Workload w = healthy();
    WorkloadStatement join = statement("3", "SELECT * FROM a JOIN b USING (id) JOIN c USING (id) WHERE a.id = $1",
                                       1'000, 0.1, 1'000);
    join.plans = 1'000;
    join.total_plan_ms = 150; // 60% of 250 ms
    w.statements.push_back(join);
    SUBCASE("planning is 60% of the time: warning") {
        const auto found = of_rule(run(w), RuleId::planning_time);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].category() == Category::plan);
        CHECK(std::get<double>(*evidence(found[0], "planning_share")) == doctest::Approx(0.6));
        CHECK(*found[0].impact.estimated_ms_saved_per_call == doctest::Approx(0.15));
    }
    SUBCASE("30% is information, 29% silent") {
        w.statements.back().total_ms = 1'000;
        w.statements.back().total_plan_ms = 1'000 * 0.3 / 0.7 + 0.01;
        REQUIRE(of_rule(run(w), RuleId::planning_time).size() == 1);
        CHECK(of_rule(run(w), RuleId::planning_time)[0].severity == Severity::info);
        w.statements.back().total_plan_ms = 1'000 * 0.29 / 0.71;
        CHECK(of_rule(run(w), RuleId::planning_time).empty());
    }
    SUBCASE("track_planning off: the setting is reported where short statements run often") {
        w.settings.back().value = w.settings.back().setting = "off";
        w.statements.back().plans = 0;
        w.statements.back().total_plan_ms = 0;
        CHECK(of_rule(run(w), RuleId::planning_time).empty());
        const auto found = of_rule(run(w), RuleId::track_planning_off);
        REQUIRE(found.size() == 1);
        CHECK(found[0].category() == Category::config);
        CHECK(contains(found[0].suggestion.sql, "pg_stat_statements.track_planning = on"));
        // No short frequent statement: nothing to gain.
        w.statements = {w.statements[1]};
        CHECK(of_rule(run(w), RuleId::track_planning_off).empty());
    }
}

TEST_CASE("variable-time") {
    Workload w = healthy();
    WorkloadStatement skewed = statement("4", "SELECT count(*) FROM orders WHERE status = $1", 200, 10, 200);
    skewed.stddev_ms = 10;
    skewed.max_ms = 40;
    w.statements.push_back(skewed);
    SUBCASE("standard deviation equal to the mean: information") {
        const auto found = of_rule(run(w), RuleId::variable_time);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info);
        CHECK(found[0].category() == Category::plan);
        CHECK(contains(found[0].message, "plan_cache_mode = force_custom_plan"));
    }
    SUBCASE("twice the mean: warning") {
        w.statements.back().stddev_ms = 20;
        REQUIRE(of_rule(run(w), RuleId::variable_time).size() == 1);
        CHECK(of_rule(run(w), RuleId::variable_time)[0].severity == Severity::warning);
    }
    SUBCASE("edges: half the mean, fast statements and little total time are silent") {
        w.statements.back().stddev_ms = 5;
        CHECK(of_rule(run(w), RuleId::variable_time).empty());
        w.statements.back().stddev_ms = 10;
        w.statements.back().mean_ms = 0.9;
        w.statements.back().total_ms = 180;
        CHECK(of_rule(run(w), RuleId::variable_time).empty());
    }
}

TEST_CASE("variable-time with the statement's plans") {
    Workload w = healthy();
    WorkloadStatement skewed = statement("4", "SELECT count(*) FROM orders WHERE status = $1", 200, 10, 200);
    skewed.stddev_ms = 10;
    skewed.max_ms = 40;
    w.statements.push_back(skewed);
    PlanSensitivity plans;
    plans.generic = {"generic plan", "Aggregate > Index Only Scan using orders_status on orders", 6};
    plans.custom = {{"median and most common values", "Aggregate > Seq Scan on orders", 5000},
                    {"upper-quartile values", "Aggregate > Seq Scan on orders", 5000}};
    const auto run_with = [&](const PlanSensitivity& p) {
        return of_rule(check_operations(w, parse(w), {{"4", p}}).findings, RuleId::variable_time);
    };
    SUBCASE("the generic plan, which a prepared statement keeps, differs: force_custom_plan") {
        const auto found = run_with(plans);
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "switches to the generic plan after five executions"));
        CHECK(contains(found[0].message, "`Aggregate > Index Only Scan using orders_status on orders`"));
        CHECK(contains(found[0].message, "for the median and most common values the planner picks "
                                         "`Aggregate > Seq Scan on orders` (cost 5000)"));
        CHECK_FALSE(contains(found[0].message, "differ among themselves"));
        CHECK(found[0].suggestion.sql == "SET plan_cache_mode = force_custom_plan;");
        CHECK(std::get<bool>(*evidence(found[0], "plan_depends_on_values")));
        CHECK(std::get<std::string>(*evidence(found[0], "generic_plan")) ==
              "Aggregate > Index Only Scan using orders_status on orders");
        CHECK(contains(std::get<std::string>(*evidence(found[0], "custom_plans")),
                       "upper-quartile values: Aggregate > Seq Scan on orders (cost 5000)"));
    }
    SUBCASE("custom plans that differ among themselves: statistics and an index") {
        plans.generic = {"generic plan", "Aggregate > Seq Scan on orders", 9000};
        plans.custom[1].shape = "Aggregate > Bitmap Heap Scan on orders > Bitmap Index Scan on orders_status";
        const auto found = run_with(plans);
        REQUIRE(found.size() == 1);
        CHECK_FALSE(contains(found[0].message, "five executions"));
        CHECK(contains(found[0].message, "for the upper-quartile values: `Aggregate > Bitmap Heap Scan"));
        CHECK(contains(found[0].message, "SET STATISTICS 1000"));
        CHECK(found[0].suggestion.sql.empty());
        CHECK(std::get<bool>(*evidence(found[0], "plan_depends_on_values")));
    }
    SUBCASE("a generic plan the server would not keep (estimate above the custom plans') is not blamed") {
        plans.generic.cost = 9000;
        const auto found = run_with(plans);
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "probably does not come from the plan"));
        CHECK(contains(found[0].message, "is not used: its estimate, cost 9000, is above theirs"));
        CHECK(found[0].suggestion.sql.empty());
    }
    SUBCASE("one plan for every value: the spread is not the plan's") {
        plans.generic = {"generic plan", "Aggregate > Seq Scan on orders", 5000};
        const auto found = run_with(plans);
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "The planner picks one plan, `Aggregate > Seq Scan on orders`, for the "
                                         "median and most common values, the upper-quartile values from pg_stats, and "
                                         "as the generic plan"));
        CHECK(contains(found[0].message, "lock waits"));
        CHECK_FALSE(std::get<bool>(*evidence(found[0], "plan_depends_on_values")));
        CHECK(found[0].suggestion.sql.empty());
    }
    SUBCASE("plans of another statement change nothing") {
        const auto found = of_rule(check_operations(w, parse(w), {{"other", plans}}).findings, RuleId::variable_time);
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "EXPLAIN (ANALYZE) the statement with a frequent and a rare value"));
        CHECK(evidence(found[0], "generic_plan") == nullptr);
    }
}

TEST_CASE("check_operations notes the parts it could not read") {
    Workload w = healthy();
    w.activity->unavailable = {"sequences: permission denied for sequence s"};
    const auto result = check_operations(w, parse(w));
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0] ==
          "Could not read sequences: permission denied for sequence s; the checks that need it were skipped.");
}
