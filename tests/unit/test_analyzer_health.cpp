#include "analyzer/health.hpp"
#include "test_analyzer_health_fakes.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <set>
#include <string>

using namespace dbadvise;
using analyzer::Category;
using analyzer::Finding;
using analyzer::Severity;

namespace {

// Copies, so that a result built in the same expression may go away.
std::vector<Finding> with_rule(const analyzer::HealthResult& result, std::string_view rule) {
    std::vector<Finding> found;
    for (const Finding& finding : result.findings) {
        if (finding.rule_id() == rule) {
            found.push_back(finding);
        }
    }
    return found;
}

const analyzer::EvidenceValue* evidence(const Finding& finding, std::string_view key) {
    for (const auto& [name, value] : finding.evidence) {
        if (name == key) {
            return &value;
        }
    }
    return nullptr;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

} // namespace

TEST_CASE("check_health on a healthy workload") {
    const auto workload = test::healthy_workload();
    const auto result = analyzer::check_health(workload, {});
    CHECK(result.findings.empty());
    REQUIRE(result.sections.size() == 1);
    CHECK(result.sections[0].title == "Cache and health");
    REQUIRE_FALSE(result.sections[0].lines.empty());
    CHECK(result.sections[0].lines[0] ==
          "Database shop: buffer hit ratio 99.96% (50000000 hits, 20000 reads); shared_buffers "
          "128.0 MB; database size 100.0 MB");
}

TEST_CASE("check_health: database buffer hit ratio") {
    auto workload = test::healthy_workload();

    SUBCASE("below 99% with many reads and a database larger than shared_buffers: warning") {
        workload.database_stats.blks_hit = 800'000;
        workload.database_stats.blks_read = 200'000;
        workload.database_stats.size_bytes = 2LL * 1024 * 1024 * 1024;
        const auto result = analyzer::check_health(workload, {});
        const auto found = with_rule(result, "database-low-hit-ratio");
        REQUIRE(found.size() == 1);
        const Finding& finding = found[0];
        CHECK(finding.category() == Category::cache);
        CHECK(finding.severity == Severity::warning);
        CHECK(finding.title == "Database buffer hit ratio is 80.00% (200000 blocks read)");
        CHECK(contains(finding.message, "pg_stat_database counts only shared-buffer hits"));
        CHECK(contains(finding.message, "1.5 GB"));
        CHECK(std::get<double>(*evidence(finding, "hit_ratio")) == doctest::Approx(0.8));
        CHECK(std::get<std::int64_t>(*evidence(finding, "shared_buffers_bytes")) == 128LL << 20);
        CHECK(std::get<std::int64_t>(*evidence(finding, "database_size_bytes")) == 2LL << 30);
    }
    SUBCASE("a database that fits in shared_buffers: information about a cold cache") {
        workload.database_stats.blks_hit = 800'000;
        workload.database_stats.blks_read = 200'000;
        const auto result = analyzer::check_health(workload, {});
        const auto found = with_rule(result, "database-low-hit-ratio");
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info);
        CHECK(contains(found[0].message, "fits in shared_buffers"));
    }
    SUBCASE("between 90% and 99%: information") {
        workload.database_stats.blks_hit = 970'000;
        workload.database_stats.blks_read = 30'000;
        workload.database_stats.size_bytes = 2LL * 1024 * 1024 * 1024;
        const auto found =
            with_rule(analyzer::check_health(workload, {}), "database-low-hit-ratio");
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info);
    }
    SUBCASE("a low ratio over too few reads to matter: nothing") {
        workload.database_stats.blks_hit = 5'000;
        workload.database_stats.blks_read = 5'000;
        CHECK(with_rule(analyzer::check_health(workload, {}), "database-low-hit-ratio").empty());
    }
    SUBCASE("no activity at all: nothing") {
        workload.database_stats = {};
        CHECK(with_rule(analyzer::check_health(workload, {}), "database-low-hit-ratio").empty());
    }
}

