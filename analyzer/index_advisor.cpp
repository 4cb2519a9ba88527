// The index advisor's driver: sets up each statement (typed literals repaired, parameter types
// from the server, representative parameter values), builds candidates, prices them with
// HypoPG what-if plans (or, without HypoPG, a selectivity model) and turns the greedy
// selection into findings and a summary section.
#include "analyzer/index_advisor.hpp"
#include "analyzer/operations.hpp"
#include "analyzer/plan/plan_model.hpp"
#include "analyzer/rule_registry.hpp"
#include "analyzer/text.hpp"

#include "analyzer/advisor/advisor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace dbadvise::analyzer {

namespace {

using advisor::ChosenIndex;
using advisor::StatementSetup;

bool plannable(const ParsedWorkloadStatement& statement) {
    if (!statement.source || !statement.parsed.statement) {
        return false;
    }
    switch (statement.parsed.statement->kind) {
    case sqlparse::StatementKind::select:
    case sqlparse::StatementKind::insert:
    case sqlparse::StatementKind::update:
    case sqlparse::StatementKind::delete_:
        return true;
    default:
        return false;
    }
}


std::string human_bytes(std::int64_t bytes) {
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024.0 * 1024.0) {
        return fmt::format("{:.1f} GB", b / (1024.0 * 1024.0 * 1024.0));
    }
    if (b >= 1024.0 * 1024.0) {
        return fmt::format("{:.1f} MB", b / (1024.0 * 1024.0));
    }
    return fmt::format("{:.0f} kB", b / 1024.0);
}

// A statement the advisor could not plan, and why, in words that put the blame where it
// lies: dbadvise's parameter typing, an object gone since the statement ran, or the server.
struct Unplanned {
    const WorkloadStatement* source = nullptr;
    std::string message;             // the server's message (or dbadvise's, for cut text)
    std::string cause;               // parameter-types | missing-object | truncated | locked-table | side-effects | server-error
    std::string sqlstate;
    int attempts = 0;
};

std::string unplanned_message(const Unplanned& u) {
    if (u.cause == "parameter-types") {
        return fmt::format(
            "dbadvise could not find parameter types the server accepts for this normalized statement "
            "({} PREPARE attempt{}); the server's last error: {}. This is a limit of dbadvise's parameter "
            "typing, not a fault of the statement: its indexes were not considered.",
            u.attempts, u.attempts == 1 ? "" : "s", u.message);
    }
    if (u.cause == "missing-object") {
        return fmt::format("The statement no longer plans: {}. The object was dropped or renamed since the "
                           "statement ran, or belongs to another session (a temporary table); the index advisor "
                           "left it out. If the statement is obsolete, reset its pg_stat_statements entry.",
                           u.message);
    }
    if (u.cause == "truncated") {
        return u.message;
    }
    if (u.cause == "side-effects") {
        return fmt::format("dbadvise did not plan this statement: the planner runs the immutable and stable "
                           "functions it can evaluate early, and {}. The index advisor left it out; a function "
                           "with side effects must be declared VOLATILE.",
                           u.message);
    }
    if (u.cause == "locked-table") {
        return fmt::format("The statement was not planned: {}. Run dbadvise again when the lock is released.",
                           u.message);
    }
    return fmt::format("The server could not plan this statement as dbadvise prepared it: {}. The index advisor "
                       "left it out; its indexes were not considered.",
                       u.message);
}

PlannerError planner_error(const advisor::CostError& cost) {
    PlannerError error(cost.message, cost.fatal);
    error.sqlstate = cost.sqlstate;
    return error;
}

std::string cause_of(const PlannerError& error, bool typing) {
    if (typing) {
        return "parameter-types";
    }
    // 42P01 undefined_table, 42703 undefined_column, 3F000 invalid_schema_name, 42704
    // undefined_object.
    if (error.sqlstate == "42P01" || error.sqlstate == "42703" || error.sqlstate == "3F000" ||
        error.sqlstate == "42704" ||
        (error.sqlstate.empty() && error.message.find("does not exist") != std::string::npos)) {
        return "missing-object";
    }
    return "server-error";
}

