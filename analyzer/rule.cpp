// The list of lint rules. Adding a rule: its row in the registry (analyzer/rule_registry.cpp),
// one file analyzer/rules/<id>.cpp defining a factory declared in analyzer/rules/rules.hpp,
// and one line here, kept in id order.
#include "analyzer/rule.hpp"
#include "analyzer/rules/rules.hpp"

#include <array>

namespace dbadvise::analyzer {

std::span<const Rule> lint_rules() {
    static const std::array k_rules = {
        rules::cartesian_product(),
        rules::count_for_existence(),
        rules::deep_offset(),
        rules::in_subquery(),
        rules::leading_wildcard_like(),
        rules::long_in_list(),
        rules::missing_limit(),
        rules::non_sargable_predicate(),
        rules::not_in_subquery(),
        rules::null_comparison(),
        rules::or_across_columns(),
        rules::order_by_random(),
        rules::scalar_subquery_in_select(),
        rules::select_star(),
        rules::unfiltered_write(),
        rules::union_vs_union_all(),
    };
    return k_rules;
}

Finding make_finding(RuleId rule, int offset, std::string title, std::string message) {
    Finding f(rule);
    f.title = std::move(title);
    f.message = std::move(message);
    f.location = Location{};
    f.location->offset = offset;
    return f;
}

} // namespace dbadvise::analyzer
