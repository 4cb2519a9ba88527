// The index advisor's driver: sets up each statement (typed literals repaired, parameter types
// from the server, representative parameter values), builds candidates, prices them with
// HypoPG what-if plans (or, without HypoPG, a selectivity model) and turns the greedy
// selection into findings and a summary section.
#include "analyzer/index_advisor.hpp"
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

QueryRef query_ref(const WorkloadStatement& source) {
    return QueryRef{source.queryid, source.text, source.calls, source.total_ms, source.mean_ms};
}

bool needs_explicit_types(const std::string& message) {
    return message.find("could not determine data type of parameter") != std::string::npos ||
           message.find("could not determine polymorphic type") != std::string::npos ||
           message.find("is not unique") != std::string::npos;
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
    std::vector<std::pair<const WorkloadStatement*, std::string>> failures;
    // Tables a statement could not be prepared on because another session locked them after
    // the catalog was read: the other statements on them are not tried, each would wait for
    // lock_timeout again.
    std::set<const CatalogTable*> locked;
    const auto touches_locked = [&](const StatementSetup& setup) {
        return std::any_of(setup.tables.begin(), setup.tables.end(),
                           [&](const advisor::TableUse& use) { return locked.contains(use.table); });
    };
    constexpr std::string_view k_locked_message =
        "a table it reads is locked by another session (an ACCESS EXCLUSIVE lock taken while dbadvise ran), so it "
        "was not planned";
    for (std::size_t i = 0; i < statements.size() && !result.partial; ++i) {
        const ParsedWorkloadStatement& statement = statements[i];
        if (!plannable(statement)) {
            continue;
        }
        if (statement.source->truncated) {
            failures.emplace_back(statement.source,
                                  "the statement text was cut at track_activity_query_size, so it cannot be "
                                  "planned; raise track_activity_query_size to see whole statements");
            continue;
        }
        StatementSetup setup = advisor::setup_statement(workload, statement, static_cast<int>(i));
        if (touches_locked(setup)) {
            failures.emplace_back(statement.source, std::string(k_locked_message));
            continue;
        }
        std::vector<std::string> types = advisor::fallback_types(setup);
        if (planner) {
            auto described = planner->describe(setup.sql, {});
            if (!described && !described.error().fatal && needs_explicit_types(described.error().message)) {
                setup.param_types = advisor::fallback_types(setup);
                described = planner->describe(setup.sql, setup.param_types);
            }
            if (!described) {
                if (described.error().lock_timeout) {
                    for (const advisor::TableUse& use : setup.tables) {
                        locked.insert(use.table);
                    }
                }
                failures.emplace_back(statement.source, described.error().message);
                result.partial = result.partial || described.error().fatal;
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
            failures.emplace_back(setup.parsed->source, std::string(k_locked_message));
            return true;
        });
    }

    std::vector<advisor::Candidate> candidates = advisor::generate_candidates(workload, setups, result.notes);
    result.candidates = static_cast<int>(candidates.size());

    std::unique_ptr<advisor::CostModel> model;
    advisor::PlannerCostModel* what_if_model = nullptr;
    if (what_if) {
        auto owned = std::make_unique<advisor::PlannerCostModel>(*planner);
        what_if_model = owned.get();
        model = std::move(owned);
    } else {
        model = std::make_unique<advisor::SelectivityCostModel>(workload);
    }
    result.verified = model->verified();

    advisor::SelectionResult selection;
    if (!result.partial) {
        selection = advisor::select_indexes(workload, setups, candidates, *model, options);
        result.partial = selection.partial;
    }
    for (const auto& [id, error] : selection.failures) {
        failures.emplace_back(statements[static_cast<std::size_t>(id)].source, error.message);
    }
    if (!what_if && planner) {
        // Without HypoPG the planner still tells which statements no longer plan.
        for (const StatementSetup& setup : setups) {
            PlanRequest request{setup.sql, setup.param_types, {}, {}};
            if (auto planned = planner->plan(request); !planned) {
                failures.emplace_back(setup.parsed->source, planned.error().message);
                if (planned.error().fatal) {
                    result.partial = true;
                    break;
                }
            }
        }
    }
    result.statements_failed = static_cast<int>(failures.size());
    result.statements_planned = static_cast<int>(setups.size()) - static_cast<int>(selection.failures.size());

    for (const auto& [source, message] : failures) {
        Finding finding(RuleId::statement_not_planned);
        finding.title = "Statement could not be planned";
        finding.message = fmt::format("The server could not plan this statement: {}. The index advisor left it out; "
                                      "if the statement is obsolete, reset its pg_stat_statements entry.",
                                      message);
        finding.subject = source->queryid;
        finding.query = query_ref(*source);
        finding.evidence.emplace_back("server_message", message);
        finding.rank = source->total_ms;
        result.findings.push_back(std::move(finding));
    }

    std::vector<ChosenIndex> chosen = selection.chosen;
    std::sort(chosen.begin(), chosen.end(), [](const ChosenIndex& a, const ChosenIndex& b) {
        if (a.benefit_ms != b.benefit_ms) {
            return a.benefit_ms > b.benefit_ms;
        }
        return advisor::canonical(a.candidate.spec) < advisor::canonical(b.candidate.spec);
    });

    ReportSection section;
    section.title = result.verified ? "Recommended indexes (verified with HypoPG)"
                                    : "Recommended indexes (unverified: selectivity model)";
    int position = 0;
    for (const ChosenIndex& index : chosen) {
        const IndexSpec& spec = index.candidate.spec;
        const std::string key = advisor::canonical(spec);
        std::int64_t bytes = index.candidate.estimated_bytes;
        if (what_if_model) {
            if (const auto it = what_if_model->sizes().find(key); it != what_if_model->sizes().end()) {
                bytes = it->second;
            }
        }
        const std::string name = spec.default_name();

        std::vector<const StatementSetup*> helped;
        for (const StatementSetup& setup : setups) {
            if (index.helped.contains(setup.id)) {
                helped.push_back(&setup);
            }
        }
        std::sort(helped.begin(), helped.end(), [](const StatementSetup* a, const StatementSetup* b) {
            return a->parsed->source->total_ms > b->parsed->source->total_ms;
        });

        Finding finding(RuleId::missing_index);
        finding.title = fmt::format("Create index {} {}", quote_identifier(name), spec.on_clause());
        finding.subject = key;
        finding.suggestion.sql = spec.create_sql(name);
        finding.evidence.emplace_back("index", spec.on_clause());
        finding.evidence.emplace_back("estimated_size_bytes", bytes);
        finding.evidence.emplace_back("estimated_size", human_bytes(bytes));
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
            if (advisor::relies_on_early_exit(*setup, index.candidate)) {
                early_exit = true;
                const double measured = source.calls > 0 ? static_cast<double>(source.rows) / static_cast<double>(source.calls) : 0;
                finding.evidence.emplace_back(fmt::format("statement_{}_rows", n),
                                              fmt::format("planner expects {:.0f} rows per call, pg_stat_statements "
                                                          "measured {:.1f}",
                                                          selection.final_cost[setup->id].plan_rows, measured));
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
            result.verified ? "Verified: the planner chose the hypothetical index (HypoPG) in the custom plans."
                            : "Unverified: estimated from pg_stats without HypoPG; check with EXPLAIN after creating it.",
            early_exit ? " The plan relies on early exit: it reads the index in ORDER BY order and stops at the "
                         "LIMIT, which is slow when few rows match the filter."
                       : "");
        section.lines.push_back(fmt::format("{}. {}  -- {}, saves ~{:.0f} ms, {} statement{}{}", ++position,
                                            finding.suggestion.sql, human_bytes(bytes), index.benefit_ms,
                                            helped.size(), helped.size() == 1 ? "" : "s",
                                            result.verified ? "" : " (unverified)"));
        result.findings.push_back(std::move(finding));
    }
    if (section.lines.empty()) {
        section.lines.push_back(result.partial ? "none (planning stopped early)"
                                               : "none: no candidate index saves enough for the statements analyzed");
    }
    result.sections.push_back(std::move(section));
    return result;
}

} // namespace dbadvise::analyzer
