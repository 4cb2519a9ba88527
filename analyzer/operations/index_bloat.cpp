// index-bloat: a btree index whose pages are mostly empty space, by an estimate from the
// catalog's statistics alone (no pgstattuple, no read of the index).
//
// Rationale: VACUUM removes dead index entries but gives a btree page back only once it is
// entirely empty; after a mass DELETE or UPDATE, or when keys arrive in an order that splits
// pages, an index keeps its size. Every index scan walks the sparse leaf pages, the cache holds
// them, and every write of the table maintains the index. REINDEX INDEX CONCURRENTLY rebuilds
// it without blocking writes.
// The estimate (the one PostgreSQL tools have long used for btrees): an entry takes an 8-byte
// IndexTupleData header (16 with the null bitmap, MAXALIGNed, when a column has nulls) +
// MAXALIGN(data) + a 4-byte line pointer; data is the sum over the key and INCLUDE columns of
// pg_stats.avg_width x (1 - null_frac), plus between 0 and the alignment padding of the columns
// after the first (the first starts aligned). A leaf page holds (block_size - 24-byte page header
// - 16-byte btree special space) x fillfactor / 100 bytes of entries (a build fills leaves to the
// fillfactor, 90 by default). Expected pages = leaves + the levels above them (one pivot per
// page below, at the 70% a build leaves in upper pages) + the metapage, once without padding
// and once with the most. The finding rests on the larger: wasted pages = relpages - it.
// Error bounds: the range covers alignment padding. Not covered: avg_width and reltuples are
// from a sample (ANALYZE) or the last VACUUM; deduplication (PostgreSQL 13+) stores repeated keys
// once, so an index of many duplicates is smaller than estimated and its bloat understated; keys
// whose width differs from the column's average (a partial index) shift the estimate either way.
// Known false positives: statistics older than a large load (reltuples too small); the finding
// gives their age.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

namespace {

// "16-24", or "16" when the range is one value.
std::string range(double low, double high, std::string_view suffix = "") {
    return low == high ? fmt::format("{:.0f}{}", low, suffix) : fmt::format("{:.0f}-{:.0f}{}", low, high, suffix);
}

} // namespace

BloatEstimate estimate_index_bloat(const IndexFootprint& index) {
    const double header = index.nullable ? 16 : 8;
    const double page = index.block_size - 24 - 16;
    const double leaf_space = page * std::clamp(index.fillfactor, 10, 100) / 100.0;
    const double upper_space = page * 0.7;
    const auto pages_for = [&](double padding) {
        const double entry = header + maxalign(index.data_width + padding) + 4;
        const double leaves = std::ceil(std::max(index.reltuples, 0.0) / std::max(std::floor(leaf_space / entry), 1.0));
        // Each level above holds one pivot per page of the level below, until one root page.
        double pages = leaves;
        const double fanout = std::max(std::floor(upper_space / entry), 2.0);
        for (double level = leaves; level > 1;) {
            level = std::ceil(level / fanout);
            pages += level;
        }
        return pages + 1; // the metapage
    };
    return bloat_range(header, index.data_width, index.max_padding, index.relpages, pages_for);
}

void check_index_bloat(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    for (const IndexFootprint& index : workload.activity->index_footprints) {
        // A column without statistics has no known width: no estimate.
        if (index.columns == 0 || index.columns_with_stats < index.columns || index.relpages <= 0) continue;
        const BloatEstimate estimate = estimate_index_bloat(index);
        const double pages = static_cast<double>(index.relpages);
        const double share_low = estimate.wasted_pages_low / pages;
        const double share_high = estimate.wasted_pages_high / pages;
        if (share_low < k_index_bloat_min_share || estimate.wasted_pages_low < k_index_bloat_min_pages) continue;
        const double page_bytes = index.block_size;
        const double wasted_bytes = estimate.wasted_pages_low * page_bytes;
        const std::string name = health::qualified_name(index.schema, index.name);
        const std::string table = health::qualified_name(index.table_schema, index.table);
        const std::string when = index.analyzed_age_s
                                     ? fmt::format("statistics taken {} ago", format_seconds(*index.analyzed_age_s))
                                     : std::string("statistics of unknown age");
        Finding finding(RuleId::index_bloat);
        finding.severity = share_low >= k_index_bloat_warning_share || wasted_bytes >= k_index_bloat_warning_bytes
                               ? Severity::warning
                               : Severity::info;
        finding.subject = name;
        finding.object = ObjectRef{"index", index.schema, index.name, index.table, {}};
        finding.title = fmt::format("Index {} on {} is {}, of which an estimated {} is empty space ({})", name, table,
                                    health::format_bytes(pages * page_bytes),
                                    range(std::round(share_low * 100), std::round(share_high * 100), "%"), when);
        finding.message = fmt::format(
            "{} has {} pages for {:.0f} entries of about {} bytes each (from pg_stats' average widths "
            "and null fractions of its columns, {}), which a fresh build at fillfactor {} fits in {} "
            "pages: at least {} ({:.0f}%) is space VACUUM cannot give back (a btree page is freed only once "
            "empty), which index scans walk, the cache holds and every write of {} maintains. This is an "
            "estimate from statistics (the range covers alignment padding; deduplication makes an index of "
            "repeated keys smaller than estimated); pgstatindex() measures it. REINDEX INDEX CONCURRENTLY "
            "rebuilds it without blocking reads or writes (it needs the index's size again in free disk space "
            "while it runs).",
            name, index.relpages, index.reltuples, range(estimate.row_bytes_low, estimate.row_bytes_high), when,
            index.fillfactor, range(estimate.expected_pages_low, estimate.expected_pages_high),
            health::format_bytes(wasted_bytes), share_low * 100, table);
        finding.suggestion.sql = fmt::format("REINDEX INDEX CONCURRENTLY {};", name);
        finding.evidence.emplace_back("index", name);
        finding.evidence.emplace_back("table", table);
        add_bloat_evidence(finding, estimate, index.relpages, index.reltuples, index.block_size, index.fillfactor,
                           index.analyzed_age_s, "index");
        // Scans through the index walk the wasted pages: its table's statements' time times the share.
        if (const CatalogTable* known = workload.find_table(index.table_schema, index.table))
            finding.rank = health::table_time_weight(workload, *known) * share_low;
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
