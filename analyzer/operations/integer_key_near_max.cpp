// integer-key-near-max: a smallint or integer primary or unique key that no owned sequence or
// identity feeds (the application, another table's sequence or a bulk load picks its values),
// whose largest value in the statistics is past most of its type's range.
//
// Rationale: such a key fails with "integer out of range" (or "smallint out of range") once
// the application needs a value past the type's maximum, and every insert of a new key stops.
// sequence-near-max does not see it: no sequence of its own tells how far it is. Widening the
// column rewrites the table (and the referencing columns must follow), which takes long on a
// big table, so it is planned early.
// PostgreSQL behaviour: pg_stats.histogram_bounds and most_common_vals hold values ANALYZE
// sampled from the column; their extremes are a lower bound of the column's true extremes
// (the sample may miss the largest value, and rows written since are not in it). dbadvise
// never reads the table itself.
// Known false positives: a key whose values are assigned from the top of the range on purpose,
// or that is never extended (a fixed code list); descending keys are counted from the bottom.
// Misses: keys past the threshold that the sample did not reach, and statistics older than
// the growth (the finding says when they were taken).
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace dbadvise::analyzer::operations {

void check_integer_key_near_max(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    for (const IntegerKey& key : workload.activity->integer_keys) {
        if (!key.max_value || !key.min_value) continue;
        const bool small = key.type == "smallint";
        const double high = small ? std::numeric_limits<std::int16_t>::max() : std::numeric_limits<std::int32_t>::max();
        const double low = small ? std::numeric_limits<std::int16_t>::min() : std::numeric_limits<std::int32_t>::min();
        const double up = std::max(static_cast<double>(*key.max_value), 0.0) / high;
        const double down = std::min(static_cast<double>(*key.min_value), 0.0) / low;
        const double used = std::max(up, down);
        if (used < k_sequence_warning_share) continue;
        const bool top = up >= down;
        const std::int64_t extreme = top ? *key.max_value : *key.min_value;
        const std::string table = health::qualified_name(key.schema, key.table);
        const std::string column = quote_identifier(key.column);
        const std::string when = key.analyzed_age_s
                                     ? fmt::format("statistics taken {} ago", format_seconds(*key.analyzed_age_s))
                                     : std::string("statistics of unknown age");
        Finding finding(RuleId::integer_key_near_max);
        finding.severity = used >= k_sequence_error_share ? Severity::error : Severity::warning;
        finding.subject = table + "." + column;
        finding.object = ObjectRef{"table", key.schema, key.table, {}, {}};
        finding.title = fmt::format("Key {}.{} ({}) has reached about {:.1f}% of its type's {} (estimated from {})",
                                    table, column, key.type, used * 100, top ? "maximum" : "minimum", when);
        finding.message = fmt::format(
            "The {} key {}.{} (index {}) takes its values from no sequence of its own, so sequence-near-max cannot "
            "see it. The {} value in its statistics is {} of {:.0f}: an estimate, from the sample ANALYZE took "
            "({}); the true value can be further along, since the sample may miss it and rows were written since. "
            "Once a new key passes {:.0f}, every INSERT of one fails with \"{} out of range\". Check the exact "
            "value (the first statement of the suggestion, an index lookup) and widen the column to bigint, with "
            "the columns of foreign keys that reference it: changing a column's type rewrites the table under an "
            "ACCESS EXCLUSIVE lock, so on a large table plan it.",
            key.type, table, column, quote_identifier(key.index), top ? "largest" : "smallest", extreme,
            top ? high : low, when, top ? high : low, key.type);
        finding.suggestion.sql = fmt::format("SELECT {}({}) FROM {};\nALTER TABLE {} ALTER COLUMN {} TYPE bigint;",
                                             top ? "max" : "min", column, table, table, column);
        finding.evidence.emplace_back("table", table);
        finding.evidence.emplace_back("column", key.column);
        finding.evidence.emplace_back("type", key.type);
        finding.evidence.emplace_back("index", key.index);
        finding.evidence.emplace_back(top ? "max_value_in_statistics" : "min_value_in_statistics", extreme);
        finding.evidence.emplace_back("used_share", used);
        if (key.analyzed_age_s) finding.evidence.emplace_back("statistics_age_s", *key.analyzed_age_s);
        finding.evidence.emplace_back("estimate", std::string("from pg_stats histogram_bounds and most_common_vals"));
        if (const CatalogTable* known = workload.find_table(key.schema, key.table))
            finding.rank = health::table_time_weight(workload, *known);
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
