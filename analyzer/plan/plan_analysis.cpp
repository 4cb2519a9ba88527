#include "analyzer/plan/plan_analysis.hpp"

#include "analyzer/plan/plan_rule.hpp"
#include "analyzer/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>

namespace dbadvise::analyzer::plan {

namespace {

// `events_3` -> `events`: PostgreSQL names the partitions it scans for a table referred to as
// `events` events_1, events_2, ...; empty when the alias has no such suffix.
std::string alias_stem(const std::string& alias) {
    const auto underscore = alias.rfind('_');
    if (underscore == std::string::npos || underscore == 0 || underscore + 1 == alias.size() ||
        !std::all_of(alias.begin() + static_cast<std::ptrdiff_t>(underscore) + 1, alias.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
        return {};
    }
    return alias.substr(0, underscore);
}

// The key list of a suggested `CREATE INDEX CONCURRENTLY name ON rel (keys);`.
std::string suggested_keys(const std::string& sql) {
    const auto open = sql.find(" (");
    const auto close = sql.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close <= open + 2 || sql.find('\n') != std::string::npos) {
        return {};
    }
    return sql.substr(open + 2, close - open - 2);
}

void add_number(Evidence& evidence, const std::string& name, const EvidenceValue& value) {
    for (auto& [key, existing] : evidence) {
        if (key != name) {
            continue;
        }
        if (std::holds_alternative<std::int64_t>(existing) && std::holds_alternative<std::int64_t>(value)) {
            existing = std::get<std::int64_t>(existing) + std::get<std::int64_t>(value);
        } else if (std::holds_alternative<double>(existing) && std::holds_alternative<double>(value)) {
            existing = std::get<double>(existing) + std::get<double>(value);
        }
        return;
    }
}

// The same index finding on several partitions of one table (members of one Append or Merge
// Append, same rule, same keys) becomes one finding about the partitioned table, with the SQL
// that builds the index on it without blocking writes when the table's name can be told.
void group_partitions(const Plan& plan, std::vector<Finding>& findings) {
    std::map<std::string, int> node_at;
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        node_at[plan.nodes[i].path] = static_cast<int>(i);
    }
    struct Group {
        std::vector<std::size_t> findings;
        std::vector<int> nodes;
    };
    std::map<std::tuple<std::string, int, std::string>, Group> groups;
    for (std::size_t f = 0; f < findings.size(); ++f) {
        const Finding& finding = findings[f];
        if (!finding.location || finding.suggestion.sql.empty()) {
            continue;
        }
        const auto at = node_at.find(finding.location->node);
        if (at == node_at.end()) {
            continue;
        }
        const PlanNode& node = plan.nodes[static_cast<std::size_t>(at->second)];
        if (node.parent < 0 || node.parent_relationship != "Member" || node.relation.empty()) {
            continue;
        }
        const std::string& parent_type = plan.nodes[static_cast<std::size_t>(node.parent)].node_type;
        if (parent_type != "Append" && parent_type != "Merge Append") {
            continue;
        }
        const std::string keys = suggested_keys(finding.suggestion.sql);
        if (keys.empty()) {
            continue;
        }
        Group& group = groups[{std::string(finding.rule_id()), node.parent, keys}];
        group.findings.push_back(f);
        group.nodes.push_back(at->second);
    }
    std::vector<std::size_t> merged_away;
    for (auto& [key, group] : groups) {
        if (group.findings.size() < 2) {
            continue;
        }
        const std::string& keys = std::get<2>(key);
        Finding& first = findings[group.findings.front()];
        const PlanNode& first_node = plan.nodes[static_cast<std::size_t>(group.nodes.front())];
        // The partitioned table: the common stem of the aliases, when every partition's name
        // starts with it; the schema when all partitions share one.
        std::string parent = alias_stem(first_node.alias);
        std::string schema = first_node.schema;
        std::vector<std::string> names;
        for (const int n : group.nodes) {
            const PlanNode& node = plan.nodes[static_cast<std::size_t>(n)];
            names.push_back(node.schema.empty() ? node.relation : node.schema + "." + node.relation);
            // The stem is the name the statement gave the table, an alias or its own name: taken
            // for the table's name only when every partition is named after it (`events` and
            // events_2024, events_2025), never from a short alias (`e`) that happens to start them.
            if (alias_stem(node.alias) != parent || !node.relation.starts_with(parent + "_")) {
                parent.clear();
            }
            if (node.schema != schema) {
                schema.clear();
            }
        }
        const std::string listed = fmt::format("{}", fmt::join(names, ", "));
        Finding grouped = first;
        grouped.subject = fmt::format("{}:{}", first.subject, parent.empty() ? listed : parent);
        grouped.title = first.title;
        if (const auto at = grouped.title.find(first_node.relation); at != std::string::npos) {
            grouped.title.replace(at, first_node.relation.size(),
                                  parent.empty() ? fmt::format("{} partitions", group.nodes.size())
                                                 : fmt::format("{} partitions of {}", group.nodes.size(), parent));
        }
        grouped.message += fmt::format(
            " The same holds on {} partitions scanned under one {} ({}): the index belongs on their partitioned table{}.",
            group.nodes.size(), plan.nodes[static_cast<std::size_t>(first_node.parent)].node_type, listed,
            parent.empty() ? " (its name is not in the plan: create it there with CREATE INDEX ... ON ONLY, then each "
                             "partition's index CONCURRENTLY and ATTACH PARTITION)"
                           : fmt::format(" {} (the name the plan gives the scans, which every partition's name "
                                         "starts with: check it is the partitioned table), built without blocking "
                                         "writes by the suggested statements",
                                         parent));
        grouped.rank = 0;
        for (const std::size_t f : group.findings) {
            grouped.rank += findings[f].rank;
            if (f != group.findings.front()) {
                for (const auto& [name, value] : findings[f].evidence) {
                    if (name == "rows_read" || name == "rows_removed_by_filter" || name == "rows_returned" ||
                        name == "exclusive_ms") {
                        add_number(grouped.evidence, name, value);
                    }
                }
                merged_away.push_back(f);
            }
        }
        grouped.evidence.emplace_back("partitions", listed);
        if (parent.empty()) {
            grouped.suggestion.sql.clear();
        } else {
            IndexSpec spec;
            spec.table_schema = schema;
            spec.table = parent;
            // The keys as the per-partition statement wrote them (already quoted).
            spec.keys = {keys};
            std::vector<IndexPartition> partitions;
            for (const int n : group.nodes) {
                const PlanNode& node = plan.nodes[static_cast<std::size_t>(n)];
                partitions.push_back({node.schema, node.relation, schema, parent, false});
            }
            grouped.suggestion.sql = index_on_partitioned_sql(spec, spec.default_name(), partitions);
        }
        first = std::move(grouped);
    }
    std::sort(merged_away.begin(), merged_away.end(), std::greater<>());
    for (const std::size_t f : merged_away) {
        findings.erase(findings.begin() + static_cast<std::ptrdiff_t>(f));
    }
}

} // namespace

std::vector<Finding> check_plan(const Plan& plan, std::string_view file_name) {
    std::vector<Finding> findings;
    PlanCheckContext context;
    for (const PlanRule& rule : plan_rules()) {
        rule.check(plan, context, findings);
    }
    group_partitions(plan, findings);
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
