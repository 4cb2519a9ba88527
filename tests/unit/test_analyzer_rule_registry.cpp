#include "analyzer/plan/plan_rule.hpp"
#include "analyzer/rule.hpp"
#include "analyzer/rule_registry.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace dbadvise::analyzer;

namespace {

bool kebab_case(std::string_view id) {
    if (id.empty() || id.front() == '-' || id.back() == '-') {
        return false;
    }
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        (c == '-' && id[i - 1] != '-');
        if (!ok) {
            return false;
        }
    }
    return true;
}

SeveritySet all_severities(const RuleInfo& rule) {
    return rule.lint | rule.explain | rule.analyze;
}

} // namespace

TEST_CASE("rule_registry: every row is complete and consistent") {
    const auto rules = rule_registry();
    // That every RuleId has its row is a static_assert in rule_registry.cpp; a count here
    // would only break on every new rule.
    REQUIRE_FALSE(rules.empty());
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const RuleInfo& rule = rules[i];
        CAPTURE(rule.id);
        CHECK(static_cast<std::size_t>(rule.rule) == i);
        CHECK(kebab_case(rule.id));
        if (i > 0) {
            CHECK(rules[i - 1].id < rule.id);
        }
        CHECK_FALSE(rule.title.empty());
        CHECK_FALSE(rule.rationale.empty());
        CHECK_FALSE(rule.help.empty());
        CHECK_FALSE(rule.rationale.ends_with(' '));
        // Some command reports it, and the default severity is one it is reported at.
        CHECK_FALSE(all_severities(rule).empty());
        CHECK(all_severities(rule).contains(rule.severity));
        // A note says how the severity varies exactly when it does.
        const bool varies = all_severities(rule) != SeveritySet{rule.severity};
        CHECK(varies == !rule.severity_note.empty());
        // explain reads plans: it reports plan rules only.
        if (rule.reported_by(Command::explain)) {
            CHECK(rule.category == Category::plan);
        }
    }
}

TEST_CASE("rule_registry: lookups") {
    SUBCASE("rule_info and to_string follow RuleId") {
        CHECK(to_string(RuleId::not_in_subquery) == "not-in-subquery");
        CHECK(rule_info(RuleId::missing_index).category == Category::index);
        CHECK(rule_info(RuleId::workers_not_launched).id == "workers-not-launched");
    }
    SUBCASE("find_rule finds every id and nothing else") {
        for (const RuleInfo& rule : rule_registry()) {
            REQUIRE(find_rule(rule.id) != nullptr);
            CHECK(find_rule(rule.id)->rule == rule.rule);
        }
        CHECK(find_rule("no-such-rule") == nullptr);
        CHECK(find_rule("") == nullptr);
        CHECK(find_rule("parse_error") == nullptr);
    }
    SUBCASE("commands_text and help_path") {
        CHECK(commands_text(rule_info(RuleId::select_star)) == "lint, analyze");
        CHECK(commands_text(rule_info(RuleId::sort_spill)) == "explain, analyze");
        CHECK(commands_text(rule_info(RuleId::unused_index)) == "analyze");
        CHECK(commands_text(rule_info(RuleId::binary_input)) == "lint");
        CHECK(help_path(rule_info(RuleId::deep_offset)) == "docs/rules.md#deep-offset");
    }
    SUBCASE("severities per command") {
        const RuleInfo& parse = rule_info(RuleId::parse_error);
        CHECK(parse.severities(Command::lint) == SeveritySet{Severity::error});
        CHECK(parse.severities(Command::analyze) == SeveritySet{Severity::warning});
        CHECK(parse.severities(Command::explain).empty());
        CHECK_FALSE(parse.reported_by(Command::explain));
    }
}

TEST_CASE("rule_registry: every lint and plan rule is registered for its commands") {
    std::set<RuleId> lint_ids;
    for (const Rule& rule : lint_rules()) {
        lint_ids.insert(rule.id);
    }
    std::set<RuleId> plan_ids;
    for (const plan::PlanRule& rule : plan::plan_rules()) {
        plan_ids.insert(rule.id);
    }
    // Every registered rewrite rule is a lint rule and the other way round; the same for plan
    // rules: a row without its check (or a check without its row) fails here.
    for (const RuleInfo& rule : rule_registry()) {
        CAPTURE(rule.id);
        CHECK((rule.category == Category::rewrite) == lint_ids.contains(rule.rule));
        CHECK(rule.reported_by(Command::explain) == plan_ids.contains(rule.rule));
    }
}

TEST_CASE("Finding starts from its rule") {
    const Finding parse(RuleId::parse_error);
    CHECK(parse.rule_id() == "parse-error");
    CHECK(parse.category() == Category::input);
    CHECK(parse.severity == Severity::error);
    const Finding unused(RuleId::unused_index);
    CHECK(unused.category() == Category::index);
    CHECK(unused.severity == Severity::info);
}
