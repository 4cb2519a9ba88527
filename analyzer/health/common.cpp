// Helpers shared by the health checks: ratios, setting values in bytes, formatting, quoting,
// and tying a statement to the index recommendation that serves it.
#include "analyzer/health/checks.hpp"
#include "util/saturating.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace dbadvise::analyzer::health {

const std::string* Context::not_analyzed_reason(const WorkloadStatement& statement) const {
    if (!not_analyzed) {
        return nullptr;
    }
    const auto it = not_analyzed->find(statement.queryid);
    return it == not_analyzed->end() ? nullptr : &it->second;
}

Context make_context(const Workload& workload, const std::vector<Finding>& recommendations,
                     const std::map<std::string, std::string>* not_analyzed) {
    Context context{workload, recommendations};
    context.not_analyzed = not_analyzed;
    // block_size is fixed when PostgreSQL is compiled (8192 unless built otherwise); the
    // *_blks_* counters are in these blocks, so the byte figures follow it.
    if (const Setting* block = find_setting(workload, "block_size")) {
        std::int64_t value = 0;
        const auto* end = block->setting.data() + block->setting.size();
        if (std::from_chars(block->setting.data(), end, value).ec == std::errc{} && value > 0) {
            context.block_size = value;
        }
    }
    return context;
}

std::optional<double> hit_ratio(std::int64_t hit, std::int64_t read) {
    const std::int64_t total = util::saturating_add(hit, read);
    if (total <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(hit) / static_cast<double>(total);
}

const Setting* find_setting(const Workload& workload, std::string_view name) {
    for (const Setting& setting : workload.settings) {
        if (setting.name == name) {
            return &setting;
        }
    }
    return nullptr;
}

namespace {

// Bytes per unit for pg_settings' memory units and the suffixes of SHOW output.
std::optional<std::int64_t> unit_bytes(std::string_view unit) {
    if (unit == "B")
        return 1;
    if (unit == "kB")
        return 1024;
    if (unit == "MB")
        return std::int64_t{1024} * 1024;
    if (unit == "GB")
        return std::int64_t{1024} * 1024 * 1024;
    if (unit == "TB")
        return std::int64_t{1024} * 1024 * 1024 * 1024;
    return std::nullopt;
}

// "8kB" -> 8192, "kB" -> 1024, "MB" -> 1048576; nullopt for "ms", "s" or "".
std::optional<std::int64_t> parse_unit(std::string_view unit) {
    std::int64_t multiplier = 1;
    std::size_t digits = 0;
    while (digits < unit.size() && std::isdigit(static_cast<unsigned char>(unit[digits]))) {
        ++digits;
    }
    if (digits > 0) {
        std::from_chars(unit.data(), unit.data() + digits, multiplier);
    }
    const auto bytes = unit_bytes(unit.substr(digits));
    if (!bytes) {
        return std::nullopt;
    }
    return multiplier * *bytes;
}

std::optional<std::int64_t> parse_amount(std::string_view number, std::int64_t multiplier) {
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || ptr != number.data() + number.size() || value < 0) {
        return std::nullopt;
    }
    return value * multiplier;
}

} // namespace

std::optional<std::int64_t> setting_bytes(const Workload& workload, std::string_view name) {
    const Setting* setting = find_setting(workload, name);
    if (setting == nullptr) {
        return std::nullopt;
    }
    if (!setting->unit.empty() && !setting->setting.empty()) {
        if (const auto unit = parse_unit(setting->unit)) {
            return parse_amount(setting->setting, *unit);
        }
        return std::nullopt;
    }
    // Display form such as "128MB": digits, then a unit.
    const std::string_view value = setting->value;
    std::size_t digits = 0;
    while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) {
        ++digits;
    }
    if (digits == 0) {
        return std::nullopt;
    }
    const auto unit = unit_bytes(value.substr(digits));
    if (!unit) {
        return std::nullopt;
    }
    return parse_amount(value.substr(0, digits), *unit);
}

std::string format_bytes(double bytes) {
    constexpr std::array<std::string_view, 5> k_units{"bytes", "kB", "MB", "GB", "TB"};
    std::size_t unit = 0;
    while (bytes >= 1024.0 && unit + 1 < k_units.size()) {
        bytes /= 1024.0;
        ++unit;
    }
    if (unit == 0) {
        return fmt::format("{:.0f} bytes", bytes);
    }
    return fmt::format("{:.1f} {}", bytes, k_units[unit]);
}

std::string format_percent(double ratio) {
    return fmt::format("{:.2f}%", ratio * 100.0);
}