TEST_CASE("check_health: table hit ratios") {
    auto workload = test::healthy_workload();

    SUBCASE("a table larger than a quarter of shared_buffers read by scans") {
        auto& orders = workload.tables[1];
        orders.size_bytes = 512LL << 20;
        orders.heap_blks_hit = 10'000;
        orders.heap_blks_read = 90'000;
        const auto found = with_rule(analyzer::check_health(workload, {}), "table-low-hit-ratio");
        REQUIRE(found.size() == 1);
        const Finding& finding = found[0];
        CHECK(finding.subject == "public.orders");
        CHECK(finding.severity == Severity::info);
        CHECK(finding.title == "Table public.orders: 90300 blocks read, heap hit ratio 10.00%, "
                               "index hit ratio 99.99%");
        CHECK(contains(finding.message, "ring buffer"));
        // Ranked by the measured time of the statements that mention the table.
        CHECK(finding.rank == doctest::Approx(900.0));
    }
    SUBCASE("a low index ratio alone") {
        auto& customers = workload.tables[0];
        customers.idx_blks_hit = 1'000;
        customers.idx_blks_read = 9'000;
        const auto found = with_rule(analyzer::check_health(workload, {}), "table-low-hit-ratio");
        REQUIRE(found.size() == 1);
        CHECK(found[0].subject == "public.customers");
        CHECK(contains(found[0].message, "indexes do not stay cached"));
    }
    SUBCASE("a low ratio over few reads: nothing") {
        workload.tables[1].heap_blks_hit = 10;
        workload.tables[1].heap_blks_read = 900;
        CHECK(with_rule(analyzer::check_health(workload, {}), "table-low-hit-ratio").empty());
    }
}

TEST_CASE("check_health: statement hit ratio tied to its fix") {
    auto workload = test::healthy_workload();
    auto& statement = workload.statements[0];
    statement.shared_blks_hit = 100'000;
    statement.shared_blks_read = 900'000;

    SUBCASE("an index recommendation serves the statement: the index is the fix") {
        const std::vector<Finding> recommendations{test::index_recommendation(
            "7, 101",
            "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);")};
        const auto found =
            with_rule(analyzer::check_health(workload, recommendations), "statement-low-hit-ratio");
        REQUIRE(found.size() == 1);
        const Finding& finding = found[0];
        CHECK(finding.category() == Category::cache);
        CHECK(finding.severity == Severity::warning);
        REQUIRE(finding.query);
        CHECK(finding.query->queryid == "101");
        CHECK(finding.title == "Statement reads 90.0 blocks (720.0 kB) per call; hit ratio 10.00%");
        CHECK(contains(finding.message, "The recommended index serves this statement"));
        CHECK(finding.suggestion.sql ==
              "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);");
        CHECK(std::get<std::string>(*evidence(finding, "index_recommendation")) ==
              recommendations[0].id());
        CHECK(finding.rank == doctest::Approx(900.0));
    }
    SUBCASE("a recommendation tied through its query ref") {
        auto recommendation =
            test::index_recommendation("", "CREATE INDEX CONCURRENTLY x ON t (a);");
        recommendation.evidence.clear();
        recommendation.query = analyzer::QueryRef{"101", statement.text, 1, 1, 1, {}, 0, 0};
        const auto found = with_rule(analyzer::check_health(workload, {recommendation}),
                                     "statement-low-hit-ratio");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql == "CREATE INDEX CONCURRENTLY x ON t (a);");
    }
    SUBCASE("a recommendation for another statement does not count") {
        const std::vector<Finding> recommendations{
            test::index_recommendation("1010, 11", "CREATE INDEX CONCURRENTLY y ON t (b);")};
        const auto found =
            with_rule(analyzer::check_health(workload, recommendations), "statement-low-hit-ratio");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "No recommended index serves it"));
        CHECK(contains(found[0].message, "shared_buffers (128.0 MB)"));
        CHECK(found[0].suggestion.sql.empty());
    }
    SUBCASE("a statement the index advisor could not analyze: memory is not blamed") {
        const std::map<std::string, std::string> not_analyzed = {{"101", "the server could not plan it: boom"}};
        const auto found = with_rule(analyzer::check_health(workload, {}, not_analyzed), "statement-low-hit-ratio");
        REQUIRE(found.size() == 1);
        CHECK_FALSE(contains(found[0].message, "the fix is memory"));
        CHECK(contains(found[0].message, "The index advisor could not analyze this statement (the server could "
                                         "not plan it: boom), so whether an index would remove these reads is unknown"));
        CHECK(std::get<std::string>(*evidence(found[0], "index_advisor")) == "not analyzed");
    }
    SUBCASE("a finding that is not an index recommendation is ignored") {
        auto lint = test::index_recommendation("101", "SELECT 1");
        lint.rule = analyzer::RuleId::select_star; // a rewrite, not an index
        const auto found =
            with_rule(analyzer::check_health(workload, {lint}), "statement-low-hit-ratio");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql.empty());
    }
    SUBCASE("a point lookup reading a few blocks per call: nothing") {
        statement.calls = 200'000;
        statement.shared_blks_hit = 200'000;
        statement.shared_blks_read = 300'000; // 1.5 blocks per call, 40% hit ratio
        CHECK(with_rule(analyzer::check_health(workload, {}), "statement-low-hit-ratio").empty());
    }
    SUBCASE("a hit ratio above 95%: nothing") {
        statement.shared_blks_hit = 100'000'000;
        CHECK(with_rule(analyzer::check_health(workload, {}), "statement-low-hit-ratio").empty());
    }
}

