#include "analyzer/rule.hpp"

namespace dbadvise::analyzer {

std::span<const Rule> lint_rules() { return {}; }

Finding make_finding(const Rule& rule, int offset, std::string title, std::string message) {
    Finding f;
    f.rule = std::string(rule.id);
    f.category = rule.category;
    f.severity = rule.severity;
    f.title = std::move(title);
    f.message = std::move(message);
    f.location = Location{};
    f.location->offset = offset;
    return f;
}

} // namespace dbadvise::analyzer
