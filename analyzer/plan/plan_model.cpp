#include "analyzer/plan/plan_model.hpp"

#include "analyzer/plan/pasted_plan.hpp"

#include "analyzer/text.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <fmt/format.h>

namespace dbadvise::analyzer::plan {

std::string PlanNode::label() const {
    std::string text = node_type;
    if (!index_name.empty() && !relation.empty()) {
        text += " using " + index_name + " on " + relation;
    } else if (!index_name.empty()) {
        text += " on " + index_name;
    } else if (!relation.empty()) {
        text += " on " + relation;
    } else if (!cte_name.empty()) {
        text += " on " + cte_name;
    } else if (!function_name.empty()) {
        text += " on " + function_name;
    }
    if (!alias.empty() && alias != relation && alias != cte_name && alias != function_name) {
        text += " " + alias;
    }
    return text;
}

namespace {

void append_shape(const Plan& plan, int index, int depth, std::string& out) {
    const PlanNode& node = plan.nodes[static_cast<std::size_t>(index)];
    if (node.parallel_aware) out += "Parallel ";
    out += node.label();
    if (node.children.empty() || depth > 64) return;
    if (node.children.size() == 1) {
        out += " > ";
        append_shape(plan, node.children.front(), depth + 1, out);
        return;
    }
    out += " (";
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) out += ", ";
        append_shape(plan, node.children[i], depth + 1, out);
    }
    out += ')';
}

} // namespace

std::string plan_shape(const Plan& plan) {
    std::string out;
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        if (plan.nodes[i].parent >= 0) continue;
        if (!out.empty()) out += "; ";
        append_shape(plan, static_cast<int>(i), 0, out);
    }
    return out;
}

double Plan::total_ms() const {
    double total = 0;
    for (const PlanStatement& statement : statements) {
        total += statement.total_ms;
    }
    return total;
}

namespace {

constexpr int k_max_initplan_search = 2000;
constexpr int k_max_path_depth = 100;

bool is_gather(const PlanNode& node) {
    return node.node_type == "Gather" || node.node_type == "Gather Merge";
}

// True when `text` mentions `needle` as a whole parameter reference ("$2" but not "$20").
bool mentions(std::string_view text, std::string_view needle) {
    std::size_t at = 0;
    while ((at = text.find(needle, at)) != std::string_view::npos) {
        const std::size_t after = at + needle.size();
        const bool param = !needle.empty() && needle.front() == '$';
        if (!param || after >= text.size() ||
            std::isdigit(static_cast<unsigned char>(text[after])) == 0) {
            return true;
        }
        at = after;
    }
    return false;
}

bool node_mentions(const PlanNode& node, std::string_view needle) {
    for (const std::string* text : {&node.filter, &node.index_cond, &node.recheck_cond,
                                    &node.hash_cond, &node.merge_cond, &node.join_filter}) {
        if (mentions(*text, needle)) {
            return true;
        }
    }
    return false;
}

// The references an InitPlan's result is read through: "$2" for "InitPlan 3 (returns $2)"
// (up to 15), "(InitPlan 1)" for 16 and later, where output names it "(InitPlan 1).col1".
std::vector<std::string> initplan_references(std::string_view name) {
    std::vector<std::string> refs;
    const std::size_t returns = name.find("(returns ");
    if (returns == std::string_view::npos) {
        refs.push_back(fmt::format("({})", name));
        return refs;
    }
    std::string_view list = name.substr(returns + 9);
    std::size_t at = 0;
    while ((at = list.find('$', at)) != std::string_view::npos) {
        std::size_t end = at + 1;
        while (end < list.size() && std::isdigit(static_cast<unsigned char>(list[end])) != 0) {
            ++end;
        }
        refs.emplace_back(list.substr(at, end - at));
        at = end;
    }
    return refs;
}

// Which node's inclusive figures contain node `index`'s: normally its parent. Two exceptions
// keep exclusive figures honest:
// - A CTE ("InitPlan" named "CTE x") runs lazily inside the CTE Scan that first reads it, so
//   its time is part of that CTE Scan's, not of the node it is attached to.
// - An InitPlan runs when its parameter is first evaluated, which may be in a descendant of
//   the node it is attached to (a Filter comparing with $1); that node's time contains it.
int charge_target(const Plan& plan, const std::vector<int>& subtree_end, int index) {
    const PlanNode& node = plan.nodes[index];
    if (node.parent < 0 || node.parent_relationship != "InitPlan") {
        return node.parent;
    }
    if (node.subplan_name.starts_with("CTE ")) {
        const std::string_view cte = std::string_view(node.subplan_name).substr(4);
        for (const PlanNode& other : plan.nodes) {
            if (other.statement == node.statement && other.node_type == "CTE Scan" &&
                other.cte_name == cte) {
                return static_cast<int>(&other - plan.nodes.data());
            }
        }
        return node.parent;
    }
    const std::vector<std::string> refs = initplan_references(node.subplan_name);
    const int own_end = subtree_end[index];
    // Bounded, so that a plan with thousands of InitPlans under one node stays linear-ish;
    // past the bound the InitPlan is charged to its parent.
    const int end = std::min(subtree_end[node.parent], node.parent + 1 + k_max_initplan_search);
    for (int candidate = node.parent + 1; candidate < end; ++candidate) {
        if (candidate >= index && candidate < own_end) {
            continue;
        }
        for (const std::string& ref : refs) {
            if (node_mentions(plan.nodes[candidate], ref)) {
                return candidate;
            }
        }
    }
    return node.parent;
}

// from -= what, held at the int64 range: counts read from a pasted plan can be anything.
void take(std::int64_t& from, std::int64_t what) {
    if (__builtin_sub_overflow(from, what, &from)) {
        from = what > 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    }
}

void subtract(BufferCounts& from, const BufferCounts& what) {
    take(from.hit, what.hit);
    take(from.read, what.read);
    take(from.dirtied, what.dirtied);
    take(from.written, what.written);
}

void clamp(BufferCounts& counts) {
    counts.hit = std::max<std::int64_t>(counts.hit, 0);
    counts.read = std::max<std::int64_t>(counts.read, 0);
    counts.dirtied = std::max<std::int64_t>(counts.dirtied, 0);
    counts.written = std::max<std::int64_t>(counts.written, 0);
}

} // namespace

