// Private to analyzer/: one factory per lint rule (each defined in analyzer/rules/<id>.cpp) and
// the helpers the rules share. The helpers look at the statement's source text as well as the
// query model: rewrites are built by splicing the original text, so they need exact clause
// boundaries (where WHERE ends, where ORDER BY starts), which sqlparse's lexer provides.
#pragma once

#include "analyzer/rule.hpp"
#include "analyzer/sql_text.hpp"
#include "analyzer/text.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/query_model.hpp"

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer::rules {

// --- The rules, one factory per file, returned by value (string literals and a function) ---
Rule cartesian_product();
Rule count_for_existence();
Rule deep_offset();
Rule in_subquery();
Rule leading_wildcard_like();
Rule long_in_list();
Rule missing_limit();
Rule non_sargable_predicate();
Rule not_in_subquery();
Rule null_comparison();
Rule or_across_columns();
Rule order_by_random();
Rule scalar_subquery_in_select();
Rule select_star();
Rule unfiltered_write();
Rule union_vs_union_all();

// --- Walking the query tree ---------------------------------------------------------------

/// Calls `visit(query, parent)` for `root` (parent null) and every nested query level, parents
/// before children.
template <typename Visit>
void for_each_query(const sqlparse::Query& root, Visit&& visit,
                    const sqlparse::Query* parent = nullptr) {
    visit(root, parent);
    for (const sqlparse::Query& sub : root.subqueries) {
        for_each_query(sub, visit, &root);
    }
}

/// The relation a column belongs to at `query`'s level: its resolved index, else the only
/// relation of the level when the column is unqualified. Null when unknown.
const sqlparse::Relation* relation_of(const sqlparse::Query& query,
                                      const sqlparse::ColumnRef& column);

/// `qualifier.name`, or `name` when unqualified.
std::string column_text(const sqlparse::ColumnRef& column);

/// `schema.name`, or `name` when the schema is empty; `subquery alias` for a subquery in FROM
/// (recorded as a relation without a name).
std::string relation_text(const sqlparse::Relation& relation);
/// The table a suggested CREATE INDEX names: schema-qualified when the schema is written or
/// the context's schema (the catalog, in analyze) knows the table, so that the same index
/// suggested by the index advisor (always qualified) is recognized as one change; as written
/// otherwise.
std::string index_target(const sqlparse::Relation& relation, const RuleContext& context);

/// True for a named table (not a CTE reference, not a subquery in FROM): something an index
/// can be created on.
bool is_base_table(const sqlparse::Relation& relation);

/// The text of [begin, end) of `source`, clamped; empty for invalid ranges.
std::string_view slice(std::string_view source, int begin, int end);
std::string_view slice(std::string_view source, sqlparse::Span span);

bool iequals(std::string_view a, std::string_view b);

/// A name usable in an index name: lower case letters, digits and `_` only.
std::string index_name_part(std::string_view text);

// --- Tokens and clauses -------------------------------------------------------------------

using sqlparse::Token;
using sqlparse::TokenKind;

/// Tokens of `source[begin, end)` with absolute offsets, from sqlparse's lexer; comments and
/// white space dropped, depth relative to `begin`. Never throws. Stops after `max_tokens`
/// tokens (a clause keyword needs only a few, and the text may be a whole file).
std::vector<Token> tokenize(std::string_view source, int begin, int end,
                            std::size_t max_tokens = static_cast<std::size_t>(-1));

/// True when `token` is the word `keyword` (case-insensitive).
inline bool is_word(std::string_view source, const Token& token, std::string_view keyword) {
    return sqlparse::token_is(source, token, keyword);
}
/// `(` or `[`; `)` or `]`.
inline bool is_open(const Token& token) {
    return token.kind == TokenKind::open_paren || token.kind == TokenKind::open_bracket;
}
inline bool is_close(const Token& token) {
    return token.kind == TokenKind::close_paren || token.kind == TokenKind::close_bracket;
}
inline bool is_number(const Token& token) {
    return token.kind == TokenKind::integer || token.kind == TokenKind::numeric;
}

/// Where the clauses of one query level start in its text, found at parenthesis depth 0:
/// offsets of the clause keywords (ORDER of ORDER BY), -1 when absent. Used to splice
/// rewrites; when a level has a set operation the clauses after it are not reliable, so
/// `set_operation` is recorded and rewrites step back.
struct Clauses {
    int select = -1;
    int select_list = -1; // first token after SELECT [DISTINCT|ALL]
    bool distinct = false;
    int from = -1;
    int where = -1;
    int group_by = -1;
    int having = -1;
    int window = -1;
    int order_by = -1;
    int limit = -1;
    int offset = -1;
    int fetch = -1;
    int for_locking = -1;
    int set_operation = -1;
    int returning = -1;
    int end = -1; // end of the query text, trailing white space excluded

    /// End of the clause starting at `start`: the next clause keyword after it, or `end`.
    int clause_end(int start) const;
};

/// The clause map of the query level whose text is `source[span)`.
Clauses find_clauses(std::string_view source, sqlparse::Span span);

/// The offset just after the clause keyword(s) at `keyword_offset` ("WHERE", "ORDER BY",
/// "GROUP BY", "LIMIT", "OFFSET", "SELECT"): where the clause's content begins.
int after_keywords(std::string_view source, int keyword_offset, int words);

/// Splits `source[begin, end)` at commas of parenthesis depth 0; returns trimmed [begin, end)
/// ranges.
std::vector<sqlparse::Span> split_top_level(std::string_view source, int begin, int end);

/// True when `source[begin, end)` contains the word `keyword` at parenthesis depth 0.
bool has_top_level_word(std::string_view source, int begin, int end, std::string_view keyword);

// --- Splicing rewrites --------------------------------------------------------------------

/// Replacements of byte ranges of the source, applied to a statement's text to produce the
/// rewritten statement.
class Splice {
public:
    /// Replaces source[begin, end) with `text`; ranges must not overlap.
    void replace(int begin, int end, std::string text);
    void insert(int at, std::string text) { replace(at, at, std::move(text)); }
    /// The text of source[span] with every replacement applied; nullopt when a replacement
    /// falls outside the span or two overlap.
    std::optional<std::string> apply(std::string_view source, sqlparse::Span span) const;

private:
    struct Edit {
        int begin;
        int end;
        std::string text;
    };
    std::vector<Edit> m_edits;
};

// --- Shared rewrites ---------------------------------------------------------------------

/// The whole statement with the IN / NOT IN sublink `link` (found in `query`) rewritten as
/// `[NOT] EXISTS (SELECT 1 FROM ... WHERE ... AND inner = outer)`. Fails with a sentence
/// saying why the rewrite is not mechanical here (GROUP BY or LIMIT in the subquery, several
/// columns, an outer column that cannot be qualified safely, ...).
std::expected<std::string, std::string> rewrite_as_exists(const sqlparse::Statement& statement,
                                                          std::string_view source,
                                                          const sqlparse::Query& query,
                                                          const sqlparse::SubLink& link,
                                                          bool negated);

/// Runs rewrite_as_exists and sets `f`'s rewritten query when it succeeds. Returns the
/// closing sentence of the finding's message: that the suggestion does it, or why there is
/// none.
std::string attach_exists_rewrite(Finding& f, const sqlparse::Statement& statement,
                                  std::string_view source, const sqlparse::Query& query,
                                  const sqlparse::SubLink& link, bool negated);

/// The sublink's test expression as written, `x` when it has none.
std::string sublink_test(const sqlparse::SubLink& link);

} // namespace dbadvise::analyzer::rules
