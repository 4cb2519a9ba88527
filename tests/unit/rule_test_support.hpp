// Helpers for the lint-rule unit tests: run one rule over SQL text and find positions in it.
#pragma once

#include "analyzer/rule.hpp"
#include "analyzer/schema.hpp"
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::test {

inline const analyzer::Rule& rule_by_id(std::string_view id) {
    for (const analyzer::Rule& rule : analyzer::lint_rules()) {
        if (analyzer::to_string(rule.id) == id) {
            return rule;
        }
    }
    FAIL("no rule with id " << id);
    throw std::logic_error("unreachable");
}

/// Findings of rule `id` over every statement of `sql` (which must parse).
inline std::vector<analyzer::Finding> run_rule(std::string_view id, std::string_view sql,
                                               const analyzer::Schema* schema = nullptr) {
    const analyzer::Rule& rule = rule_by_id(id);
    std::vector<analyzer::Finding> out;
    for (const sqlparse::ParsedStatement& parsed : sqlparse::parse_script(sql)) {
        REQUIRE_MESSAGE(parsed.statement.has_value(),
                        "test SQL does not parse: " << (parsed.error ? parsed.error->message : ""));
        rule.check(*parsed.statement, analyzer::RuleContext{sql, schema}, out);
    }
    for (const analyzer::Finding& f : out) {
        CHECK(f.rule == rule.id);
        CHECK_FALSE(f.title.empty());
        CHECK_FALSE(f.message.empty());
        CHECK_FALSE(f.subject.empty());
        REQUIRE(f.location.has_value());
    }
    return out;
}

/// Byte offset of the `nth` (0-based) occurrence of `needle` in `sql`; fails when absent.
inline int offset_of(std::string_view sql, std::string_view needle, int nth = 0) {
    std::size_t at = sql.find(needle);
    for (int i = 0; i < nth && at != std::string_view::npos; ++i) {
        at = sql.find(needle, at + 1);
    }
    REQUIRE_MESSAGE(at != std::string_view::npos, "`" << needle << "` not in the test SQL");
    return static_cast<int>(at);
}

/// A schema from CREATE TABLE text.
inline analyzer::Schema schema_of(std::string_view ddl) {
    analyzer::Schema schema;
    schema.add_statements(sqlparse::parse_script(ddl));
    return schema;
}

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

} // namespace dbadvise::test
