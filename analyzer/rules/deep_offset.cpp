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
// The rewrite is mechanical when the ORDER BY keys are plain columns of one table, sorted in
// one direction, and only correct when they identify a row and are NOT NULL: rows that tie
// on the keys would be skipped or repeated between pages, and a row comparison never matches
// a NULL. So it is given only when the table's definition (--schema, or the catalog in
// analyze) shows NOT NULL keys covering a unique key; when they do not, the table's primary
// key (or another unique NOT NULL key) is added as the last ORDER BY key; without a
// definition no rewrite is given and the message says what the keys need. With FETCH ...
// WITH TIES a page never ends inside a group of rows that tie on the keys, so NOT NULL keys
// suffice and none is added (adding one would change the pages' sizes). The next page's
// parameters are the last row's keys, so the rewrite also selects every key the select list
// does not output.
// The keyset condition goes into WHERE, so it keeps the meaning only when the result's rows
// are the table's rows and nothing is computed over the rows WHERE lets through. No rewrite
// (the message says why) for set operations, GROUP BY / HAVING / aggregates, window functions
// (row_number() would count from the page's first row), DISTINCT ON (the first row of a group
// is chosen after WHERE, so groups repeat across pages), a set-returning function in the
// select list (several result rows per table row), SELECT DISTINCT when the key to add is not
// selected (PostgreSQL rejects ORDER BY expressions outside a DISTINCT select list), and an
// output column named like the key to add (an unqualified ORDER BY name resolves to the output
// column, while WHERE sees the table's). These are decided from the query model.
// Known false positives: OFFSET on small, bounded results (a pick list); batch jobs that read
// everything anyway.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::Query;
using sqlparse::SortKey;

constexpr std::int64_t k_deep_offset = 1000;

// What the rewrite found: the statement, the key columns it added to ORDER BY, the keys it
// added to the select list (the client needs the last row's keys for the next page), and
// whether the page size is FETCH ... WITH TIES.
struct Keyset {
    std::string sql;
    std::vector<std::string> added;
    std::vector<std::string> selected;
    bool ties = false;
};

// The ORDER BY key columns of `q` (plain columns of its one table) that identify a row, by
// the table's definition: all NOT NULL, and a unique key among them. When they do not, the
// table's row key (its primary key, usually) columns missing from them are returned to be
// added; a failure says why no key set that identifies a row is known. With `ties` (FETCH
// ... WITH TIES) the keys need only be NOT NULL: such a page never ends inside a group of rows
// that tie on them, so a strict keyset condition skips and repeats nothing.
std::expected<std::vector<std::string>, std::string> missing_row_key(const Query& q,
                                                                     const Schema* schema,
                                                                     bool ties) {
    if (q.relations.size() != 1 || !is_base_table(q.relations.front())) {
        return std::unexpected("the query reads several tables (or no table), and keyset "
                               "pagination needs ORDER BY keys that identify a row of the "
                               "result");
    }
    const sqlparse::Relation& relation = q.relations.front();
    const TableInfo* table = schema != nullptr ? schema->find(relation) : nullptr;
    if (table == nullptr && relation.psql_variable) {
        return std::unexpected(fmt::format(
            "keyset pagination needs ORDER BY keys that identify a row, and {} is a psql "
            "variable, so which table it reads (and its keys) is not known: end ORDER BY with a "
            "unique NOT NULL column such as the primary key",
            relation_text(relation)));
    }
    if (table == nullptr) {
        return std::unexpected(fmt::format(
            "keyset pagination needs ORDER BY keys that identify a row, and lint does not know "
            "the keys of {}: pass its CREATE TABLE with --schema, or end ORDER BY with a "
            "unique NOT NULL column such as the primary key",
            relation_text(relation)));
    }
    std::vector<std::string> keys;
    for (const SortKey& key : q.order_by) {
        const sqlparse::ColumnDefinition* column = table->column(key.column->name);
        if (column == nullptr) {
            return std::unexpected(fmt::format("{} is not a column of {} as --schema defines it",
                                               key.column->name, relation_text(relation)));
        }
        if (!column->not_null) {
            return std::unexpected(fmt::format(
                "{} may be NULL, and a row comparison never matches a NULL key (those rows "
                "would be skipped); page on NOT NULL columns, or handle the NULLs apart",
                key.column->name));
        }
        keys.push_back(key.column->name);
    }
    if (ties) {
        return std::vector<std::string>{};
    }
    for (const std::vector<std::string>& unique : table->unique_keys) {
        if (std::all_of(unique.begin(), unique.end(), [&](const std::string& name) {
                return std::find(keys.begin(), keys.end(), name) != keys.end();
            })) {
            return std::vector<std::string>{};
        }
    }
    const std::vector<std::string>* row_key = table->row_key();
    if (row_key == nullptr) {
        return std::unexpected(fmt::format(
            "the ORDER BY keys ({}) do not identify a row of {}, and it has no unique NOT NULL "
            "column to add: add one (a primary key) and end ORDER BY with it",
            fmt::join(keys, ", "), relation_text(relation)));
    }
    std::vector<std::string> missing;
    for (const std::string& name : *row_key) {
        if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
            missing.push_back(name);
        }
    }
    return missing;
}

