// jit-dominates: JIT compilation taking a large share of a statement's execution time.
//
// Rationale: JIT pays off for long-running analytical queries; for short ones, compiling
// (and especially inlining and optimising) the expressions takes longer than running them.
// PostgreSQL behaviour: JIT is used when the plan's total cost exceeds jit_above_cost
// (default 100000), with inlining and optimisation above jit_inline_above_cost and
// jit_optimize_above_cost (500000). The JIT section reports the compile times; they are part
// of the execution time. A misestimated cost, or lowered thresholds, JIT-compile cheap
// queries.
// Known false positives: the first JIT use in a new backend also loads the LLVM library,
// which inflates that one compile; a statement whose compile time is small next to its
// run time is not reported (share threshold).
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_min_share = 0.25; // of the execution time
constexpr double k_min_jit_ms = 10;
constexpr double k_default_jit_above_cost = 100000;

void check(const Plan& plan, PlanCheckContext&, std::vector<Finding>& out) {
    for (const PlanStatement& statement : plan.statements) {
        if (!statement.jit || statement.root < 0) {
            continue;
        }
        const Jit& jit = *statement.jit;
        const double total = statement.execution_ms.value_or(statement.total_ms);
        if (jit.total_ms < k_min_jit_ms || total <= 0 || jit.total_ms / total < k_min_share) {
            continue;
        }
        const PlanNode& root = plan.nodes[statement.root];
        // Keep JIT for plans costlier than this one: above its cost, or the default if that
        // is higher.
        const double threshold =
            std::max(k_default_jit_above_cost,
                     std::pow(10.0, std::ceil(std::log10(std::max(root.total_cost, 1.0)))));
        Finding f = make_plan_finding(
            RuleId::jit_dominates, root,
            fmt::format("JIT took {:.1f}% of the execution time ({:.3f} of {:.3f} ms)",
                        100.0 * jit.total_ms / total, jit.total_ms, total),
            fmt::format("JIT compiled {} functions in {:.3f} ms (generation {:.3f}, inlining "
                        "{:.3f}, optimization {:.3f}, emission {:.3f}) for a statement that "
                        "ran {:.3f} ms in all (plan at {}, cost {:.2f}). Raise "
                        "jit_above_cost above this plan's cost (the default is 100000), or turn "
                        "JIT off for this workload.",
                        jit.functions, jit.total_ms, jit.generation_ms, jit.inlining_ms,
                        jit.optimization_ms, jit.emission_ms, total, root.path, root.total_cost));
        f.subject = root.path + "/JIT";
        f.evidence.emplace_back("jit_total_ms", jit.total_ms);
        f.evidence.emplace_back("execution_ms", total);
        f.evidence.emplace_back("jit_share", jit.total_ms / total);
        f.evidence.emplace_back("jit_functions", jit.functions);
        f.evidence.emplace_back("plan_cost", root.total_cost);
        f.suggestion.sql = fmt::format("SET jit_above_cost = {:.0f};", threshold);
        f.rank = jit.total_ms;
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_jit_dominates_rule = {RuleId::jit_dominates, check};

} // namespace dbadvise::analyzer::plan
