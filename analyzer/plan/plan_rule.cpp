#include "analyzer/plan/plan_rule.hpp"

#include "analyzer/plan/rules/plan_rules_list.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/parser.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace dbadvise::analyzer::plan {

std::span<const PlanRule> plan_rules() {
    static const PlanRule k_rules[] = {
        k_hash_batches_rule,
        k_index_filter_rule,
        k_index_only_heap_fetches_rule,
        k_jit_dominates_rule,
        k_lossy_bitmap_rule,
        k_low_cache_hit_rule,
        k_nested_loop_inner_scan_rule,
        k_row_misestimate_rule,
        k_seq_scan_filter_rule,
        k_sort_spill_rule,
        k_workers_not_launched_rule,
    };
    return k_rules;
}

Finding make_plan_finding(RuleId rule, const PlanNode& node, std::string title,
                          std::string message) {
    Finding f(rule);
    f.title = std::move(title);
    f.message = std::move(message);
    f.subject = node.path;
    f.location = Location{};
    f.location->line = node.line;
    f.location->node = node.path;
    f.rank = node.exclusive_ms;
    f.evidence.emplace_back("node_type", node.node_type);
    if (!node.relation.empty()) {
        f.evidence.emplace_back("relation", qualified_relation(node));
    }
    if (!node.index_name.empty()) {
        f.evidence.emplace_back("index", node.index_name);
    }
    return f;
}

namespace {

// EXPLAIN prints subplan results as "(SubPlan 1)", "(hashed SubPlan 1)" and, from 16 on,
// "(InitPlan 1).col1"; none of them is SQL. Replace each with NULL so the rest parses.
std::string neutralise_subplans(std::string_view condition) {
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(condition);
    std::string out;
    std::size_t copied = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].kind != sqlparse::TokenKind::open_paren) {
            continue;
        }
        std::size_t k = i + 1;
        if (k < tokens.size() && sqlparse::token_is(condition, tokens[k], "hashed")) {
            ++k;
        }
        if (k + 2 >= tokens.size() ||
            !(sqlparse::token_is(condition, tokens[k], "subplan") ||
              sqlparse::token_is(condition, tokens[k], "initplan")) ||
            tokens[k + 1].kind != sqlparse::TokenKind::integer ||
            tokens[k + 2].kind != sqlparse::TokenKind::close_paren) {
            continue;
        }
        std::size_t last = k + 2;
        if (last + 2 < tokens.size() && tokens[last + 1].kind == sqlparse::TokenKind::dot &&
            sqlparse::token_text(condition, tokens[last + 2]).starts_with("col")) {
            last += 2; // (InitPlan 1).col1
        }
        out.append(condition.substr(copied, static_cast<std::size_t>(tokens[i].begin) - copied));
        out += "NULL";
        copied = static_cast<std::size_t>(tokens[last].end);
        i = last;
    }
    out.append(condition.substr(copied));
    return out;
}

ColumnUse use_of(std::string_view op) {
    if (op == "=" || op == "IN" || op == "= ANY" || op == "IS NULL") {
        return ColumnUse::equality;
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=" || op == "BETWEEN" || op == "LIKE" ||
        op == "~~") {
        return ColumnUse::range;
    }
    return ColumnUse::other;
}

} // namespace

std::vector<ConditionColumn> condition_columns(std::string_view condition) {
    std::vector<ConditionColumn> columns;
    if (condition.empty()) {
        return columns;
    }
    const std::string sql = "SELECT 1 FROM t WHERE " + neutralise_subplans(condition);
    const sqlparse::ParsedStatement parsed = sqlparse::parse_statement(sql);
    if (!parsed.statement) {
        return columns;
    }
    for (const sqlparse::Predicate& predicate : parsed.statement->query.predicates) {
        if (predicate.column.name.empty() || predicate.column.name == "*") {
            continue;
        }
        ColumnUse use = use_of(predicate.op);
        if (predicate.wrap != sqlparse::WrapKind::none || predicate.negated) {
            use = ColumnUse::other;
        }
        columns.push_back(
            {predicate.column.qualifier, predicate.column.name, use, predicate.in_or});
    }
    // Column = column of two different relations is a join condition: both sides are
    // equality columns of their own relation (the inner side of a nested loop wants one).
    for (const sqlparse::JoinCondition& join : parsed.statement->query.join_conditions) {
        const ColumnUse use = join.op == "=" ? ColumnUse::equality : ColumnUse::other;
        columns.push_back({join.left.qualifier, join.left.name, use, false});
        columns.push_back({join.right.qualifier, join.right.name, use, false});
    }
    return columns;
}

const std::vector<ConditionColumn>& PlanCheckContext::columns(const std::string& condition) {
    auto found = m_columns.find(condition);
    if (found == m_columns.end()) {
        found = m_columns.emplace(condition, condition_columns(condition)).first;
    }
    return found->second;
}

std::vector<std::string> index_keys(const PlanNode& node,
                                    const std::vector<ConditionColumn>& columns) {
    std::vector<std::string> keys;
    for (const ColumnUse wanted : {ColumnUse::equality, ColumnUse::range}) {
        for (const ConditionColumn& column : columns) {
            const bool own = column.qualifier.empty() || column.qualifier == node.alias ||
                             column.qualifier == node.relation;
            if (!own || column.in_or || column.use != wanted ||
                std::find(keys.begin(), keys.end(), column.name) != keys.end()) {
                continue;
            }
            keys.push_back(column.name);
        }
    }
    return keys;
}

std::string qualified_relation(const PlanNode& node) {
    if (node.schema.empty()) {
        return quote_identifier(node.relation);
    }
    return quote_identifier(node.schema) + "." + quote_identifier(node.relation);
}

std::string create_index_sql(const PlanNode& node, const std::vector<std::string>& keys) {
    std::string name = node.relation;
    std::string list;
    for (const std::string& key : keys) {
        name += "_" + key;
        list += (list.empty() ? "" : ", ") + quote_identifier(key);
    }
    // PostgreSQL truncates identifiers to 63 bytes; keep the "_idx" suffix visible.
    if (name.size() > 59) {
        name.resize(59);
    }
    name += "_idx";
    return fmt::format("CREATE INDEX CONCURRENTLY {} ON {} ({});", quote_identifier(name),
                       qualified_relation(node), list);
}

std::string work_mem_value(double kb) {
    const double mb = std::max(1.0, std::ceil(kb / 1024.0));
    return fmt::format("{}MB", static_cast<std::int64_t>(mb));
}

std::string describe(const PlanNode& node) {
    return fmt::format("{} at {}", node.label(), node.path);
}

} // namespace dbadvise::analyzer::plan
