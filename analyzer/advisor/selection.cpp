// Index selection over the whole workload, with planner calls linear in the statements.
//
// 1. Baseline: each statement is costed without new indexes, with all its parameter sets.
// 2. Screening: each statement is planned once with all its candidates visible at once (at
//    most k_max_screened, with its median parameter set), in the spirit of Dexter: the plan
//    tells which candidates the planner wants. Each candidate it used is then costed alone,
//    within a budget of planner calls per statement.
// 3. Greedy selection in the spirit of Extend (Schlosser, Kossmann, Boissier, 2019) on those
//    costs, without further planner calls: each step adds the candidate (or extends a chosen
//    index into a candidate that starts with its keys) with the best benefit per byte. A
//    configuration's cost for a statement is the best screened configuration whose used
//    indexes it covers (an index covers another whose keys lead its own). When no single
//    candidate saves enough, the indexes one screened plan used together (a BitmapOr over the
//    arms of an OR, an index on each side of a join) are tried as one move, at most
//    k_max_group of them.
// 4. Verification: each statement a chosen index may serve is costed with all its parameter
//    sets and the chosen indexes relevant to it; indexes no verified plan uses are dropped.
//
// Benefit is measured in milliseconds: each statement's cost saving is weighted by its calls
// and by its measured time per cost unit (mean_ms / baseline cost), so a cheap-looking
// statement that runs often counts for what it really costs.
#include "analyzer/advisor/advisor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dbadvise::analyzer::advisor {

