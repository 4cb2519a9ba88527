// The two ways the advisor prices a configuration: what-if plans through the Planner (HypoPG)
// with a cache, or, without HypoPG, a selectivity model from pg_stats that mimics the choice
// between a sequential scan and an index scan with PostgreSQL's default cost constants.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/plan/plan_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dbadvise::analyzer::advisor {

namespace {

// Whether a failed hypopg_create_index() refused the index itself (an unknown column or
// operator class, a feature HypoPG lacks: the candidate is dropped for the run), rather than
// failing for a passing reason (a statement or lock timeout, memory, a cancelled query, a
// serialization failure: the costing fails and the candidate stays for other statements).
bool refuses_definition(const PlannerError& error) {
    if (error.lock_timeout) {
        return false;
    }
    const std::string_view state = error.sqlstate;
    static constexpr std::string_view k_passing[] = {"08", "25", "40", "53", "55", "57", "58"};
    return state.size() != 5 || std::none_of(std::begin(k_passing), std::end(k_passing),
                                             [&](std::string_view c) { return state.starts_with(c); });
}

std::string cache_key(const StatementSetup& statement, const std::vector<IndexSpec>& config, SetScope scope) {
    std::vector<std::string> keys;
    for (const IndexSpec& spec : config) {
        keys.push_back(canonical(spec));
    }
    std::sort(keys.begin(), keys.end());
    return fmt::format("{}{}|{}", statement.id, scope == SetScope::first ? "f" : "", fmt::join(keys, "|"));
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
// LIMIT values are parameters in normalized text: the rows the statement returned per call
// are what the workload shows (a statement that returned nothing read to the end).
double limit_rows(const StatementSetup& statement, double rows) {
    const WorkloadStatement* source = statement.parsed ? statement.parsed->source : nullptr;
    if (!source || source->calls <= 0 || source->rows <= 0) {
        return rows;
    }
    return std::ceil(static_cast<double>(source->rows) / static_cast<double>(source->calls));
}

template <typename T>
bool contains(const std::vector<T>& list, const T& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// How much a plan's total cost overstates its scans of hypothetical BRIN indexes.
// PostgreSQL prices the heap side of a bitmap scan as if the rows the index returns were
// scattered over the table (cost_bitmap_heap_scan uses no correlation), so a BRIN scan of one
// 128-page block range on a 3,700-page table is priced at half a sequential scan. The advisor
// proposes BRIN only on columns in physical order (|correlation| >= 0.9), whose matching rows
// lie together: those pages are read in order (seq_page_cost each) and every row of them
// rechecked. Scans on the inner side of a nested loop are left as planned (their cost repeats
// per outer row).
double brin_overstatement(const std::string& plan_json, const Workload& workload) {
    auto parsed = plan::parse_json_plan(plan_json);
    if (!parsed) {
        return 0;
    }
    double over = 0;
    for (const plan::PlanNode& node : parsed->nodes) {
        if (node.node_type != "Bitmap Heap Scan" || node.children.size() != 1) {
            continue;
        }
        const plan::PlanNode& index = parsed->nodes[static_cast<std::size_t>(node.children.front())];
        if (index.node_type != "Bitmap Index Scan" || !index.index_name.starts_with("<") ||
            index.index_name.find(">brin_") == std::string::npos) {
            continue;
        }
        bool repeated = false;
        for (const plan::PlanNode* at = &node; at->parent >= 0;) {
            const plan::PlanNode& parent = parsed->nodes[static_cast<std::size_t>(at->parent)];
            repeated = repeated || (at->parent_relationship == "Inner" && parent.node_type == "Nested Loop");
            at = &parent;
        }
        const CatalogTable* table = nullptr;
        for (const CatalogTable& t : workload.tables) {
            if (t.name == node.relation && (node.schema.empty() || t.schema == node.schema)) {
                table = &t;
                break;
            }
        }
        if (repeated || !table) {
            continue;
        }
        const TableSize size = table_size(workload, *table);
        if (size.rows <= 0 || size.pages <= 0) {
            continue;
        }
        const double rows = index.plan_rows;
        const double pages = std::min(size.pages, std::ceil(rows * size.pages / size.rows));
        const double in_order = pages + rows * (k_cpu_tuple + k_cpu_operator);
        const double planned = node.total_cost - index.total_cost;
        over += std::max(0.0, planned - in_order);
    }
    return over;
}

} // namespace

std::expected<Costing, CostError> PlannerCostModel::cost(const StatementSetup& statement,
                                                         const std::vector<IndexSpec>& requested, SetScope scope) {
    // A candidate the server refused (an expression that is not IMMUTABLE, a type without a
    // btree operator class) is dropped for good; the statement is costed with the others.
    std::vector<IndexSpec> config;
    for (const IndexSpec& spec : requested) {
        if (!m_rejected.contains(canonical(spec))) {
            config.push_back(spec);
        }
    }
    const std::string key = cache_key(statement, config, scope);
    if (const auto it = m_cache.find(key); it != m_cache.end()) {
        ++m_hits;
        return it->second;
    }
    std::vector<ParamSet> sets = statement.param_sets;
    if (sets.empty()) {
        sets.push_back(ParamSet{}); // the generic plan
    }
    if (scope == SetScope::first) {
        sets.resize(1);
    }
    // What HypoPG is shown: each index, or for a partitioned table in leaf mode one index per
    // leaf partition, or for an inheritance parent the index and one on each child (a scan of
    // the parent reads them, and the recommendation builds the index on each); origin[j] is the
    // configuration's index behind shown[j].
    std::vector<IndexSpec> shown;
    std::vector<std::size_t> origin;
    for (std::size_t i = 0; i < config.size(); ++i) {
        const IndexSpec& spec = config[i];
        const CatalogTable* table = m_workload ? m_workload->find_table(spec.table_schema, spec.table) : nullptr;
        if (table && table->kind == 'p' && m_leaf_mode.contains(spec.table_schema + "." + spec.table)) {
            for (const CatalogTable* partition : partitions_of(*m_workload, *table)) {
                if (partition->kind == 'p') {
                    continue;
                }
                shown.push_back(spec.on_table(partition->schema, partition->name));
                origin.push_back(i);
            }
        } else {
            shown.push_back(spec);
            origin.push_back(i);
            if (table) {
                for (const CatalogTable* child : inheritance_children_of(*m_workload, *table)) {
                    if (child->kind != 'r' && child->kind != 'm') {
                        continue; // a foreign table: no index, hypothetical or real
                    }
                    shown.push_back(spec.on_table(child->schema, child->name));
                    origin.push_back(i);
                }
            }
        }
    }
    Costing costing;
    double weights = 0;
    double heaviest = -1;
    for (const ParamSet& set : sets) {
        PlanRequest request;
        request.sql = statement.sql;
        request.param_types = statement.param_types;
        request.params = set.values;
        request.hypothetical = shown;
        auto planned = m_planner.plan(request);
        if (!planned && !planned.error().fatal && planned.error().rejected_index >= 0 &&
            !refuses_definition(planned.error())) {
            planned = m_planner.plan(request); // a passing failure: once more
        }
        if (!planned && !planned.error().fatal && planned.error().rejected_index >= 0 &&
            planned.error().rejected_index < static_cast<int>(shown.size()) &&
            refuses_definition(planned.error())) {
            const IndexSpec& refused = config[origin[static_cast<std::size_t>(planned.error().rejected_index)]];
            const std::string table = refused.table_schema + "." + refused.table;
            const CatalogTable* catalog = m_workload ? m_workload->find_table(refused.table_schema, refused.table) : nullptr;
            if (catalog && catalog->kind == 'p' && !m_leaf_mode.contains(table)) {
                m_leaf_mode.insert(table); // HypoPG refuses a partitioned table: show the leaves
            } else {
                m_rejected[canonical(refused)] = planned.error().message;
            }
            return cost(statement, config, scope);
        }
        if (!planned) {
            return std::unexpected(CostError{planned.error().message, planned.error().fatal, planned.error().sqlstate});
        }
        std::set<std::string> used;
        for (const int position : planned->hypothetical_used) {
            if (position >= 0 && position < static_cast<int>(shown.size())) {
                used.insert(canonical(config[origin[static_cast<std::size_t>(position)]]));
            }
        }
        std::map<std::size_t, std::int64_t> sizes;
        for (std::size_t j = 0; j < planned->hypothetical_sizes.size() && j < shown.size(); ++j) {
            sizes[origin[j]] += planned->hypothetical_sizes[j];
        }
        for (const auto& [i, size] : sizes) {
            if (size > 0) {
                m_sizes[canonical(config[i])] = size;
            }
        }
        const bool brin_shown = std::any_of(shown.begin(), shown.end(), [](const IndexSpec& spec) { return spec.method == "brin"; });
        const double over = brin_shown && m_workload ? brin_overstatement(planned->plan_json, *m_workload) : 0.0;
        const double counted = (planned->risky_early_exit ? std::max(planned->total_cost, planned->full_cost)
                                                          : planned->total_cost) -
                               over;
        costing.cost += set.weight * counted;
        costing.planner_cost += set.weight * planned->total_cost;
        costing.risky_early_exit = costing.risky_early_exit || planned->risky_early_exit;
        weights += set.weight;
        if (counted > heaviest) {
            heaviest = counted;
            costing.plan_rows = planned->plan_rows;
        }
        costing.per_set.push_back(counted);
        costing.used.insert(used.begin(), used.end());
        costing.used_per_set.push_back(std::move(used));
    }
    costing.cost = weights > 0 ? costing.cost / weights : 0;
    costing.planner_cost = weights > 0 ? costing.planner_cost / weights : 0;
    m_cache.emplace(key, costing);
    return costing;
}

std::expected<Costing, CostError> SelectivityCostModel::cost(const StatementSetup& statement,
                                                             const std::vector<IndexSpec>& config, SetScope) {
    Costing costing;
    for (const TableUse& use : statement.tables) {
        const CatalogTable& table = *use.table;
        const TableSize size = table_size(m_workload, table);
        const double rows = std::max(1.0, size.rows);
        const double pages = std::max(1.0, size.pages);
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
                if (contains(use.range, key) && spec.method != "hash") {
                    selectivity *= k_range_selectivity;
                    ++matched;
                }
                break;
            }
            if (spec.method == "brin" && matched > 0) {
                // The block ranges (128 pages) holding the matching rows, read in order, every
                // row of them rechecked; the summary index is a page or two.
                const double ranges = std::ceil(pages * selectivity / 128.0) + 1;
                const double read = std::min(pages, ranges * 128.0);
                const double brin_cost = k_random_page + read + read * (rows / pages) * (k_cpu_tuple + k_cpu_operator);
                if (brin_cost < best) {
                    best = brin_cost;
                    best_index = canonical(spec);
                }
                continue;
            }
            if (spec.method != "btree" && spec.method != "hash") {
                continue;
            }
            double fetched = selectivity * rows;
            const bool serves_order = spec.method == "btree" && !use.order.empty() && use.has_limit &&
                                      spec.keys.size() > static_cast<std::size_t>(matched) &&
                                      key_target(spec.keys[static_cast<std::size_t>(matched)]) == use.order.front().first;
            if (matched == 0 && !serves_order) {
                continue;
            }
            if (serves_order) {
                // Reading in ORDER BY order stops after LIMIT matches. When the index serves
                // every filter, that is exactly the rows returned; when filters remain, the
                // planner's guess (limit / share kept) holds only if matches come early, so the
                // cost counted is reading everything the index prefix selects, and the plan is
                // flagged.
                const std::size_t filters_total = use.equality.size() + use.range.size() + use.expressions.size();
                const double limit = limit_rows(statement, rows);
                if (filters_total <= static_cast<std::size_t>(matched)) {
                    fetched = std::min(fetched, limit);
                } else {
                    costing.risky_early_exit = true;
                }
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
    costing.planner_cost = costing.cost;
    costing.per_set.push_back(costing.cost);
    costing.used_per_set.push_back(costing.used);
    return costing;
}

} // namespace dbadvise::analyzer::advisor
