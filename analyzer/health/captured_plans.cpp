// check_captured_plans(): the plan rules on the plans --analyze-plans captured, tied back to
// the workload statements they came from.
//
// A plan rule ranks its finding by the node's exclusive time in one execution. In analyze the
// ranking currency is measured workload time, so the node's share of that execution is
// applied to the statement's total time from pg_stat_statements: a node taking 80% of a
// statement that ran 9 s in total ranks at 7.2 s, next to the index and cache findings.
#include "analyzer/health.hpp"
#include "analyzer/health/checks.hpp"
#include "analyzer/plan/plan_analysis.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer {

namespace {

const WorkloadStatement* statement_by_id(const Workload& workload, const std::string& queryid) {
    for (const WorkloadStatement& statement : workload.statements) {
        if (statement.queryid == queryid) {
            return &statement;
        }
    }
    return nullptr;
}

const PlanTarget* target_by_id(const std::vector<PlanTarget>& targets, const std::string& queryid) {
    for (const PlanTarget& target : targets) {
        if (target.queryid == queryid) {
            return &target;
        }
    }
    return nullptr;
}

Finding failure(const WorkloadStatement* statement, const std::string& queryid,
                const std::string& what) {
    Finding finding(RuleId::analyze_plans_failed);
    finding.title = fmt::format("EXPLAIN ANALYZE of statement {} gave no plan", queryid);
    finding.message = what;
    if (statement != nullptr) {
        finding.query = health::query_ref(*statement);
    } else {
        finding.subject = queryid; // no text to fingerprint
    }
    return finding;
}

// A statement --analyze-plans passed over: it may have side effects (analyze-plans-unsafe),
// or it could not run meaningfully now (analyze-plans-skipped).
Finding skipped(const WorkloadStatement* statement, const std::string& queryid, const std::string& reason,
                bool unsafe) {
    Finding finding(unsafe ? RuleId::analyze_plans_unsafe : RuleId::analyze_plans_skipped);
    // The id takes the statement's fingerprint (complete_findings), never the queryid.
    finding.title = unsafe ? fmt::format("Statement {} not run under EXPLAIN ANALYZE: it may have side effects", queryid)
                           : fmt::format("Statement {} not run under EXPLAIN ANALYZE", queryid);
    finding.message = unsafe ? fmt::format("--analyze-plans executes only statements proven free of side effects, and "
                                           "this one is not: {}. Its plan is not shown; run EXPLAIN yourself if the "
                                           "statement is harmless.",
                                           reason)
                             : fmt::format("--analyze-plans did not run this statement: {}.", reason);
    finding.evidence.emplace_back("reason", reason);
    if (statement != nullptr) {
        finding.query = health::query_ref(*statement);
        finding.rank = 0;
    } else {
        finding.subject = queryid; // no text to fingerprint
    }
    return finding;
}

std::string parameter_lines(const PlanTarget& target) {
    std::string text;
    for (std::size_t i = 0; i < target.params.size(); ++i) {
        const auto& value = target.params[i];
        text += fmt::format("{}${} = {}{}", i == 0 ? "" : "; ", i + 1,
                            value ? fmt::format("'{}'", *value) : std::string("NULL"),
                            i < target.param_sources.size()
                                ? fmt::format(" ({})", target.param_sources[i])
                                : std::string());
    }
    return text;
}

} // namespace

HealthResult check_captured_plans(const Workload& workload, const PlanSelection& selection,
                                  const std::vector<CapturedPlan>& plans) {
    HealthResult result;
    ReportSection section;
    section.title = "Plans (EXPLAIN ANALYZE)";
    section.category = Category::plan;
    const std::vector<PlanTarget>& targets = selection.targets;
    for (const PlanSkip& skip : selection.skipped) {
        const WorkloadStatement* statement = statement_by_id(workload, skip.queryid);
        section.lines.push_back(fmt::format("Statement {}: {}", skip.queryid,
                                            statement != nullptr ? excerpt(statement->text, 70) : ""));
        section.lines.push_back(fmt::format("  not run: {}", skip.reason));
        result.findings.push_back(skipped(statement, skip.queryid, skip.reason, skip.unsafe));
    }
    for (const CapturedPlan& captured : plans) {
        const WorkloadStatement* statement = statement_by_id(workload, captured.queryid);
        const PlanTarget* target = target_by_id(targets, captured.queryid);
        const std::string text = statement != nullptr ? excerpt(statement->text, 70) : "";
        section.lines.push_back(fmt::format("Statement {}: {}", captured.queryid, text));
        if (target != nullptr && !target->params.empty()) {
            section.lines.push_back("  parameters: " + parameter_lines(*target));
        }
        if (captured.not_run) {
            section.lines.push_back("  not run: " + captured.error);
            result.findings.push_back(skipped(statement, captured.queryid, captured.error, false));
            continue;
        }
        if (captured.plan_json.empty()) {
            const std::string why = captured.error.empty() ? "no plan returned" : captured.error;
            section.lines.push_back("  failed: " + why);
            result.findings.push_back(failure(statement, captured.queryid, why));
            continue;
        }
        auto analysis = plan::analyze_plan(captured.plan_json, "");
        if (!analysis) {
            const std::string why =
                fmt::format("the server's plan could not be read: {}", analysis.error().message);
            section.lines.push_back("  failed: " + why);
            result.findings.push_back(failure(statement, captured.queryid, why));
            continue;
        }
        const plan::Plan& tree = analysis->plan;
        const double plan_ms = tree.total_ms();
        std::string summary = fmt::format("  execution {:.3f} ms", plan_ms);
        if (!tree.statements.empty() && tree.statements[0].root >= 0) {
            const plan::PlanNode& root =
                tree.nodes[static_cast<std::size_t>(tree.statements[0].root)];
            if (root.has_buffers) {
                summary += fmt::format(", shared buffers {} hit / {} read, temp {} written",
                                       root.buffers.shared.hit, root.buffers.shared.read,
                                       root.buffers.temp_written);
            }
        }
        std::vector<Finding> found = std::move(analysis->findings);
        summary += fmt::format(", {} finding{}", found.size(), found.size() == 1 ? "" : "s");
        section.lines.push_back(std::move(summary));
        for (const plan::HotNode& node : analysis->hot_nodes) {
            section.lines.push_back(fmt::format(
                "    {:>6.1f}%  {:>10.3f} ms  {}{}", node.share * 100.0, node.exclusive_ms,
                node.node_type, node.relation.empty() ? "" : " on " + node.relation));
        }
        for (Finding& finding : found) {
            const double node_ms = finding.rank;
            const double share = plan_ms > 0 ? std::min(1.0, node_ms / plan_ms) : 0.0;
            if (statement != nullptr) {
                finding.query = health::query_ref(*statement);
                finding.rank = share * statement->total_ms;
            }
            // Lines and columns point into the captured JSON, which the user never sees:
            // keep only the node path.
            if (finding.location) {
                finding.location->line = 0;
                finding.location->column = 0;
                finding.location->offset = -1;
                finding.location->file.clear();
            }
            // finding.subject stays the node path; the statement's fingerprint completes the id.
            finding.evidence.emplace_back("node_exclusive_ms", node_ms);
            finding.evidence.emplace_back("share_of_statement_time", share);
            result.findings.push_back(std::move(finding));
        }
    }
    complete_findings(workload, result.findings);
    sort_by_rank(result.findings);
    result.sections.push_back(std::move(section));
    return result;
}

} // namespace dbadvise::analyzer