namespace {

// Each extra index on a table adds roughly this share to the measured time of the table's
// INSERT/UPDATE/DELETE statements (index maintenance and WAL).
constexpr double k_maintenance_share = 0.1;
constexpr double k_bytes_per_mb = 1024.0 * 1024.0;
// Candidates visible at once when screening one statement: planning time grows with every
// hypothetical index.
constexpr std::size_t k_max_screened = 24;
// Rounds of dropping what no verified plan uses.
constexpr int k_verify_rounds = 3;
// Rounds of greedy selection and verification: a second one when a verified cost came out
// this much above its estimate.
constexpr int k_selection_rounds = 2;
// At most this many indexes in one group move.
constexpr std::size_t k_max_group = 3;
constexpr double k_surprise = 1.1;
// Screening's reduction leaves an index out when the plan without it keeps all but this share
// of the saving the plan with every candidate showed.
constexpr double k_reduce_tolerance = 0.05;

bool uses_column(const TableUse& use, const std::string& column) {
    auto in = [&](const std::vector<std::string>& list) {
        return std::find(list.begin(), list.end(), column) != list.end();
    };
    return in(use.equality) || in(use.range) || in(use.join) || in(use.expressions) || in(use.group) ||
           std::any_of(use.order.begin(), use.order.end(), [&](const auto& k) { return k.first == column; });
}

// Whether `table` is `ancestor` or one of its inheritance children at any level.
bool in_inheritance_tree(const Workload& workload, const CatalogTable* table, const CatalogTable* ancestor) {
    for (int depth = 0; table != nullptr && depth <= 32; ++depth) {
        if (table == ancestor) {
            return true;
        }
        if (!table->inherits) {
            return false;
        }
        table = workload.find_table(table->parent_schema, table->parent_name);
    }
    return false;
}

// A candidate on an inheritance parent is built on each of its children too: it serves the
// statements that name a child directly.
bool relevant(const Workload& workload, const StatementSetup& statement, const Candidate& candidate) {
    if (candidate.statements.contains(statement.id)) {
        return true;
    }
    return std::any_of(statement.tables.begin(), statement.tables.end(), [&](const TableUse& use) {
        return in_inheritance_tree(workload, use.table, candidate.table) && uses_column(use, candidate.leading_column);
    });
}

// A btree serves the lookups a hash index and the ranges a BRIN index on its leading column
// serve: it covers them, and extends them (replaces them when it saves enough more).
bool btree_over(const IndexSpec& wide, const IndexSpec& narrow) {
    if (wide.table != narrow.table || wide.table_schema != narrow.table_schema || wide.method != "btree" ||
        (narrow.method != "hash" && narrow.method != "brin") || wide.predicate != narrow.predicate ||
        narrow.keys.size() != 1 || wide.keys.empty()) {
        return false;
    }
    std::string lead = wide.keys.front();
    if (lead.ends_with(" DESC")) {
        lead.resize(lead.size() - 5);
    }
    return lead == narrow.keys.front();
}

// `wide` serves every plan `narrow` serves: same table, method, operator class and predicate,
// and narrow's keys lead wide's (its INCLUDE columns among wide's columns); or btree_over.
// Whether an index on `wide`'s table is also built on `narrow`'s: the same table, or an
// inheritance parent of it (the recommendation creates the index on each child).
// `inheritance`: the workload when it has inheritance children, else nullptr (the usual case,
// which then costs no catalog lookup).
bool built_on(const Workload* inheritance, const IndexSpec& wide, const IndexSpec& narrow) {
    if (wide.table == narrow.table && wide.table_schema == narrow.table_schema) {
        return true;
    }
    if (inheritance == nullptr) {
        return false;
    }
    const CatalogTable* table = inheritance->find_table(narrow.table_schema, narrow.table);
    if (table == nullptr || !table->inherits) {
        return false;
    }
    const CatalogTable* ancestor = inheritance->find_table(wide.table_schema, wide.table);
    return ancestor != nullptr && in_inheritance_tree(*inheritance, table, ancestor);
}

bool covers(const Workload* inheritance, const IndexSpec& wide, const IndexSpec& narrow) {
    if (btree_over(wide, narrow)) {
        return true;
    }
    if (!built_on(inheritance, wide, narrow) || wide.method != narrow.method ||
        wide.predicate != narrow.predicate || wide.keys.size() < narrow.keys.size()) {
        return false;
    }
    if ((wide.method != "btree" && wide.keys != narrow.keys) || wide.opclass != narrow.opclass) {
        return false;
    }
    if (!std::equal(narrow.keys.begin(), narrow.keys.end(), wide.keys.begin())) {
        return false;
    }
    return std::all_of(narrow.include.begin(), narrow.include.end(), [&](const std::string& column) {
        return std::find(wide.keys.begin(), wide.keys.end(), column) != wide.keys.end() ||
               std::find(wide.include.begin(), wide.include.end(), column) != wide.include.end();
    });
}

// `longer` extends `shorter`: it starts with all of shorter's keys and adds keys, or has the
// same keys and adds INCLUDE columns.
bool extends(const IndexSpec& longer, const IndexSpec& shorter) {
    if (btree_over(longer, shorter)) {
        return true;
    }
    if (longer.table != shorter.table || longer.table_schema != shorter.table_schema ||
        longer.method != shorter.method || longer.predicate != shorter.predicate || !shorter.include.empty() ||
        longer == shorter) {
        return false;
    }
    if (!longer.include.empty()) {
        return longer.keys == shorter.keys;
    }
    return longer.keys.size() > shorter.keys.size() &&
           std::equal(shorter.keys.begin(), shorter.keys.end(), longer.keys.begin());
}

double weight_of(const StatementSetup& statement, const Costing& baseline) {
    const WorkloadStatement* source = statement.parsed ? statement.parsed->source : nullptr;
    if (!source || baseline.cost <= 0) {
        return 0;
    }
    return static_cast<double>(source->calls) * source->mean_ms / baseline.cost;
}

// A configuration costed during screening: the share of the baseline it costs (first
// parameter set) and the candidates its plan used.
struct Screened {
    double ratio = 1;
    std::vector<std::size_t> used; // candidate indexes
};

struct State {
    const StatementSetup* setup = nullptr;
    double weight = 0;
    Costing baseline;
    std::vector<Screened> screened;
    bool failed = false;
};

} // namespace