// PostgreSQL's own set-returning functions: in a select list each makes several result rows
// of one table row.
bool is_set_returning(std::string_view name) {
    static constexpr std::string_view k_names[] = {
        "unnest", "generate_series", "generate_subscripts", "regexp_matches",
        "regexp_split_to_table", "string_to_table", "json_array_elements",
        "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text",
        "json_each", "jsonb_each", "json_each_text", "jsonb_each_text", "json_object_keys",
        "jsonb_object_keys", "jsonb_path_query", "json_populate_recordset",
        "jsonb_populate_recordset", "json_to_recordset", "jsonb_to_recordset"};
    return std::find(std::begin(k_names), std::end(k_names), name) != std::end(k_names);
}

// Why a keyset condition in WHERE would change what the query returns, or which rows a page
// holds, even on keys that identify a row of the table: the rows it pages through are not the
// table's rows, or something computed over them sees the rows WHERE lets through.
std::optional<std::string> changes_meaning(const Query& q) {
    if (!q.set_operations.empty()) {
        return "the rows come from UNION, INTERSECT or EXCEPT, which no key of one table "
               "identifies";
    }
    if (!q.group_by.empty() || !q.having.empty() || q.has_aggregate) {
        return "the query aggregates (GROUP BY, HAVING or an aggregate function), so its rows "
               "are groups, not table rows, and a condition in WHERE would change the groups' "
               "values";
    }
    const auto window = std::find_if(q.functions.begin(), q.functions.end(),
                                     [](const sqlparse::FunctionCall& f) { return f.window; });
    if (window != q.functions.end()) {
        return fmt::format("the window function {}() ... OVER computes over the rows WHERE lets "
                           "through, so a keyset condition would change its values",
                           window->name);
    }
    if (q.has_distinct_on) {
        return "DISTINCT ON keeps the first row of each group among the rows WHERE lets through, "
               "so with a keyset condition a group shown on one page would come back on the next";
    }
    for (const sqlparse::FunctionCall& f : q.functions) {
        if (f.context == sqlparse::ClauseContext::select_list && is_set_returning(f.name)) {
            return fmt::format("the set-returning function {}() in the select list makes several "
                               "result rows of one table row, which the table's keys do not "
                               "tell apart",
                               f.name);
        }
    }
    return std::nullopt;
}

// The output column whose name hides the table's column `name` when ORDER BY names it
// unqualified (an alias, or a function call's implicit name), or null.
const sqlparse::TargetEntry* hiding_output(const Query& q, const std::string& name) {
    for (const sqlparse::TargetEntry& t : q.targets) {
        const std::string& output = !t.alias.empty() ? t.alias
                                    : t.column       ? t.column->name
                                                     : t.function_name;
        if (output == name && !(t.column && t.column->name == name)) {
            return &t;
        }
    }
    return nullptr;
}