void compute_derived(Plan& plan) {
    const bool several = plan.statements.size() > 1;
    std::vector<double> divisor(plan.nodes.size(), 1.0);
    plan.analyzed = false;
    plan.has_timing = false;

    // Paths, depths and the parallel divisor, parents first (pre-order).
    for (std::size_t s = 0; s < plan.statements.size(); ++s) {
        const int root = plan.statements[s].root;
        if (root < 0) {
            continue;
        }
        plan.nodes[root].path = several ? fmt::format("[{}]/Plan", s) : std::string("Plan");
        plan.nodes[root].depth = 0;
    }
    // Paths grow with depth; past k_max_path_depth levels a node is named by its index below
    // its deepest fully named ancestor, so that a pathologically deep plan does not take
    // memory quadratic in its depth.
    std::vector<int> anchor(plan.nodes.size(), -1);
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        PlanNode& node = plan.nodes[i];
        for (std::size_t c = 0; c < node.children.size(); ++c) {
            const int index = node.children[c];
            PlanNode& child = plan.nodes[index];
            child.depth = node.depth + 1;
            if (child.depth <= k_max_path_depth) {
                child.path = fmt::format("{}/Plans[{}]", node.path, c);
            } else {
                anchor[index] = anchor[i] >= 0 ? anchor[i] : static_cast<int>(i);
                child.path = fmt::format("{}/.../node {}", plan.nodes[anchor[index]].path, index);
            }
            child.statement = node.statement;
            // Under Gather, a node runs in the leader and each launched worker; EXPLAIN
            // reports its time per loop and its loops over all processes, so time x loops is
            // process time, and dividing by the number of processes gives wall time.
            divisor[node.children[c]] =
                is_gather(node) ? static_cast<double>(node.workers_launched.value_or(0) + 1)
                                : divisor[i];
        }
    }

    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        PlanNode& node = plan.nodes[i];
        plan.analyzed = plan.analyzed || node.has_actual;
        plan.has_timing = plan.has_timing || node.has_timing;
        node.inclusive_ms =
            node.has_timing ? node.actual_total_ms * node.actual_loops / divisor[i] : 0.0;
        node.exclusive_ms = node.inclusive_ms;
        node.exclusive_buffers = node.buffers;
    }
    // One past the last node of each subtree: nodes are in pre-order, so a subtree is a
    // contiguous range ending where its last child's ends.
    std::vector<int> subtree_end(plan.nodes.size());
    for (std::size_t i = plan.nodes.size(); i-- > 0;) {
        const PlanNode& node = plan.nodes[i];
        subtree_end[i] =
            node.children.empty() ? static_cast<int>(i) + 1 : subtree_end[node.children.back()];
    }
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        const int target = charge_target(plan, subtree_end, static_cast<int>(i));
        if (target < 0) {
            continue;
        }
        PlanNode& into = plan.nodes[target];
        const PlanNode& node = plan.nodes[i];
        into.exclusive_ms -= node.inclusive_ms;
        subtract(into.exclusive_buffers.shared, node.buffers.shared);
        subtract(into.exclusive_buffers.local, node.buffers.local);
        take(into.exclusive_buffers.temp_read, node.buffers.temp_read);
        take(into.exclusive_buffers.temp_written, node.buffers.temp_written);
    }
    for (PlanNode& node : plan.nodes) {
        node.exclusive_ms = std::max(node.exclusive_ms, 0.0);
        clamp(node.exclusive_buffers.shared);
        clamp(node.exclusive_buffers.local);
        node.exclusive_buffers.temp_read =
            std::max<std::int64_t>(node.exclusive_buffers.temp_read, 0);
        node.exclusive_buffers.temp_written =
            std::max<std::int64_t>(node.exclusive_buffers.temp_written, 0);
    }
    for (PlanStatement& statement : plan.statements) {
        if (statement.execution_ms) {
            statement.total_ms = *statement.execution_ms;
        } else if (statement.root >= 0) {
            statement.total_ms = plan.nodes[statement.root].inclusive_ms;
        } else {
            statement.total_ms = 0;
        }
    }
}

