// stale-statistics and never-analyzed: tables whose planner statistics are out of date or
// missing (pg_stat_user_tables n_mod_since_analyze, last_analyze, last_autoanalyze).
//
// Rationale: the planner estimates row counts from pg_statistic and pg_class; after many
// changes the estimates drift and plans go wrong (the misestimates EXPLAIN ANALYZE shows).
// ANALYZE is cheap (it samples 300 x default_statistics_target rows) and fixes it.
// PostgreSQL behaviour: autovacuum analyzes a table once n_mod_since_analyze exceeds
// autovacuum_analyze_threshold (50) + autovacuum_analyze_scale_factor (0.1) x reltuples.
// Twice that scale factor means autovacuum is behind, disabled for the table, or the table
// was loaded moments ago. Autovacuum never analyzes temporary tables, nor partitioned
// parents (only their partitions).
// Known false positives: a bulk load that finished within the last autovacuum_naptime; a
// table that is truncated and refilled constantly (its statistics are always "stale").
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::analyzer::health {

void check_stale_statistics(const Context& context, std::vector<Finding>& out) {
    for (const CatalogTable& table : context.workload.tables) {
        const std::string name = qualified_name(table.schema, table.name);
        const std::int64_t rows =
            std::max(table.n_live_tup, static_cast<std::int64_t>(std::max(table.reltuples, 0.0)));
        if (!table.ever_analyzed) {
            if (rows < k_never_analyzed_min_rows) {
                continue;
            }
            Finding finding(RuleId::never_analyzed);
            finding.subject = name;
        finding.object = ObjectRef{"table", table.schema, table.name, {}, {}};
            finding.title = fmt::format("Table {} ({} rows) has never been analyzed", name, rows);
            finding.message = fmt::format(
                "Neither ANALYZE nor autovacuum has gathered statistics on {}, so the planner "
                "guesses its row counts and value distributions{}. Run ANALYZE on it.",
                name,
                table.kind == 'p' ? " (autovacuum never analyzes a partitioned parent: analyze "
                                    "it by hand after loading)"
                : table.temporary ? " (autovacuum never analyzes temporary tables)"
                                  : "");
            finding.suggestion.sql = fmt::format("ANALYZE {};", name);
            finding.evidence.emplace_back("n_live_tup", table.n_live_tup);
            finding.evidence.emplace_back("n_mod_since_analyze", table.n_mod_since_analyze);
            finding.rank = table_time_weight(context.workload, table);
            out.push_back(std::move(finding));
            continue;
        }
        const double limit = 50.0 + k_stale_fraction * static_cast<double>(rows);
        if (table.n_mod_since_analyze < k_min_modified ||
            static_cast<double>(table.n_mod_since_analyze) <= limit) {
            continue;
        }
        const double share =
            rows > 0 ? static_cast<double>(table.n_mod_since_analyze) / static_cast<double>(rows)
                     : 0.0;
        Finding finding(RuleId::stale_statistics);
        finding.subject = name;
        finding.object = ObjectRef{"table", table.schema, table.name, {}, {}};
        finding.title = fmt::format("Table {}: {} rows modified since the last ANALYZE ({} of "
                                    "its rows)",
                                    name, table.n_mod_since_analyze, format_percent(share));
        finding.message = fmt::format(
            "{} rows of {} changed since its statistics were gathered, more than twice the "
            "share at which autovacuum would analyze it (0.1 by default): autovacuum is behind "
            "or disabled for this table, and the planner's estimates for it are drifting. Run "
            "ANALYZE now, and check autovacuum_analyze_scale_factor for the table if it "
            "happens again.",
            table.n_mod_since_analyze, name);
        finding.suggestion.sql = fmt::format("ANALYZE {};", name);
        finding.evidence.emplace_back("n_live_tup", table.n_live_tup);
        finding.evidence.emplace_back("n_mod_since_analyze", table.n_mod_since_analyze);
        finding.evidence.emplace_back("modified_share", share);
        finding.rank = table_time_weight(context.workload, table);
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::health
