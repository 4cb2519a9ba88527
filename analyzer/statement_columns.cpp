#include "analyzer/statement_columns.hpp"

#include "sqlparse/parser.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace dbadvise::analyzer {

namespace {

const StatValue* value_of(const WorkloadStatement& statement,
                          const std::vector<StatementColumn>& columns, std::string_view name) {
    const int at = column_index(columns, name);
    if (at < 0 || static_cast<std::size_t>(at) >= statement.values.size())
        return nullptr;
    const StatValue& value = statement.values[static_cast<std::size_t>(at)];
    return std::holds_alternative<std::monostate>(value) ? nullptr : &value;
}

std::optional<double> number_of(const StatValue* value) {
    if (value == nullptr)
        return std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(value))
        return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(value))
        return *d;
    return std::nullopt;
}

std::int64_t integer_of(const StatValue* value) {
    if (value == nullptr)
        return 0;
    if (const auto* i = std::get_if<std::int64_t>(value))
        return *i;
    if (const auto* d = std::get_if<double>(value))
        return static_cast<std::int64_t>(*d);
    return 0;
}

} // namespace

ValueKind value_kind(std::string_view type) {
    // format_type() may add a type modifier: numeric(20,0).
    const std::string_view base = type.substr(0, type.find('('));
    if (base == "boolean" || base == "bool")
        return ValueKind::boolean;
    if (base == "bigint" || base == "integer" || base == "smallint" || base == "oid" ||
        base == "int8" || base == "int4" || base == "int2")
        return ValueKind::integer;
    if (base == "double precision" || base == "real" || base == "numeric" || base == "float8" ||
        base == "float4")
        return ValueKind::number;
    return ValueKind::text;
}

StatValue stat_value_from_text(std::string_view type, std::string_view text) {
    const char* first = text.data();
    const char* last = text.data() + text.size();
    switch (value_kind(type)) {
    case ValueKind::boolean:
        if (text == "t" || text == "true")
            return true;
        if (text == "f" || text == "false")
            return false;
        break;
    case ValueKind::integer: {
        std::int64_t value = 0;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error == std::errc() && end == last && !text.empty())
            return value;
        break;
    }
    case ValueKind::number: {
        double value = 0;
        const auto [end, error] = std::from_chars(first, last, value);
        // NaN and Infinity stay text: JSON has no such numbers.
        if (error == std::errc() && end == last && !text.empty() && std::isfinite(value))
            return value;
        break;
    }
    case ValueKind::text:
        break;
    }
    return std::string(text);
}

ColumnRole column_role(const StatementColumn& column) {
    const std::string_view name = column.name;
    if (name == "userid" || name == "dbid" || name == "queryid" || name == "toplevel")
        return ColumnRole::key;
    const ValueKind kind = value_kind(column.type);
    if (kind != ValueKind::integer && kind != ValueKind::number)
        return ColumnRole::other;
    if (name.starts_with("min_") || name.starts_with("max_") || name.starts_with("mean_") ||
        name.starts_with("stddev_"))
        return ColumnRole::derived;
    return ColumnRole::counter;
}

int column_index(const std::vector<StatementColumn>& columns, std::string_view name) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].name == name)
            return static_cast<int>(i);
    }
    return -1;
}

std::expected<void, std::string>
check_statement_columns(const std::vector<StatementColumn>& columns) {
    const auto has = [&](std::string_view name) { return column_index(columns, name) >= 0; };
    for (const std::string_view required : {"queryid", "query", "calls", "rows"}) {
        if (!has(required)) {
            return std::unexpected("pg_stat_statements has no column " + std::string(required));
        }
    }
    // 13 renamed total_time to total_exec_time when planning got counters of its own.
    if (!has("total_exec_time") && !has("total_time"))
        return std::unexpected(std::string(
            "pg_stat_statements has no column total_exec_time (or total_time before 13)"));
    return {};
}

void fill_statement(WorkloadStatement& statement, const std::vector<StatementColumn>& columns) {
    const auto get = [&](std::string_view name) { return value_of(statement, columns, name); };
    if (const StatValue* queryid = get("queryid")) {
        if (const auto* i = std::get_if<std::int64_t>(queryid))
            statement.queryid = std::to_string(*i);
        else if (const auto* s = std::get_if<std::string>(queryid))
            statement.queryid = *s;
    }
    if (const StatValue* query = get("query")) {
        if (const auto* s = std::get_if<std::string>(query))
            statement.text = *s;
    }
    statement.calls = integer_of(get("calls"));
    const bool renamed = column_index(columns, "total_exec_time") >= 0;
    statement.total_ms = number_of(get(renamed ? "total_exec_time" : "total_time")).value_or(0);
    const std::optional<double> mean = number_of(get(renamed ? "mean_exec_time" : "mean_time"));
    statement.mean_ms = mean ? *mean
                        : statement.calls > 0
                            ? statement.total_ms / static_cast<double>(statement.calls)
                            : 0;
    statement.rows = integer_of(get("rows"));
    statement.shared_blks_hit = integer_of(get("shared_blks_hit"));
    statement.shared_blks_read = integer_of(get("shared_blks_read"));
    statement.temp_blks_read = integer_of(get("temp_blks_read"));
    statement.temp_blks_written = integer_of(get("temp_blks_written"));
    statement.userid = integer_of(get("userid"));
    // The spread (12: stddev_time/max_time) and, 13+, the planning counters (zero unless
    // pg_stat_statements.track_planning is on).
    statement.stddev_ms = number_of(get(renamed ? "stddev_exec_time" : "stddev_time")).value_or(0);
    statement.max_ms = number_of(get(renamed ? "max_exec_time" : "max_time")).value_or(0);
    statement.total_plan_ms = number_of(get("total_plan_time")).value_or(0);
    statement.plans = integer_of(get("plans"));
    // Before 14 every entry is a top-level statement: there is no toplevel column.
    statement.toplevel = true;
    if (const StatValue* toplevel = get("toplevel")) {
        if (const auto* b = std::get_if<bool>(toplevel))
            statement.toplevel = *b;
    }
}

std::int64_t track_activity_query_size(const Workload& workload) {
    if (const Setting* setting = workload.find_setting("track_activity_query_size"))
        return std::strtoll(setting->setting.c_str(), nullptr, 10);
    return 1024;
}

bool looks_truncated(std::string_view text, std::int64_t limit_bytes) {
    return limit_bytes > 1 && static_cast<std::int64_t>(text.size()) >= limit_bytes - 1;
}

void mark_truncated_statements(Workload& workload) {
    const std::int64_t limit = track_activity_query_size(workload);
    for (WorkloadStatement& statement : workload.statements) {
        statement.truncated =
            looks_truncated(statement.text, limit) && !sqlparse::parses(statement.text);
    }
}

} // namespace dbadvise::analyzer
