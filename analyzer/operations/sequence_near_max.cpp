// sequence-near-max: a sequence that has used most of its range, or of the range of the
// integer column it feeds (a bigint sequence behind an integer column fails at 2^31 - 1).
//
// Rationale: when a sequence reaches its maximum nextval() fails ("reached maximum value of
// sequence"), and when the column is narrower than the sequence the INSERT fails ("integer out
// of range"): every insert into the table stops. Widening an integer column rewrites the table
// under an ACCESS EXCLUSIVE lock, which takes long on a big table, so it is planned early.
// PostgreSQL behaviour: pg_sequence holds the range and pg_sequence_last_value() the last value
// handed out; pg_depend links a serial ('a') or identity ('i') sequence to its column.
// Known false positives: a sequence that cycles (CYCLE) by design; sequences used by several
// tables are charged to the one that owns them.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <limits>

namespace dbadvise::analyzer::operations {

namespace {

// The largest value an integer column type holds; nullopt for other types.
std::optional<std::int64_t> type_max(std::string_view type) {
    if (type == "smallint") return std::numeric_limits<std::int16_t>::max();
    if (type == "integer") return std::numeric_limits<std::int32_t>::max();
    if (type == "bigint") return std::numeric_limits<std::int64_t>::max();
    return std::nullopt;
}

std::optional<std::int64_t> type_min(std::string_view type) {
    if (type == "smallint") return std::numeric_limits<std::int16_t>::min();
    if (type == "integer") return std::numeric_limits<std::int32_t>::min();
    if (type == "bigint") return std::numeric_limits<std::int64_t>::min();
    return std::nullopt;
}

} // namespace

void check_sequence_near_max(const Workload& workload, std::vector<Finding>& out) {
    if (!workload.activity) return;
    for (const SequenceUse& sequence : workload.activity->sequences) {
        if (!sequence.last_value || sequence.increment == 0) continue;
        // The usable range: the sequence's, narrowed by the column it feeds.
        std::int64_t high = sequence.max_value;
        std::int64_t low = sequence.min_value;
        bool column_limits = false;
        if (const auto column_max = type_max(sequence.column_type); column_max && *column_max < high) {
            high = *column_max;
            column_limits = true;
        }
        if (const auto column_min = type_min(sequence.column_type); column_min && *column_min > low) low = *column_min;
        if (high <= low) continue;
        const double range = static_cast<double>(high) - static_cast<double>(low);
        const double used = sequence.increment > 0
                                ? (static_cast<double>(*sequence.last_value) - static_cast<double>(low)) / range
                                : (static_cast<double>(high) - static_cast<double>(*sequence.last_value)) / range;
        if (used < k_sequence_warning_share) continue;
        const std::string name = health::qualified_name(sequence.schema, sequence.name);
        const std::int64_t remaining = sequence.increment > 0 ? high - *sequence.last_value : *sequence.last_value - low;
        Finding finding(RuleId::sequence_near_max);
        finding.severity = used >= k_sequence_error_share ? Severity::error : Severity::warning;
        finding.subject = name;
        const std::string limit_by =
            column_limits ? fmt::format("its column {} ({})", sequence.column, sequence.column_type)
                          : fmt::format("its type {}", sequence.data_type);
        finding.title = fmt::format("Sequence {} has used {:.1f}% of the range of {}: {} values left", name,
                                    used * 100, limit_by, remaining);
        finding.message = fmt::format(
            "Sequence {} is at {} of {} (limited by {}). When it runs out, every INSERT that takes a value from "
            "it fails{}. Widen {} to bigint before then: changing a column's type rewrites the table under an "
            "ACCESS EXCLUSIVE lock, so on a large table plan it (a new bigint column filled in batches, or a "
            "copy with logical replication).",
            name, *sequence.last_value, high, limit_by,
            column_limits ? " with \"integer out of range\"" : " with \"reached maximum value of sequence\"",
            sequence.column.empty() ? std::string("the columns it feeds") : sequence.column);
        if (!sequence.column.empty() && sequence.column_type != "bigint") {
            const auto dot = sequence.column.rfind('.');
            finding.suggestion.sql = fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE bigint;{}",
                                                 sequence.column.substr(0, dot), sequence.column.substr(dot + 1),
                                                 sequence.data_type != "bigint"
                                                     ? fmt::format("\nALTER SEQUENCE {} AS bigint;", name)
                                                     : std::string());
        } else if (sequence.data_type != "bigint") {
            finding.suggestion.sql = fmt::format("ALTER SEQUENCE {} AS bigint;", name);
        }
        finding.evidence.emplace_back("sequence", name);
        finding.evidence.emplace_back("last_value", *sequence.last_value);
        finding.evidence.emplace_back("max_value", high);
        finding.evidence.emplace_back("used_share", used);
        finding.evidence.emplace_back("values_left", remaining);
        finding.evidence.emplace_back("data_type", sequence.data_type);
        if (!sequence.column.empty()) {
            finding.evidence.emplace_back("column", sequence.column);
            finding.evidence.emplace_back("column_type", sequence.column_type);
        }
        out.push_back(std::move(finding));
    }
}

} // namespace dbadvise::analyzer::operations
