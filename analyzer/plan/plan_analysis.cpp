#include "analyzer/plan/plan_analysis.hpp"

#include "analyzer/plan/plan_rule.hpp"

#include <algorithm>

namespace dbadvise::analyzer::plan {

std::vector<Finding> check_plan(const Plan& plan, std::string_view file_name) {
    std::vector<Finding> findings;
    PlanCheckContext context;
    for (const PlanRule& rule : plan_rules()) {
        rule.check(plan, context, findings);
    }
    for (Finding& finding : findings) {
        if (!finding.location) {
            finding.location = Location{};
        }
        finding.location->file = std::string(file_name);
    }
    sort_by_rank(findings);
    return findings;
}

std::vector<HotNode> hot_nodes(const Plan& plan, std::size_t limit) {
    std::vector<const PlanNode*> nodes;
    for (const PlanNode& node : plan.nodes) {
        if (node.exclusive_ms > 0) {
            nodes.push_back(&node);
        }
    }
    std::stable_sort(nodes.begin(), nodes.end(), [](const PlanNode* a, const PlanNode* b) {
        if (a->exclusive_ms != b->exclusive_ms) {
            return a->exclusive_ms > b->exclusive_ms;
        }
        return a->path < b->path;
    });
    if (nodes.size() > limit) {
        nodes.resize(limit);
    }
    const double total = plan.total_ms();
    std::vector<HotNode> hot;
    for (const PlanNode* node : nodes) {
        std::string name = node->relation;
        for (const std::string* other :
             {&node->index_name, &node->cte_name, &node->function_name}) {
            if (name.empty()) {
                name = *other;
            }
        }
        hot.push_back({node->path, node->node_type, name, node->exclusive_ms,
                       total > 0 ? std::min(node->exclusive_ms / total, 1.0) : 0.0});
    }
    return hot;
}

std::expected<PlanAnalysis, PlanError> analyze_plan(std::string_view text,
                                                    std::string_view file_name) {
    auto plan = parse_plan(text);
    if (!plan) {
        return std::unexpected(plan.error());
    }
    PlanAnalysis analysis;
    analysis.plan = std::move(*plan);
    analysis.findings = check_plan(analysis.plan, file_name);
    analysis.hot_nodes = hot_nodes(analysis.plan, 5);
    return analysis;
}

} // namespace dbadvise::analyzer::plan
