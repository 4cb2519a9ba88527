// Fake workloads for the health-check unit tests: a healthy server that no check reports on,
// and small builders to make one thing unhealthy at a time.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/rule_registry.hpp"
#include "analyzer/workload.hpp"

#include <string>

namespace dbadvise::test {

inline analyzer::Setting memory_setting(std::string name, std::string raw, std::string unit,
                                        std::string display) {
    return analyzer::Setting{std::move(name), std::move(display), std::move(unit), std::move(raw)};
}

inline analyzer::Setting plain_setting(std::string name, std::string value) {
    return analyzer::Setting{std::move(name), value, "", value};
}

inline analyzer::CatalogTable healthy_table(std::string name, std::int64_t rows) {
    analyzer::CatalogTable table;
    table.schema = "public";
    table.name = std::move(name);
    table.reltuples = static_cast<double>(rows);
    table.n_live_tup = rows;
    table.n_dead_tup = rows / 100;
    table.n_mod_since_analyze = rows / 100;
    table.ever_analyzed = true;
    table.size_bytes = rows * 100;
    table.relpages = table.size_bytes / 8192;
    table.heap_blks_hit = 1'000'000;
    table.heap_blks_read = 500;
    table.idx_blks_hit = 2'000'000;
    table.idx_blks_read = 300;
    return table;
}

inline analyzer::WorkloadStatement healthy_statement(std::string queryid, std::string text,
                                                     std::int64_t calls, double total_ms) {
    analyzer::WorkloadStatement statement;
    statement.queryid = std::move(queryid);
    statement.text = std::move(text);
    statement.calls = calls;
    statement.total_ms = total_ms;
    statement.mean_ms = calls > 0 ? total_ms / static_cast<double>(calls) : 0;
    statement.rows = calls;
    statement.shared_blks_hit = calls * 4;
    statement.shared_blks_read = 2;
    return statement;
}

/// A server in good shape: high hit ratios, fresh statistics, few dead tuples, I/O timing on,
/// a working set well inside shared_buffers (128 MB).
inline analyzer::Workload healthy_workload() {
    analyzer::Workload workload;
    workload.server_version_num = 150004;
    workload.server_version = "15.4";
    workload.database = "shop";
    workload.settings = {
        plain_setting("block_size", "8192"),
        memory_setting("shared_buffers", "16384", "8kB", "128MB"),
        memory_setting("work_mem", "4096", "kB", "4MB"),
        plain_setting("track_io_timing", "on"),
    };
    workload.database_stats.blks_hit = 50'000'000;
    workload.database_stats.blks_read = 20'000;
    workload.database_stats.size_bytes = 100LL * 1024 * 1024;
    workload.tables = {healthy_table("customers", 50'000), healthy_table("orders", 200'000)};
    workload.statements = {
        healthy_statement("101", "SELECT * FROM orders WHERE customer_id = $1", 10'000, 900.0),
        healthy_statement("102", "SELECT name FROM customers WHERE id = $1", 20'000, 300.0),
    };
    return workload;
}

/// An index recommendation as the advisor emits it, helping the statement with `queryid`.
inline analyzer::Finding index_recommendation(std::string queryid, std::string sql) {
    analyzer::Finding finding(analyzer::RuleId::missing_index);
    finding.title = "Create an index";
    finding.subject = sql;
    finding.suggestion.sql = std::move(sql);
    finding.evidence.emplace_back("queryids", queryid);
    return finding;
}

} // namespace dbadvise::test
