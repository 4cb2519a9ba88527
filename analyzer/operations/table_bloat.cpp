// table-bloat: a table whose pages are mostly empty space, by an estimate from the catalog's
// statistics alone (no pgstattuple, no read of the table).
//
// Rationale: VACUUM makes the space of dead rows reusable but does not give it back; after a
// mass DELETE or UPDATE, or while autovacuum lagged, a table keeps its size. Every sequential
// scan reads the empty pages, the cache holds them, backups copy them.
// The estimate: a row takes MAXALIGN(23-byte tuple header + a null bitmap of ceil(columns / 8)
// bytes when a column has nulls) + the row's data + a 4-byte line pointer; the data is the sum
// over columns of pg_stats.avg_width x (1 - null_frac), plus between 0 and the sum over
// columns of their type's alignment minus one for padding, the whole MAXALIGNed (8 bytes).
// A page holds (block_size - 24-byte page header) x fillfactor / 100 bytes of rows, at most
// 291 of them. Expected pages = reltuples / rows per page, once with no padding (the smallest
// size: the most bloat) and once with the most padding (the largest: the least). The finding
// rests on the least: wasted pages = relpages - the largest expected size.
// Error bounds: the range covers alignment padding. Not covered: avg_width and reltuples are
// from a sample (ANALYZE) or the last VACUUM and age with the table; the space of dropped
// columns in old rows, and per-page free space an UPDATE-heavy table keeps for HOT updates
// (which a fillfactor below 100 declares, and is counted), are not modelled. TOAST is not
// counted on either side (avg_width is the in-row width of toasted values).
// Known false positives: a table with statistics older than a large INSERT (reltuples too
// small); the finding gives the statistics' age.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

BloatEstimate estimate_bloat(const TableFootprint& table) {
    const double header = maxalign(23 + (table.nullable ? std::ceil(table.columns / 8.0) : 0));
    const double usable = (table.block_size - 24) * std::clamp(table.fillfactor, 10, 100) / 100.0;
    const auto pages_for = [&](double padding) {
        const double row = header + maxalign(table.data_width + padding) + 4;
        const double per_page = std::clamp(std::floor(usable / row), 1.0, 291.0);
        return std::ceil(std::max(table.reltuples, 0.0) / per_page);
    };
    return bloat_range(header, table.data_width, table.max_padding, table.relpages, pages_for);
}

void check_table_bloat(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    for (const TableFootprint& table : workload.activity->footprints) {
        // A column without statistics has no known width: no estimate.
        if (table.columns == 0 || table.columns_with_stats < table.columns || table.relpages <= 0) continue;
        const BloatEstimate estimate = estimate_bloat(table);
        const double pages = static_cast<double>(table.relpages);
        const double share_low = estimate.wasted_pages_low / pages;
        const double share_high = estimate.wasted_pages_high / pages;
        if (share_low < k_bloat_min_share || estimate.wasted_pages_low < k_bloat_min_pages) continue;
        const std::string name = health::qualified_name(table.schema, table.name);
        const double page_bytes = table.block_size;
        const std::string when = table.analyzed_age_s
                                     ? fmt::format("statistics taken {} ago", format_seconds(*table.analyzed_age_s))
                                     : std::string("statistics of unknown age");
        Finding finding(RuleId::table_bloat);
        finding.severity = share_low >= k_bloat_warning_share ? Severity::warning : Severity::info;
        finding.subject = name;
        finding.object = ObjectRef{"table", table.schema, table.name, {}, {}};
        finding.title = fmt::format("Table {} is {}, of which an estimated {:.0f}-{:.0f}% is empty space ({})", name,
                                    health::format_bytes(pages * page_bytes), share_low * 100, share_high * 100, when);
        finding.message = fmt::format(
            "{} has {} pages for {:.0f} rows of about {:.0f}-{:.0f} bytes each (from pg_stats' average column widths "
            "and null fractions, {}), which should fit in {:.0f}-{:.0f} pages at fillfactor {}: at least {} ({:.0f}%) "
            "is space VACUUM freed but did not give back, which every sequential scan and the cache still carry. "
            "This is an estimate from statistics (the range covers alignment padding; reltuples and widths are from "
            "the last ANALYZE or VACUUM); pgstattuple_approx() measures it. Rewriting the table gives the space "
            "back: VACUUM FULL holds an ACCESS EXCLUSIVE lock for the whole rewrite (at a quiet time), pg_repack "
            "does it online.",
            name, table.relpages, table.reltuples, estimate.row_bytes_low, estimate.row_bytes_high, when,
            estimate.expected_pages_low, estimate.expected_pages_high, table.fillfactor,
            health::format_bytes(estimate.wasted_pages_low * page_bytes), share_low * 100);
        finding.suggestion.sql = fmt::format("VACUUM (FULL, ANALYZE, VERBOSE) {};", name);
        finding.evidence.emplace_back("table", name);
        add_bloat_evidence(finding, estimate, table.relpages, table.reltuples, table.block_size, table.fillfactor,
                           table.analyzed_age_s, "table");
        // Scans of the table read the wasted pages too: its statements' time times the share.
        if (const CatalogTable* known = workload.find_table(table.schema, table.name))
            finding.rank = health::table_time_weight(workload, *known) * share_low;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