// Why nothing is recommended: planning stopped, no statement got a candidate (and why), a
// limit (--max-indexes, --budget-mb) kept every candidate out, or candidates were costed and
// none saved enough.
std::string none_line(const AdvisorResult& result, std::size_t candidates, const advisor::SelectionResult& selection,
                      const AnalyzeOptions& options) {
    if (result.partial) {
        return "none (planning stopped early)";
    }
    if (selection.stopped_by_limit) {
        return "none: " + selection.stopped_by;
    }
    if (candidates == 0) {
        std::map<std::string, int> reasons;
        int planned = 0;
        for (const auto& [queryid, outcome] : result.outcomes) {
            if (outcome.status == StatementOutcome::Status::no_candidate) {
                // The reason without its examples in parentheses, to count alike ones together.
                reasons[outcome.reason.substr(0, outcome.reason.find(" ("))] += 1;
            }
            planned += outcome.status != StatementOutcome::Status::not_planned &&
                               outcome.status != StatementOutcome::Status::not_reached
                           ? 1
                           : 0;
        }
        if (result.outcomes.empty()) {
            return "none: no statement to index (no SELECT, UPDATE or DELETE in the workload)";
        }
        if (planned == 0) {
            return "none: no statement could be planned, so no candidate index was generated";
        }
        std::string line = "none: no candidate index was generated:";
        for (const auto& [reason, count] : reasons) {
            line += fmt::format(" {} statement{}: {};", count, count == 1 ? "" : "s", reason);
        }
        line.back() = '.';
        return line;
    }
    return fmt::format("none: {} candidate index{} costed, none saves enough for the statements analyzed (at least "
                       "{:g}% of their cost and {:g}% of the workload's measured time)",
                       candidates, candidates == 1 ? " was" : "es were", options.min_saving * 100,
                       options.min_workload_share * 100);
}

// The statements of `ids`, the most measured time first.
std::vector<const StatementSetup*> helped_statements(const std::vector<StatementSetup>& setups, const std::set<int>& ids) {
    std::vector<const StatementSetup*> helped;
    for (const StatementSetup& setup : setups) {
        if (ids.contains(setup.id)) {
            helped.push_back(&setup);
        }
    }
    std::sort(helped.begin(), helped.end(), [](const StatementSetup* a, const StatementSetup* b) {
        return a->parsed->source->total_ms > b->parsed->source->total_ms;
    });
    return helped;
}

// The tables beside the indexed one that a recommendation builds its index on: a partitioned
// table's partitions, or an inheritance parent's children (both at every level).
struct IndexTree {
    std::vector<const CatalogTable*> partitions;
    std::vector<const CatalogTable*> children;
    // An inheritance parent: its index that already serves the spec (then only the children
    // get one), and the children that already have one (they get none).
    const CatalogIndex* on_parent = nullptr;
    std::size_t children_served = 0;
    bool empty() const { return partitions.empty() && children.empty(); }
    std::size_t size() const { return partitions.size() + children.size(); }
};

// The SQL that builds `spec` and the evidence every index recommendation has; returns the
// partitions of a partitioned table or the inheritance children of a parent (empty for any
// other table). CREATE INDEX CONCURRENTLY is not allowed on a partitioned table: the parent's
// index is created ON ONLY (instant), each partition's concurrently, then attached. An index on
// an inheritance parent covers none of its children: each gets its own.
IndexTree suggest_index(const Workload& workload, const CatalogTable& table, const IndexSpec& spec,
                        const std::string& name, std::int64_t bytes, Finding& finding) {
    IndexTree tree;
    tree.partitions = advisor::partitions_of(workload, table);
    std::vector<const CatalogTable*> others = tree.partitions;
    if (tree.partitions.empty()) {
        tree.children = advisor::inheritance_children_of(workload, table);
        if (!tree.children.empty()) {
            // Where the index is still missing: the parent unless an index of its own serves
            // the spec, each local child that has none, and (for the evidence) foreign ones.
            tree.on_parent = advisor::serving_index(workload, table, spec);
            const std::vector<const CatalogTable*> lacking = advisor::children_lacking(workload, table, spec);
            for (const CatalogTable* child : tree.children) {
                const bool local = child->kind == 'r' || child->kind == 'm';
                if (!local || std::find(lacking.begin(), lacking.end(), child) != lacking.end()) {
                    others.push_back(child);
                } else {
                    ++tree.children_served;
                }
            }
            if (tree.on_parent != nullptr) {
                finding.title = fmt::format("Create index {} on the inheritance children of {} that lack it",
                                            spec.on_clause(), quote_identifier(table.name));
                finding.evidence.emplace_back("existing_index_on_parent", tree.on_parent->name);
            }
            if (tree.children_served > 0) {
                finding.evidence.emplace_back("children_with_index", static_cast<std::int64_t>(tree.children_served));
            }
        }
    }
    if (others.empty()) {
        finding.suggestion.sql = spec.create_sql(name);
    } else {
        std::vector<IndexPartition> parts;
        for (const CatalogTable* other : others) {
            parts.push_back({other->schema, other->name, other->parent_schema, other->parent_name,
                             other->kind == 'p', other->kind == 'f'});
        }
        std::vector<std::string> foreign;
        for (const IndexPartition& part : parts) {
            if (part.foreign) {
                foreign.push_back(part.schema.empty() ? part.name : part.schema + "." + part.name);
            }
        }
        const bool partitioned = !tree.partitions.empty();
        if (!foreign.empty()) {
            finding.evidence.emplace_back(partitioned ? "foreign_partitions" : "foreign_children",
                                          fmt::format("{}", fmt::join(foreign, ", ")));
        }
        finding.suggestion.sql = partitioned ? index_on_partitioned_sql(spec, name, parts)
                                             : index_on_inheritance_tree_sql(spec, name, parts, tree.on_parent == nullptr);
        finding.evidence.emplace_back(partitioned ? "partitions" : "inheritance_children",
                                      static_cast<std::int64_t>(partitioned ? parts.size() : tree.children.size()));
    }
    finding.evidence.emplace_back("index", spec.on_clause());
    finding.evidence.emplace_back("estimated_size_bytes", bytes);
    finding.evidence.emplace_back("estimated_size", human_bytes(bytes));
    return tree;
}

