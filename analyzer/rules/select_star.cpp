// select-star: `SELECT *` (or `t.*`) in the result of a top-level query.
//
// Rationale: `*` returns every column, including wide ones the caller never reads (TOASTed
// text, jsonb, bytea), and changes meaning when columns are added, dropped or reordered.
// Naming the columns makes the query's needs explicit and enables index-only scans.
// PostgreSQL behaviour: every column in the select list must be fetched from the heap, so a
// covering index (INCLUDE) can never give an Index Only Scan for `SELECT *`; wide values are
// de-TOASTed and sent over the wire. Inside EXISTS, CTEs and FROM subqueries the planner
// prunes unused columns itself, so only the outermost select list is checked.
// With a schema (--schema, or the catalog in analyze) the finding carries the statement with
// `*` expanded to the table's columns, ready to be trimmed.
// Severity info: harmless for narrow tables and ad-hoc queries.
// Known false positives: generic tooling that must return whole rows; narrow tables.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::Query;
using sqlparse::Relation;

// The columns `*` or `qualifier.*` stands for, as select-list text; nullopt when a relation
// is unknown to the schema.
std::optional<std::string> expand(const Query& q, const Schema& schema,
                                  std::string_view qualifier, int& column_count) {
    std::vector<const Relation*> relations;
    for (const Relation& r : q.relations) {
        if (qualifier.empty() || r.ref_name() == qualifier) {
            relations.push_back(&r);
        }
    }
    if (relations.empty()) {
        return std::nullopt;
    }
    const bool qualify = !qualifier.empty() || relations.size() > 1;
    std::string list;
    for (const Relation* r : relations) {
        const TableInfo* table = schema.find(*r);
        if (table == nullptr || table->columns.empty()) {
            return std::nullopt;
        }
        for (const sqlparse::ColumnDefinition& col : table->columns) {
            if (!list.empty()) {
                list += ", ";
            }
            if (qualify) {
                list += quote_identifier(r->ref_name()) + ".";
            }
            list += quote_identifier(col.name);
            ++column_count;
        }
    }
    return list;
}

// The statement with every star of the top-level select list expanded, when the FROM clause
// holds only plain tables known to the schema.
std::optional<std::string> rewrite(const sqlparse::Statement& statement,
                                   const RuleContext& context, int& column_count) {
    const Query& q = statement.query;
    const Clauses c = find_clauses(context.source, statement.span);
    if (context.schema == nullptr || c.select_list < 0 || c.from < 0 || c.set_operation >= 0) {
        return std::nullopt;
    }
    // Functions, subqueries or USING/NATURAL joins in FROM change what `*` stands for.
    const int from_end = c.clause_end(c.from);
    for (const Token& t : tokenize(context.source, c.from, from_end)) {
        if (is_open(t) || is_word(context.source, t, "USING") ||
            is_word(context.source, t, "NATURAL")) {
            return std::nullopt;
        }
    }
    Splice splice;
    bool any = false;
    for (const sqlparse::Span item : split_top_level(context.source, c.select_list, c.from)) {
        const std::vector<Token> tokens = tokenize(context.source, item.begin, item.end);
        const bool star_only = tokens.size() == 1 && slice(context.source, item) == "*";
        const bool qualified_star = tokens.size() == 3 && tokens[1].kind == TokenKind::dot &&
                                    slice(context.source, tokens[2].begin, tokens[2].end) == "*";
        if (!star_only && !qualified_star) {
            continue;
        }
        std::string qualifier;
        if (qualified_star) {
            qualifier = sqlparse::identifier_value(context.source, tokens[0]);
        }
        std::optional<std::string> list = expand(q, *context.schema, qualifier, column_count);
        if (!list) {
            return std::nullopt;
        }
        splice.replace(item.begin, item.end, *list);
        any = true;
    }
    if (!any) {
        return std::nullopt;
    }
    return splice.apply(context.source, statement.span);
}

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    if (statement.kind != sqlparse::StatementKind::select) {
        return;
    }
    const Query& q = statement.query;
    std::vector<const Query*> levels;
    if (q.set_operations.empty()) {
        levels.push_back(&q);
    } else {
        for (const Query& branch : q.subqueries) {
            if (branch.context == sqlparse::ClauseContext::other) {
                levels.push_back(&branch);
            }
        }
    }
    int column_count = 0;
    std::optional<std::string> rewritten;
    bool rewrite_tried = false;
    for (const Query* level : levels) {
        for (const sqlparse::TargetEntry& target : level->targets) {
            if (!target.is_star) {
                continue;
            }
            std::string tables;
            bool variable = false; // a FROM item is a psql variable
            for (const Relation& r : level->relations) {
                if (target.star_qualifier.empty() || r.ref_name() == target.star_qualifier) {
                    tables += tables.empty() ? "" : ", ";
                    tables += relation_text(r);
                    variable = variable || r.psql_variable;
                }
            }
            if (tables.empty()) {
                tables = "the FROM items";
            }
            if (!rewrite_tried && level == &q) {
                rewritten = rewrite(statement, context, column_count);
                rewrite_tried = true;
            }
            const std::string star =
                target.star_qualifier.empty() ? "*" : target.star_qualifier + ".*";
            std::string how;
            if (rewritten) {
                how = fmt::format("The suggested statement lists all {} columns; keep only the "
                                  "ones the caller uses.",
                                  column_count);
            } else if (variable) {
                how = "The column list is not expanded because a FROM item is a psql variable: "
                      "which table psql puts there is not known.";
            } else if (context.schema == nullptr) {
                how = "Pass the table definitions with --schema to get the column list.";
            } else {
                how = "The column list is not expanded because a FROM item is not a table "
                      "known to the schema.";
            }
            Finding f = make_finding(
                RuleId::select_star, target.offset, fmt::format("SELECT {} returns every column", star),
                fmt::format("`SELECT {}` fetches every column of {}, including wide ones the "
                            "caller may never read, rules out index-only scans and changes "
                            "meaning when the table changes. List the columns you need. {}",
                            star, tables, how));
            f.subject = star + " from " + tables;
            if (rewritten && level == &q) {
                f.suggestion.rewritten_query = *rewritten;
                f.evidence.emplace_back("columns", static_cast<std::int64_t>(column_count));
            }
            out.push_back(std::move(f));
        }
    }
}

} // namespace

Rule select_star() {
    return Rule{RuleId::select_star, &check};
}

} // namespace dbadvise::analyzer::rules
