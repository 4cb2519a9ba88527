// shared-buffers-below-working-set: shared_buffers is smaller than the tables (and their
// indexes) that take most of the block accesses, and the database is reading.
//
// Rationale: when the hot tables do not fit in shared_buffers, they evict each other and
// every pass over them reads again; the database hit ratio says that it happens, this says
// how much memory the hot data would need.
// PostgreSQL behaviour: shared_buffers is set at server start (a restart is needed to change
// it); the usual starting point is a quarter of the machine's RAM, with the operating
// system's page cache holding much of the rest. Block accesses per table come from
// pg_statio_user_tables (heap and index hits plus reads).
// Known false positives: a hot table that is only scanned sequentially (its scans use a ring
// buffer whatever the size of shared_buffers, until it is under a quarter of it); a machine
// whose page cache holds the working set (reads are then cheap; track_io_timing tells).
#include "analyzer/health/checks.hpp"
#include "util/saturating.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::health {

namespace {

std::int64_t accesses(const CatalogTable& table) {
    return util::saturating_add(table.heap_blks_hit, table.heap_blks_read, table.idx_blks_hit, table.idx_blks_read);
}

} // namespace

void check_shared_buffers(const Context& context, std::vector<Finding>& out) {
    const auto shared_buffers = setting_bytes(context.workload, "shared_buffers");
    if (!shared_buffers) {
        return;
    }
    const DatabaseStats& stats = context.workload.database_stats;
    const auto ratio = hit_ratio(stats.blks_hit, stats.blks_read);
    if (!ratio || *ratio >= k_database_hit_ratio || stats.blks_read < k_database_min_reads) {
        return;
    }

    std::vector<const CatalogTable*> tables;
    std::int64_t total = 0;
    for (const CatalogTable& table : context.workload.tables) {
        if (accesses(table) > 0) {
            tables.push_back(&table);
            total += accesses(table);
        }
    }
    if (total == 0) {
        return;
    }
    std::stable_sort(
        tables.begin(), tables.end(),
        [](const CatalogTable* a, const CatalogTable* b) { return accesses(*a) > accesses(*b); });
    std::int64_t covered = 0;
    std::int64_t working_set = 0;
    std::string hot;
    std::size_t listed = 0;
    for (const CatalogTable* table : tables) {
        if (static_cast<double>(covered) >= k_working_set_share * static_cast<double>(total)) {
            break;
        }
        covered += accesses(*table);
        const std::int64_t bytes = table->size_bytes + index_bytes(context.workload, *table);
        working_set += bytes;
        if (!hot.empty()) {
            hot += ", ";
        }
        hot += fmt::format("{} ({})", qualified_name(table->schema, table->name),
                           format_bytes(static_cast<double>(bytes)));
        if (++listed == k_max_listed) {
            break;
        }
    }
    if (working_set <= *shared_buffers) {
        return;
    }

    Finding finding(RuleId::shared_buffers_below_working_set);
    finding.subject = "shared_buffers";
    finding.object = ObjectRef{"setting", {}, "shared_buffers", {}, {}};
    finding.title = fmt::format("shared_buffers ({}) is smaller than the hot tables and their "
                                "indexes ({})",
                                format_bytes(static_cast<double>(*shared_buffers)),
                                format_bytes(static_cast<double>(working_set)));
    finding.message = fmt::format(
        "The tables that take {} of block accesses, with their indexes, need {}: {}. "
        "shared_buffers holds {}, and the database hit ratio is {}. First create the "
        "recommended indexes (they shrink what is read); if reads remain, raise shared_buffers "
        "towards the working set as far as the machine's RAM allows (a quarter of RAM is the "
        "usual start; a restart is needed).",
        format_percent(static_cast<double>(covered) / static_cast<double>(total)),
        format_bytes(static_cast<double>(working_set)), hot,
        format_bytes(static_cast<double>(*shared_buffers)), format_percent(*ratio));
    finding.evidence.emplace_back("shared_buffers_bytes", *shared_buffers);
    finding.evidence.emplace_back("working_set_bytes", working_set);
    finding.evidence.emplace_back("hot_tables", hot);
    finding.evidence.emplace_back("database_hit_ratio", *ratio);
    finding.rank = 0;
    out.push_back(std::move(finding));
}

} // namespace dbadvise::analyzer::health