// The sentence that tells how the index is built on an inheritance parent and its children.
std::string inheritance_note(const IndexSpec& spec, const IndexTree& tree) {
    const std::vector<const CatalogTable*>& children = tree.children;
    const auto foreign = static_cast<std::size_t>(
        std::count_if(children.begin(), children.end(), [](const CatalogTable* c) { return c->kind == 'f'; }));
    const std::size_t local = children.size() - foreign;
    const std::size_t lacking = local - tree.children_served;
    const std::string where =
        tree.children_served == 0
            ? (local == 1 ? std::string("its child") : fmt::format("each of its {} children", local))
            : fmt::format("the {} of its {} children that have none yet (evidence children_with_index)", lacking, local);
    std::string note = fmt::format(
        " {} has {} inheritance {} (INHERITS), which the statements read with it: unlike a partitioned table's, an "
        "index on a parent covers none of its children, so ",
        spec.table, children.size(), children.size() == 1 ? "child" : "children");
    if (tree.on_parent != nullptr) {
        note += fmt::format("its index {} serves only the rows of {} itself, and the SQL creates the index on {}",
                            tree.on_parent->name, spec.table, where);
    } else {
        note += fmt::format("the SQL creates the index on {} and on {}", spec.table, where);
    }
    note += ", each with CREATE INDEX CONCURRENTLY; the saving was costed with all of them.";
    if (foreign > 0) {
        note += fmt::format(" {} of the children {} foreign table{} (evidence foreign_children): PostgreSQL cannot "
                            "index {} here (create the index on the remote table).",
                            foreign, foreign == 1 ? "is a" : "are", foreign == 1 ? "" : "s", foreign == 1 ? "it" : "them");
    }
    return note;
}

// The sentence that tells how the index is built on a partitioned table, and what it cannot
// cover (foreign-table partitions); or on an inheritance parent and its children.
std::string partition_note(const IndexSpec& spec, const IndexTree& tree) {
    if (!tree.children.empty()) {
        return inheritance_note(spec, tree);
    }
    const std::vector<const CatalogTable*>& partitions = tree.partitions;
    if (partitions.empty()) {
        return {};
    }
    const auto foreign = static_cast<std::size_t>(std::count_if(
        partitions.begin(), partitions.end(), [](const CatalogTable* p) { return p->kind == 'f'; }));
    const std::size_t local = partitions.size() - foreign;
    std::string note = fmt::format(" {} is partitioned: the index is created on it ON ONLY, built on {} with CREATE "
                                   "INDEX CONCURRENTLY and attached, so writes are never blocked.",
                                   spec.table,
                                   local == 1 ? fmt::format("its one {}partition", foreign > 0 ? "local " : "")
                                              : fmt::format("each of its {} {}partitions", local, foreign > 0 ? "local " : ""));
    if (foreign > 0) {
        note += fmt::format(" {} of its partitions {} foreign table{} (evidence foreign_partitions): PostgreSQL cannot "
                            "index {} here (create the index on the remote table), and the index on {} stays marked "
                            "invalid while {} attached; the planner still uses each local partition's index.",
                            foreign, foreign == 1 ? "is a" : "are", foreign == 1 ? "" : "s",
                            foreign == 1 ? "it" : "them", spec.table, foreign == 1 ? "it is" : "they are");
    }
    return note;
}

