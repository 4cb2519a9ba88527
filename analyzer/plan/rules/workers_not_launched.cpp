// workers-not-launched: a parallel plan that got fewer workers than it planned for.
//
// Rationale: the planner costed the plan assuming its workers; when they do not start,
// the leader does all the work alone and the parallel plan can be slower than a serial one.
// PostgreSQL behaviour: Gather and Gather Merge report "Workers Planned" and "Workers
// Launched". Workers come from a pool of max_parallel_workers (default 8) background
// workers, itself within max_worker_processes (default 8, changed only by a restart); when
// concurrent queries hold them, later queries get fewer.
// Known false positives: a momentary peak of parallel queries; launching fewer workers is
// then by design.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <charconv>
#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr std::int64_t k_default_max_parallel_workers = 8;

std::int64_t setting(const Plan& plan, const PlanNode& node, std::string_view name,
                     std::int64_t fallback) {
    for (const auto& [key, value] : plan.statements[node.statement].settings) {
        std::int64_t parsed = 0;
        if (key == name &&
            std::from_chars(value.data(), value.data() + value.size(), parsed).ec == std::errc{}) {
            return parsed;
        }
    }
    return fallback;
}

void check(const Plan& plan, PlanCheckContext&, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        if (!node.workers_planned || !node.workers_launched || !node.has_actual ||
            *node.workers_launched >= *node.workers_planned) {
            continue;
        }
        const std::int64_t planned = *node.workers_planned;
        const std::int64_t launched = *node.workers_launched;
        const std::int64_t pool =
            setting(plan, node, "max_parallel_workers", k_default_max_parallel_workers);
        const std::int64_t wanted = pool + (planned - launched);
        Finding f = make_plan_finding(
            RuleId::workers_not_launched, node,
            fmt::format("{} planned {} workers but launched {}", node.node_type, planned, launched),
            fmt::format("{} was planned with {} parallel workers but only {} started, so the "
                        "leader did the rest of the work alone ({:.3f} ms below it). Workers "
                        "come from max_parallel_workers (here {}{}) within "
                        "max_worker_processes; when concurrent queries hold the pool, raise "
                        "both (max_worker_processes needs a restart) or lower "
                        "max_parallel_workers_per_gather so plans do not count on workers that "
                        "are not there.",
                        describe(node), planned, launched, node.inclusive_ms, pool,
                        pool == k_default_max_parallel_workers ? ", the default unless the "
                                                                 "plan's SETTINGS say otherwise"
                                                               : ""));
        f.evidence.emplace_back("workers_planned", planned);
        f.evidence.emplace_back("workers_launched", launched);
        f.evidence.emplace_back("max_parallel_workers", pool);
        f.evidence.emplace_back("inclusive_ms", node.inclusive_ms);
        f.suggestion.sql = fmt::format(
            "ALTER SYSTEM SET max_parallel_workers = {0};\n"
            "ALTER SYSTEM SET max_worker_processes = {0}; -- takes effect after a restart\n"
            "SELECT pg_reload_conf();",
            std::max<std::int64_t>(wanted, 8));
        // What it costs is the whole subtree running with fewer processes.
        f.rank = node.inclusive_ms;
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_workers_not_launched_rule = {RuleId::workers_not_launched, check};

} // namespace dbadvise::analyzer::plan
