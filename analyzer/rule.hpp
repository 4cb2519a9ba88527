// A lint rule: one small unit with an id, a category, a severity, a rationale and a check
// over one parsed statement. Each rule lives in analyzer/rules/<id>.cpp.
#pragma once

#include "analyzer/finding.hpp"
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
    std::string_view id;        // kebab-case, stable: "not-in-subquery"
    Category category;
    Severity severity;
    std::string_view summary;   // one line, for `dbadvise rules`
    std::string_view rationale; // why it matters, in a sentence or two
    /// Appends findings for `statement` to `out`. Sets rule, category, severity, title,
    /// message, location.offset, subject and suggestion; never throws for odd SQL.
    void (*check)(const sqlparse::Statement& statement, const RuleContext& context,
                  std::vector<Finding>& out);
};

/// Every lint rule, in id order.
std::span<const Rule> lint_rules();

/// Starts a finding pre-filled with the rule's id, category and severity.
Finding make_finding(const Rule& rule, int offset, std::string title, std::string message);

} // namespace dbadvise::analyzer
