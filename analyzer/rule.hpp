// A lint rule: a check over one parsed statement, reporting findings of one registered rule
// (analyzer/rule_registry.hpp holds its id, category, severity and rationale). Each rule
// lives in analyzer/rules/<id>.cpp.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/rule_registry.hpp"
#include "analyzer/schema.hpp"
#include "sqlparse/query_model.hpp"

#include <span>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

/// What a rule may consult besides the statement.
struct RuleContext {
    std::string_view source;      // the text the statement's offsets point into
    const Schema* schema = nullptr; // tables known from --schema or the catalog; may be null
};

struct Rule {
    RuleId id;
    /// Appends findings for `statement` to `out`, all of rule `id`. Sets title, message,
    /// location.offset, subject and suggestion; never throws for odd SQL.
    void (*check)(const sqlparse::Statement& statement, const RuleContext& context,
                  std::vector<Finding>& out);
};

/// Every lint rule, in id order.
std::span<const Rule> lint_rules();

/// Starts a finding of `rule` at the rule's default severity, located at byte `offset`.
Finding make_finding(RuleId rule, int offset, std::string title, std::string message);

} // namespace dbadvise::analyzer
