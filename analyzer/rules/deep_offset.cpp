// deep-offset: OFFSET of 1000 rows or more (or a parameter) -> keyset pagination.
//
// Rationale: OFFSET n does not skip rows, it produces and discards them: page 500 of 20 rows
// reads 10,000 rows to return 20, and every page gets slower. Keyset ("seek") pagination
// remembers the last row's sort keys and asks for the rows after them, so every page costs
// the same.
// PostgreSQL behaviour: the Limit node pulls offset + count rows from its input and throws
// away the first offset; with an index on the ORDER BY keys, `WHERE (k1, k2) > ($a, $b)
// ORDER BY k1, k2 LIMIT n` is a single index range scan of n entries (row comparisons are
// index conditions on a multi-column btree).
// A constant OFFSET >= 1000 is a warning. `OFFSET $n` (pg_stat_statements text, prepared
// statements) is an info: the value is unknown, but parameterised offsets are how deep
// paging happens.
// The rewrite is mechanical when the ORDER BY keys are plain columns sorted in one direction;
// it needs them to identify a row (end with a unique key) and to be NOT NULL.
// Known false positives: OFFSET on small, bounded results (a pick list); batch jobs that read
// everything anyway.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::Query;
using sqlparse::SortKey;

constexpr std::int64_t k_deep_offset = 1000;

