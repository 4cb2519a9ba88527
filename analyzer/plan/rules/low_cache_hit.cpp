// low-cache-hit: a node that reads many blocks from outside shared buffers.
//
// Rationale: a block not in shared_buffers comes from the OS page cache at best and from
// storage at worst; a node reading thousands of them spends its time waiting for I/O.
// Either it reads more than it needs (an index would read less), or the working set does
// not fit in shared_buffers.
// PostgreSQL behaviour: "Shared Read Blocks" counts blocks not found in shared buffers,
// inclusive of children; the rule looks at the node's own share (minus its children). A
// Seq Scan of a table larger than a quarter of shared_buffers goes through a small ring
// buffer and always reads, whatever the cache size. With track_io_timing on, "I/O Read Time"
// says how long the reads took.
// Known false positives: the first run after a restart or a bulk load (a cold cache); reads
// served by the OS page cache are cheap but counted the same.
#include "analyzer/plan/rules/plan_rules_list.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::plan {
namespace {

constexpr std::int64_t k_min_reads = 1000; // 8 MB
constexpr double k_max_hit_ratio = 0.9;

void check(const Plan& plan, PlanCheckContext&, std::vector<Finding>& out) {
    for (const PlanNode& node : plan.nodes) {
        const BufferCounts& own = node.exclusive_buffers.shared;
        if (!node.has_buffers || own.read < k_min_reads) {
            continue;
        }
        const double ratio = static_cast<double>(own.hit) / (static_cast<double>(own.hit) + static_cast<double>(own.read));
        if (ratio >= k_max_hit_ratio) {
            continue;
        }
        const double read_mb = static_cast<double>(own.read) * 8.0 / 1024.0;
        const std::string target = node.relation.empty() ? node.index_name : node.relation;
        std::string message = fmt::format(
            "{} read {} blocks ({:.1f} MB) from outside shared buffers and found only {} there "
            "(hit ratio {:.1f}%){}. ",
            describe(node), own.read, read_mb, own.hit, 100.0 * ratio,
            node.io_read_ms ? fmt::format("; the reads took {:.3f} ms", *node.io_read_ms)
                            : std::string());
        if (node.node_type == "Seq Scan" && node.rows_removed_by_filter) {
            message += "Read less first: the scan filters rows, see seq-scan-filter for the "
                       "index. ";
        }
        message += "If this relation is read often, compare its size with shared_buffers and "
                   "size shared_buffers (or the server's memory) for the working set; a cold "
                   "cache after a restart looks the same, so check that the pattern repeats.";
        Finding f = make_plan_finding(
            RuleId::low_cache_hit, node,
            fmt::format("{} read {:.1f} MB outside shared buffers (hit ratio {:.1f}%)",
                        node.label(), read_mb, 100.0 * ratio),
            std::move(message));
        f.evidence.emplace_back("shared_hit_blocks", own.hit);
        f.evidence.emplace_back("shared_read_blocks", own.read);
        f.evidence.emplace_back("hit_ratio", ratio);
        if (node.io_read_ms) {
            f.evidence.emplace_back("io_read_ms", *node.io_read_ms);
        }
        f.evidence.emplace_back("exclusive_ms", node.exclusive_ms);
        if (!target.empty()) {
            f.suggestion.sql = fmt::format(
                "SELECT pg_size_pretty(pg_relation_size('{}')) AS relation_size, "
                "current_setting('shared_buffers') AS shared_buffers;",
                node.relation.empty() ? quote_identifier(node.index_name) : qualified_relation(node));
        }
        out.push_back(std::move(f));
    }
}

} // namespace

const PlanRule k_low_cache_hit_rule = {RuleId::low_cache_hit, check};

} // namespace dbadvise::analyzer::plan