SelectionResult select_indexes(const Workload& workload, const std::vector<StatementSetup>& statements,
                               const std::vector<Candidate>& candidates, CostModel& model,
                               const AnalyzeOptions& options) {
    SelectionResult result;
    // An index on an inheritance parent is built on its children too (covers()).
    const Workload* inheritance =
        std::any_of(workload.tables.begin(), workload.tables.end(), [](const CatalogTable& t) { return t.inherits; })
            ? &workload
            : nullptr;
    double workload_ms = 0;
    for (const StatementSetup& statement : statements) {
        if (statement.parsed && statement.parsed->source) {
            workload_ms += statement.parsed->source->total_ms;
        }
    }
    std::vector<State> states(statements.size());
    auto fail = [&](State& state, const CostError& error) {
        state.failed = true;
        result.failures.emplace_back(state.setup->id, error);
        if (error.fatal) {
            result.partial = true;
        }
    };
    auto progress = [&](std::string_view phase, std::size_t done, std::size_t total) {
        if (options.progress) {
            options.progress(phase, done, total);
        }
    };

    // 1. Baselines.
    for (std::size_t i = 0; i < statements.size() && !result.partial; ++i) {
        State& state = states[i];
        state.setup = &statements[i];
        progress("costing statements", i, statements.size());
        auto baseline = model.cost(statements[i], {});
        if (!baseline) {
            fail(state, baseline.error());
            continue;
        }
        state.baseline = *baseline;
        state.weight = weight_of(statements[i], *baseline);
        result.baseline[statements[i].id] = *baseline;
    }

    // 2. Screening. `screened_in[c]` lists the statements whose screening used candidate c.
    std::vector<std::vector<std::size_t>> screened_in(candidates.size());
    std::vector<bool> screened(candidates.size(), false);
    const int budget = std::max(4, options.planner_calls_per_statement);
    for (std::size_t i = 0; i < states.size() && !result.partial; ++i) {
        State& state = states[i];
        progress("screening candidates", i, states.size());
        if (state.failed || !state.setup) {
            continue;
        }
        std::vector<std::size_t> mine;
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            if (relevant(workload, *state.setup, candidates[c]) && !model.rejected().contains(canonical(candidates[c].spec))) {
                mine.push_back(c);
            }
        }
        if (mine.empty()) {
            continue;
        }
        // The statement's own candidates first, the widest first (they serve the most).
        std::stable_sort(mine.begin(), mine.end(), [&](std::size_t a, std::size_t b) {
            const bool own_a = candidates[a].statements.contains(state.setup->id);
            const bool own_b = candidates[b].statements.contains(state.setup->id);
            if (own_a != own_b) {
                return own_a;
            }
            return candidates[a].spec.keys.size() > candidates[b].spec.keys.size();
        });
        if (mine.size() > k_max_screened) {
            mine.resize(k_max_screened);
        }
        auto base_first = model.cost(*state.setup, {}, SetScope::first);
        if (!base_first) {
            fail(state, base_first.error());
            continue;
        }
        std::vector<IndexSpec> config;
        for (const std::size_t c : mine) {
            config.push_back(candidates[c].spec);
            screened[c] = true;
        }
        auto all = model.cost(*state.setup, config, SetScope::first);
        if (!all) {
            fail(state, all.error());
            continue;
        }
        const double base = std::max(1e-9, base_first->cost);
        std::vector<std::size_t> used;
        for (const std::size_t c : mine) {
            if (all->used.contains(canonical(candidates[c].spec))) {
                used.push_back(c);
            }
        }
        if (used.empty() || all->cost >= base) {
            continue;
        }
        state.screened.push_back(Screened{all->cost / base, used});
        // The statement's planner-call budget left (the baseline and the verification take one
        // call per parameter set each).
        const std::size_t sets = std::max<std::size_t>(1, state.setup->param_sets.size());
        int left = budget - 2 * static_cast<int>(sets) - 1;
        // Reduction: which of the used indexes the saving needs. Indexes may only help
        // together (an index under each arm of an OR of EXISTS, one on each side of a join): a
        // plan with one of them alone saves little, and the greedy selection would never see
        // the pair. Each used index is left out in turn, those on the smallest tables first
        // (they matter least); it stays out when the plan without it keeps at least
        // 1 - k_reduce_tolerance of the saving with all. What the last such plan used is one
        // more screened configuration, usually much smaller than the first.
        if (used.size() > 1) {
            std::vector<std::size_t> order = used;
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return candidates[a].estimated_bytes < candidates[b].estimated_bytes;
            });
            std::vector<std::size_t> kept = used;
            double kept_cost = all->cost;
            const double acceptable = all->cost + k_reduce_tolerance * (base - all->cost);
            for (const std::size_t u : order) {
                if (kept.size() < 2 || left < 2) {
                    break; // one call stays for a single candidate alone
                }
                if (std::find(kept.begin(), kept.end(), u) == kept.end()) {
                    continue; // the plan already did without it
                }
                std::vector<IndexSpec> fewer;
                for (const std::size_t k : kept) {
                    if (k != u) {
                        fewer.push_back(candidates[k].spec);
                    }
                }
                --left;
                auto without = model.cost(*state.setup, fewer, SetScope::first);
                if (!without) {
                    if (without.error().fatal) {
                        fail(state, without.error());
                        break;
                    }
                    continue;
                }
                if (without->cost <= acceptable) {
                    std::erase_if(kept, [&](std::size_t k) { return !without->used.contains(canonical(candidates[k].spec)); });
                    kept_cost = without->cost;
                }
            }
            if (state.failed) {
                continue;
            }
            if (!kept.empty() && kept.size() < used.size()) {
                state.screened.push_back(Screened{kept_cost / base, kept});
            }
        }
        // Then single candidates alone, while the budget allows: first the narrower candidates
        // a used one covers, shortest first (the planner prefers the widest index when all are
        // free, but a narrower one may serve more statements per byte), then each used one
        // when there are several.
        std::vector<std::size_t> singles;
        for (const std::size_t u : used) {
            std::vector<std::size_t> narrower;
            for (const std::size_t v : mine) {
                if (v != u && covers(inheritance, candidates[u].spec, candidates[v].spec)) {
                    narrower.push_back(v);
                }
            }
            std::stable_sort(narrower.begin(), narrower.end(), [&](std::size_t a, std::size_t b) {
                return candidates[a].spec.keys.size() + candidates[a].spec.include.size() <
                       candidates[b].spec.keys.size() + candidates[b].spec.include.size();
            });
            for (const std::size_t v : narrower) {
                if (std::find(singles.begin(), singles.end(), v) == singles.end()) {
                    singles.push_back(v);
                }
            }
        }
        if (used.size() > 1) {
            for (const std::size_t u : used) {
                if (std::find(singles.begin(), singles.end(), u) == singles.end()) {
                    singles.push_back(u);
                }
            }
        }
        for (std::size_t k = 0; k < singles.size() && left > 0; ++k) {
            if (state.screened.size() > 1 && state.screened.back().used == std::vector<std::size_t>{singles[k]}) {
                continue; // the reduction came down to this one
            }
            --left;
            auto alone = model.cost(*state.setup, {candidates[singles[k]].spec}, SetScope::first);
            if (!alone) {
                if (alone.error().fatal) {
                    fail(state, alone.error());
                    break;
                }
                continue;
            }
            if (alone->cost < base && alone->used.contains(canonical(candidates[singles[k]].spec))) {
                state.screened.push_back(Screened{alone->cost / base, {singles[k]}});
            }
        }
        for (const Screened& s : state.screened) {
            for (const std::size_t c : s.used) {
                if (std::find(screened_in[c].begin(), screened_in[c].end(), i) == screened_in[c].end()) {
                    screened_in[c].push_back(i);
                }
            }
        }
    }

    // 3. Greedy selection on the screened costs.
    std::vector<std::size_t> chosen;
    // Verified costs (all parameter sets) of exact configurations, per statement: the relevant
    // chosen indexes, sorted. They replace the estimate where the greedy meets them again, so
    // an interaction the estimate missed (a new index that lures the planner into a plan that
    // stops early over discarded rows) is seen in the next round.
    std::vector<std::vector<std::pair<std::vector<std::size_t>, double>>> exact(states.size());
    auto relevant_part = [&](std::size_t i, const std::vector<std::size_t>& config) {
        std::vector<std::size_t> part;
        for (const std::size_t c : config) {
            if (relevant(workload, *states[i].setup, candidates[c])) {
                part.push_back(c);
            }
        }
        std::sort(part.begin(), part.end());
        return part;
    };
    auto estimate = [&](std::size_t i, const std::vector<std::size_t>& config) {
        const State& state = states[i];
        if (!exact[i].empty()) {
            const std::vector<std::size_t> part = relevant_part(i, config);
            for (const auto& [known, cost] : exact[i]) {
                if (known == part) {
                    return cost;
                }
            }
        }
        double best = 1;
        for (const Screened& s : state.screened) {
            const bool covered = std::all_of(s.used.begin(), s.used.end(), [&](std::size_t u) {
                return std::any_of(config.begin(), config.end(), [&](std::size_t c) {
                    return c == u || covers(inheritance, candidates[c].spec, candidates[u].spec);
                });
            });
            if (covered) {
                best = std::min(best, s.ratio);
            }
        }
        return state.baseline.cost * best;
    };
    std::map<const CatalogTable*, double> maintenance_ms;
    for (const StatementSetup& statement : statements) {
        if (statement.is_write && statement.write_target && statement.parsed && statement.parsed->source) {
            maintenance_ms[statement.write_target] += statement.parsed->source->total_ms * k_maintenance_share;
        }
    }
    const double budget_bytes = options.budget_mb > 0 ? options.budget_mb * k_bytes_per_mb : 0;
    std::int64_t chosen_bytes = 0;

    struct Move {
        std::size_t candidate = 0;           // the candidate added (the first, for a group)
        std::vector<std::size_t> group;      // a group move adds all of these together
        std::optional<std::size_t> replaces; // position in `chosen` (single moves only)
        double benefit = 0;     // net: what the statements save, less the write cost
        double maintenance = 0; // the write cost counted against the new index
        double touched = 0;
        std::int64_t delta_bytes = 0;
        std::size_t added() const { return replaces ? 0 : std::max<std::size_t>(1, group.size()); }
    };
    // The benefit of adding `adds` to `chosen` (a single candidate may replace the index it
    // extends).
    // Each statement's estimated cost with the indexes chosen so far, computed once per greedy
    // step (`chosen` only changes between steps) and used while `now_valid`.
    std::vector<double> now_cost(states.size(), 0.0);
    bool now_valid = false;
    // The lowest cost the estimate can give the statement (its cheapest screened configuration,
    // or a verified cost below it): no move makes it cheaper, which bounds what a move saves.
    std::vector<double> floor_cost(states.size(), 0.0);
    auto compute_floors = [&] {
        for (std::size_t i = 0; i < states.size(); ++i) {
            double best = 1;
            for (const Screened& seen : states[i].screened) {
                best = std::min(best, seen.ratio);
            }
            floor_cost[i] = states[i].baseline.cost * best;
            for (const auto& known : exact[i]) {
                floor_cost[i] = std::min(floor_cost[i], known.second);
            }
        }
    };
    auto evaluate_adding = [&](const std::vector<std::size_t>& adds) {
        Move move;
        move.candidate = adds.front();
        if (adds.size() > 1) {
            move.group = adds;
        } else {
            for (std::size_t k = 0; k < chosen.size(); ++k) {
                if (extends(candidates[adds.front()].spec, candidates[chosen[k]].spec)) {
                    move.replaces = k;
                    break;
                }
            }
        }
        std::vector<std::size_t> next = chosen;
        if (move.replaces) {
            next.erase(next.begin() + static_cast<std::ptrdiff_t>(*move.replaces));
        }
        next.insert(next.end(), adds.begin(), adds.end());
        std::vector<std::size_t> touched;
        for (const std::size_t c : adds) {
            touched.insert(touched.end(), screened_in[c].begin(), screened_in[c].end());
        }
        if (move.replaces) {
            const auto& more = screened_in[chosen[*move.replaces]];
            touched.insert(touched.end(), more.begin(), more.end());
        }
        std::sort(touched.begin(), touched.end());
        touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
        // A btree replacing a hash or BRIN index on its leading column must improve on it as
        // much as a new index must improve on none: its saving is measured against the
        // statements' baseline, so a small gain never buys a much larger index.
        const bool other_method = move.replaces &&
                                  candidates[chosen[*move.replaces]].spec.method != candidates[adds.front()].spec.method;
        for (const std::size_t i : touched) {
            const State& state = states[i];
            const double now = now_valid ? now_cost[i] : estimate(i, chosen);
            // Adding an index never makes the planner's choice costlier (it keeps the cheaper
            // plan). An estimate above `now` only means no screened plan covers the new set
            // while a verified one covers the old: count no saving, never a loss.
            const double after = move.replaces ? estimate(i, next) : std::min(now, estimate(i, next));
            move.benefit += state.weight * (now - after);
            move.touched += state.weight * (other_method ? state.baseline.cost : now);
        }
        for (const std::size_t c : adds) {
            if (!move.replaces) {
                move.benefit -= maintenance_ms[candidates[c].table];
                move.maintenance += maintenance_ms[candidates[c].table];
            }
            move.delta_bytes += candidates[c].estimated_bytes;
        }
        if (move.replaces) {
            move.delta_bytes -= candidates[chosen[*move.replaces]].estimated_bytes;
        }
        return move;
    };
    auto evaluate = [&](std::size_t c) { return evaluate_adding({c}); };
    auto enough = [&](const Move& move) {
        return move.benefit > 0 && move.benefit >= options.min_saving * move.touched &&
               move.benefit >= options.min_workload_share * workload_ms;
    };
    // A candidate chosen already, or covered by a chosen index, adds nothing.
    auto redundant = [&](std::size_t c) -> std::optional<std::size_t> {
        for (const std::size_t k : chosen) {
            if (k == c || covers(inheritance, candidates[k].spec, candidates[c].spec)) {
                return k;
            }
        }
        return std::nullopt;
    };
    auto allowed = [&](const Move& move) {
        const std::size_t count = chosen.size() + move.added();
        if (options.max_indexes >= 0 && static_cast<int>(count) > options.max_indexes) {
            return false;
        }
        return budget_bytes <= 0 || static_cast<double>(chosen_bytes + move.delta_bytes) <= budget_bytes;
    };
    std::map<std::size_t, std::string> superseded;
    // One greedy pass; returns the net saving it estimates for the set it chose. `per_index`
    // ranks steps by benefit per index added (what counts when --max-indexes binds), else by
    // benefit per byte (when the size budget binds, or nothing does).
    auto greedy_pass = [&](bool per_index) {
    chosen.clear();
    chosen_bytes = 0;
    superseded.clear();
    double total = 0;
    compute_floors();
    auto rank = [&](const Move& move) {
        return per_index ? move.benefit / static_cast<double>(std::max<std::size_t>(1, move.added()))
                         : move.benefit / static_cast<double>(std::max<std::int64_t>(8192, move.delta_bytes));
    };
    while (!result.partial) {
        for (std::size_t i = 0; i < states.size(); ++i) {
            now_cost[i] = states[i].screened.empty() ? states[i].baseline.cost : estimate(i, chosen);
        }
        now_valid = true;
        std::optional<Move> best;
        double best_ratio = 0;
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            if (screened_in[c].empty() || redundant(c) || model.rejected().contains(canonical(candidates[c].spec))) {
                continue;
            }
            const Move move = evaluate(c);
            if (!enough(move) || !allowed(move)) {
                continue;
            }
            const double ratio = rank(move);
            if (!best || ratio > best_ratio) {
                best = move;
                best_ratio = ratio;
            }
        }
        // Group moves: indexes a screened plan used together (a BitmapOr over two arms, one
        // index on each side of a join, one under each arm of an OR of EXISTS) may save little
        // one by one; they compete as one step with the single candidates, by benefit per byte.
        std::set<std::vector<std::size_t>> groups_seen; // each distinct group evaluated once a step
        for (std::size_t i = 0; i < states.size(); ++i) {
            for (const Screened& seen : states[i].screened) {
                std::vector<std::size_t> group;
                for (const std::size_t u : seen.used) {
                    if (!redundant(u) && !model.rejected().contains(canonical(candidates[u].spec)) &&
                        std::find(chosen.begin(), chosen.end(), u) == chosen.end()) {
                        group.push_back(u);
                    }
                }
                std::sort(group.begin(), group.end());
                if (group.size() < 2 || group.size() > k_max_group || !groups_seen.insert(group).second) {
                    continue;
                }
                // What the group could save at most (each statement it touches down to its
                // cheapest screened cost): evaluated only when that could beat the best step.
                std::vector<std::size_t> touched;
                std::int64_t bytes = 0;
                for (const std::size_t u : group) {
                    touched.insert(touched.end(), screened_in[u].begin(), screened_in[u].end());
                    bytes += candidates[u].estimated_bytes;
                }
                std::sort(touched.begin(), touched.end());
                touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
                double bound = 0;
                for (const std::size_t t : touched) {
                    bound += states[t].weight * std::max(0.0, now_cost[t] - floor_cost[t]);
                }
                Move optimistic;
                optimistic.group = group;
                optimistic.benefit = bound;
                optimistic.delta_bytes = bytes;
                if (bound <= 0 || bound < options.min_workload_share * workload_ms ||
                    (best && rank(optimistic) <= best_ratio)) {
                    continue;
                }
                const Move move = evaluate_adding(group);
                if (!enough(move) || !allowed(move)) {
                    continue;
                }
                const double ratio = rank(move);
                if (!best || ratio > best_ratio) {
                    best = move;
                    best_ratio = ratio;
                }
            }
        }
        if (!best) {
            break;
        }
        if (best->replaces) {
            const std::size_t old = chosen[*best->replaces];
            superseded[old] = canonical(candidates[best->candidate].spec);
            chosen_bytes -= candidates[old].estimated_bytes;
            chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(*best->replaces));
        }
        for (const std::size_t c : best->group.empty() ? std::vector<std::size_t>{best->candidate} : best->group) {
            chosen.push_back(c);
            chosen_bytes += candidates[c].estimated_bytes;
        }
        total += best->benefit;
    }
    now_valid = false;
    return total;
    };
    // Both rankings, and the set whose estimated saving is larger: by byte, small indexes with
    // a fair saving fill the first places, which wastes a short --max-indexes; by index, a
    // large index with a large saving comes first, which wastes a tight --budget-mb. Both stay
    // within both limits; no planner call is made. The set ranked by index must save more by
    // min_saving, as a larger index must to replace a smaller one (a btree over a hash or
    // BRIN index that serves the same statements).
    auto greedy = [&] {
        const double by_byte = greedy_pass(false);
        const std::vector<std::size_t> by_byte_chosen = chosen;
        const std::map<std::size_t, std::string> by_byte_superseded = superseded;
        const std::int64_t by_byte_bytes = chosen_bytes;
        if (greedy_pass(true) <= by_byte * (1 + options.min_saving)) {
            chosen = by_byte_chosen;
            superseded = by_byte_superseded;
            chosen_bytes = by_byte_bytes;
        }
    };
    // 4. Verification with every parameter set; drop what no verified plan uses.
    std::map<int, Costing> current;
    std::set<std::size_t> dropped;
    auto config_for = [&](const StatementSetup& statement) {
        std::vector<IndexSpec> config;
        for (const std::size_t c : chosen) {
            if (relevant(workload, statement, candidates[c])) {
                config.push_back(candidates[c].spec);
            }
        }
        return config;
    };
    // Returns true when a verified cost is well above what the greedy estimated for it.
    auto verify = [&] {
        bool surprised = false;
        for (int round = 0; round < k_verify_rounds && !result.partial; ++round) {
            current.clear();
            for (std::size_t i = 0; i < states.size() && !result.partial; ++i) {
                const State& state = states[i];
                if (state.failed || !state.setup || !result.baseline.contains(state.setup->id)) {
                    continue;
                }
                progress("verifying", i, states.size());
                const std::vector<IndexSpec> config = config_for(*state.setup);
                if (config.empty()) {
                    current[state.setup->id] = state.baseline;
                    continue;
                }
                const double estimated = estimate(i, chosen);
                auto costing = model.cost(*state.setup, config);
                if (!costing) {
                    if (costing.error().fatal) {
                        fail(states[i], costing.error());
                    }
                    current[state.setup->id] = state.baseline;
                    continue;
                }
                current[state.setup->id] = *costing;
                const std::vector<std::size_t> part = relevant_part(i, chosen);
                if (std::none_of(exact[i].begin(), exact[i].end(), [&](const auto& e) { return e.first == part; })) {
                    exact[i].emplace_back(part, costing->cost);
                }
                surprised = surprised || costing->cost > estimated * k_surprise + 1e-9;
            }
            bool changed = false;
            for (std::size_t k = 0; k < chosen.size();) {
                const std::string key = canonical(candidates[chosen[k]].spec);
                const bool used = std::any_of(current.begin(), current.end(), [&](const auto& entry) {
                    return entry.second.used.contains(key) && entry.second.cost < result.baseline[entry.first].cost;
                });
                if (used) {
                    ++k;
                    continue;
                }
                dropped.insert(chosen[k]);
                chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(k));
                changed = true;
            }
            if (!changed) {
                break;
            }
        }
        return surprised;
    };
    // Greedy, verify; when a verified cost surprised the estimate, choose again knowing it.
    std::vector<std::size_t> previous;
    for (int round = 0; round < k_selection_rounds && !result.partial; ++round) {
        greedy();
        dropped.clear();
        const bool surprised = verify();
        std::vector<std::size_t> sorted = chosen;
        std::sort(sorted.begin(), sorted.end());
        if (!surprised || sorted == previous) {
            break;
        }
        previous = sorted;
    }

    // Which limit stopped the selection: the best move left, by what kept it out.
    {
        std::optional<Move> blocked;
        bool any_benefit = false;
        for (std::size_t c = 0; c < candidates.size() && !result.partial; ++c) {
            if (screened_in[c].empty() || redundant(c) || model.rejected().contains(canonical(candidates[c].spec))) {
                continue;
            }
            const Move move = evaluate(c);
            any_benefit = any_benefit || move.benefit > 0;
            if (enough(move) && !allowed(move) && (!blocked || move.benefit > blocked->benefit)) {
                blocked = move;
            }
        }
        if (result.partial) {
            result.stopped_by = "planning stopped early (the connection was lost)";
        } else if (blocked) {
            const std::size_t count = chosen.size() + blocked->added();
            const bool by_count = options.max_indexes >= 0 && static_cast<int>(count) > options.max_indexes;
            result.stopped_by_limit = true;
            result.stopped_by = by_count
                                    ? fmt::format("--max-indexes {}: the next candidate, {}, would save ~{:.0f} ms",
                                                  options.max_indexes, canonical(candidates[blocked->candidate].spec),
                                                  blocked->benefit)
                                    : fmt::format("--budget-mb {}: the next candidate, {}, would save ~{:.0f} ms but "
                                                  "needs {:.1f} MB more",
                                                  options.budget_mb, canonical(candidates[blocked->candidate].spec),
                                                  blocked->benefit, static_cast<double>(blocked->delta_bytes) / k_bytes_per_mb);
        } else if (candidates.empty()) {
            result.stopped_by = "no candidate index";
        } else if (any_benefit) {
            result.stopped_by = fmt::format("no remaining candidate saves enough (at least {:.0f}% of the cost of the "
                                            "statements it serves and {:g}% of the workload's measured time)",
                                            options.min_saving * 100, options.min_workload_share * 100);
        } else {
            result.stopped_by = "no remaining candidate makes any plan cheaper";
        }
    }

    // Attribute each statement's saving to the chosen indexes its final plan uses.
    for (const std::size_t c : chosen) {
        result.chosen.push_back(ChosenIndex{candidates[c], 0, {}});
    }
    for (const auto& [id, costing] : current) {
        const double saved = [&] {
            for (const State& state : states) {
                if (state.setup && state.setup->id == id) {
                    return state.weight * (result.baseline[id].cost - costing.cost);
                }
            }
            return 0.0;
        }();
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

    // Why each candidate that is not recommended was left out.
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        const std::string key = canonical(candidates[c].spec);
        CandidateVerdict verdict;
        verdict.statements = static_cast<int>(candidates[c].statements.size());
        if (std::any_of(result.chosen.begin(), result.chosen.end(), [&](const ChosenIndex& x) { return canonical(x.candidate.spec) == key; })) {
            verdict.recommended = true;
            verdict.reason = "recommended";
        } else if (const auto refused = model.rejected().find(key); refused != model.rejected().end()) {
            verdict.reason = "the server refused it: " + refused->second;
        } else if (dropped.contains(c) || std::find(chosen.begin(), chosen.end(), c) != chosen.end()) {
            verdict.reason = "chosen, but no verified plan (all parameter sets) used it";
        } else if (const auto extended = superseded.find(c); extended != superseded.end()) {
            verdict.reason = "extended into " + extended->second;
        } else if (!screened[c]) {
            verdict.reason = result.partial ? "not costed: planning stopped early"
                                            : "not costed: the statements it serves had more candidates than one "
                                              "screening shows, and it ranked lower";
        } else if (screened_in[c].empty()) {
            verdict.reason = "no plan used it when it was visible with the other candidates";
        } else if (const auto by = redundant(c)) {
            verdict.reason = "covered by recommended " + canonical(candidates[*by].spec);
        } else {
            const Move move = evaluate(c);
            verdict.benefit_ms = std::max(0.0, move.benefit); // never a negative "saving"
            if (enough(move) && !allowed(move)) {
                verdict.reason = options.max_indexes >= 0 &&
                                         static_cast<int>(chosen.size() + move.added()) > options.max_indexes
                                     ? fmt::format("over --max-indexes {} (would save ~{:.0f} ms)", options.max_indexes, move.benefit)
                                     : fmt::format("over --budget-mb {} (would save ~{:.0f} ms)", options.budget_mb, move.benefit);
            } else {
                const double gross = move.benefit + move.maintenance;
                verdict.reason =
                    move.benefit <= 0 && move.maintenance > 0 && gross > 0
                        ? fmt::format("costs more than it saves: ~{:.0f} ms saved over the workload, ~{:.0f} ms "
                                      "more spent keeping it up to date on writes",
                                      gross, move.maintenance)
                    : move.benefit < 0 && move.maintenance <= 0
                        ? std::string("makes no plan cheaper: the plans that would use it are estimated costlier "
                                      "than with the indexes chosen")
                        : fmt::format("saves too little: ~{:.0f} ms over the workload", std::max(0.0, move.benefit));
            }
        }
        result.verdicts[key] = std::move(verdict);
    }
    return result;
}

} // namespace dbadvise::analyzer::advisor
