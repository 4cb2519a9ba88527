// table-low-hit-ratio: heap and index hit ratios of the tables with the most reads, from
// pg_statio_user_tables.
//
// Rationale: the database-wide ratio says that reads happen; the per-table ratios say where.
// A table with many reads and a low heap ratio is being scanned (or fetched at random) beyond
// what stays cached; a low index ratio points at an index larger than the cache can hold.
// PostgreSQL behaviour: a sequential scan of a table larger than a quarter of shared_buffers
// reads through a small ring of buffers (256 kB) so that it does not evict the rest of the
// cache; such a table never becomes cached by scanning it, and every scan shows up as reads.
// As for the database, hits are shared-buffer hits only: OS page-cache hits count as reads.
// Known false positives: a table scanned on purpose by reports or batch jobs; counters that
// still hold a one-off bulk load or pg_dump.
#include "analyzer/health/checks.hpp"
#include "util/saturating.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::health {

void check_table_hit_ratio(const Context& context, std::vector<Finding>& out) {
    const auto shared_buffers = setting_bytes(context.workload, "shared_buffers");
    // Only the tables with the most reads: the report names where reads concentrate.
    std::vector<const CatalogTable*> tables;
    for (const CatalogTable& table : context.workload.tables) {
        if (util::saturating_add(table.heap_blks_read, table.idx_blks_read) >= k_min_reads) {
            tables.push_back(&table);
        }
    }
    std::stable_sort(
        tables.begin(), tables.end(), [](const CatalogTable* a, const CatalogTable* b) {
            return util::saturating_add(a->heap_blks_read, a->idx_blks_read) >
                   util::saturating_add(b->heap_blks_read, b->idx_blks_read);
        });
    if (tables.size() > k_max_listed) {
        tables.resize(k_max_listed);
    }

    for (const CatalogTable* table : tables) {
        const auto heap = hit_ratio(table->heap_blks_hit, table->heap_blks_read);
        const auto index = hit_ratio(table->idx_blks_hit, table->idx_blks_read);
        const bool heap_low =
            heap && *heap < k_table_hit_ratio && table->heap_blks_read >= k_min_reads;
        const bool index_low =
            index && *index < k_table_hit_ratio && table->idx_blks_read >= k_min_reads;
        if (!heap_low && !index_low) {
            continue;
        }
        const std::string name = qualified_name(table->schema, table->name);
        // Always info: the statement findings carry the fix; the table view is context.
        Finding finding(RuleId::table_low_hit_ratio);
        finding.subject = name;
        finding.object = ObjectRef{"table", table->schema, table->name, {}, {}};
        const std::int64_t reads = util::saturating_add(table->heap_blks_read, table->idx_blks_read);
        finding.title = fmt::format(
            "Table {}: {} blocks read, heap hit ratio {}, index hit ratio {}", name, reads,
            heap ? format_percent(*heap) : "n/a", index ? format_percent(*index) : "n/a");
        std::string message = fmt::format(
            "{} ({} heap, {} indexes) had {} heap and {} index blocks read from outside "
            "shared_buffers. ",
            name, format_bytes(static_cast<double>(table->size_bytes)),
            format_bytes(static_cast<double>(index_bytes(context.workload, *table))),
            table->heap_blks_read, table->idx_blks_read);
        if (heap_low && shared_buffers && table->size_bytes > *shared_buffers / 4) {
            message += fmt::format(
                "The table is larger than a quarter of shared_buffers ({}), so sequential "
                "scans of it read through a small ring buffer and never stay cached: every "
                "scan reads it again. An index that replaces the scan is the fix; see the "
                "statements on this table.",
                format_bytes(static_cast<double>(*shared_buffers)));
        } else if (heap_low) {
            message += "Its heap pages are evicted between uses: the table's hot rows do not "
                       "fit in shared_buffers next to the rest of the working set.";
        } else {
            message += "Its indexes do not stay cached: check for bloated or unused indexes "
                       "on it, or give the working set more memory.";
        }
        finding.message = std::move(message);
        finding.evidence.emplace_back("heap_blks_hit", table->heap_blks_hit);
        finding.evidence.emplace_back("heap_blks_read", table->heap_blks_read);
        if (heap) {
            finding.evidence.emplace_back("heap_hit_ratio", *heap);
        }
        finding.evidence.emplace_back("idx_blks_hit", table->idx_blks_hit);
        finding.evidence.emplace_back("idx_blks_read", table->idx_blks_read);
        if (index) {
            finding.evidence.emplace_back("index_hit_ratio", *index);
        }
        finding.evidence.emplace_back("table_size_bytes", table->size_bytes);
        finding.rank = table_time_weight(context.workload, *table);
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::health