TEST_CASE("check_health: temp spills") {
    auto workload = test::healthy_workload();
    auto& statement = workload.statements[1];

    SUBCASE("a statement spilling 10 MB per call: work_mem 16MB for its session") {
        statement.calls = 100;
        statement.temp_blks_written = 128'000; // 1000 MB over 100 calls
        const auto found = with_rule(analyzer::check_health(workload, {}), "statement-temp-spill");
        REQUIRE(found.size() == 1);
        const Finding& finding = found[0];
        CHECK(finding.title == "Statement spills 10.0 MB per call to temporary files");
        CHECK(finding.suggestion.sql == "SET work_mem = '16MB';");
        CHECK(contains(finding.message, "not globally"));
        CHECK(std::get<std::string>(*evidence(finding, "suggested_work_mem")) == "16MB");
        CHECK(std::get<std::int64_t>(*evidence(finding, "work_mem_bytes")) == 4LL << 20);
    }
    SUBCASE("a spill smaller than work_mem still asks for twice the current value") {
        statement.calls = 1'000;
        statement.temp_blks_written = 2'000; // 16 kB per call
        const auto found = with_rule(analyzer::check_health(workload, {}), "statement-temp-spill");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql == "SET work_mem = '8MB';");
    }
    SUBCASE("an index recommendation that may remove the sort is named") {
        statement.temp_blks_written = 100'000;
        const auto found = with_rule(
            analyzer::check_health(workload, {test::index_recommendation(
                                                 "102", "CREATE INDEX CONCURRENTLY z ON t (c);")}),
            "statement-temp-spill");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "may remove the sort or hash altogether: "
                                         "CREATE INDEX CONCURRENTLY z ON t (c);"));
    }
    SUBCASE("a few temp blocks: nothing") {
        statement.temp_blks_written = 1'000;
        CHECK(with_rule(analyzer::check_health(workload, {}), "statement-temp-spill").empty());
    }
}

TEST_CASE("check_health: statistics and dead tuples") {
    auto workload = test::healthy_workload();
    auto& orders = workload.tables[1]; // 200,000 rows

    SUBCASE("stale statistics") {
        orders.n_mod_since_analyze = 100'000;
        const auto found = with_rule(analyzer::check_health(workload, {}), "stale-statistics");
        REQUIRE(found.size() == 1);
        CHECK(found[0].category() == Category::plan);
        CHECK(found[0].suggestion.sql == "ANALYZE public.orders;");
        CHECK(found[0].title == "Table public.orders: 100000 rows modified since the last ANALYZE "
                                "(50.00% of its rows)");
    }
    SUBCASE("modifications below twice autovacuum's scale factor: nothing") {
        orders.n_mod_since_analyze = 30'000;
        CHECK(with_rule(analyzer::check_health(workload, {}), "stale-statistics").empty());
    }
    SUBCASE("never analyzed") {
        orders.ever_analyzed = false;
        const auto result = analyzer::check_health(workload, {});
        const auto found = with_rule(result, "never-analyzed");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql == "ANALYZE public.orders;");
        CHECK(with_rule(result, "stale-statistics").empty());
    }
    SUBCASE("a tiny table never analyzed: nothing") {
        workload.tables.push_back(test::healthy_table("Settings", 10));
        workload.tables.back().ever_analyzed = false;
        CHECK(with_rule(analyzer::check_health(workload, {}), "never-analyzed").empty());
    }
    SUBCASE("a quoted table name in the suggested SQL") {
        workload.tables.push_back(test::healthy_table("Order Lines", 5'000));
        workload.tables.back().ever_analyzed = false;
        const auto found = with_rule(analyzer::check_health(workload, {}), "never-analyzed");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql == "ANALYZE public.\"Order Lines\";");
    }
    SUBCASE("many dead tuples") {
        orders.n_dead_tup = 300'000;
        const auto found = with_rule(analyzer::check_health(workload, {}), "many-dead-tuples");
        REQUIRE(found.size() == 1);
        CHECK(found[0].category() == Category::schema);
        CHECK(found[0].severity == Severity::warning);
        CHECK(found[0].suggestion.sql == "VACUUM (ANALYZE) public.orders;");
    }
    SUBCASE("dead tuples above the threshold but fewer than live ones: information") {
        orders.n_dead_tup = 50'000;
        const auto found = with_rule(analyzer::check_health(workload, {}), "many-dead-tuples");
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == Severity::info);
    }
    SUBCASE("dead tuples under autovacuum's threshold: nothing") {
        orders.n_dead_tup = 39'000;
        CHECK(with_rule(analyzer::check_health(workload, {}), "many-dead-tuples").empty());
    }
}

