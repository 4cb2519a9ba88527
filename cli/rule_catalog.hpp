// The catalog `dbadvise rules` prints: every rule and check dbadvise can report, whatever
// produces it. Producers with their own rule lists (plan rules, the index advisor, health
// checks) add one line to all_rules() in cli/rule_catalog.cpp: any list whose elements have
// `id`, `category`, `severity`, `summary` and `rationale` members fits append_rules().
#pragma once

#include "analyzer/finding.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::cli {

struct RuleInfo {
    std::string id;
    analyzer::Category category;
    analyzer::Severity severity;
    std::string summary;
    std::string rationale;
    std::string commands; // the subcommands that report it: "lint, analyze"
};

/// Appends one RuleInfo per element of `rules`, skipping ids already in `out` (the first list
/// that names a rule wins).
template <typename R>
void append_rules(std::vector<RuleInfo>& out, std::span<const R> rules, std::string_view commands) {
    for (const R& rule : rules) {
        bool known = false;
        for (const RuleInfo& existing : out) {
            known = known || existing.id == rule.id;
        }
        if (!known) {
            out.push_back(RuleInfo{std::string(rule.id), rule.category, rule.severity,
                                   std::string(rule.summary), std::string(rule.rationale),
                                   std::string(commands)});
        }
    }
}

/// Every rule and input check, sorted by id.
std::vector<RuleInfo> all_rules();

} // namespace dbadvise::cli
