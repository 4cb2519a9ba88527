// The one rule registry: every rule any command reports, with its id, category, default
// severity, title, rationale, the commands that report it and at which severities, and help
// text. Every finding starts from a registry entry (Finding's constructor takes a RuleId), so
// no producer can report an id that is not listed here; `dbadvise rules`, the reports and
// SARIF read the same entries.
//
// Adding a rule: one enumerator in RuleId and one row in analyzer/rule_registry.cpp, both in
// id order (the build fails when they disagree), then the producer (a lint rule in
// analyzer/rules/, a plan rule in analyzer/plan/rules/, a health check, ...) starts its
// findings with Finding(RuleId::...). The man page's RULES section and docs/rules.md list
// every rule; tests fail when one is missing.
#pragma once

#include "analyzer/finding.hpp"

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace dbadvise::analyzer {

/// Every registered rule, in id order (kebab-case id with '-' as '_').
enum class RuleId : std::uint16_t {
    analyze_plans_failed,
    analyze_plans_skipped,
    analyze_plans_unsafe,
    autovacuum_lag,
    batchable_lookup,
    binary_input,
    body_parse_error,
    cacheable_result,
    cartesian_product,
    connection_churn,
    connections_near_limit,
    count_for_existence,
    database_low_hit_ratio,
    deep_offset,
    duplicate_index,
    empty_input,
    hash_batches,
    idle_in_transaction,
    in_subquery,
    index_bloat,
    index_filter,
    index_only_heap_fetches,
    integer_key_near_max,
    invalid_index,
    invalid_utf8,
    jit_dominates,
    leading_wildcard_like,
    lock_wait,
    long_in_list,
    long_transaction,
    lossy_bitmap,
    low_cache_hit,
    many_dead_tuples,
    missing_index,
    missing_limit,
    multixact_wraparound,
    nested_loop_inner_scan,
    never_analyzed,
    non_sargable_predicate,
    not_checked,
    not_in_subquery,
    null_comparison,
    or_across_columns,
    order_by_random,
    parse_error,
    partition_candidate,
    planning_time,
    prepared_transaction_open,
    psql_unknown_command,
    redundant_index,
    row_misestimate,
    scalar_subquery_in_select,
    select_star,
    seq_scan_filter,
    sequence_near_max,
    shared_buffers_below_working_set,
    single_row_insert,
    snapshot_duplicate_statements,
    snapshot_invalid_values,
    sort_spill,
    stale_statistics,
    statement_low_hit_ratio,
    statement_not_planned,
    statement_temp_spill,
    statement_too_large,
    table_bloat,
    table_locked,
    table_low_hit_ratio,
    track_io_timing_off,
    track_planning_off,
    unfiltered_write,
    unindexed_foreign_key,
    union_vs_union_all,
    unreadable_line,
    unused_index,
    variable_time,
    window_statements_evicted,
    window_statements_reset,
    window_statistics_reset,
    workers_not_launched,
    xid_wraparound,
};

/// The commands whose runs produce findings.
enum class Command : std::uint8_t { lint, explain, analyze };
inline constexpr Command k_commands[] = {Command::lint, Command::explain, Command::analyze};

std::string_view to_string(Command command);

/// A set of severities: the ones a command may report a rule at.
class SeveritySet {
public:
    constexpr SeveritySet() = default;
    constexpr SeveritySet(std::initializer_list<Severity> severities) {
        for (const Severity severity : severities) {
            m_bits = static_cast<std::uint8_t>(m_bits | bit(severity));
        }
    }
    constexpr bool contains(Severity severity) const { return (m_bits & bit(severity)) != 0; }
    constexpr bool empty() const { return m_bits == 0; }
    constexpr SeveritySet operator|(SeveritySet other) const {
        SeveritySet out;
        out.m_bits = static_cast<std::uint8_t>(m_bits | other.m_bits);
        return out;
    }
    constexpr bool operator==(const SeveritySet&) const = default;

private:
    static constexpr std::uint8_t bit(Severity severity) {
        return static_cast<std::uint8_t>(1U << static_cast<unsigned>(severity));
    }
    std::uint8_t m_bits = 0;
};

/// One rule as the registry describes it. String members are static text.
struct RuleInfo {
    RuleId rule;
    std::string_view id;       // kebab-case, stable: "not-in-subquery"
    Category category;         // every finding of the rule has it
    Severity severity;         // the default: what a finding starts with, SARIF's default level
    SeveritySet lint{};        // the severities `lint` reports it at; empty: lint never does
    SeveritySet explain{};     // ... `explain`
    SeveritySet analyze{};     // ... `analyze`
    std::string_view title;    // one line: what the rule finds
    std::string_view rationale; // why it matters, in a sentence or two
    std::string_view help;     // what to do about a finding, in a sentence or two
    std::string_view severity_note{}; // when a finding has another severity than `severity`;
                                    // empty when it never does

    /// The severities `command` reports this rule at; empty when it never reports it.
    SeveritySet severities(Command command) const;
    /// True when `command` may report this rule.
    bool reported_by(Command command) const { return !severities(command).empty(); }
};

/// Every rule, in id order.
std::span<const RuleInfo> rule_registry();

/// The entry of `rule`.
const RuleInfo& rule_info(RuleId rule);

/// The rule's kebab-case id: "not-in-subquery".
std::string_view to_string(RuleId rule);

/// The entry with this id, nullptr when no rule has it (ids read from files: baselines,
/// previous reports).
const RuleInfo* find_rule(std::string_view id);

/// The commands that report the rule, in k_commands order: "lint, analyze".
std::string commands_text(const RuleInfo& rule);

/// Where the rule's documentation is, relative to the repository root:
/// "docs/rules.md#not-in-subquery" (docs/rules.md has one section per rule, anchored by id).
std::string help_path(const RuleInfo& rule);

} // namespace dbadvise::analyzer