// The generic plan of `setup` and its custom plans for each representative parameter set, with
// no hypothetical index shown: whether the statement's plan depends on its values.
std::expected<PlanSensitivity, PlannerError> compare_plans(Planner& planner, const StatementSetup& setup) {
    const auto variant = [&](std::string label, std::vector<ParamValue> values) -> std::expected<PlanVariant, PlannerError> {
        auto planned = planner.plan(PlanRequest{setup.sql, setup.param_types, std::move(values), {}});
        if (!planned) return std::unexpected(planned.error());
        PlanVariant out{std::move(label), {}, planned->total_cost};
        if (auto plan = plan::parse_json_plan(planned->plan_json)) out.shape = plan::plan_shape(*plan);
        return out;
    };
    PlanSensitivity sensitivity;
    auto generic = variant("generic plan", {});
    if (!generic) return std::unexpected(generic.error());
    sensitivity.generic = std::move(*generic);
    for (const advisor::ParamSet& set : setup.param_sets) {
        auto custom = variant(set.label, set.values);
        if (!custom) return std::unexpected(custom.error());
        sensitivity.custom.push_back(std::move(*custom));
    }
    return sensitivity;
}

} // namespace

std::string hypopg_instructions(int server_version_num) {
    const int major = server_version_num >= 100000 ? server_version_num / 10000 : 15;
    return fmt::format("install HypoPG on the server (Debian/Ubuntu: apt install postgresql-{}-hypopg; "
                       "RHEL: dnf install hypopg_{}) and run CREATE EXTENSION hypopg; in this database",
                       major, major);
}

