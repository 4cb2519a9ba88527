// hash-batches: a hash join or hashed aggregate that split its work into several batches.
//
// Rationale: when the hash table exceeds work_mem x hash_mem_multiplier, PostgreSQL splits
// it into batches written to temporary files and processes them one by one: extra I/O and,
// for joins, a second pass over the outer side.
// PostgreSQL behaviour: a Hash node reports "Hash Batches" (and the planned "Original Hash
// Batches") and the peak memory of one batch; the whole table needs about rows x (width +
// 48 bytes of tuple header and bucket overhead), which matched the single-batch figure on
// PostgreSQL 15 within 1%. A HashAggregate reports "HashAgg Batches", its peak memory and
// the disk it used. The memory limit is work_mem x hash_mem_multiplier (default 2.0 on 15,
// read from the plan's SETTINGS when present).
// Known false positives: a hash built once for a rare report; raising work_mem globally
// multiplies by every concurrent hash and sort.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr double k_tuple_overhead_bytes = 48;
constexpr double k_default_hash_mem_multiplier = 2.0;

double hash_mem_multiplier(const Plan& plan, const PlanNode& node) {
    for (const auto& [name, value] : plan.statements[node.statement].settings) {
        double parsed = 0;
        if (name == "hash_mem_multiplier" &&
            std::from_chars(value.data(), value.data() + value.size(), parsed).ec == std::errc{} &&
            parsed > 0) {
            return parsed;
        }
    }
    return k_default_hash_mem_multiplier;
}

void check(const Plan& plan, PlanCheckContext&, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        if (!node.hash_batches || *node.hash_batches <= 1) {
            continue;
        }
        const bool aggregate = node.node_type == "Aggregate";
        const double peak_kb = static_cast<double>(node.peak_memory_kb.value_or(0));
        double needed_kb = 0;
        if (aggregate) {
            needed_kb = peak_kb + static_cast<double>(node.disk_usage_kb.value_or(0));
        } else if (node.has_actual && node.actual_rows > 0) {
            needed_kb = node.total_rows() *
                        (static_cast<double>(node.plan_width) + k_tuple_overhead_bytes) / 1024.0;
        } else {
            needed_kb = peak_kb * static_cast<double>(*node.hash_batches);
        }
        const double multiplier = hash_mem_multiplier(plan, node);
        const std::string work_mem = work_mem_value(needed_kb / multiplier);
        std::string what = aggregate ? "hashed aggregation" : "hash table";
        Finding f = make_plan_finding(
            RuleId::hash_batches, node,
            fmt::format(
                "{} used {} batches{}", aggregate ? "HashAggregate" : "Hash", *node.hash_batches,
                node.original_hash_batches && *node.original_hash_batches != *node.hash_batches
                    ? fmt::format(" (planned {})", *node.original_hash_batches)
                    : std::string()),
            fmt::format("{}: the {} did not fit in work_mem x hash_mem_multiplier and was split "
                        "into {} batches spilled to temporary files ({}). "
                        "It needs about {:.0f} kB in one batch: with hash_mem_multiplier = {} "
                        "set work_mem to {} for this statement (per session or role, not "
                        "globally).",
                        describe(node), what, *node.hash_batches,
                        aggregate
                            ? fmt::format("peak memory {} kB, {} kB on disk",
                                          node.peak_memory_kb.value_or(0),
                                          node.disk_usage_kb.value_or(0))
                            : fmt::format("peak {} kB per batch", node.peak_memory_kb.value_or(0)),
                        needed_kb, multiplier, work_mem));
        f.evidence.emplace_back("batches", *node.hash_batches);
        if (node.original_hash_batches) {
            f.evidence.emplace_back("original_batches", *node.original_hash_batches);
        }
        f.evidence.emplace_back("peak_memory_kb", node.peak_memory_kb.value_or(0));
        if (node.disk_usage_kb) {
            f.evidence.emplace_back("disk_usage_kb", *node.disk_usage_kb);
        }
        f.evidence.emplace_back("needed_kb", needed_kb);
        f.evidence.emplace_back("hash_mem_multiplier", multiplier);
        f.evidence.emplace_back("suggested_work_mem", work_mem);
        f.suggestion.sql = fmt::format("SET work_mem = '{}';", work_mem);
        // The batches cost time in the join or aggregate that reads them back.
        if (!aggregate && node.parent >= 0) {
            f.rank = std::max(node.exclusive_ms, plan.nodes[node.parent].exclusive_ms);
        }
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_hash_batches_rule = {RuleId::hash_batches, check};

} // namespace dbadvise::analyzer::plan
