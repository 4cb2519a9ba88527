// Golden tests of the analyze report: a fixed workload (a small shop with a partitioned
// events table, repeated statements and a query text carrying Markdown and HTML) goes through
// analyze() with a fake planner, then every format for people and the SQL script are compared
// with testdata/golden/analyze/shop.*. DBADVISE_UPDATE_GOLDEN=1 rewrites the expected files.
#include "analyzer/analyze.hpp"
#include "cli/analyze_report.hpp"
#include "reports/report.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

using namespace dbadvise;
using namespace dbadvise::analyzer;

namespace {

// Costs 1000 per statement, 10 when a hypothetical index leads with customer_id.
class GoldenPlanner final : public Planner {
public:
    std::expected<std::vector<std::string>, PlannerError>
    describe(const std::string& sql, const std::vector<std::string>&) override {
        std::vector<std::string> types;
        for (std::size_t at = sql.find('$'); at != std::string::npos; at = sql.find('$', at + 1)) {
            types.push_back("text");
        }
        return types;
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest& request) override {
        ++m_calls;
        m_created += static_cast<int>(request.hypothetical.size());
        PlanResult result;
        result.total_cost = 1000;
        for (std::size_t i = 0; i < request.hypothetical.size(); ++i) {
            if (request.hypothetical[i].keys.front() == "customer_id") {
                result.total_cost = 10;
                result.hypothetical_used.push_back(static_cast<int>(i));
            }
        }
        result.hypothetical_sizes.assign(request.hypothetical.size(), 22 * 1024 * 1024);
        return result;
    }
    int planner_calls() const override { return m_calls; }
    int hypothetical_indexes_created() const override { return m_created; }
    bool supports_hypothetical() const override { return true; }

private:
    int m_calls = 0;
    int m_created = 0;
};

CatalogTable table(std::string name, double rows, std::vector<CatalogColumn> columns) {
    CatalogTable t;
    t.schema = "public";
    t.name = std::move(name);
    t.reltuples = rows;
    t.n_live_tup = static_cast<std::int64_t>(rows);
    t.relpages = static_cast<std::int64_t>(rows / 60) + 1;
    t.size_bytes = t.relpages * 8192;
    t.columns = std::move(columns);
    t.ever_analyzed = true;
    return t;
}

CatalogIndex index(std::string name, std::string on, std::vector<std::string> keys) {
    CatalogIndex i;
    i.schema = "public";
    i.name = std::move(name);
    i.table_schema = "public";
    i.table = std::move(on);
    i.descending.assign(keys.size(), false);
    i.keys = std::move(keys);
    i.method = "btree";
    i.size_bytes = 2 * 1024 * 1024;
    i.idx_scan = 100;
    i.definition = "CREATE INDEX " + i.name + " ON public." + i.table + " USING btree (" + i.keys.front() + ")";
    return i;
}

WorkloadStatement statement(std::string queryid, std::string text, std::int64_t calls, double total_ms,
                            std::int64_t hit, std::int64_t read) {
    WorkloadStatement s;
    s.queryid = std::move(queryid);
    s.text = std::move(text);
    s.calls = calls;
    s.total_ms = total_ms;
    s.mean_ms = total_ms / static_cast<double>(calls);
    s.rows = calls;
    s.shared_blks_hit = hit;
    s.shared_blks_read = read;
    return s;
}

Workload shop() {
    Workload w;
    w.server_version_num = 150004;
    w.server_version = "15.4";
    w.database = "shop";
    w.search_path = {"public"};
    w.settings = {{"track_activity_query_size", "1kB", "B", "1024"},
                  {"shared_buffers", "16MB", "8kB", "2048"},
                  {"track_io_timing", "off", "", "off"},
                  {"block_size", "8192", "", "8192"}};
    w.database_stats = {7'000'000, 2'000'000, 300LL * 1024 * 1024, 0, 0};

    CatalogTable customers = table("customers", 100'000, {{"id", "bigint", 1, true}, {"email", "text", 2, true},
                                                          {"name", "text", 3, false}});
    customers.heap_blks_hit = 900'000;
    customers.heap_blks_read = 2'000;
    CatalogTable orders = table("orders", 1'000'000, {{"id", "bigint", 1, true}, {"customer_id", "bigint", 2, true},
                                                      {"status", "text", 3, true}, {"total", "numeric", 4, false}});
    orders.heap_blks_hit = 3'000'000;
    orders.heap_blks_read = 1'500'000;
    CatalogTable events = table("events", 0, {{"id", "bigint", 1, true}, {"at", "timestamptz", 2, true}});
    events.kind = 'p';
    w.tables = {customers, orders, events};
    for (const char* part : {"events_2025a", "events_2025b", "events_2025c", "events_2025d"}) {
        CatalogTable p = table(part, 200'000, events.columns);
        p.is_partition = true;
        p.partition_root = "public.events";
        p.n_dead_tup = 150'000;
        w.tables.push_back(p);
        CatalogIndex at = index(std::string(part) + "_at_idx", part, {"at"});
        at.idx_scan = 0;
        w.indexes.push_back(at);
    }
    CatalogIndex customers_pkey = index("customers_pkey", "customers", {"id"});
    customers_pkey.primary = customers_pkey.unique = customers_pkey.is_constraint = true;
    CatalogIndex orders_pkey = index("orders_pkey", "orders", {"id"});
    orders_pkey.primary = orders_pkey.unique = orders_pkey.is_constraint = true;
    w.indexes.push_back(customers_pkey);
    w.indexes.push_back(orders_pkey);
    w.indexes.push_back(index("customers_email_idx", "customers", {"email"}));
    w.indexes.push_back(index("customers_email_idx1", "customers", {"email"}));
    w.foreign_keys.push_back({"orders_customer_id_fkey", "public", "orders", {"customer_id"}, "public", "customers", {"id"}});
    ColumnStats customer_id;
    customer_id.schema = "public";
    customer_id.table = "orders";
    customer_id.column = "customer_id";
    customer_id.n_distinct = 50'000;
    customer_id.histogram_bounds = {"1", "25000", "50000", "75000", "100000"};
    w.column_stats.push_back(customer_id);

    w.statements = {
        statement("-101", "SELECT * FROM orders WHERE customer_id = $1", 3000, 9000, 400'000, 600'000),
        statement("202", "SELECT id FROM orders WHERE customer_id NOT IN (SELECT id FROM customers WHERE email LIKE $1)",
                  40, 2400, 10'000, 5'000),
        statement("303", "SELECT * FROM customers WHERE id = $1", 90'000, 900, 270'000, 10),
        statement("304", "SELECT * FROM customers WHERE email = $1", 20'000, 600, 80'000, 10),
        statement("305", "SELECT * FROM customers WHERE name = $1 ORDER BY id LIMIT $2", 500, 500, 20'000, 10),
        statement("306", "SELECT * FROM customers ORDER BY id DESC LIMIT $1", 400, 300, 8'000, 10),
        statement("307", "SELECT status FROM orders WHERE id = $1 /* <script>alert(1)</script> | `tick` **bold** */",
                  1000, 50, 4'000, 0),
        statement("408", "UPDATE orders SET status = $1 WHERE id = $2", 500, 40, 2'000, 10),
    };
    return w;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void golden(const std::string& name, const std::string& actual) {
    const std::string path = std::string(DBADVISE_SOURCE_DIR) + "/testdata/golden/analyze/" + name;
    const char* update = std::getenv("DBADVISE_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
        std::ofstream(path, std::ios::binary) << actual;
        return;
    }
    const std::string expected = read_file(path);
    INFO("golden file ", path, " differs; DBADVISE_UPDATE_GOLDEN=1 rewrites it");
    CHECK(expected == actual);
}

reports::Report analyzed(const Workload& workload) {
    GoldenPlanner planner;
    AnalyzeResult result = analyze(workload, &planner, AnalyzeOptions{});
    reports::Report report;
    report.source.kind = "database";
    report.source.database = workload.database;
    report.source.server_version = workload.server_version;
    report.source.stats_reset = "2026-11-30 08:00:00+00";
    cli::add_analysis(report, std::move(result));
    return report;
}

} // namespace

TEST_CASE("analyze report golden files") {
    const reports::Report report = analyzed(shop());
    SUBCASE("text, summary first, 100 columns") {
        golden("shop.txt", reports::render_text(report, {.color = false, .width = 100, .verbose = false}));
    }
    SUBCASE("text, --verbose") {
        golden("shop.verbose.txt", reports::render_text(report, {.color = false, .width = 100, .verbose = true}));
    }
    SUBCASE("markdown") { golden("shop.md", reports::render_markdown(report)); }
    SUBCASE("sql") {
        std::string sql;
        reports::render_sql(report, [&](std::string_view piece) { sql.append(piece); });
        golden("shop.sql", sql);
    }
    SUBCASE("json") { golden("shop.json", reports::render_json(report)); }
}

TEST_CASE("analyze report structure") {
    const reports::Report report = analyzed(shop());
    const std::string text = reports::render_text(report, {.color = false, .width = 100, .verbose = false});

    SUBCASE("the summary comes first: header, then what to do, then the groups") {
        CHECK(text.starts_with("dbadvise analyze: database \"shop\", PostgreSQL 15.4\n"));
        const auto covers = text.find("covers: since 2026-11-30 08:00:00+00");
        const auto todo = text.find("Do first");
        const auto create = text.find("\nIndexes to create");
        const auto rewrites = text.find("\nQuery rewrites");
        const auto existing = text.find("\nExisting indexes");
        const auto health = text.find("\nCache and health");
        REQUIRE(covers != std::string::npos);
        REQUIRE(todo != std::string::npos);
        CHECK(covers < todo);
        CHECK(todo < create);
        CHECK(create < rewrites);
        CHECK(rewrites < existing);
        CHECK(existing < health);
        // The most valuable action first: the index that saves the most.
        CHECK(text.find("1. Create index", todo) < text.find("2. ", todo));
    }

    SUBCASE("findings about partitions of one table are one entry") {
        CHECK(text.find("4 partitions of public.events") != std::string::npos);
        CHECK(text.find("events_2025d_at_idx") == std::string::npos); // the fourth is not listed
        const std::string verbose = reports::render_text(report, {.color = false, .width = 100, .verbose = true});
        CHECK(verbose.find("events_2025d_at_idx") != std::string::npos);
    }

    SUBCASE("a rule repeated across many statements is one entry with a count") {
        CHECK(text.find("SELECT * -> explicit column list: 5 statements [select-star]") != std::string::npos);
        CHECK(text.find("and 2 more (--verbose lists them") != std::string::npos);
    }

    SUBCASE("prose is wrapped to the width; SQL is not") {
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            const bool sql = line.find("CREATE ") != std::string::npos || line.find("DROP ") != std::string::npos ||
                             line.find("SELECT ") != std::string::npos || line.find("ALTER ") != std::string::npos;
            // Section rows laid out in columns by their producer are printed as they are.
            if (sql || line.find("  ", line.find_first_not_of(' ')) != std::string::npos) continue;
            // A long word may stand alone on a line; otherwise the width holds.
            if (line.find(' ', line.find_first_not_of(' ')) != std::string::npos) {
                CHECK_MESSAGE(line.size() <= 100, line);
            }
        }
    }

    SUBCASE("a partial run says so at the top") {
        reports::Report partial = report;
        partial.partial = true;
        const std::string out = reports::render_text(partial, {.color = false, .width = 100, .verbose = false});
        const auto marker = out.find("partial: the run stopped early");
        REQUIRE(marker != std::string::npos);
        CHECK(marker < out.find("Do first"));
    }

    SUBCASE("ids do not depend on queryids or measured numbers") {
        Workload other = shop();
        for (WorkloadStatement& s : other.statements) {
            s.queryid = "9" + s.queryid;
            s.total_ms *= 1.37;
            s.calls += 11;
            s.shared_blks_read += 1000;
        }
        const reports::Report again = analyzed(other);
        // Checks with thresholds on calls or time may report a different set when the numbers
        // move; that is no id change. Every rule reported as often in both runs must carry the
        // same ids, and most of the report must be such rules.
        std::map<std::string, std::vector<std::string>> a;
        std::map<std::string, std::vector<std::string>> b;
        const std::vector<std::string> ids_a = finding_ids(report.findings);
        const std::vector<std::string> ids_b = finding_ids(again.findings);
        for (std::size_t i = 0; i < ids_a.size(); ++i)
            a[std::string(report.findings[i].rule_id())].push_back(ids_a[i]);
        for (std::size_t i = 0; i < ids_b.size(); ++i)
            b[std::string(again.findings[i].rule_id())].push_back(ids_b[i]);
        std::size_t compared = 0;
        for (auto& [rule, ids] : a) {
            auto other_ids = b.find(rule);
            if (other_ids == b.end() || other_ids->second.size() != ids.size()) continue;
            std::sort(ids.begin(), ids.end());
            std::sort(other_ids->second.begin(), other_ids->second.end());
            CHECK_MESSAGE(ids == other_ids->second, rule);
            compared += ids.size();
        }
        CHECK(compared * 4 >= report.findings.size() * 3);
    }
}

// A fleet runs analyze() on several threads at once (cli/analyze_command.cpp): the parser, the
// analyzer and the report writers keep no shared mutable state, so concurrent runs give the
// same report, byte for byte, as one run alone.
TEST_CASE("analyze runs concurrently: the same report as alone") {
    const Workload workload = shop();
    const std::string alone = reports::render_json(analyzed(workload));
    const std::string alone_text = reports::render_text(analyzed(workload), {.color = false, .width = 100, .verbose = false});
    constexpr int k_threads = 4;
    constexpr int k_rounds = 3;
    std::vector<std::string> json(k_threads * k_rounds);
    std::vector<std::string> text(k_threads * k_rounds);
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < k_threads; ++t) {
            threads.emplace_back([&, t] {
                for (int r = 0; r < k_rounds; ++r) {
                    const reports::Report report = analyzed(workload);
                    json[static_cast<std::size_t>(t * k_rounds + r)] = reports::render_json(report);
                    text[static_cast<std::size_t>(t * k_rounds + r)] =
                        reports::render_text(report, {.color = false, .width = 100, .verbose = false});
                }
            });
        }
    }
    for (std::size_t i = 0; i < json.size(); ++i) {
        CAPTURE(i);
        CHECK(json[i] == alone);
        CHECK(text[i] == alone_text);
    }
    CHECK(alone.find("\"findings\": [\n    {") != std::string::npos);
}