// Whether the select list outputs the table's column `name` (by itself or through `*`).
bool selected(const Query& q, const std::string& name) {
    return std::any_of(q.targets.begin(), q.targets.end(), [&](const sqlparse::TargetEntry& t) {
        return t.is_star || (t.column && t.column->name == name);
    });
}

// The top-level SELECT with OFFSET replaced by a keyset condition on ORDER BY keys that
// identify a row: the query's own, or those with the table's row key added.
std::expected<Keyset, std::string> rewrite(const sqlparse::Statement& statement,
                                           std::string_view source, const Schema* schema) {
    const Query& q = statement.query;
    if (auto why = changes_meaning(q)) {
        return std::unexpected(std::move(*why));
    }
    const Clauses c = find_clauses(source, statement.span);
    if (statement.kind != sqlparse::StatementKind::select || c.order_by < 0 || c.offset < 0 ||
        q.order_by.empty()) {
        return std::unexpected("the query is not a plain SELECT ... ORDER BY ... OFFSET");
    }
    if (c.limit < 0 && c.fetch < 0) {
        return std::unexpected("the query has no LIMIT giving the page size");
    }
    bool ties = false;
    if (c.fetch >= 0) {
        for (const Token& t : tokenize(source, c.fetch, c.clause_end(c.fetch))) {
            ties = ties || is_word(source, t, "TIES");
        }
    }
    const bool descending = q.order_by.front().descending;
    std::vector<std::string> keys;
    for (const SortKey& key : q.order_by) {
        if (!key.column || key.is_function_call) {
            return std::unexpected("an ORDER BY key is not a plain column");
        }
        if (key.using_operator) {
            return std::unexpected("an ORDER BY key sorts USING an operator, whose direction "
                                   "the rewrite does not know; write it as ASC or DESC (for "
                                   "the built-in types USING < is ASC and USING > is DESC)");
        }
        if (key.descending != descending || key.nulls_first) {
            return std::unexpected("the ORDER BY keys mix directions or NULLS placement; use "
                                   "`k1 < $a OR (k1 = $a AND k2 > $b)` instead of a row "
                                   "comparison");
        }
        if (key.column->qualifier.empty() && hiding_output(q, key.column->name) != nullptr) {
            return std::unexpected("an ORDER BY key is an output alias, which WHERE cannot see");
        }
        keys.push_back(key.text.empty() ? column_text(*key.column) : std::string(trim(key.text)));
    }
    const auto missing = missing_row_key(q, schema, ties);
    if (!missing) {
        return std::unexpected(missing.error());
    }
    // Added keys are qualified as the query's keys are.
    const std::string& qualifier = q.order_by.front().column->qualifier;
    for (const std::string& name : *missing) {
        if (q.has_distinct && !selected(q, name)) {
            return std::unexpected(fmt::format(
                "the ORDER BY keys do not identify a row without {}, and SELECT DISTINCT may "
                "only be ordered by what it selects",
                name));
        }
        const sqlparse::TargetEntry* hiding = qualifier.empty() ? hiding_output(q, name) : nullptr;
        if (hiding != nullptr) {
            return std::unexpected(fmt::format(
                "the ORDER BY keys do not identify a row without the column {}, and the output "
                "column `{}` named {} would take its place in ORDER BY while the keyset "
                "condition compares the table's column",
                name, hiding->text, name));
        }
    }
    std::string added_keys;
    // The client reads the last row's keys from the page: every key the select list does not
    // output (the query's own ORDER BY keys or the added ones) is added to it.
    std::string added_outputs;
    std::vector<std::string> selected_keys;
    for (const SortKey& key : q.order_by) {
        if (!selected(q, key.column->name)) {
            const std::string text = key.text.empty() ? column_text(*key.column) : std::string(trim(key.text));
            added_outputs += ", " + text;
            selected_keys.push_back(text);
        }
    }
    for (const std::string& name : *missing) {
        const std::string key = qualifier.empty() ? quote_identifier(name)
                                                  : quote_identifier(qualifier) + "." + quote_identifier(name);
        keys.push_back(key);
        added_keys += ", " + key + (descending ? " DESC" : "");
        if (!selected(q, name)) {
            added_outputs += ", " + key;
            selected_keys.push_back(key);
        }
    }
    // The select list ends at its last token before FROM (an alias included).
    const std::vector<Token> select_list =
        c.select_list >= 0 && c.from > c.select_list ? tokenize(source, c.select_list, c.from) : std::vector<Token>{};
    if (!added_outputs.empty() && select_list.empty()) {
        return std::unexpected("the select list was not located");
    }

    // New parameters for the last row's keys. An `OFFSET $k` disappears, so $k is reused
    // first: a prepared statement must not leave a parameter number unused.
    const std::vector<Token> offset_tokens = tokenize(source, c.offset, c.clause_end(c.offset));
    int reused = 0;
    if (offset_tokens.size() >= 2 && offset_tokens[1].kind == TokenKind::parameter) {
        const std::string_view written = slice(source, offset_tokens[1].begin, offset_tokens[1].end);
        int uses = 0;
        for (const Token& t : tokenize(source, statement.span.begin, statement.span.end)) {
            uses += t.kind == TokenKind::parameter && slice(source, t.begin, t.end) == written;
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
    if (!added_keys.empty()) {
        const std::vector<Token> order_by = tokenize(source, c.order_by, c.clause_end(c.order_by));
        if (order_by.size() < 3) {
            return std::unexpected("the ORDER BY clause was not located");
        }
        splice.insert(order_by.back().end, added_keys);
    }
    if (!added_outputs.empty()) {
        splice.insert(select_list.back().end, added_outputs);
    }
    auto rewritten = splice.apply(source, statement.span);
    if (!rewritten) {
        return std::unexpected("the statement's text was not located");
    }
    return Keyset{std::move(*rewritten), *missing, std::move(selected_keys), ties};
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
        std::string f_added_keys;
        std::expected<Keyset, std::string> rewritten =
            &q == &statement.query ? rewrite(statement, context.source, context.schema)
                                   : std::unexpected(std::string("the OFFSET is in a subquery"));
        const std::string amount = deep ? fmt::format("OFFSET {}", *q.offset_value)
                                        : std::string("a parameterised OFFSET");
        std::string how;
        if (!rewritten) {
            how = fmt::format("No rewrite is given because {}.", rewritten.error());
        } else if (rewritten->ties) {
            how = "FETCH ... WITH TIES never ends a page inside a group of rows that tie on the "
                  "ORDER BY keys, and the keys are NOT NULL, so no row is skipped or repeated "
                  "between pages; the suggested statement takes the last row's keys as new "
                  "parameters.";
        } else if (rewritten->added.empty()) {
            how = "The ORDER BY keys identify a row (a unique key, NOT NULL), so no row is skipped "
                  "or repeated between pages; the suggested statement takes the last row's keys "
                  "as new parameters.";
        } else {
            how = fmt::format("The ORDER BY keys alone do not identify a row: rows that tie on "
                              "them would be skipped or repeated between pages. The suggested "
                              "statement adds {} (the table's unique key) as the last ORDER BY key "
                              "and takes the last row's keys as new parameters.",
                              fmt::join(rewritten->added, ", "));
            f_added_keys = fmt::format("{}", fmt::join(rewritten->added, ", "));
        }
        if (rewritten && !rewritten->selected.empty()) {
            how += fmt::format(" It also selects {}: the client needs the last row's keys to ask "
                               "for the next page.",
                               fmt::join(rewritten->selected, ", "));
        }
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
            f.suggestion.rewritten_query = std::move(rewritten->sql);
        }
        if (!f_added_keys.empty()) {
            f.evidence.emplace_back("added_keys", f_added_keys);
        }
        out.push_back(std::move(f));
    });
}

} // namespace

Rule deep_offset() {
    return Rule{RuleId::deep_offset, &check};
}

} // namespace dbadvise::analyzer::rules
