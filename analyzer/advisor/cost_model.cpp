// The two ways the advisor prices a configuration: what-if plans through the Planner (HypoPG)
// with a cache, or, without HypoPG, a selectivity model from pg_stats that mimics the choice
// between a sequential scan and an index scan with PostgreSQL's default cost constants.
#include "analyzer/advisor/advisor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dbadvise::analyzer::advisor {

namespace {

std::string cache_key(const StatementSetup& statement, const std::vector<IndexSpec>& config) {
    std::vector<std::string> keys;
    for (const IndexSpec& spec : config) {
        keys.push_back(canonical(spec));
    }
    std::sort(keys.begin(), keys.end());
    return fmt::format("{}|{}", statement.id, fmt::join(keys, "|"));
}

// PostgreSQL's defaults: seq_page_cost 1, random_page_cost 4, cpu_tuple_cost 0.01,
// cpu_operator_cost 0.0025, cpu_index_tuple_cost 0.005.
constexpr double k_random_page = 4.0;
constexpr double k_cpu_tuple = 0.01;
constexpr double k_cpu_operator = 0.0025;
constexpr double k_cpu_index_tuple = 0.005;
// Without a value the planner assumes a range predicate keeps a third of the rows; the advisor
// assumes the narrow ranges applications ask for (a day out of years).
constexpr double k_range_selectivity = 0.01;
// LIMIT values are parameters in normalized text; a page of results is the usual size.
constexpr double k_assumed_limit = 10;

template <typename T>
bool contains(const std::vector<T>& list, const T& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

} // namespace

std::expected<Costing, CostError> PlannerCostModel::cost(const StatementSetup& statement,
                                                         const std::vector<IndexSpec>& config) {
    const std::string key = cache_key(statement, config);
    if (const auto it = m_cache.find(key); it != m_cache.end()) {
        ++m_hits;
        return it->second;
    }
    std::vector<ParamSet> sets = statement.param_sets;
    if (sets.empty()) {
        sets.push_back(ParamSet{}); // the generic plan
    }
    Costing costing;
    double weights = 0;
    double heaviest = -1;
    for (const ParamSet& set : sets) {
        PlanRequest request;
        request.sql = statement.sql;
        request.param_types = statement.param_types;
        request.params = set.values;
        request.hypothetical = config;
        auto planned = m_planner.plan(request);
        if (!planned) {
            return std::unexpected(CostError{planned.error().message, planned.error().fatal});
        }
        std::set<std::string> used;
        for (const int position : planned->hypothetical_used) {
            if (position >= 0 && position < static_cast<int>(config.size())) {
                used.insert(canonical(config[static_cast<std::size_t>(position)]));
            }
        }
        for (std::size_t i = 0; i < planned->hypothetical_sizes.size() && i < config.size(); ++i) {
            if (planned->hypothetical_sizes[i] > 0) {
                m_sizes[canonical(config[i])] = planned->hypothetical_sizes[i];
            }
        }
        costing.cost += set.weight * planned->total_cost;
        weights += set.weight;
        if (planned->total_cost > heaviest) {
            heaviest = planned->total_cost;
            costing.plan_rows = planned->plan_rows;
        }
        costing.per_set.push_back(planned->total_cost);
        costing.used.insert(used.begin(), used.end());
        costing.used_per_set.push_back(std::move(used));
    }
    costing.cost = weights > 0 ? costing.cost / weights : 0;
    m_cache.emplace(key, costing);
    return costing;
}

std::expected<Costing, CostError> SelectivityCostModel::cost(const StatementSetup& statement,
                                                             const std::vector<IndexSpec>& config) {
    Costing costing;
    for (const TableUse& use : statement.tables) {
        const CatalogTable& table = *use.table;
        const double rows = std::max(1.0, table.reltuples);
        const double pages = std::max<double>(1.0, static_cast<double>(table.relpages));
        const double filters = static_cast<double>(use.equality.size() + use.range.size() + use.expressions.size());
        const double sequential = pages + rows * (k_cpu_tuple + k_cpu_operator * std::max(1.0, filters));
        double best = sequential;
        std::string best_index;
        for (const IndexSpec& spec : config) {
            if (spec.table != table.name || spec.table_schema != table.schema) {
                continue;
            }
            double selectivity = 1.0;
            int matched = 0;
            for (const std::string& raw : spec.keys) {
                const std::string key = key_target(raw);
                if (contains(use.equality, key) || contains(use.join, key)) {
                    selectivity *= equality_selectivity(m_workload, table, key);
                    ++matched;
                    continue;
                }
                if (contains(use.expressions, key)) {
                    selectivity *= 0.005; // DEFAULT_EQ_SEL: no statistics on an expression
                    ++matched;
                    continue;
                }
                if (contains(use.range, key)) {
                    selectivity *= k_range_selectivity;
                    ++matched;
                }
                break;
            }
            double fetched = selectivity * rows;
            const bool serves_order = !use.order.empty() && use.has_limit &&
                                      spec.keys.size() > static_cast<std::size_t>(matched) &&
                                      key_target(spec.keys[static_cast<std::size_t>(matched)]) == use.order.front().first;
            if (matched == 0 && !serves_order) {
                continue;
            }
            if (serves_order) {
                // Reading in ORDER BY order stops after LIMIT matches: with the filters the
                // index does not serve keeping a share s of the rows, about limit / s entries
                // are read (the planner's own early-exit estimate).
                double unserved = 1.0;
                for (const std::string& column : use.equality) {
                    unserved *= equality_selectivity(m_workload, table, column);
                }
                for (std::size_t r = 0; r < use.range.size(); ++r) {
                    unserved *= k_range_selectivity;
                }
                if (!use.expressions.empty()) {
                    unserved *= 0.005;
                }
                fetched = std::min(fetched, std::min(rows, k_assumed_limit / std::max(unserved, 1.0 / rows)));
            }
            // Heap fetches follow the table's physical order as closely as pg_stats'
            // correlation says: like cost_index(), interpolate between one random page per row
            // and reading the matching share of the table sequentially.
            double correlation = 0;
            for (const ColumnStats& stats : m_workload.column_stats) {
                if (stats.schema == table.schema && stats.table == table.name &&
                    stats.column == key_target(spec.keys.front()) && stats.correlation) {
                    correlation = *stats.correlation;
                }
            }
            const double c2 = correlation * correlation;
            const double worst = fetched * k_random_page;
            const double best_pages = std::ceil(pages * fetched / rows);
            const double heap = c2 * best_pages + (1 - c2) * worst;
            const double index_cost = 2 * k_random_page + heap + fetched * (k_cpu_tuple + k_cpu_index_tuple);
            if (index_cost < best) {
                best = index_cost;
                best_index = canonical(spec);
            }
        }
        costing.cost += best;
        if (!best_index.empty()) {
            costing.used.insert(best_index);
        }
    }
    costing.per_set.push_back(costing.cost);
    costing.used_per_set.push_back(costing.used);
    return costing;
}

} // namespace dbadvise::analyzer::advisor
