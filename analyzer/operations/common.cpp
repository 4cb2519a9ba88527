// Helpers shared by the checks of analyzer/operations/.
#include "analyzer/operations/checks.hpp"
#include "analyzer/health/checks.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace dbadvise::analyzer::operations {

double rows_per_call(const WorkloadStatement& statement) {
    return statement.calls > 0 ? static_cast<double>(statement.rows) / static_cast<double>(statement.calls) : 0.0;
}

std::optional<std::int64_t> setting_int(const Workload& workload, std::string_view name) {
    const Setting* setting = workload.find_setting(name);
    if (setting == nullptr) return std::nullopt;
    const std::string& text = setting->setting.empty() ? setting->value : setting->setting;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

const WorkloadStatement* statement_by_queryid(const Workload& workload, std::string_view queryid) {
    if (queryid.empty()) return nullptr;
    for (const WorkloadStatement& statement : workload.statements)
        if (statement.queryid == queryid) return &statement;
    return nullptr;
}

double maxalign(double bytes) { return std::ceil(bytes / 8) * 8; }

BloatEstimate bloat_range(double header, double data_width, double max_padding, std::int64_t relpages,
                          const std::function<double(double)>& pages_for) {
    BloatEstimate estimate;
    estimate.row_bytes_low = header + maxalign(data_width);
    estimate.row_bytes_high = header + maxalign(data_width + max_padding);
    estimate.expected_pages_low = pages_for(0);
    estimate.expected_pages_high = pages_for(max_padding);
    const double pages = static_cast<double>(relpages);
    estimate.wasted_pages_low = std::max(pages - estimate.expected_pages_high, 0.0);
    estimate.wasted_pages_high = std::max(pages - estimate.expected_pages_low, 0.0);
    return estimate;
}

void add_bloat_evidence(Finding& finding, const BloatEstimate& estimate, std::int64_t relpages, double reltuples,
                        int block_size, int fillfactor, std::optional<double> statistics_age_s,
                        std::string_view relation) {
    const double pages = static_cast<double>(relpages);
    finding.evidence.emplace_back("relpages", relpages);
    finding.evidence.emplace_back("reltuples", reltuples);
    finding.evidence.emplace_back("expected_pages_low", estimate.expected_pages_low);
    finding.evidence.emplace_back("expected_pages_high", estimate.expected_pages_high);
    finding.evidence.emplace_back("wasted_bytes_low", static_cast<std::int64_t>(estimate.wasted_pages_low * block_size));
    finding.evidence.emplace_back("wasted_bytes_high",
                                  static_cast<std::int64_t>(estimate.wasted_pages_high * block_size));
    finding.evidence.emplace_back("wasted_share_low", estimate.wasted_pages_low / pages);
    finding.evidence.emplace_back("wasted_share_high", estimate.wasted_pages_high / pages);
    finding.evidence.emplace_back("fillfactor", static_cast<std::int64_t>(fillfactor));
    if (statistics_age_s) finding.evidence.emplace_back("statistics_age_s", *statistics_age_s);
    finding.evidence.emplace_back("estimate", fmt::format("from pg_class and pg_stats; no {} read", relation));
}

std::string describe_session(const ClientSession& session) {
    std::string who = session.user.empty() ? std::string("unknown user") : session.user;
    if (!session.application.empty()) who += ", application " + session.application;
    if (!session.database.empty()) who += ", database " + session.database;
    return fmt::format("pid {} ({})", session.pid, who);
}

std::string format_seconds(double seconds) {
    if (seconds < 120) return fmt::format("{:.1f} s", seconds);
    if (seconds < 7'200) return fmt::format("{:.1f} min", seconds / 60);
    if (seconds < 172'800) return fmt::format("{:.1f} h", seconds / 3'600);
    return fmt::format("{:.1f} days", seconds / 86'400);
}

int pool_size(const ServerActivity& activity) {
    double mean_active = 0;
    if (activity.session_counters && activity.session_counters->window_s > 0)
        mean_active = activity.session_counters->active_time_ms / (activity.session_counters->window_s * 1'000.0);
    const auto active_now = std::ranges::count(activity.sessions, std::string("active"), &ClientSession::state);
    const double size = std::max({2.0, std::ceil(2 * mean_active), static_cast<double>(active_now)});
    return static_cast<int>(size);
}

void report_id_ages(const Workload& workload, const std::vector<FreezeAge>& tables,
                    const std::vector<FreezeAge>& databases,
                    const std::function<Finding(const FreezeAge&, bool table)>& make, std::vector<Finding>& out) {
    bool table_reported = false;
    for (const FreezeAge& table : tables) {
        if (table.freeze_max_age <= 0 || table.age < table.freeze_max_age) continue;
        Finding finding = make(table, true);
        // A table's writes stop with the rest: rank it by the time of the statements on it.
        if (const CatalogTable* known = workload.find_table(table.schema, table.name))
            finding.rank = health::table_time_weight(workload, *known);
        out.push_back(std::move(finding));
        table_reported = true;
    }
    // The current database's age is its oldest table's, reported above.
    for (const FreezeAge& database : databases) {
        if (database.freeze_max_age <= 0 || database.age < database.freeze_max_age) continue;
        if (database.name == workload.database && table_reported) continue;
        out.push_back(make(database, false));
    }
}

} // namespace dbadvise::analyzer::operations
