// Greedy index selection over the whole workload, in the spirit of Extend (Schlosser, Kossmann,
// Boissier, 2019): every step either adds a candidate or extends a chosen index into a
// candidate that starts with its keys, taking the step with the best benefit per byte.
// Benefit is measured in milliseconds: each statement's cost saving is weighted by its calls
// and by its measured time per cost unit (mean_ms / baseline cost), so a cheap-looking
// statement that runs often counts for what it really costs.
#include "analyzer/advisor/advisor.hpp"

#include <algorithm>
#include <cmath>

namespace dbadvise::analyzer::advisor {

namespace {

// Each extra index on a table adds roughly this share to the measured time of the table's
// INSERT/UPDATE/DELETE statements (index maintenance and WAL).
constexpr double k_maintenance_share = 0.1;
constexpr double k_bytes_per_mb = 1024.0 * 1024.0;
// A step must also save this share of the whole workload's measured time: an index that
// shaves a few milliseconds off a fast statement costs more in writes and disk than it saves.
constexpr double k_min_workload_share = 0.01;
constexpr double k_early_exit_discount = 0.5;

bool uses_column(const TableUse& use, const std::string& column) {
    auto in = [&](const std::vector<std::string>& list) {
        return std::find(list.begin(), list.end(), column) != list.end();
    };
    return in(use.equality) || in(use.range) || in(use.join) || in(use.expressions) || in(use.group) ||
           std::any_of(use.order.begin(), use.order.end(), [&](const auto& k) { return k.first == column; });
}

bool relevant(const StatementSetup& statement, const Candidate& candidate) {
    if (candidate.statements.contains(statement.id)) {
        return true;
    }
    return std::any_of(statement.tables.begin(), statement.tables.end(), [&](const TableUse& use) {
        return use.table == candidate.table && uses_column(use, candidate.leading_column);
    });
}

bool extends(const Candidate& longer, const Candidate& shorter) {
    const IndexSpec& a = longer.spec;
    const IndexSpec& b = shorter.spec;
    if (a.table != b.table || a.table_schema != b.table_schema || a.method != b.method ||
        a.predicate != b.predicate || !b.include.empty()) {
        return false;
    }
    // INCLUDE columns extend an index with exactly the same keys: the index-only scan must pay
    // for its extra bytes on its own.
    if (!a.include.empty()) {
        return a.keys == b.keys;
    }
    if (a.keys.size() <= b.keys.size()) {
        return false;
    }
    return std::equal(b.keys.begin(), b.keys.end(), a.keys.begin());
}

std::vector<IndexSpec> config_for(const StatementSetup& statement, const std::vector<Candidate>& chosen) {
    std::vector<IndexSpec> config;
    for (const Candidate& candidate : chosen) {
        if (relevant(statement, candidate)) {
            config.push_back(candidate.spec);
        }
    }
    return config;
}

double weight_of(const StatementSetup& statement, const Costing& baseline) {
    const WorkloadStatement* source = statement.parsed ? statement.parsed->source : nullptr;
    if (!source || baseline.cost <= 0) {
        return 0;
    }
    return static_cast<double>(source->calls) * source->mean_ms / baseline.cost;
}

} // namespace

bool relies_on_early_exit(const StatementSetup& statement, const Candidate& candidate) {
    for (const TableUse& use : statement.tables) {
        if (use.table != candidate.table || !use.has_limit || use.order.empty()) {
            continue;
        }
        auto in = [&](const std::vector<std::string>& list) {
            return std::find(list.begin(), list.end(), candidate.leading_column) != list.end();
        };
        const bool filtered = !use.equality.empty() || !use.range.empty() || !use.expressions.empty();
        const bool leads_with_filter = in(use.equality) || in(use.range) || in(use.expressions);
        if (filtered && !leads_with_filter && candidate.leading_column == use.order.front().first) {
            return true;
        }
    }
    return false;
}

SelectionResult select_indexes(const Workload& workload, const std::vector<StatementSetup>& statements,
                               const std::vector<Candidate>& candidates, CostModel& model,
                               const AnalyzeOptions& options) {
    (void)workload;
    SelectionResult result;
    double workload_ms = 0;
    for (const StatementSetup& statement : statements) {
        if (statement.parsed && statement.parsed->source) {
            workload_ms += statement.parsed->source->total_ms;
        }
    }
    std::map<int, double> weight;
    std::map<int, Costing> current;
    std::set<int> failed;

    auto fail = [&](const StatementSetup& statement, const CostError& error) {
        failed.insert(statement.id);
        result.failures.emplace_back(statement.id, error);
        if (error.fatal) {
            result.partial = true;
        }
    };

    for (const StatementSetup& statement : statements) {
        if (result.partial) {
            break;
        }
        auto baseline = model.cost(statement, {});
        if (!baseline) {
            fail(statement, baseline.error());
            continue;
        }
        result.baseline[statement.id] = *baseline;
        current[statement.id] = *baseline;
        weight[statement.id] = weight_of(statement, *baseline);
    }

    std::map<const CatalogTable*, double> maintenance_ms;
    for (const StatementSetup& statement : statements) {
        if (statement.is_write && statement.write_target && statement.parsed && statement.parsed->source) {
            maintenance_ms[statement.write_target] += statement.parsed->source->total_ms * k_maintenance_share;
        }
    }

    // Never slower: a saving that rests on reading in ORDER BY order and stopping at the LIMIT
    // is only as good as the planner's guess of where the matching rows are, so a parameter
    // set whose plan uses such an index counts half of its saving. An index that serves the
    // filter then wins the other half.
    std::map<int, std::set<std::string>> early_exit;
    for (const StatementSetup& statement : statements) {
        for (const Candidate& candidate : candidates) {
            if (relies_on_early_exit(statement, candidate)) {
                early_exit[statement.id].insert(canonical(candidate.spec));
            }
        }
    }
    auto risky_set = [&](const StatementSetup& statement, const Costing& costing, std::size_t i) {
        const std::set<std::string>& risky = early_exit[statement.id];
        return i < costing.used_per_set.size() &&
               std::any_of(costing.used_per_set[i].begin(), costing.used_per_set[i].end(),
                           [&](const std::string& key) { return risky.contains(key); });
    };
    // The cost of `costing` with half of every early-exit saving taken back. The saving is
    // measured from `reference` (the configuration before the step) where that plan did not
    // itself rely on early exit, else from the baseline.
    auto effective = [&](const StatementSetup& statement, const Costing& costing, const Costing* reference) {
        const Costing& base = result.baseline[statement.id];
        if (early_exit[statement.id].empty() || costing.per_set.size() != base.per_set.size() ||
            costing.used_per_set.size() != costing.per_set.size()) {
            return costing.cost;
        }
        std::vector<ParamSet> sets = statement.param_sets;
        if (sets.empty()) {
            sets.push_back(ParamSet{});
        }
        double total = 0;
        double weights = 0;
        for (std::size_t i = 0; i < costing.per_set.size() && i < sets.size(); ++i) {
            double cost = costing.per_set[i];
            if (risky_set(statement, costing, i)) {
                double from = base.per_set[i];
                if (reference && reference->per_set.size() == costing.per_set.size() &&
                    !risky_set(statement, *reference, i)) {
                    from = std::min(from, reference->per_set[i]);
                }
                if (from > cost) {
                    cost += k_early_exit_discount * (from - cost);
                }
            }
            total += sets[i].weight * cost;
            weights += sets[i].weight;
        }
        return weights > 0 ? total / weights : costing.cost;
    };

    std::vector<Candidate> chosen;
    std::int64_t chosen_bytes = 0;
    const double budget_bytes = options.budget_mb > 0 ? options.budget_mb * k_bytes_per_mb : 0;

    while (!result.partial) {
        struct Move {
            std::size_t candidate = 0;
            std::optional<std::size_t> replaces;
            double ratio = 0;
            std::map<int, Costing> costs;
        };
        std::optional<Move> best;
        for (std::size_t c = 0; c < candidates.size() && !result.partial; ++c) {
            const Candidate& candidate = candidates[c];
            if (model.rejected().contains(canonical(candidate.spec)) ||
                std::any_of(chosen.begin(), chosen.end(), [&](const Candidate& x) { return x.spec == candidate.spec; })) {
                continue;
            }
            std::optional<std::size_t> replaces;
            for (std::size_t i = 0; i < chosen.size(); ++i) {
                if (extends(candidate, chosen[i])) {
                    replaces = i;
                    break;
                }
            }
            if (!replaces && !candidate.spec.include.empty()) {
                continue;
            }
            const std::size_t count_after = chosen.size() + (replaces ? 0 : 1);
            if (options.max_indexes > 0 && static_cast<int>(count_after) > options.max_indexes) {
                continue;
            }
            const std::int64_t delta_bytes =
                candidate.estimated_bytes - (replaces ? chosen[*replaces].estimated_bytes : 0);
            if (budget_bytes > 0 && static_cast<double>(chosen_bytes + delta_bytes) > budget_bytes) {
                continue;
            }
            std::vector<Candidate> next = chosen;
            if (replaces) {
                next.erase(next.begin() + static_cast<std::ptrdiff_t>(*replaces));
            }
            next.push_back(candidate);

            double benefit = 0;
            double touched = 0;
            bool used = false;
            std::map<int, Costing> costs;
            for (const StatementSetup& statement : statements) {
                if (failed.contains(statement.id) || !current.contains(statement.id) ||
                    !(relevant(statement, candidate) || (replaces && relevant(statement, chosen[*replaces])))) {
                    continue;
                }
                auto costing = model.cost(statement, config_for(statement, next));
                if (!costing) {
                    fail(statement, costing.error());
                    if (result.partial) {
                        break;
                    }
                    continue;
                }
                const double saved = weight[statement.id] * (effective(statement, current[statement.id], nullptr) -
                                                             effective(statement, *costing, &current[statement.id]));
                benefit += saved;
                touched += weight[statement.id] * effective(statement, current[statement.id], nullptr);
                if (saved > 0 && costing->used.contains(canonical(candidate.spec))) {
                    used = true;
                }
                costs[statement.id] = *costing;
            }
            if (!replaces) {
                benefit -= maintenance_ms[candidate.table];
            }
            // Never an index no plan uses, and never one that saves too little of what it touches.
            if (!used || benefit <= 0 || benefit < options.min_saving * touched ||
                benefit < k_min_workload_share * workload_ms) {
                continue;
            }
            const double ratio = benefit / static_cast<double>(std::max<std::int64_t>(8192, delta_bytes));
            if (!best || ratio > best->ratio) {
                best = Move{c, replaces, ratio, std::move(costs)};
            }
        }
        if (!best || result.partial) {
            break;
        }
        const Candidate& picked = candidates[best->candidate];
        if (best->replaces) {
            chosen_bytes -= chosen[*best->replaces].estimated_bytes;
            chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(*best->replaces));
        }
        chosen.push_back(picked);
        chosen_bytes += picked.estimated_bytes;
        for (auto& [id, costing] : best->costs) {
            current[id] = costing;
        }
    }