namespace {

// "YAML" or "XML" when `text` is EXPLAIN's output in one of the formats dbadvise does not read
// (a `- Plan:` line, an `<explain xmlns=...>` element), else empty.
std::string_view unread_format(std::string_view text) {
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = trim(text.substr(at, end - at));
        if (line.starts_with("<explain xmlns")) return "XML";
        if (line.starts_with("- Plan:")) return "YAML";
        at = end + 1;
    }
    return {};
}

// A parse error on EXPLAIN (FORMAT YAML) or (FORMAT XML) output says so, not "not a plan".
std::expected<Plan, PlanError> name_unread_format(std::expected<Plan, PlanError> plan, std::string_view text) {
    if (!plan) {
        if (const std::string_view format = unread_format(text); !format.empty()) {
            plan.error().message = fmt::format(
                "EXPLAIN (FORMAT {}) output is not read: capture the plan with FORMAT JSON (or the "
                "default text format)",
                format);
        }
    }
    return plan;
}

} // namespace

std::expected<Plan, PlanError> parse_plan(std::string_view text) {
    std::string_view body = text;
    if (body.starts_with("\xEF\xBB\xBF")) {
        body.remove_prefix(3);
    }
    const std::string_view trimmed = trim(body);
    if (trimmed.empty()) {
        return std::unexpected(
            PlanError{"empty input: expected an EXPLAIN plan in JSON or text format", 0, 0});
    }
    const std::optional<PastedPlan> pasted = unwrap_pasted_plan(body);
    if (!pasted) {
        if (trimmed.front() == '[' || trimmed.front() == '{') {
            return parse_json_plan(body);
        }
        return name_unread_format(parse_text_plan(body), body);
    }
    // Parse what EXPLAIN printed, then point at the input's lines again.
    const std::string_view inner = trim(pasted->text);
    auto plan = !inner.empty() && (inner.front() == '[' || inner.front() == '{')
                    ? parse_json_plan(pasted->text)
                    : name_unread_format(parse_text_plan(pasted->text), pasted->text);
    const auto source_line = [&](int line) {
        return line >= 1 && static_cast<std::size_t>(line) <= pasted->source_lines.size()
                   ? pasted->source_lines[static_cast<std::size_t>(line - 1)]
                   : line;
    };
    if (!plan) {
        PlanError& error = plan.error();
        if (error.line >= 1 && static_cast<std::size_t>(error.line) <= pasted->source_columns.size() &&
            error.column > 0) {
            error.column += pasted->source_columns[static_cast<std::size_t>(error.line - 1)];
        }
        error.line = source_line(error.line);
        return plan;
    }
    // Each statement that came with the plan belongs to the first plan statement that starts
    // at or after it.
    std::size_t next = 0;
    for (const PastedQuery& query : pasted->queries) {
        while (next < plan->statements.size() &&
               plan->nodes[static_cast<std::size_t>(plan->statements[next].root)].line < query.plan_line) {
            ++next;
        }
        if (next == plan->statements.size()) {
            break;
        }
        if (plan->statements[next].query_text.empty()) {
            plan->statements[next].query_text = query.text;
        }
        ++next;
    }
    for (PlanNode& node : plan->nodes) {
        node.line = source_line(node.line);
    }
    return plan;
}

} // namespace dbadvise::analyzer::plan