TEST_CASE("check_health: configuration") {
    auto workload = test::healthy_workload();

    SUBCASE("track_io_timing off") {
        workload.settings[3] = test::plain_setting("track_io_timing", "off");
        const auto found = with_rule(analyzer::check_health(workload, {}), "track-io-timing-off");
        REQUIRE(found.size() == 1);
        CHECK(found[0].category() == Category::config);
        CHECK(found[0].severity == Severity::info);
        CHECK(found[0].suggestion.sql ==
              "ALTER SYSTEM SET track_io_timing = on;\nSELECT pg_reload_conf();");
    }
    SUBCASE("track_io_timing unknown: nothing") {
        workload.settings.pop_back();
        CHECK(with_rule(analyzer::check_health(workload, {}), "track-io-timing-off").empty());
    }
    SUBCASE("shared_buffers smaller than the hot tables while the database reads") {
        workload.tables[1].size_bytes = 600LL << 20;
        workload.tables[1].heap_blks_read = 5'000'000;
        workload.database_stats.blks_read = 5'000'000;
        workload.database_stats.size_bytes = 1LL << 30;
        const auto found =
            with_rule(analyzer::check_health(workload, {}), "shared-buffers-below-working-set");
        REQUIRE(found.size() == 1);
        CHECK(found[0].title == "shared_buffers (128.0 MB) is smaller than the hot tables and "
                                "their indexes (604.8 MB)");
        // orders takes 73% of block accesses: customers joins it to reach 90%.
        CHECK(std::get<std::string>(*evidence(found[0], "hot_tables")) ==
              "public.orders (600.0 MB), public.customers (4.8 MB)");
    }
    SUBCASE("hot tables larger than shared_buffers but a good hit ratio: nothing") {
        workload.tables[1].size_bytes = 600LL << 20;
        CHECK(with_rule(analyzer::check_health(workload, {}), "shared-buffers-below-working-set")
                  .empty());
    }
}

TEST_CASE("check_health ranks by measured time and is deterministic") {
    auto workload = test::healthy_workload();
    workload.statements[0].shared_blks_read = 500'000; // 900 ms
    workload.statements[1].shared_blks_read = 500'000; // 300 ms
    workload.settings[3] = test::plain_setting("track_io_timing", "off");
    const auto first = analyzer::check_health(workload, {});
    REQUIRE(first.findings.size() == 3);
    CHECK(first.findings[0].query->queryid == "101");
    CHECK(first.findings[1].query->queryid == "102");
    CHECK(first.findings[2].rule_id() == "track-io-timing-off");
    const auto second = analyzer::check_health(workload, {});
    REQUIRE(second.findings.size() == first.findings.size());
    for (std::size_t i = 0; i < first.findings.size(); ++i) {
        CHECK(first.findings[i].id() == second.findings[i].id());
        CHECK(first.findings[i].message == second.findings[i].message);
    }
    CHECK(first.sections[0].lines == second.sections[0].lines);
}

