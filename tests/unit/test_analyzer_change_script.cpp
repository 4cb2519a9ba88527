#include "analyzer/change_script.hpp"
#include "analyzer/rule_registry.hpp"

#include <doctest/doctest.h>

using dbadvise::analyzer::Change;
using dbadvise::analyzer::ChangeKind;
using dbadvise::analyzer::Finding;
using dbadvise::analyzer::RuleId;

namespace {

Finding suggesting(RuleId rule, double rank, std::string sql) {
    Finding f(rule);
    f.rank = rank;
    f.title = std::string(f.rule_id());
    f.suggestion.sql = std::move(sql);
    return f;
}

std::vector<Change> creates(const std::vector<Change>& changes) {
    std::vector<Change> out;
    for (const Change& c : changes) {
        if (c.kind == ChangeKind::create_index) out.push_back(c);
    }
    return out;
}

} // namespace

TEST_CASE("change_script: indexes to create are led by what they save, most saved first") {
    const std::string a = "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id);";
    const std::string b = "CREATE INDEX CONCURRENTLY customers_lower_email_idx ON public.customers ((lower(email)));";
    const std::string fk = "CREATE INDEX CONCURRENTLY customers_country_id_idx ON public.customers (country_id);";
    // In report order (by rank): the statements' own findings outrank the indexes' savings.
    std::vector<Finding> findings;
    findings.push_back(suggesting(RuleId::non_sargable_predicate, 28'200, b));
    findings.push_back(suggesting(RuleId::statement_low_hit_ratio, 21'400, a));
    findings.push_back(suggesting(RuleId::missing_index, 21'000, a));
    findings.push_back(suggesting(RuleId::unindexed_foreign_key, 0, fk));
    findings.push_back(suggesting(RuleId::missing_index, 3'300, b));

    const std::vector<Change> list = creates(dbadvise::analyzer::change_script(findings));
    REQUIRE(list.size() == 3);
    // Most time saved first, whatever the order of the findings that also suggest them.
    CHECK(list[0].statements == std::vector<std::string>{a});
    CHECK(list[1].statements == std::vector<std::string>{b});
    // No estimate: after those with one.
    CHECK(list[2].statements == std::vector<std::string>{fk});
    // The missing-index finding leads each (its comment says what the index saves); the
    // others follow in report order.
    REQUIRE(list[0].reasons.size() == 2);
    CHECK(list[0].reasons[0]->rule == RuleId::missing_index);
    CHECK(list[0].reasons[1]->rule == RuleId::statement_low_hit_ratio);
    REQUIRE(list[1].reasons.size() == 2);
    CHECK(list[1].reasons[0]->rule == RuleId::missing_index);
    CHECK(list[1].reasons[1]->rule == RuleId::non_sargable_predicate);
    CHECK(list[2].reasons[0]->rule == RuleId::unindexed_foreign_key);
}