std::string work_mem_value(double bytes) {
    std::int64_t megabytes = 1;
    while (static_cast<double>(megabytes) * 1024.0 * 1024.0 < bytes &&
           megabytes < (std::int64_t{1} << 40)) {
        megabytes *= 2;
    }
    if (megabytes >= 1024 && megabytes % 1024 == 0) {
        return fmt::format("{}GB", megabytes / 1024);
    }
    return fmt::format("{}MB", megabytes);
}

std::string qualified_name(std::string_view schema, std::string_view name) {
    if (schema.empty()) {
        return quote_identifier(name);
    }
    return quote_identifier(schema) + "." + quote_identifier(name);
}

double table_time_weight(const Workload& workload, const CatalogTable& table) {
    double total = 0;
    for (const WorkloadStatement& statement : workload.statements) {
        if (mentions_identifier(statement.text, table.name)) {
            total += statement.total_ms;
        }
    }
    return total;
}

namespace {

bool lists_statement(const EvidenceValue& value, const WorkloadStatement& statement) {
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
        return !statement.queryid.empty() && std::to_string(*number) == statement.queryid;
    }
    const auto* text = std::get_if<std::string>(&value);
    if (text == nullptr) {
        return false;
    }
    if (*text == statement.text) {
        return true;
    }
    if (statement.queryid.empty()) {
        return false;
    }
    // The index advisor's lines, "queryid 123: 120 calls, ...": only the number after the word
    // counts. Otherwise a list of query ids: "123, -456" or a JSON-like "[123,-456]".
    const std::string_view list = *text;
    const bool labelled = list.find("queryid") != std::string_view::npos;
    std::size_t i = 0;
    while (i < list.size()) {
        const auto is_id_char = [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
        };
        if (!is_id_char(list[i])) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < list.size() && is_id_char(list[j])) {
            ++j;
        }
        const bool counts = !labelled || (i >= 8 && list.substr(i - 8, 8) == "queryid ");
        if (counts && list.substr(i, j - i) == statement.queryid) {
            return true;
        }
        i = j;
    }
    return false;
}

} // namespace

const Finding* recommendation_for(const std::vector<Finding>& recommendations,
                                  const WorkloadStatement& statement) {
    for (const Finding& recommendation : recommendations) {
        if (recommendation.category() != Category::index) {
            continue;
        }
        if (recommendation.query) {
            const QueryRef& query = *recommendation.query;
            if ((!statement.queryid.empty() && query.queryid == statement.queryid) ||
                (!statement.text.empty() && query.text == statement.text)) {
                return &recommendation;
            }
        }
        for (const auto& [key, value] : recommendation.evidence) {
            if (lists_statement(value, statement)) {
                return &recommendation;
            }
        }
    }
    return nullptr;
}

std::string recommendation_summary(const Finding& recommendation) {
    const std::string& sql = recommendation.suggestion.sql;
    if (sql.empty()) {
        return recommendation.title;
    }
    const auto newline = sql.find('\n');
    return newline == std::string::npos ? sql : sql.substr(0, newline);
}



std::int64_t index_bytes(const Workload& workload, const CatalogTable& table) {
    std::int64_t total = 0;
    for (const CatalogIndex& index : workload.indexes) {
        if (index.table == table.name && index.table_schema == table.schema) {
            total += index.size_bytes;
        }
    }
    return total;
}

double vacuum_trigger(const VacuumState& table) {
    return static_cast<double>(table.vacuum_threshold) + table.vacuum_scale_factor * std::max(table.reltuples, 0.0);
}

VacuumLag vacuum_lag(const Workload& workload, const VacuumState& table) {
    if (table.n_dead_tup < k_lag_min_dead ||
        static_cast<double>(table.n_dead_tup) < k_lag_trigger_factor * vacuum_trigger(table))
        return VacuumLag::none;
    if (const Setting* autovacuum = find_setting(workload, "autovacuum");
        autovacuum && (autovacuum->setting == "off" || autovacuum->value == "off"))
        return VacuumLag::server_disabled;
    if (!table.table_autovacuum) return VacuumLag::table_disabled;
    // Never vacuumed within the statistics window: behind only when that window is long enough.
    const double since = table.vacuumed_age_s.value_or(workload.activity ? workload.activity->stats_window_s : 0);
    return since >= k_lag_min_s ? VacuumLag::behind : VacuumLag::none;
}

const VacuumState* lagging_table(const Workload& workload, std::string_view schema, std::string_view name) {
    if (!workload.activity) return nullptr;
    for (const VacuumState& table : workload.activity->vacuum)
        if (table.schema == schema && table.name == name)
            return vacuum_lag(workload, table) == VacuumLag::none ? nullptr : &table;
    return nullptr;
}

} // namespace dbadvise::analyzer::health
