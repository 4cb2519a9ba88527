// choose_plan_targets(): which statements --analyze-plans runs under EXPLAIN ANALYZE, and with
// which parameter values.
//
// EXPLAIN ANALYZE executes the statement, so a statement runs only when judge_statement()
// (analyzer/plan_safety.hpp) proves it free of side effects, none of its tables is locked by
// another session, and every parameter has a value the workload supports. Values come from
// the index advisor's representative_params(): pg_stats of the column each parameter meets
// (the set at the middle row quantile), rows per call from pg_stat_statements for LIMIT. A
// NULL stand-in would make the plan meaningless (`x = NULL` matches nothing: a 657 ms
// statement shows as 0.016 ms), so a parameter without a value, and any parameter in OFFSET
// (the workload does not tell which pages are asked for), skip the statement with the reason.
// The capture also runs in a read-only transaction that is rolled back, as a second line.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/health.hpp"
#include "sqlparse/parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dbadvise::analyzer {

namespace {

const CatalogColumn* column_of(const CatalogTable& table, std::string_view name) {
    for (const CatalogColumn& column : table.columns) {
        if (column.name == name) {
            return &column;
        }
    }
    return nullptr;
}

// The locks of other sessions on a table the statement reads (unqualified names match in
// any schema, as the application's search_path is unknown).
const RelationLock* lock_on(const Workload& workload, const sqlparse::CallInventory& inventory) {
    for (const sqlparse::QualifiedName& name : inventory.relations) {
        for (const RelationLock& lock : workload.locks) {
            if (lock.table == name.name && (name.schema.empty() || lock.schema == name.schema)) {
                return &lock;
            }
        }
    }
    return nullptr;
}

std::string describe_use(const advisor::ParameterUse& use, const std::string& value,
                         const WorkloadStatement& statement) {
    if (use.in_limit) {
        return fmt::format("LIMIT: {} rows per call measured by pg_stat_statements ({} rows / {} calls)", value,
                           statement.rows, statement.calls);
    }
    std::string text = fmt::format("{}.{} {} $n, from pg_stats", use.table ? use.table->name : "?", use.column,
                                   use.op.empty() ? "=" : use.op);
    if (use.wrapper == "to_timestamp") {
        text += " as epoch seconds";
    } else if (!use.wrapper.empty()) {
        text += ", through " + use.wrapper + "()";
    }
    return text;
}

// Why parameter `index` has no value, for the skip reason.
std::string missing_value(const advisor::ParameterUse& use, std::size_t index) {
    if (use.in_predicate && use.table && !use.column.empty()) {
        return fmt::format("parameter ${} ({}.{}) has no representative value: pg_stats holds no values for "
                           "that column (run ANALYZE, or grant SELECT on it)",
                           index + 1, use.table->name, use.column);
    }
    return fmt::format("parameter ${} is not compared with a plain column whose statistics could give it a "
                       "value, so the workload tells none (a NULL stand-in would give a meaningless plan)",
                       index + 1);
}

// The set of the middle row quantile: representative_params() returns the sets in the order
// of the quantiles it samples (25%, 50%, 75%, most common value), merging equal ones.
const advisor::ParamSet* middle_set(const std::vector<advisor::ParamSet>& sets) {
    if (sets.empty()) {
        return nullptr;
    }
    return sets.size() >= 3 ? &sets[1] : &sets.front();
}

} // namespace

std::vector<PlanCandidate> plan_candidates(const Workload& workload) {
    std::vector<const WorkloadStatement*> ordered;
    for (const WorkloadStatement& statement : workload.statements) {
        ordered.push_back(&statement);
    }
    // Most total time first, whatever order the reader delivered; query id breaks ties.
    std::stable_sort(ordered.begin(), ordered.end(), [](const WorkloadStatement* a, const WorkloadStatement* b) {
        if (a->total_ms != b->total_ms) {
            return a->total_ms > b->total_ms;
        }
        return a->queryid < b->queryid;
    });
    std::vector<PlanCandidate> candidates;
    for (const WorkloadStatement* statement : ordered) {
        // Statements run inside functions and texts cut at track_activity_query_size are not
        // the application's statements as it sends them.
        if (!statement->toplevel || statement->truncated) {
            continue;
        }
        PlanCandidate candidate{statement, sqlparse::parse_statement(statement->text), {}};
        if (!candidate.parsed.statement || candidate.parsed.statement->kind != sqlparse::StatementKind::select) {
            continue;
        }
        candidate.inventory = sqlparse::call_inventory(statement->text);
        candidates.push_back(std::move(candidate));
    }
    return candidates;
}

SafetyQuestions plan_questions(const std::vector<PlanCandidate>& candidates) {
    SafetyQuestions questions;
    for (const PlanCandidate& candidate : candidates) {
        add_questions(candidate.inventory, questions);
    }
    return questions;
}

PlanSelection choose_plan_targets(const Workload& workload, const std::vector<PlanCandidate>& candidates,
                                  const SafetyCatalog& catalog, std::size_t limit) {
    PlanSelection selection;
    for (const PlanCandidate& candidate : candidates) {
        if (selection.targets.size() >= limit) {
            break;
        }
        const WorkloadStatement& statement = *candidate.statement;
        const auto skip = [&](std::string reason, bool unsafe) {
            selection.skipped.push_back({statement.queryid, std::move(reason), unsafe});
        };
        if (const SafetyVerdict verdict = judge_statement(candidate.inventory, catalog); !verdict.safe) {
            skip(verdict.reason, true);
            continue;
        }
        if (const RelationLock* lock = lock_on(workload, candidate.inventory)) {
            skip(fmt::format("it reads {}.{}, on which session {} {} {}", lock->schema, lock->table, lock->pid,
                             lock->granted ? "holds" : "waits for", lock->mode),
                 false);
            continue;
        }
        if (!candidate.inventory.offset_parameters.empty()) {
            skip(fmt::format("OFFSET ${} is a parameter: the workload does not tell which offsets the "
                             "application asks for",
                             *candidate.inventory.offset_parameters.begin()),
                 false);
            continue;
        }
        const ParsedWorkloadStatement parsed{&statement, candidate.parsed};
        advisor::StatementSetup setup = advisor::setup_statement(workload, parsed, 0);
        // Explicit PREPARE types where the column tells them; the server infers the rest.
        std::vector<std::string> types;
        for (const advisor::ParameterUse& use : setup.parameters) {
            std::string type;
            if (use.in_limit) {
                type = "bigint";
            } else if (use.in_predicate && use.table && !use.column.empty() && use.wrapper.empty()) {
                if (const CatalogColumn* column = column_of(*use.table, use.column)) {
                    type = column->type_name;
                }
            }
            types.push_back(type);
        }
        const std::vector<advisor::ParamSet> sets = advisor::representative_params(workload, setup, types);
        const advisor::ParamSet* set = middle_set(sets);
        std::optional<std::string> missing;
        for (std::size_t i = 0; i < setup.parameters.size() && !missing; ++i) {
            if (!set || i >= set->values.size() || !set->values[i]) {
                missing = missing_value(setup.parameters[i], i);
            }
        }
        if (missing) {
            skip(*missing, false);
            continue;
        }
        PlanTarget target;
        target.queryid = statement.queryid;
        target.sql = setup.sql;
        target.param_types = std::move(types);
        for (std::size_t i = 0; i < setup.parameters.size(); ++i) {
            target.params.push_back(set->values[i]);
            target.param_sources.push_back(describe_use(setup.parameters[i], *set->values[i], statement));
        }
        selection.targets.push_back(std::move(target));
    }
    return selection;
}

} // namespace dbadvise::analyzer
