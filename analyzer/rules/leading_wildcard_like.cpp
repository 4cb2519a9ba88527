// leading-wildcard-like: `col LIKE '%text'` / `ILIKE '%text%'` -> pg_trgm GIN index.
//
// Rationale: a pattern that starts with a wildcard has no fixed prefix, so no btree index can
// narrow the search: every row is read and matched.
// PostgreSQL behaviour: a btree (with text_pattern_ops, or the C collation) serves only
// patterns with a constant prefix, `LIKE 'abc%'`. The pg_trgm extension's GIN (or GiST)
// operator class gin_trgm_ops indexes trigrams and serves LIKE and ILIKE with wildcards
// anywhere, provided the pattern has at least three non-wildcard characters to extract
// trigrams from; with fewer the index scan degenerates to reading the whole index.
// Severity warning: a full scan per search, on tables that usually grow.
// Known false positives: small tables; columns already covered by a trigram or full-text
// index (lint does not see indexes); patterns only known at run time (`LIKE $1`) are not
// reported at all.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::LikePattern;

// The pattern without surrounding quotes, in case the model kept them.
std::string_view unquoted(std::string_view pattern) {
    if (pattern.size() >= 2 && pattern.front() == '\'' && pattern.back() == '\'') {
        return pattern.substr(1, pattern.size() - 2);
    }
    return pattern;
}

int literal_characters(std::string_view pattern) {
    int count = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size()) {
            ++count;
            ++i;
        } else if (pattern[i] != '%' && pattern[i] != '_') {
            ++count;
        }
    }
    return count;
}

void check(const sqlparse::Statement& statement, const RuleContext& context, std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const sqlparse::Query& q, const sqlparse::Query*) {
        for (const LikePattern& like : q.likes) {
            const std::string_view pattern = unquoted(like.pattern);
            if (like.negated || pattern.empty() ||
                (pattern.front() != '%' && pattern.front() != '_')) {
                continue;
            }
            const std::string_view op = like.case_insensitive ? "ILIKE" : "LIKE";
            const sqlparse::Relation* rel =
                like.column.name.empty() ? nullptr : relation_of(q, like.column);
            const int literals = literal_characters(pattern);
            std::string how;
            std::string sql;
            if (literals < 3) {
                how = fmt::format("With only {} non-wildcard character{} the pattern has no "
                                  "trigram to search for, so even a trigram index would be read "
                                  "in full; consider whether the search can require more text.",
                                  literals, literals == 1 ? "" : "s");
            } else if (rel == nullptr || !is_base_table(*rel)) {
                how = "A trigram index (pg_trgm, `USING gin (column gin_trgm_ops)`) on the "
                      "searched expression serves such patterns.";
            } else {
                // `lower(name) LIKE '%x'` needs the index on lower(name), not on name.
                std::string expression = quote_identifier(like.column.name);
                for (const sqlparse::Predicate& p : q.predicates) {
                    if (p.wrap != sqlparse::WrapKind::none && !p.wrapped_text.empty() &&
                        p.span.valid() && like.offset >= p.span.begin &&
                        like.offset < p.span.end) {
                        expression = strip_qualifier(p.wrapped_text, like.column.qualifier);
                    }
                }
                const std::string table = index_target(*rel, context);
                sql = fmt::format("CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
                                  "CREATE INDEX CONCURRENTLY {}_{}_trgm_idx ON {} USING gin ({} "
                                  "gin_trgm_ops);",
                                  index_name_part(rel->name), index_name_part(like.column.name),
                                  table, expression);
                how = fmt::format("A trigram GIN index on {} of {} serves {} with wildcards "
                                  "anywhere: see the suggested SQL.",
                                  expression, table, op);
            }
            const std::string column_name =
                like.column.name.empty() ? std::string("the expression") : column_text(like.column);
            Finding f = make_finding(
                RuleId::leading_wildcard_like, like.offset,
                fmt::format("{} '{}' cannot use a btree index", op, pattern),
                fmt::format("The pattern '{}' starts with a wildcard, so there is no prefix for a "
                            "btree index to seek to and every row of {} is read and matched. {}",
                            pattern, column_name, how));
            f.subject = column_name + " " + std::string(op);
            f.evidence.emplace_back("pattern", std::string(pattern));
            f.suggestion.sql = std::move(sql);
            out.push_back(std::move(f));
        }
    });
}

} // namespace

Rule leading_wildcard_like() {
    return Rule{RuleId::leading_wildcard_like, &check};
}

} // namespace dbadvise::analyzer::rules
