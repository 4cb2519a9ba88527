// The "Cache and health" section of the analyze report: the numbers behind the cache
// findings, shown even when nothing is wrong, so a reader sees how the cache is doing.
#include "analyzer/health/checks.hpp"
#include "util/saturating.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <tuple>

namespace dbadvise::analyzer::health {

namespace {

std::string ratio_text(std::optional<double> ratio) {
    return ratio ? format_percent(*ratio) : std::string("n/a");
}

void database_lines(const Context& context, std::vector<std::string>& lines) {
    const DatabaseStats& stats = context.workload.database_stats;
    const auto ratio = hit_ratio(stats.blks_hit, stats.blks_read);
    std::string line =
        fmt::format("Database {}: buffer hit ratio {} ({} hits, {} reads)",
                    context.workload.database.empty() ? "(current)" : context.workload.database,
                    ratio_text(ratio), stats.blks_hit, stats.blks_read);
    if (const auto shared_buffers = setting_bytes(context.workload, "shared_buffers")) {
        line +=
            fmt::format("; shared_buffers {}", format_bytes(static_cast<double>(*shared_buffers)));
    }
    if (stats.size_bytes > 0) {
        line +=
            fmt::format("; database size {}", format_bytes(static_cast<double>(stats.size_bytes)));
    }
    lines.push_back(std::move(line));
    lines.emplace_back("  (hits are shared_buffers hits only: blocks served by the OS page cache "
                       "count as reads)");

    std::string settings;
    if (const Setting* timing = find_setting(context.workload, "track_io_timing")) {
        settings += fmt::format("track_io_timing {}",
                                timing->setting.empty() ? timing->value : timing->setting);
    }
    if (const auto work_mem = setting_bytes(context.workload, "work_mem")) {
        settings += fmt::format("{}work_mem {}", settings.empty() ? "" : "; ",
                                format_bytes(static_cast<double>(*work_mem)));
    }
    if (stats.temp_files > 0) {
        settings +=
            fmt::format("{}temp files {} ({})", settings.empty() ? "" : "; ", stats.temp_files,
                        format_bytes(static_cast<double>(stats.temp_bytes)));
    }
    if (!settings.empty()) {
        lines.push_back("Settings: " + settings);
    }
}

void table_lines(const Context& context, std::vector<std::string>& lines) {
    std::vector<const CatalogTable*> tables;
    for (const CatalogTable& table : context.workload.tables) {
        if (util::saturating_add(table.heap_blks_read, table.idx_blks_read) > 0) {
            tables.push_back(&table);
        }
    }
    if (tables.empty()) {
        return;
    }
    std::stable_sort(tables.begin(), tables.end(),
                     [](const CatalogTable* a, const CatalogTable* b) {
                         const auto reads_a = util::saturating_add(a->heap_blks_read, a->idx_blks_read);
                         const auto reads_b = util::saturating_add(b->heap_blks_read, b->idx_blks_read);
                         if (reads_a != reads_b) {
                             return reads_a > reads_b;
                         }
                         return std::tie(a->schema, a->name) < std::tie(b->schema, b->name);
                     });
    if (tables.size() > k_max_listed) {
        tables.resize(k_max_listed);
    }
    lines.emplace_back("Tables with the most reads:");
    lines.push_back(fmt::format("  {:<32} {:>9} {:>12} {:>9} {:>12} {:>10}", "table", "heap hit",
                                "heap reads", "idx hit", "idx reads", "size"));
    for (const CatalogTable* table : tables) {
        lines.push_back(fmt::format(
            "  {:<32} {:>9} {:>12} {:>9} {:>12} {:>10}", qualified_name(table->schema, table->name),
            ratio_text(hit_ratio(table->heap_blks_hit, table->heap_blks_read)),
            table->heap_blks_read, ratio_text(hit_ratio(table->idx_blks_hit, table->idx_blks_read)),
            table->idx_blks_read, format_bytes(static_cast<double>(table->size_bytes))));
    }
}

// pg_statio_user_indexes: which indexes are read from outside the cache. An index that is
// large and read a lot is either the working set (it deserves the memory) or bloated.
void index_lines(const Context& context, std::vector<std::string>& lines) {
    std::vector<const CatalogIndex*> indexes;
    for (const CatalogIndex& index : context.workload.indexes) {
        if (index.idx_blks_read > 0) {
            indexes.push_back(&index);
        }
    }
    if (indexes.empty()) {
        return;
    }
    std::stable_sort(indexes.begin(), indexes.end(),
                     [](const CatalogIndex* a, const CatalogIndex* b) {
                         if (a->idx_blks_read != b->idx_blks_read) {
                             return a->idx_blks_read > b->idx_blks_read;
                         }
                         return std::tie(a->schema, a->name) < std::tie(b->schema, b->name);
                     });
    if (indexes.size() > k_max_listed) {
        indexes.resize(k_max_listed);
    }
    lines.emplace_back("Indexes with the most reads:");
    lines.push_back(
        fmt::format("  {:<44} {:>9} {:>12} {:>10}", "index", "hit ratio", "reads", "size"));
    for (const CatalogIndex* index : indexes) {
        lines.push_back(fmt::format(
            "  {:<44} {:>9} {:>12} {:>10}", qualified_name(index->schema, index->name),
            ratio_text(hit_ratio(index->idx_blks_hit, index->idx_blks_read)), index->idx_blks_read,
            format_bytes(static_cast<double>(index->size_bytes))));
    }
}

void statement_lines(const Context& context, std::vector<std::string>& lines) {
    std::vector<const WorkloadStatement*> statements;
    for (const WorkloadStatement& statement : context.workload.statements) {
        if (statement.shared_blks_read > 0 || statement.temp_blks_written > 0) {
            statements.push_back(&statement);
        }
    }
    if (statements.empty()) {
        return;
    }
    std::stable_sort(statements.begin(), statements.end(),
                     [](const WorkloadStatement* a, const WorkloadStatement* b) {
                         if (a->shared_blks_read != b->shared_blks_read) {
                             return a->shared_blks_read > b->shared_blks_read;
                         }
                         if (a->temp_blks_written != b->temp_blks_written) {
                             return a->temp_blks_written > b->temp_blks_written;
                         }
                         return a->queryid < b->queryid;
                     });
    if (statements.size() > k_max_listed) {
        statements.resize(k_max_listed);
    }
    lines.emplace_back("Statements with the most reads:");
    bool marked = false;
    lines.push_back(fmt::format("  {:<20} {:>9} {:>12} {:>11}  {}", "queryid", "hit ratio",
                                "reads/call", "temp/call", "statement"));
    for (const WorkloadStatement* statement : statements) {
        const double calls = statement->calls > 0 ? static_cast<double>(statement->calls) : 1.0;
        const bool analyzed = context.not_analyzed_reason(*statement) == nullptr;
        lines.push_back(fmt::format(
            "  {:<20} {:>9} {:>12.1f} {:>11} {}{}", statement->queryid,
            ratio_text(hit_ratio(statement->shared_blks_hit, statement->shared_blks_read)),
            static_cast<double>(statement->shared_blks_read) / calls,
            format_bytes(static_cast<double>(statement->temp_blks_written) *
                         static_cast<double>(context.block_size) / calls),
            analyzed ? " " : "*", excerpt(statement->text, 60)));
        marked = marked || !analyzed;
    }
    if (marked) {
        lines.emplace_back("  * the index advisor could not analyze it: an index may still be its fix");
    }
}

} // namespace

ReportSection cache_section(const Context& context) {
    ReportSection section;
    section.title = "Cache and health";
    section.category = Category::cache;
    database_lines(context, section.lines);
    table_lines(context, section.lines);
    index_lines(context, section.lines);
    statement_lines(context, section.lines);
    return section;
}

} // namespace dbadvise::analyzer::health
