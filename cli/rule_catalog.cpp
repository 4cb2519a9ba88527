#include "cli/rule_catalog.hpp"

#include "analyzer/health.hpp"
#include "analyzer/plan/plan_rule.hpp"
#include "analyzer/rule.hpp"
#include "analyzer/window.hpp"
#include "cli/input.hpp"

#include <algorithm>

namespace dbadvise::cli {

std::vector<RuleInfo> all_rules() {
    std::vector<RuleInfo> rules;
    append_rules(rules, analyzer::lint_rules(), "lint, analyze");
    append_rules(rules, input_checks(), "lint");
    append_rules(rules, analyzer::plan::plan_rules(), "explain, analyze");
    append_rules(rules, analyzer::health_rules(), "analyze");
    append_rules(rules, analyzer::window_checks(), "analyze --since");
    std::sort(rules.begin(), rules.end(),
              [](const RuleInfo& a, const RuleInfo& b) { return a.id < b.id; });
    return rules;
}

} // namespace dbadvise::cli