TEST_CASE("check_health: the cache section lists tables and statements by reads") {
    auto workload = test::healthy_workload();
    workload.statements[1].shared_blks_read = 4'000;
    workload.statements[1].temp_blks_written = 2'000;
    const auto result = analyzer::check_health(workload, {});
    const auto& lines = result.sections[0].lines;
    const auto at = [&](std::string_view start) {
        return std::find_if(lines.begin(), lines.end(),
                            [&](const std::string& line) { return line.starts_with(start); });
    };
    CHECK(at("Settings: track_io_timing on; work_mem 4.0 MB") != lines.end());
    auto tables = at("Tables with the most reads:");
    REQUIRE(tables != lines.end());
    REQUIRE(tables + 3 < lines.end());
    CHECK(contains(*(tables + 2), "public.customers"));
    CHECK(contains(*(tables + 3), "public.orders"));
    auto statements = at("Statements with the most reads:");
    REQUIRE(statements != lines.end());
    REQUIRE(statements + 2 < lines.end());
    // 80,000 hits and 4,000 reads over 20,000 calls; 2,000 temp blocks of 8 kB.
    CHECK(*(statements + 2) == "  102                     95.24%          0.2   819 bytes  "
                               "SELECT name FROM customers WHERE id = $1");
    CHECK((statements + 3)->starts_with("  101 "));
    CHECK(std::none_of(lines.begin(), lines.end(), [](const std::string& l) { return l.starts_with("  * "); }));

    SUBCASE("a statement the index advisor could not analyze is marked, and memory is not blamed") {
        const std::map<std::string, std::string> not_analyzed = {{"102", "the server could not plan it: boom"}};
        const auto marked = analyzer::check_health(workload, {}, not_analyzed);
        const auto& marked_lines = marked.sections[0].lines;
        const auto first = std::find_if(marked_lines.begin(), marked_lines.end(),
                                        [](const std::string& l) { return l.starts_with("  102 "); });
        REQUIRE(first != marked_lines.end());
        CHECK(contains(*first, "819 bytes *SELECT name FROM customers"));
        CHECK(std::any_of(marked_lines.begin(), marked_lines.end(), [](const std::string& l) {
            return l == "  * the index advisor could not analyze it: an index may still be its fix";
        }));
    }
}

TEST_CASE("check_health: the cache section lists indexes by reads") {
    auto workload = test::healthy_workload();
    analyzer::CatalogIndex pkey;
    pkey.schema = "public";
    pkey.name = "orders_pkey";
    pkey.table_schema = "public";
    pkey.table = "orders";
    pkey.size_bytes = 4LL << 20;
    pkey.idx_blks_hit = 9'000;
    pkey.idx_blks_read = 1'000;
    analyzer::CatalogIndex cold = pkey;
    cold.name = "orders_created_at_idx";
    cold.idx_blks_read = 0;
    workload.indexes = {cold, pkey};
    const auto lines = analyzer::check_health(workload, {}).sections[0].lines;
    const auto heading = std::find(lines.begin(), lines.end(), "Indexes with the most reads:");
    REQUIRE(heading != lines.end());
    REQUIRE(heading + 2 < lines.end());
    CHECK(*(heading + 2) ==
          "  public.orders_pkey                              90.00%         1000     4.0 MB");
    // An index never read from outside the cache is not listed.
    CHECK(std::none_of(lines.begin(), lines.end(), [](const std::string& line) {
        return line.find("orders_created_at_idx") != std::string::npos;
    }));
}

TEST_CASE("check_health reports registered rules at the severities the registry allows") {
    // A workload where every check fires: each finding's rule is registered as reported by
    // analyze, at one of the severities the registry lists for analyze.
    auto workload = test::healthy_workload();
    workload.settings[3] = test::plain_setting("track_io_timing", "off");
    workload.database_stats = {100'000, 900'000, 1LL << 30, 0, 0};
    auto& orders = workload.tables[1];
    orders.size_bytes = 600LL << 20;
    orders.heap_blks_hit = 10'000;
    orders.heap_blks_read = 800'000;
    orders.n_dead_tup = 400'000;
    orders.n_mod_since_analyze = 150'000;
    workload.tables[0].ever_analyzed = false;
    workload.statements[0].shared_blks_read = 800'000;
    workload.statements[0].temp_blks_written = 50'000;
    const auto result = analyzer::check_health(workload, {});
    std::set<std::string> seen;
    for (const Finding& finding : result.findings) {
        seen.emplace(finding.rule_id());
        const analyzer::RuleInfo& rule = analyzer::rule_info(finding.rule);
        CHECK_MESSAGE(rule.severities(analyzer::Command::analyze).contains(finding.severity),
                      finding.rule_id() << " at " << analyzer::to_string(finding.severity));
    }
    CHECK(seen == std::set<std::string>{"database-low-hit-ratio", "many-dead-tuples",
                                        "never-analyzed", "shared-buffers-below-working-set",
                                        "stale-statistics", "statement-low-hit-ratio",
                                        "statement-temp-spill", "table-low-hit-ratio",
                                        "track-io-timing-off"});
}