    // Drop what no final plan uses (an extension can make its prefix's plans switch), then
    // recost the statements it touched.
    for (bool dropped = true; dropped && !result.partial;) {
        dropped = false;
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            const std::string key = canonical(chosen[i].spec);
            const bool used = std::any_of(current.begin(), current.end(), [&](const auto& entry) {
                return entry.second.used.contains(key) && entry.second.cost < result.baseline[entry.first].cost;
            });
            if (used) {
                continue;
            }
            chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(i));
            for (const StatementSetup& statement : statements) {
                if (!current.contains(statement.id) || failed.contains(statement.id)) {
                    continue;
                }
                if (auto costing = model.cost(statement, config_for(statement, chosen))) {
                    current[statement.id] = *costing;
                }
            }
            dropped = true;
            break;
        }
    }

    // Attribute each statement's saving to the chosen indexes its final plan uses.
    for (const Candidate& candidate : chosen) {
        result.chosen.push_back(ChosenIndex{candidate, 0, {}});
    }
    for (const auto& [id, costing] : current) {
        const double saved = weight[id] * (result.baseline[id].cost - costing.cost);
        std::vector<ChosenIndex*> users;
        for (ChosenIndex& index : result.chosen) {
            if (costing.used.contains(canonical(index.candidate.spec))) {
                users.push_back(&index);
            }
        }
        for (ChosenIndex* index : users) {
            if (saved > 0) {
                index->benefit_ms += saved / static_cast<double>(users.size());
                index->helped.insert(id);
            }
        }
    }
    std::erase_if(result.chosen, [](const ChosenIndex& index) { return index.helped.empty(); });
    result.final_cost = current;
    return result;
}

} // namespace dbadvise::analyzer::advisor
