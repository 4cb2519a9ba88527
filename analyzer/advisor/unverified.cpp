// Recommendations no planner can verify: GIN indexes (jsonb containment and key tests, arrays,
// text search, trigram patterns). HypoPG creates hypothetical btree, BRIN and hash indexes but
// not GIN ones, so these candidates never reach the what-if plans. They are estimated from the
// catalog and pg_stats instead, conservatively, and only after the verified selection: an
// estimate never displaces a verified saving, and never outranks one (index_advisor.cpp).
//
// For each statement a GIN candidate is built for, the table's sequential scan (what the
// statement does today: no btree serves these operators) is priced against a bitmap scan of
// the index that keeps k_gin_selectivity of the non-NULL rows (ten times PostgreSQL's own
// default for containment, 0.001: a guess should err towards "the index helps less"), with
// PostgreSQL's default cost constants and its bitmap heap scan's page cost. Half of the
// difference is counted, at most the statement's cost with the verified recommendations, and
// nothing for a statement whose table a verified recommendation already serves.
#include "analyzer/advisor/advisor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dbadvise::analyzer::advisor {

namespace {

constexpr double k_random_page = 4.0;
constexpr double k_cpu_tuple = 0.01;
constexpr double k_cpu_operator = 0.0025;
constexpr double k_cpu_index_tuple = 0.005;
constexpr double k_gin_selectivity = 0.01;
// Share of the estimated saving counted: the estimate is a model, not a plan.
constexpr double k_conservative = 0.5;
// GIN maintenance costs more than a btree's (every key, element or trigram of a row is an
// entry): twice the selection's 10% of the table's measured write time.
constexpr double k_gin_maintenance_share = 0.2;
constexpr double k_bytes_per_mb = 1024.0 * 1024.0;

const StatementSetup* find_setup(const std::vector<StatementSetup>& statements, int id) {
    for (const StatementSetup& setup : statements) {
        if (setup.id == id) {
            return &setup;
        }
    }
    return nullptr;
}

} // namespace

bool unverifiable(const IndexSpec& spec) {
    return spec.method == "gin";
}

