// What the advisor needs to know about each statement: the tables it reads with the columns it
// filters, joins and sorts on, and what each $n parameter meets, so that custom plans can be
// given representative values. Everything comes from the query model and the catalog.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/sql_text.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/typed_literals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <regex>

namespace dbadvise::analyzer::advisor {

namespace {

using sqlparse::ColumnRef;
using sqlparse::OperandKind;
using sqlparse::Predicate;
using sqlparse::Query;
using sqlparse::StatementKind;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

const CatalogColumn* find_column(const CatalogTable& table, std::string_view name) {
    for (const CatalogColumn& column : table.columns) {
        if (column.name == name) {
            return &column;
        }
    }
    return nullptr;
}

const ColumnStats* find_stats(const Workload& workload, const CatalogTable& table, std::string_view column) {
    for (const ColumnStats& stats : workload.column_stats) {
        if (stats.table == table.name && stats.schema == table.schema && stats.column == column) {
            return &stats;
        }
    }
    return nullptr;
}

// `to_timestamp($1)` -> "to_timestamp"; empty when the operand is not one function of one
// parameter.
std::string single_parameter_wrapper(std::string_view text) {
    const std::optional<ParameterCall> call = single_parameter_call(text);
    return call ? call->function : std::string();
}

template <typename T>
void add_unique(std::vector<T>& list, const T& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) {
        list.push_back(value);
    }
}

struct LevelContext {
    const Workload& workload;
    StatementSetup& setup;
};

// The relation of `ref` at this level: the model's resolution, else the single relation, else
// the one relation whose catalog table has a column of that name.
int relation_of(const Query& query, const std::vector<const CatalogTable*>& tables, const ColumnRef& ref) {
    if (ref.relation >= 0 && ref.relation < static_cast<int>(query.relations.size())) {
        return ref.relation;
    }
    if (!ref.qualifier.empty()) {
        for (std::size_t i = 0; i < query.relations.size(); ++i) {
            if (query.relations[i].ref_name() == ref.qualifier) {
                return static_cast<int>(i);
            }
        }
        return -1;
    }
    int found = -1;
    for (std::size_t i = 0; i < query.relations.size(); ++i) {
        if (tables[i] && find_column(*tables[i], ref.name)) {
            if (found >= 0) {
                return -1;
            }
            found = static_cast<int>(i);
        }
    }
    if (found < 0 && query.relations.size() == 1) {
        return 0;
    }
    return found;
}

bool is_equality(const std::string& op) {
    return op == "=" || op == "IN" || op == "= ANY";
}

bool is_range(const std::string& op) {
    return op == "<" || op == "<=" || op == ">" || op == ">=" || op == "BETWEEN";
}

void note_parameters(StatementSetup& setup, const CatalogTable* table, const Predicate& predicate) {
    auto record = [&](const sqlparse::Operand& operand, bool upper) {
        const std::vector<int> numbers = operand.kind == OperandKind::parameter
                                             ? std::vector<int>{operand.param_number}
                                             : parameter_numbers(operand.text);
        const std::string wrapper = operand.kind == OperandKind::expression ? single_parameter_wrapper(operand.text) : "";
        for (const int n : numbers) {
            if (n < 1 || n > 10000) {
                continue;
            }
            if (static_cast<int>(setup.parameters.size()) < n) {
                setup.parameters.resize(static_cast<std::size_t>(n));
            }
            ParameterUse& use = setup.parameters[static_cast<std::size_t>(n - 1)];
            if (use.table || use.in_limit || use.in_offset) {
                continue; // the first use decides
            }
            use.table = table;
            use.in_predicate = true;
            // `lower(email) = lower($1)`: the same function on both sides, so a value of the
            // column (passed through the function below) serves the parameter.
            const bool same_wrapper = predicate.wrap == sqlparse::WrapKind::function && !wrapper.empty() &&
                                      numbers.size() == 1 && lower(predicate.wrapper) == wrapper;
            use.column = predicate.wrap == sqlparse::WrapKind::none || same_wrapper ? predicate.column.name : "";
            use.op = predicate.op;
            use.upper_bound = upper || predicate.op == "<" || predicate.op == "<=";
            // Several parameters in one operand (`$1 || $2`) do not each take a column value.
            use.wrapper = numbers.size() == 1 ? wrapper : "(several)";
            if (operand.kind == OperandKind::expression && wrapper.empty()) {
                use.wrapper = "(expression)";
            }
        }
    };
    record(predicate.operand, false);
    if (predicate.operand2) {
        record(*predicate.operand2, true);
    }
}

void walk(LevelContext& context, const Query& query) {
    std::vector<const CatalogTable*> tables;
    for (const sqlparse::Relation& relation : query.relations) {
        // Only a named table can be looked up (and indexed): not a CTE, a subquery or a
        // function such as generate_series(), even when a table of that name exists.
        tables.push_back(relation.kind != sqlparse::RelationKind::table
                             ? nullptr
                             : resolve_table(context.workload, relation.schema, relation.name));
    }
    std::vector<TableUse> uses(query.relations.size());
    int real_relations = 0;
    for (std::size_t i = 0; i < tables.size(); ++i) {
        uses[i].table = tables[i];
        uses[i].has_limit = query.has_limit;
        real_relations += query.relations[i].is_cte ? 0 : 1;
    }
    for (TableUse& use : uses) {
        use.single_relation = real_relations == 1;
    }

    for (const Predicate& predicate : query.predicates) {
        const int r = relation_of(query, tables, predicate.column);
        const CatalogTable* table = r >= 0 ? tables[static_cast<std::size_t>(r)] : nullptr;
        note_parameters(context.setup, table, predicate);
        if (!table || predicate.in_or || predicate.negated) {
            continue;
        }
        TableUse& use = uses[static_cast<std::size_t>(r)];
        const bool operand_is_own_column = predicate.operand.kind == OperandKind::column;
        if (operand_is_own_column || predicate.operand.kind == OperandKind::subquery) {
            continue;
        }
        if (predicate.wrap == sqlparse::WrapKind::function && is_equality(predicate.op) &&
            !predicate.wrapped_text.empty()) {
            add_unique(use.expressions, strip_qualifier(predicate.wrapped_text, predicate.column.qualifier));
            continue;
        }
        if (predicate.wrap != sqlparse::WrapKind::none || !find_column(*table, predicate.column.name)) {
            continue;
        }
        if (is_equality(predicate.op)) {
            add_unique(use.equality, predicate.column.name);
        } else if (is_range(predicate.op)) {
            add_unique(use.range, predicate.column.name);
        } else if (predicate.op == "IS NULL") {
            add_unique(use.is_null, predicate.column.name);
        }
    }
    for (const sqlparse::JoinCondition& join : query.join_conditions) {
        for (const ColumnRef* side : {&join.left, &join.right}) {
            const int r = relation_of(query, tables, *side);
            if (r >= 0 && tables[static_cast<std::size_t>(r)] && find_column(*tables[static_cast<std::size_t>(r)], side->name)) {
                add_unique(uses[static_cast<std::size_t>(r)].join, side->name);
            }
        }
    }
    // ORDER BY helps an index only when every key is a plain column of one relation.
    if (!query.order_by.empty()) {
        int owner = -2;
        std::vector<std::pair<std::string, bool>> keys;
        for (const sqlparse::SortKey& key : query.order_by) {
            const int r = key.column ? relation_of(query, tables, *key.column) : -1;
            if (r < 0 || (owner != -2 && r != owner)) {
                owner = -1;
                break;
            }
            owner = r;
            keys.emplace_back(key.column->name, key.descending);
        }
        if (owner >= 0 && tables[static_cast<std::size_t>(owner)]) {
            uses[static_cast<std::size_t>(owner)].order = keys;
        }
    }
    for (const sqlparse::SortKey& key : query.group_by) {
        const int r = key.column ? relation_of(query, tables, *key.column) : -1;
        if (r >= 0 && tables[static_cast<std::size_t>(r)]) {
            add_unique(uses[static_cast<std::size_t>(r)].group, key.column->name);
        }
    }
    for (const sqlparse::TargetEntry& target : query.targets) {
        if (target.is_star || !target.column) {
            for (TableUse& use : uses) {
                use.output_star = true;
            }
            continue;
        }
        const int r = relation_of(query, tables, *target.column);
        if (r >= 0) {
            add_unique(uses[static_cast<std::size_t>(r)].output, target.column->name);
        }
    }
    for (TableUse& use : uses) {
        if (use.table) {
            context.setup.tables.push_back(std::move(use));
        }
    }
    for (const Query& sub : query.subqueries) {
        walk(context, sub);
    }
}

// LIMIT $n / OFFSET $n, at any query level.
void note_limit_parameters(StatementSetup& setup, const Query& query) {
    for (const auto& [number, is_limit] : {std::pair{query.limit_parameter, true},
                                           std::pair{query.offset_parameter, false}}) {
        if (number < 1 || number > 10000) {
            continue;
        }
        if (static_cast<int>(setup.parameters.size()) < number) {
            setup.parameters.resize(static_cast<std::size_t>(number));
        }
        ParameterUse& use = setup.parameters[static_cast<std::size_t>(number - 1)];
        use = ParameterUse{};
        (is_limit ? use.in_limit : use.in_offset) = true;
    }
    for (const Query& sub : query.subqueries) {
        note_limit_parameters(setup, sub);
    }
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

// pg_stats shows timestamptz as `2025-03-04 12:34:56.789+00` (ISO DateStyle); to_timestamp()
// takes epoch seconds, so a parameter wrapped in it gets the bound converted.
std::optional<std::string> epoch_of(const std::string& text) {
    static const std::regex k_timestamp(
        R"(^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?)?(?:([+-])(\d{2})(?::?(\d{2}))?)?$)");
    std::smatch m;
    if (!std::regex_match(text, m, k_timestamp)) {
        return std::nullopt;
    }
    const long long days = days_from_civil(std::stoll(m[1]), static_cast<unsigned>(std::stoi(m[2])),
                                           static_cast<unsigned>(std::stoi(m[3])));
    long long seconds = days * 86400;
    if (m[4].matched) {
        seconds += std::stoll(m[4]) * 3600 + std::stoll(m[5]) * 60 + std::stoll(m[6]);
    }
    if (m[8].matched) {
        const long long offset = std::stoll(m[9]) * 3600 + (m[10].matched ? std::stoll(m[10]) * 60 : 0);
        seconds -= m[8] == "+" ? offset : -offset;
    }
    return std::to_string(seconds);
}

// The value at row quantile q of the column's distribution, most frequent values first: the
// kind of value a lookup sees when applications ask for values as often as rows hold them.
std::optional<std::string> equality_value(const ColumnStats& stats, double q) {
    double cumulative = 0;
    for (std::size_t i = 0; i < stats.most_common_vals.size() && i < stats.most_common_freqs.size(); ++i) {
        cumulative += stats.most_common_freqs[i];
        if (cumulative >= q) {
            return stats.most_common_vals[i];
        }
    }
    if (!stats.histogram_bounds.empty()) {
        const double rest = std::max(1e-9, 1.0 - stats.null_frac - cumulative);
        const double position = std::clamp((q - cumulative) / rest, 0.0, 1.0);
        const auto index = static_cast<std::size_t>(std::lround(position * static_cast<double>(stats.histogram_bounds.size() - 1)));
        return stats.histogram_bounds[index];
    }
    if (!stats.most_common_vals.empty()) {
        return stats.most_common_vals.back();
    }
    return std::nullopt;
}

std::optional<std::string> histogram_value(const ColumnStats& stats, double position) {
    if (stats.histogram_bounds.empty()) {
        return std::nullopt;
    }
    const auto last = static_cast<double>(stats.histogram_bounds.size() - 1);
    return stats.histogram_bounds[static_cast<std::size_t>(std::lround(std::clamp(position, 0.0, 1.0) * last))];
}

bool is_one_sided_range(const std::string& op) {
    return op == "<" || op == "<=" || op == ">" || op == ">=";
}

// `col >= $1 AND col < $2`: a window like BETWEEN, so the bounds must come as a pair.
bool two_sided(const StatementSetup& setup, std::size_t i) {
    const ParameterUse& use = setup.parameters[i];
    if (!is_one_sided_range(use.op)) {
        return false;
    }
    for (std::size_t j = 0; j < setup.parameters.size(); ++j) {
        const ParameterUse& other = setup.parameters[j];
        if (j != i && other.table == use.table && other.column == use.column && is_one_sided_range(other.op) &&
            other.upper_bound != use.upper_bound) {
            return true;
        }
    }
    return false;
}

} // namespace

std::string canonical(const IndexSpec& spec) {
    return spec.on_clause();
}

const CatalogTable* resolve_table(const Workload& workload, const std::string& schema, const std::string& name) {
    auto find = [&](std::string_view s) -> const CatalogTable* {
        for (const CatalogTable& table : workload.tables) {
            if (table.name == name && table.schema == s) {
                return &table;
            }
        }
        return nullptr;
    };
    if (!schema.empty()) {
        return find(schema);
    }
    for (const std::string& entry : workload.search_path) {
        if (entry.empty() || entry == "\"$user\"" || entry == "$user") {
            continue;
        }
        if (const CatalogTable* table = find(entry)) {
            return table;
        }
    }
    return find("public");
}

double equality_selectivity(const Workload& workload, const CatalogTable& table, const std::string& column) {
    const ColumnStats* stats = find_stats(workload, table, column);
    if (!stats || stats->n_distinct == 0) {
        return 0.005; // PostgreSQL's DEFAULT_EQ_SEL
    }
    const double distinct = stats->n_distinct > 0 ? stats->n_distinct
                                                  : -stats->n_distinct * std::max(1.0, table.reltuples);
    return 1.0 / std::max(1.0, distinct);
}

StatementSetup setup_statement(const Workload& workload, const ParsedWorkloadStatement& statement, int id) {
    StatementSetup setup;
    setup.id = id;
    setup.parsed = &statement;
    const std::string& text = statement.source ? statement.source->text : std::string();
    setup.sql = text;
    if (auto repaired = sqlparse::rewrite_typed_parameters(text); repaired && *repaired) {
        setup.sql = **repaired;
    }
    for (const int n : parameter_numbers(text)) {
        setup.parameter_count = std::max(setup.parameter_count, n);
    }
    if (!statement.parsed.statement) {
        return setup;
    }
    const sqlparse::Statement& parsed = *statement.parsed.statement;
    setup.is_write = parsed.kind == StatementKind::insert || parsed.kind == StatementKind::update ||
                     parsed.kind == StatementKind::delete_ || parsed.kind == StatementKind::merge;
    if (setup.is_write && !parsed.query.relations.empty()) {
        const sqlparse::Relation& target = parsed.query.relations.front();
        setup.write_target = resolve_table(workload, target.schema, target.name);
    }
    LevelContext context{workload, setup};
    walk(context, parsed.query);
    note_limit_parameters(setup, parsed.query);
    if (static_cast<int>(setup.parameters.size()) < setup.parameter_count) {
        setup.parameters.resize(static_cast<std::size_t>(setup.parameter_count));
    }
    return setup;
}

std::vector<std::string> fallback_types(const StatementSetup& setup) {
    std::vector<std::string> types;
    for (const ParameterUse& use : setup.parameters) {
        std::string type = "text";
        if (use.in_limit || use.in_offset) {
            type = "bigint";
        } else if (use.wrapper == "to_timestamp") {
            type = "double precision";
        } else if (use.table && !use.column.empty() && use.wrapper.empty()) {
            if (const CatalogColumn* column = find_column(*use.table, use.column)) {
                type = column->type_name;
            }
        }
        types.push_back(type);
    }
    return types;
}

std::vector<ParamSet> representative_params(const Workload& workload, const StatementSetup& setup,
                                            const std::vector<std::string>& types) {
    if (setup.parameters.empty()) {
        return {};
    }
    // Sets at the 25/50/75% row quantiles, and one with the most frequent value (a skewed
    // column's heavy hitter, where a sort after an index scan hurts most). Ranges get narrow
    // windows (one histogram bucket for BETWEEN and two-sided ranges, 1%/5%/25% of rows for
    // one-sided ones).
    constexpr std::array<double, 4> k_quantiles = {0.25, 0.5, 0.75, 0.0};
    constexpr std::array<double, 4> k_one_sided = {0.01, 0.05, 0.25, 0.05};
    const std::array<std::string, 4> k_intervals = {"1 day", "7 days", "30 days", "7 days"};
    const WorkloadStatement* source = setup.parsed ? setup.parsed->source : nullptr;
    std::vector<ParamSet> sets;
    for (std::size_t k = 0; k < k_quantiles.size(); ++k) {
        ParamSet set;
        for (std::size_t i = 0; i < setup.parameters.size(); ++i) {
            const ParameterUse& use = setup.parameters[i];
            const std::string type = i < types.size() ? lower(types[i]) : "";
            std::optional<std::string> value;
            if (!use.in_predicate && !use.in_limit && !use.in_offset) {
                // Outside every predicate (`date_trunc($1, created_at)` in the select list) a
                // value changes nothing the advisor looks at; NULL plans everywhere.
                set.values.emplace_back(std::nullopt);
                continue;
            } else if (use.in_limit) {
                const double per_call = source && source->calls > 0
                                            ? static_cast<double>(source->rows) / static_cast<double>(source->calls)
                                            : 10.0;
                value = std::to_string(std::max<long long>(1, std::llround(std::ceil(per_call))));
            } else if (use.in_offset) {
                value = "0";
            } else if (type == "interval") {
                value = k_intervals[k];
            } else if (use.table && !use.column.empty() &&
                       (use.wrapper.empty() || use.wrapper == "to_timestamp" || use.wrapper == "lower" ||
                        use.wrapper == "upper")) {
                const ColumnStats* stats = find_stats(workload, *use.table, use.column);
                if (stats) {
                    if (use.op == "BETWEEN" || two_sided(setup, i)) {
                        const double low = k_quantiles[k] == 0.0 ? 0.5 : k_quantiles[k];
                        const double width = stats->histogram_bounds.size() > 1
                                                 ? 1.0 / static_cast<double>(stats->histogram_bounds.size() - 1)
                                                 : 0.01;
                        value = histogram_value(*stats, use.upper_bound ? low + width : low);
                    } else if (use.op == ">" || use.op == ">=") {
                        value = histogram_value(*stats, 1.0 - k_one_sided[k]);
                    } else if (use.op == "<" || use.op == "<=") {
                        value = histogram_value(*stats, k_one_sided[k]);
                    } else if (k_quantiles[k] == 0.0 && !stats->most_common_vals.empty()) {
                        value = stats->most_common_vals.front();
                    } else {
                        value = equality_value(*stats, k_quantiles[k] == 0.0 ? 0.5 : k_quantiles[k]);
                    }
                    if (value && use.wrapper == "to_timestamp") {
                        value = epoch_of(*value);
                    } else if (value && use.wrapper == "lower") {
                        value = lower(*value);
                    } else if (value && use.wrapper == "upper") {
                        std::string up = *value;
                        for (char& c : up) {
                            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                        }
                        value = up;
                    }
                }
            }
            if (!value) {
                return {}; // a parameter without a representative value: generic plan only
            }
            set.values.emplace_back(*value);
        }
        set.weight = 1.0 / static_cast<double>(k_quantiles.size());
        const auto same = std::find_if(sets.begin(), sets.end(),
                                       [&](const ParamSet& other) { return other.values == set.values; });
        if (same != sets.end()) {
            same->weight += set.weight;
        } else {
            sets.push_back(std::move(set));
        }
    }
    return sets;
}

} // namespace dbadvise::analyzer::advisor