// The top-level SELECT with OFFSET replaced by a keyset condition on the ORDER BY keys.
std::expected<std::string, std::string> rewrite(const sqlparse::Statement& statement,
                                                std::string_view source) {
    const Query& q = statement.query;
    const Clauses c = find_clauses(source, statement.span);
    if (statement.kind != sqlparse::StatementKind::select || c.order_by < 0 || c.offset < 0 ||
        c.set_operation >= 0 || c.group_by >= 0 || c.having >= 0 || c.window >= 0 ||
        q.order_by.empty()) {
        return std::unexpected("the query is not a plain SELECT ... ORDER BY ... OFFSET");
    }
    if (c.limit < 0 && c.fetch < 0) {
        return std::unexpected("the query has no LIMIT giving the page size");
    }
    const bool descending = q.order_by.front().descending;
    std::vector<std::string> keys;
    for (const SortKey& key : q.order_by) {
        if (!key.column || key.is_function_call) {
            return std::unexpected("an ORDER BY key is not a plain column");
        }
        if (key.descending != descending || key.nulls_first) {
            return std::unexpected("the ORDER BY keys mix directions or NULLS placement; use "
                                   "`k1 < $a OR (k1 = $a AND k2 > $b)` instead of a row "
                                   "comparison");
        }
        for (const sqlparse::TargetEntry& t : q.targets) {
            if (key.column->qualifier.empty() && t.alias == key.column->name &&
                !(t.column && t.column->name == key.column->name)) {
                return std::unexpected("an ORDER BY key is an output alias, which WHERE cannot "
                                       "see");
            }
        }
        keys.push_back(key.text.empty() ? column_text(*key.column) : std::string(trim(key.text)));
    }

    // New parameters for the last row's keys. An `OFFSET $k` disappears, so $k is reused
    // first: a prepared statement must not leave a parameter number unused.
    const std::vector<Token> offset_tokens = tokenize(source, c.offset, c.clause_end(c.offset));
    int reused = 0;
    if (offset_tokens.size() >= 2 && offset_tokens[1].kind == Token::Kind::parameter) {
        const std::string_view written = slice(source, offset_tokens[1].begin, offset_tokens[1].end);
        int uses = 0;
        for (const Token& t : tokenize(source, statement.span.begin, statement.span.end)) {
            uses += t.kind == Token::Kind::parameter && slice(source, t.begin, t.end) == written;
        }
        reused = uses == 1 ? max_parameter(written) : 0;
    }
    int next_param = max_parameter(slice(source, statement.span)) + 1;
    std::string key_list;
    std::string param_list;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        key_list += (i ? ", " : "") + keys[i];
        const int number = (i == 0 && reused > 0) ? reused : next_param++;
        param_list += fmt::format("{}${}", i ? ", " : "", number);
    }
    const std::string_view op = descending ? "<" : ">";
    const std::string keyset = keys.size() == 1
                                   ? fmt::format("{} {} {}", key_list, op, param_list)
                                   : fmt::format("({}) {} ({})", key_list, op, param_list);

    Splice splice;
    if (c.where >= 0) {
        const std::vector<Token> cond =
            tokenize(source, after_keywords(source, c.where, 1), c.clause_end(c.where));
        if (cond.empty()) {
            return std::unexpected("the WHERE clause was not located");
        }
        std::string condition(slice(source, cond.front().begin, cond.back().end));
        if (has_top_level_word(condition, 0, static_cast<int>(condition.size()), "OR")) {
            condition = "(" + condition + ")";
        }
        splice.replace(cond.front().begin, cond.back().end, condition + " AND " + keyset);
    } else {
        splice.insert(c.order_by, "WHERE " + keyset + " ");
    }
    // Drop `OFFSET n [ROWS]` together with the white space before it.
    const std::vector<Token> before = tokenize(source, statement.span.begin, c.offset);
    const std::vector<Token> offset_clause =
        tokenize(source, c.offset, c.clause_end(c.offset));
    if (before.empty() || offset_clause.empty()) {
        return std::unexpected("the OFFSET clause was not located");
    }
    splice.replace(before.back().end, offset_clause.back().end, "");
    auto rewritten = splice.apply(source, statement.span);
    if (!rewritten) {
        return std::unexpected("the statement's text was not located");
    }
    return std::move(*rewritten);
}

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const Query& q, const Query*) {
        if (!q.has_offset) {
            return;
        }
        const bool deep = q.offset_value && *q.offset_value >= k_deep_offset;
        if (!deep && !q.offset_is_parameter) {
            return;
        }
        std::string keys;
        for (const SortKey& key : q.order_by) {
            keys += (keys.empty() ? "" : ", ") + key.text;
        }
        if (keys.empty()) {
            keys = "k1, k2";
        }
        std::expected<std::string, std::string> rewritten =
            &q == &statement.query ? rewrite(statement, context.source)
                                   : std::unexpected(std::string("the OFFSET is in a subquery"));
        const std::string amount = deep ? fmt::format("OFFSET {}", *q.offset_value)
                                        : std::string("a parameterised OFFSET");
        std::string how =
            rewritten ? std::string("The suggested statement takes the last row's keys as new "
                                    "parameters; the ORDER BY keys must identify a row (end "
                                    "with a unique column) and be NOT NULL.")
                      : fmt::format("No rewrite is given because {}.", rewritten.error());
        Finding f = make_finding(
            RuleId::deep_offset, q.offset_offset,
            deep ? fmt::format("OFFSET {} reads and discards {} rows", *q.offset_value,
                               *q.offset_value)
                 : std::string("OFFSET $n pages by reading and discarding rows"),
            fmt::format("With {} PostgreSQL still produces every skipped row and throws it away, "
                        "so deep pages get slower and slower. Use keyset pagination: remember "
                        "the last row's ({}) and ask for the rows after it, `WHERE ({}) > "
                        "(last values) ORDER BY {} LIMIT n` (use < for DESC), which an index on "
                        "({}) answers with one short range scan. {}",
                        amount, keys, keys, keys, keys, how));
        f.subject = deep ? fmt::format("OFFSET {}", *q.offset_value) : std::string("OFFSET $n");
        if (deep) {
            f.evidence.emplace_back("offset", *q.offset_value);
        } else {
            f.severity = Severity::info;
        }
        if (q.limit_value) {
            f.evidence.emplace_back("limit", *q.limit_value);
        }
        if (rewritten) {
            f.suggestion.rewritten_query = std::move(*rewritten);
        }
        out.push_back(std::move(f));
    });
}

} // namespace

Rule deep_offset() {
    return Rule{RuleId::deep_offset, &check};
}

} // namespace dbadvise::analyzer::rules