UnverifiedResult estimate_unverifiable(const Workload& workload, const std::vector<StatementSetup>& statements,
                                       const std::vector<Candidate>& candidates, const SelectionResult& selection,
                                       const AnalyzeOptions& options) {
    UnverifiedResult result;
    double workload_ms = 0;
    std::map<const CatalogTable*, double> write_ms;
    for (const StatementSetup& statement : statements) {
        if (!statement.parsed || !statement.parsed->source) {
            continue;
        }
        workload_ms += statement.parsed->source->total_ms;
        if (statement.is_write && statement.write_target) {
            write_ms[statement.write_target] += statement.parsed->source->total_ms;
        }
    }

    struct Estimate {
        const Candidate* candidate = nullptr;
        UnverifiedIndex index;
        double touched = 0;
        std::string reason; // set when it cannot be recommended whatever the limits
    };
    std::vector<Estimate> estimates;
    for (const Candidate& candidate : candidates) {
        if (!unverifiable(candidate.spec)) {
            continue;
        }
        Estimate e;
        e.candidate = &candidate;
        e.index.candidate = candidate;
        const CatalogTable& table = *candidate.table;
        const TableSize size = table_size(workload, table);
        const double rows = std::max(1.0, size.rows);
        const double pages = std::max(1.0, size.pages);
        double null_frac = 0;
        if (!candidate.spec.keys.empty()) {
            if (const ColumnStats* stats = workload.find_stats(table.schema, table.name, candidate.leading_column)) {
                null_frac = stats->null_frac;
            }
        }
        const double selectivity = std::max(1.0 / rows, k_gin_selectivity * (1.0 - null_frac));
        e.index.selectivity = selectivity;
        const double fetched = rows * selectivity;
        const double index_pages = std::max(1.0, static_cast<double>(candidate.estimated_bytes) / 8192.0);
        const double index_cost = k_random_page * std::max(1.0, index_pages * selectivity) + fetched * k_cpu_index_tuple;
        // Distinct heap pages holding the matching rows, read in physical order: like
        // cost_bitmap_heap_scan(), the cost per page falls from random_page_cost towards
        // seq_page_cost as the share of the table fetched grows. Every row is rechecked.
        const double heap_pages = pages * (1.0 - std::exp(-fetched / pages));
        const double per_page = k_random_page - (k_random_page - 1.0) * std::sqrt(heap_pages / pages);
        const double gin_cost = index_cost + heap_pages * per_page + fetched * (k_cpu_tuple + k_cpu_operator);
        int served_elsewhere = 0;
        int unplanned = 0;
        for (const int id : candidate.statements) {
            const StatementSetup* setup = find_setup(statements, id);
            const auto base = selection.baseline.find(id);
            if (!setup || base == selection.baseline.end() || base->second.cost <= 0 || !setup->parsed ||
                !setup->parsed->source) {
                ++unplanned;
                continue;
            }
            const auto final_it = selection.final_cost.find(id);
            const Costing& now = final_it != selection.final_cost.end() ? final_it->second : base->second;
            const bool served = std::any_of(selection.chosen.begin(), selection.chosen.end(), [&](const ChosenIndex& c) {
                return c.candidate.table == candidate.table && now.used.contains(canonical(c.candidate.spec));
            });
            if (served) {
                ++served_elsewhere;
                continue;
            }
            const auto use = std::find_if(setup->tables.begin(), setup->tables.end(),
                                          [&](const TableUse& u) { return u.table == candidate.table; });
            const double filters =
                use == setup->tables.end()
                    ? 1.0
                    : static_cast<double>(use->equality.size() + use->range.size() + use->expressions.size() + use->gin.size());
            const double sequential = pages + rows * (k_cpu_tuple + k_cpu_operator * std::max(1.0, filters));
            const double saving = k_conservative * std::min(std::max(0.0, sequential - gin_cost), now.cost);
            if (saving <= 0) {
                continue;
            }
            const WorkloadStatement& source = *setup->parsed->source;
            const double weight = static_cast<double>(source.calls) * source.mean_ms / base->second.cost;
            e.index.benefit_ms += weight * saving;
            e.touched += weight * now.cost;
            e.index.cost_before += now.cost;
            e.index.cost_after += now.cost - saving;
            e.index.helped.insert(id);
        }
        e.index.benefit_ms -= write_ms[candidate.table] * k_gin_maintenance_share;
        if (e.index.helped.empty()) {
            e.reason = unplanned > 0 && served_elsewhere == 0
                           ? "not estimated: the statements it serves could not be planned"
                       : served_elsewhere > 0
                           ? "a recommended (verified) index already serves its table in the statements it serves"
                           : "the estimate finds no saving over a sequential scan";
        }
        estimates.push_back(std::move(e));
    }
    std::stable_sort(estimates.begin(), estimates.end(), [](const Estimate& a, const Estimate& b) {
        return a.index.benefit_ms > b.index.benefit_ms;
    });

    std::size_t count = selection.chosen.size();
    double bytes = 0;
    for (const ChosenIndex& chosen : selection.chosen) {
        bytes += static_cast<double>(chosen.candidate.estimated_bytes);
    }
    const double budget_bytes = options.budget_mb > 0 ? options.budget_mb * k_bytes_per_mb : 0;
    for (Estimate& e : estimates) {
        CandidateVerdict verdict;
        verdict.statements = static_cast<int>(e.candidate->statements.size());
        verdict.benefit_ms = std::max(0.0, e.index.benefit_ms);
        const IndexSpec& spec = e.candidate->spec;
        const bool same_column = std::any_of(result.chosen.begin(), result.chosen.end(), [&](const UnverifiedIndex& u) {
            return u.candidate.table == e.candidate->table && u.candidate.spec.keys == spec.keys;
        });
        if (!e.reason.empty()) {
            verdict.reason = e.reason;
        } else if (same_column) {
            verdict.reason = "another GIN index on the same key is recommended";
        } else if (e.index.benefit_ms <= 0 || e.index.benefit_ms < options.min_saving * e.touched ||
                   e.index.benefit_ms < options.min_workload_share * workload_ms) {
            verdict.reason = fmt::format("saves too little by the conservative estimate: ~{:.0f} ms over the workload",
                                         std::max(0.0, e.index.benefit_ms));
        } else if (options.max_indexes >= 0 && static_cast<int>(count + 1) > options.max_indexes) {
            verdict.reason = fmt::format("over --max-indexes {} (would save ~{:.0f} ms, estimated)", options.max_indexes,
                                         e.index.benefit_ms);
        } else if (budget_bytes > 0 && bytes + static_cast<double>(e.candidate->estimated_bytes) > budget_bytes) {
            verdict.reason = fmt::format("over --budget-mb {} (would save ~{:.0f} ms, estimated)", options.budget_mb,
                                         e.index.benefit_ms);
        } else {
            verdict.recommended = true;
            verdict.reason = "recommended (unverified: estimated from pg_stats, HypoPG cannot cost GIN)";
            ++count;
            bytes += static_cast<double>(e.candidate->estimated_bytes);
            result.chosen.push_back(e.index);
        }
        result.verdicts[canonical(spec)] = std::move(verdict);
    }
    return result;
}

} // namespace dbadvise::analyzer::advisor