AdvisorResult advise_indexes(const Workload& workload, const std::vector<ParsedWorkloadStatement>& statements,
                             Planner* planner, const AnalyzeOptions& options) {
    AdvisorResult result;
    const bool what_if = planner && planner->supports_hypothetical() && options.hypopg != HypoMode::off;
    if (!what_if) {
        if (planner == nullptr) {
            result.notes.push_back(
                "No database server to verify with (an offline analysis): index recommendations "
                "come from a selectivity model over pg_stats and are unverified; to verify them, "
                "analyze with --dsn of a server with the same schema and HypoPG");
        } else if (options.hypopg == HypoMode::off) {
            result.notes.push_back("--hypopg off: index recommendations come from a selectivity model over "
                                   "pg_stats and are unverified");
        } else {
            result.notes.push_back("HypoPG is not available in this database: index recommendations come from a "
                                   "selectivity model over pg_stats and are unverified; to verify them, " +
                                   hypopg_instructions(workload.server_version_num));
        }
    }

    std::vector<StatementSetup> setups;
    std::vector<Unplanned> failures;
    advisor::TypeMemory type_memory;
    // Tables a statement could not be prepared on because another session locked them after
    // the catalog was read: the other statements on them are not tried, each would wait for
    // lock_timeout again.
    std::set<const CatalogTable*> locked;
    const auto touches_locked = [&](const StatementSetup& setup) {
        return std::any_of(setup.tables.begin(), setup.tables.end(),
                           [&](const advisor::TableUse& use) { return locked.contains(use.table); });
    };
    const auto locked_failure = [](const WorkloadStatement* source) {
        return Unplanned{source,
                         "a table it reads is locked by another session (an ACCESS EXCLUSIVE lock taken while "
                         "dbadvise ran), so it was not planned",
                         "locked-table", "55P03", 0};
    };
    for (std::size_t i = 0; i < statements.size() && !result.partial; ++i) {
        const ParsedWorkloadStatement& statement = statements[i];
        if (!plannable(statement)) {
            continue;
        }
        if (statement.source->truncated) {
            failures.push_back({statement.source,
                                "The statement text was cut at track_activity_query_size, so it cannot be planned; "
                                "raise track_activity_query_size to see whole statements.",
                                "truncated", "", 0});
            continue;
        }
        if (const auto unsafe = options.unsafe_to_plan.find(statement.source->queryid);
            planner && unsafe != options.unsafe_to_plan.end()) {
            failures.push_back({statement.source, unsafe->second, "side-effects", "", 0});
            continue;
        }
        if (options.progress) {
            options.progress("preparing statements", i, statements.size());
        }
        StatementSetup setup = advisor::setup_statement(workload, statement, static_cast<int>(i));
        if (touches_locked(setup)) {
            failures.push_back(locked_failure(statement.source));
            continue;
        }
        std::vector<std::string> types = advisor::inferred_types(setup, type_memory);
        if (planner) {
            auto described = advisor::prepare_types(*planner, setup, type_memory);
            if (!described) {
                const advisor::TypingFailure& failure = described.error();
                if (failure.error.lock_timeout) {
                    for (const advisor::TableUse& use : setup.tables) {
                        locked.insert(use.table);
                    }
                }
                failures.push_back({statement.source, failure.error.message,
                                    failure.error.lock_timeout ? "locked-table"
                                                               : cause_of(failure.error, failure.parameter_types),
                                    failure.error.sqlstate, failure.attempts});
                result.partial = result.partial || failure.error.fatal;
                continue;
            }
            types = *described;
        }
        setup.param_sets = advisor::representative_params(workload, setup, types);
        setups.push_back(std::move(setup));
    }

    if (!locked.empty()) {
        std::erase_if(setups, [&](const StatementSetup& setup) {
            if (!touches_locked(setup)) {
                return false;
            }
            failures.push_back(locked_failure(setup.parsed->source));
            return true;
        });
    }

    std::map<int, std::string> no_candidate;
    std::vector<advisor::Candidate> candidates =
        advisor::generate_candidates(workload, setups, result.notes, &no_candidate, options.without_candidate_kinds);
    result.candidates = static_cast<int>(candidates.size());

    std::unique_ptr<advisor::CostModel> model;
    advisor::PlannerCostModel* what_if_model = nullptr;
    if (what_if) {
        auto owned = std::make_unique<advisor::PlannerCostModel>(*planner, &workload);
        what_if_model = owned.get();
        model = std::move(owned);
    } else {
        model = std::make_unique<advisor::SelectivityCostModel>(workload);
    }
    result.verified = model->verified();

    // GIN candidates never reach the planner (HypoPG cannot create them): the verified
    // selection runs without them, and they are estimated afterwards from pg_stats.
    std::vector<advisor::Candidate> costable;
    std::copy_if(candidates.begin(), candidates.end(), std::back_inserter(costable),
                 [](const advisor::Candidate& c) { return !advisor::unverifiable(c.spec); });
    advisor::SelectionResult selection;
    advisor::UnverifiedResult unverified;
    if (!result.partial) {
        selection = advisor::select_indexes(workload, setups, costable, *model, options);
        result.partial = selection.partial;
        if (!result.partial) {
            unverified = advisor::estimate_unverifiable(workload, setups, candidates, selection, options);
        }
    }
    for (const auto& [id, error] : selection.failures) {
        failures.push_back({statements[static_cast<std::size_t>(id)].source, error.message,
                            cause_of(planner_error(error), false), error.sqlstate, 0});
    }
    if (!what_if && planner) {
        // Without HypoPG the planner still tells which statements no longer plan.
        for (const StatementSetup& setup : setups) {
            PlanRequest request{setup.sql, setup.param_types, {}, {}};
            if (auto planned = planner->plan(request); !planned) {
                failures.push_back({setup.parsed->source, planned.error().message,
                                    cause_of(planned.error(), false), planned.error().sqlstate, 0});
                if (planned.error().fatal) {
                    result.partial = true;
                    break;
                }
            }
        }
    }
    result.statements_failed = static_cast<int>(failures.size());
    result.statements_planned = static_cast<int>(setups.size()) - static_cast<int>(selection.failures.size());

    for (const auto& [key, message] : model->rejected()) {
        result.notes.push_back(fmt::format("candidate index {} was left out: the server refused it ({}); the "
                                           "statements were costed with the other candidates",
                                           key, message));
    }
    // What became of each statement, for the summary and for the health checks (which must
    // not blame memory for a statement the advisor could not analyze).
    for (const StatementSetup& setup : setups) {
        StatementOutcome outcome;
        if (const auto it = no_candidate.find(setup.id); it != no_candidate.end()) {
            outcome = {StatementOutcome::Status::no_candidate, it->second};
        } else if (result.partial && !selection.baseline.contains(setup.id)) {
            outcome = {StatementOutcome::Status::not_reached, "planning stopped early, before it was costed"};
        }
        for (const ChosenIndex& index : selection.chosen) {
            if (index.helped.contains(setup.id)) {
                outcome = {StatementOutcome::Status::helped, advisor::canonical(index.candidate.spec)};
            }
        }
        for (const advisor::UnverifiedIndex& index : unverified.chosen) {
            if (index.helped.contains(setup.id) && outcome.status != StatementOutcome::Status::helped) {
                outcome = {StatementOutcome::Status::helped, advisor::canonical(index.candidate.spec)};
            }
        }
        result.outcomes[setup.parsed->source->queryid] = outcome;
    }
    // Statements whose time varies widely: the generic plan against the custom plans, for
    // variable-time to say whether the spread comes from the plan (one to four plans each).
    if (planner && !result.partial) {
        std::set<int> unplanned_ids;
        for (const auto& failure : selection.failures) unplanned_ids.insert(failure.first);
        for (const StatementSetup& setup : setups) {
            const WorkloadStatement& source = *setup.parsed->source;
            if (setup.param_sets.empty() || unplanned_ids.contains(setup.id) || !varies_widely(source)) continue;
            auto compared = compare_plans(*planner, setup);
            if (compared) {
                result.plans[source.queryid] = std::move(*compared);
            } else if (compared.error().fatal) {
                result.partial = true;
                break;
            }
        }
    }
    for (const Unplanned& failure : failures) {
        const WorkloadStatement* source = failure.source;
        result.outcomes[source->queryid] = {StatementOutcome::Status::not_planned, failure.message};
        Finding finding(RuleId::statement_not_planned);
        finding.title = "Statement could not be planned";
        finding.message = unplanned_message(failure);
        finding.query = query_ref(*source);
        finding.evidence.emplace_back(failure.cause == "side-effects" ? "reason" : "server_message", failure.message);
        finding.evidence.emplace_back("cause", failure.cause);
        if (!failure.sqlstate.empty()) {
            finding.evidence.emplace_back("sqlstate", failure.sqlstate);
        }
        if (failure.attempts > 0) {
            finding.evidence.emplace_back("prepare_attempts", static_cast<std::int64_t>(failure.attempts));
        }
        finding.rank = source->total_ms;
        result.findings.push_back(std::move(finding));
        result.unplanned.push_back(source->queryid);
    }

    std::vector<ChosenIndex> chosen = selection.chosen;
    std::sort(chosen.begin(), chosen.end(), [](const ChosenIndex& a, const ChosenIndex& b) {
        if (a.benefit_ms != b.benefit_ms) {
            return a.benefit_ms > b.benefit_ms;
        }
        return advisor::canonical(a.candidate.spec) < advisor::canonical(b.candidate.spec);
    });

    ReportSection section;
    section.category = Category::index;
    section.title = result.verified ? "Recommended indexes (verified with HypoPG)"
                                    : "Recommended indexes (unverified: selectivity model)";
    int position = 0;
    // Relation names are unique per schema across tables, indexes, views and sequences: a
    // recommended name must not be one already taken (an invalid index left by a failed
    // CREATE INDEX CONCURRENTLY has the very name dbadvise would choose), nor one given to
    // another recommendation. PostgreSQL's own choice for a taken name appends a number.
    std::set<std::pair<std::string, std::string>> taken;
    for (const CatalogTable& table : workload.tables) taken.emplace(table.schema, table.name);
    for (const CatalogIndex& existing : workload.indexes) taken.emplace(existing.schema, existing.name);
    for (const CatalogView& view : workload.views) taken.emplace(view.schema, view.name);
    const auto unique_name = [&taken](const IndexSpec& spec) {
        const std::string base = spec.default_name();
        std::string name = base;
        for (int n = 1; taken.contains({spec.table_schema, name}); ++n) {
            const std::string number = std::to_string(n);
            name = base.substr(0, std::min(base.size(), 63 - number.size())) + number;
        }
        taken.emplace(spec.table_schema, name);
        return name;
    };
    for (const ChosenIndex& index : chosen) {
        const IndexSpec& spec = index.candidate.spec;
        const std::string key = advisor::canonical(spec);
        std::int64_t bytes = index.candidate.estimated_bytes;
        if (what_if_model) {
            if (const auto it = what_if_model->sizes().find(key); it != what_if_model->sizes().end()) {
                bytes = it->second;
            }
        }
        const std::string name = unique_name(spec);

        const std::vector<const StatementSetup*> helped = helped_statements(setups, index.helped);

        Finding finding(RuleId::missing_index);
        finding.title = fmt::format("Create index {} {}", quote_identifier(name), spec.on_clause());
        finding.subject = key;
        const IndexTree tree = suggest_index(workload, *index.candidate.table, spec, name, bytes, finding);
        finding.evidence.emplace_back("verified", result.verified);
        finding.evidence.emplace_back("verification", result.verified
                                                          ? std::string("custom plans with HypoPG hypothetical indexes")
                                                          : std::string("selectivity model from pg_stats"));
        finding.evidence.emplace_back("statements_helped", static_cast<std::int64_t>(helped.size()));
        double cost_before = 0;
        double cost_after = 0;
        std::int64_t calls = 0;
        bool early_exit = false;
        int n = 0;
        for (const StatementSetup* setup : helped) {
            const WorkloadStatement& source = *setup->parsed->source;
            const double before = selection.baseline[setup->id].cost;
            const double after = selection.final_cost[setup->id].cost;
            cost_before += before;
            cost_after += after;
            calls += source.calls;
            finding.evidence.emplace_back(
                fmt::format("statement_{}", ++n),
                fmt::format("queryid {}: {} calls, mean {:.3f} ms, cost {:.2f} -> {:.2f}: {}", source.queryid,
                            source.calls, source.mean_ms, before, after, excerpt(source.text, 100)));
            const advisor::Costing& final_cost = selection.final_cost[setup->id];
            if (final_cost.risky_early_exit) {
                // The plan stops at the LIMIT while it discards rows: counted as if it read the
                // LIMIT's whole input, and flagged.
                early_exit = true;
                const double measured = source.calls > 0 ? static_cast<double>(source.rows) / static_cast<double>(source.calls) : 0;
                finding.evidence.emplace_back(fmt::format("statement_{}_rows", n),
                                              fmt::format("planner expects {:.0f} rows per call, pg_stat_statements "
                                                          "measured {:.1f}; planner cost if matches come early {:.2f}, "
                                                          "counted {:.2f}",
                                                          final_cost.plan_rows, measured, final_cost.planner_cost,
                                                          final_cost.cost));
            }
        }
        if (early_exit) {
            finding.evidence.emplace_back("relies_on_early_exit", true);
        }
        if (!helped.empty()) {
            finding.query = query_ref(*helped.front()->parsed->source);
        }
        finding.impact.cost_before = cost_before;
        finding.impact.cost_after = cost_after;
        finding.impact.estimated_ms_saved_per_call = calls > 0 ? index.benefit_ms / static_cast<double>(calls) : 0.0;
        finding.rank = index.benefit_ms;
        finding.message = fmt::format(
            "{} statement{} would use this index; estimated saving {:.1f} ms over the measured workload "
            "({:.2f} -> {:.2f} planner cost per call summed over those statements). {}{}",
            helped.size(), helped.size() == 1 ? "" : "s", index.benefit_ms, cost_before, cost_after,
            std::string(result.verified
                            ? "Verified: the planner chose the hypothetical index (HypoPG) in the custom plans."
                            : "Unverified: estimated from pg_stats without HypoPG; check with EXPLAIN after creating it.") +
                partition_note(spec, tree),
            early_exit ? " The plan relies on early exit: it reads in ORDER BY order and stops at the LIMIT while "
                         "discarding rows, which is slow when matching rows are rarer or later than the planner "
                         "believes; the saving counted assumes it reads the LIMIT's whole input."
                       : "");
        const std::string first_line = finding.suggestion.sql.substr(0, finding.suggestion.sql.find('\n'));
        const std::string shown_sql =
            tree.empty() ? finding.suggestion.sql
            : tree.children.empty()
                ? fmt::format("{} (then {} partition{} concurrently, attached: see the finding)", first_line,
                              tree.size(), tree.size() == 1 ? "" : "s")
                : fmt::format("{} (then {} more on its inheritance children: see the finding)", first_line,
                              std::count(finding.suggestion.sql.begin(), finding.suggestion.sql.end(), '\n'));
        section.lines.push_back(fmt::format("{}. {}  -- {}, saves ~{:.0f} ms, {} statement{}{}{}", ++position,
                                            shown_sql, human_bytes(bytes), index.benefit_ms,
                                            helped.size(), helped.size() == 1 ? "" : "s",
                                            result.verified ? "" : " (unverified)",
                                            early_exit ? " (relies on early exit at a LIMIT)" : ""));
        result.findings.push_back(std::move(finding));
    }
    // GIN recommendations, after every verified one: their savings are estimates, so they
    // never outrank a saving the planner confirmed (their rank stays below the smallest).
    double lowest_verified = 0;
    for (const ChosenIndex& index : chosen) {
        lowest_verified = lowest_verified == 0 ? index.benefit_ms : std::min(lowest_verified, index.benefit_ms);
    }
    for (const advisor::UnverifiedIndex& index : unverified.chosen) {
        const IndexSpec& spec = index.candidate.spec;
        const std::string name = unique_name(spec);
        const std::int64_t bytes = index.candidate.estimated_bytes;
        const std::vector<const StatementSetup*> helped = helped_statements(setups, index.helped);
        Finding finding(RuleId::missing_index);
        finding.title = fmt::format("Create index {} {}", quote_identifier(name), spec.on_clause());
        finding.subject = advisor::canonical(spec);
        const IndexTree tree = suggest_index(workload, *index.candidate.table, spec, name, bytes, finding);
        finding.evidence.emplace_back("verified", false);
        finding.evidence.emplace_back("verification",
                                      std::string("estimated from pg_stats and the table's size: HypoPG cannot create "
                                                  "hypothetical GIN indexes, so no plan verified it"));
        finding.evidence.emplace_back("assumed_selectivity", index.selectivity);
        finding.evidence.emplace_back("statements_helped", static_cast<std::int64_t>(helped.size()));
        std::int64_t calls = 0;
        int n = 0;
        for (const StatementSetup* setup : helped) {
            const WorkloadStatement& source = *setup->parsed->source;
            calls += source.calls;
            finding.evidence.emplace_back(fmt::format("statement_{}", ++n),
                                          fmt::format("queryid {}: {} calls, mean {:.3f} ms: {}", source.queryid,
                                                      source.calls, source.mean_ms, excerpt(source.text, 100)));
        }
        if (!helped.empty()) {
            finding.query = query_ref(*helped.front()->parsed->source);
        }
        finding.impact.cost_before = index.cost_before;
        finding.impact.cost_after = index.cost_after;
        finding.impact.estimated_ms_saved_per_call = calls > 0 ? index.benefit_ms / static_cast<double>(calls) : 0.0;
        finding.rank = lowest_verified > 0 ? std::min(index.benefit_ms, lowest_verified * 0.999) : index.benefit_ms;
        finding.message = fmt::format(
            "{} statement{} test{} {} with an operator a GIN index serves; estimated saving {:.1f} ms over the "
            "measured workload. Unverified: HypoPG cannot create hypothetical GIN indexes, so no plan confirmed "
            "it; the estimate assumes the condition keeps {:.1f}% of the rows, counts half of the difference "
            "between a sequential scan and a bitmap scan of the index, and is ranked below every verified "
            "recommendation. Check with EXPLAIN after creating it.{}",
            helped.size(), helped.size() == 1 ? "" : "s", helped.size() == 1 ? "s" : "",
            spec.keys.empty() ? std::string() : spec.keys.front(), index.benefit_ms, index.selectivity * 100,
            partition_note(spec, tree));
        section.lines.push_back(fmt::format("{}. {}  -- {}, saves ~{:.0f} ms (estimated), {} statement{} "
                                            "(unverified: HypoPG cannot cost GIN)",
                                            ++position,
                                            tree.empty() ? finding.suggestion.sql
                                                               : finding.suggestion.sql.substr(
                                                                     0, finding.suggestion.sql.find('\n')),
                                            human_bytes(bytes), index.benefit_ms, helped.size(),
                                            helped.size() == 1 ? "" : "s"));
        result.findings.push_back(std::move(finding));
    }
    const bool none = section.lines.empty();
    if (none) {
        section.lines.push_back(none_line(result, candidates.size(), selection, options));
    }
    result.stopped_by = selection.stopped_by;
    // Said once: a limit that kept every candidate out is the "none" line itself.
    if (!candidates.empty() && !selection.stopped_by.empty() && !(none && selection.stopped_by_limit)) {
        section.lines.push_back("selection stopped: " + selection.stopped_by);
    }
    result.sections.push_back(std::move(section));

    // Every candidate considered, recommended first, then by estimated saving.
    for (const advisor::Candidate& candidate : candidates) {
        const std::string key = advisor::canonical(candidate.spec);
        IndexCandidate entry;
        entry.index = key;
        entry.kind = std::string(advisor::to_string(candidate.kind));
        entry.estimated_size_bytes = candidate.estimated_bytes;
        const advisor::CandidateVerdict* verdict = nullptr;
        if (const auto it = unverified.verdicts.find(key); it != unverified.verdicts.end()) {
            verdict = &it->second;
        } else if (const auto found = selection.verdicts.find(key); found != selection.verdicts.end()) {
            verdict = &found->second;
        }
        if (verdict) {
            entry.recommended = verdict->recommended;
            entry.reason = verdict->reason;
            entry.benefit_ms = verdict->benefit_ms;
            entry.statements = verdict->statements;
        } else {
            entry.reason = result.partial ? "not costed: planning stopped early" : "not costed";
            entry.statements = static_cast<int>(candidate.statements.size());
        }
        for (const ChosenIndex& index : selection.chosen) {
            if (advisor::canonical(index.candidate.spec) == key) {
                entry.benefit_ms = index.benefit_ms;
            }
        }
        result.candidate_list.push_back(std::move(entry));
    }
    std::stable_sort(result.candidate_list.begin(), result.candidate_list.end(),
                     [](const IndexCandidate& a, const IndexCandidate& b) {
                         if (a.recommended != b.recommended) {
                             return a.recommended;
                         }
                         if (a.benefit_ms != b.benefit_ms) {
                             return a.benefit_ms > b.benefit_ms;
                         }
                         return a.index < b.index;
                     });
    for (const ChosenIndex& index : selection.chosen) {
        result.recommended.push_back(index.candidate.spec);
    }
    for (const advisor::UnverifiedIndex& index : unverified.chosen) {
        result.recommended.push_back(index.candidate.spec);
    }
    return result;
}

} // namespace dbadvise::analyzer
