// cartesian-product: two or more FROM items with no condition connecting them.
//
// Rationale: `FROM orders, customers WHERE orders.total > 100` pairs every order with every
// customer: the result has |orders| x |customers| rows, almost always because a join
// condition was forgotten.
// PostgreSQL behaviour: with no join clause between two relations the planner can only
// produce a Nested Loop without a join filter (usually over a Materialize), whose output is
// the product of the inputs' sizes. Conditions anywhere in WHERE or ON count as connecting,
// as do column references on both sides of an expression (`a.x = b.y + 1`).
// An explicit CROSS JOIN says the product is intended and is not reported; neither are joins
// written with ON/USING/NATURAL, nor levels with a function, a CTE, a VALUES list or a
// subquery that reads no table in FROM (a one-row CTE of parameters is a common, deliberate
// pattern). A subquery that reads a table, left unconnected, is reported by its alias.
// Severity warning: the result and the cost explode with table sizes, but a deliberate
// product of small tables is legitimate.
// Known false positives: one side known to hold a single row (a settings table); relations
// connected only through a correlated subquery.
#include "analyzer/rules/rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace dbadvise::analyzer::rules {

namespace {

using sqlparse::ColumnRef;
using sqlparse::Query;
using sqlparse::Relation;

class Components {
public:
    explicit Components(std::size_t n) : m_parent(n) {
        std::iota(m_parent.begin(), m_parent.end(), std::size_t{0});
    }
    std::size_t find(std::size_t i) {
        while (m_parent[i] != i) {
            m_parent[i] = m_parent[m_parent[i]];
            i = m_parent[i];
        }
        return i;
    }
    void join(std::size_t a, std::size_t b) { m_parent[find(a)] = find(b); }

private:
    std::vector<std::size_t> m_parent;
};

// Index of the relation `column` belongs to at this level; -1 for an outer reference that
// does not concern this level; -2 when it cannot be told (unqualified, several relations).
int relation_index(const Query& q, const ColumnRef& column) {
    const Relation* rel = relation_of(q, column);
    if (rel != nullptr) {
        return static_cast<int>(rel - q.relations.data());
    }
    return column.qualifier.empty() ? -2 : -1;
}

// Relations named as `name.` in the text of an expression: `b` in `b.y + 1`.
std::vector<int> relations_in_text(const Query& q, std::string_view text) {
    std::vector<int> found;
    const std::vector<Token> tokens = tokenize(text, 0, static_cast<int>(text.size()));
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (tokens[i].kind != TokenKind::identifier ||
            slice(text, tokens[i + 1].begin, tokens[i + 1].end) != ".") {
            continue;
        }
        const std::string_view name = slice(text, tokens[i].begin, tokens[i].end);
        for (std::size_t r = 0; r < q.relations.size(); ++r) {
            if (q.relations[r].ref_name() == name) {
                found.push_back(static_cast<int>(r));
            }
        }
    }
    return found;
}

// The level's FROM items as groups of relation indices; nullopt when an item holds no
// relation (a subquery, function or VALUES) or a relation cannot be placed.
std::optional<std::vector<std::vector<int>>> from_items(const sqlparse::Statement& statement,
                                                        std::string_view source, const Query& q) {
    std::vector<std::vector<int>> items;
    if (statement.kind == sqlparse::StatementKind::update ||
        statement.kind == sqlparse::StatementKind::delete_) {
        if (&q != &statement.query) {
            return std::nullopt;
        }
        // DML target and FROM/USING items: each relation stands alone; joins written with
        // ON still connect through their conditions.
        for (std::size_t r = 0; r < q.relations.size(); ++r) {
            items.push_back({static_cast<int>(r)});
        }
        return items;
    }
    const sqlparse::Span span = q.span.valid() ? q.span : statement.span;
    const Clauses c = find_clauses(source, span);
    if (c.from < 0 || c.set_operation >= 0) {
        return std::nullopt;
    }
    std::vector<bool> placed(q.relations.size(), false);
    for (const sqlparse::Span item :
         split_top_level(source, after_keywords(source, c.from, 1), c.clause_end(c.from))) {
        // A LATERAL item refers to the items before it: that is a connection.
        if (has_top_level_word(source, item.begin, item.end, "LATERAL")) {
            return std::nullopt;
        }
        std::vector<int> members;
        for (std::size_t r = 0; r < q.relations.size(); ++r) {
            const int at = q.relations[r].offset;
            if (at >= item.begin && at < item.end) {
                members.push_back(static_cast<int>(r));
                placed[r] = true;
            }
        }
        if (members.empty()) {
            return std::nullopt;
        }
        items.push_back(std::move(members));
    }
    for (const bool p : placed) {
        if (!p) {
            return std::nullopt;
        }
    }
    return items;
}

// The conjuncts of the level's WHERE clause (split at AND of parenthesis depth 0, the AND of
// BETWEEN excepted) as text ranges; empty when there is no WHERE.
std::vector<sqlparse::Span> where_conjuncts(std::string_view source, sqlparse::Span span) {
    std::vector<sqlparse::Span> conjuncts;
    const Clauses c = find_clauses(source, span);
    if (c.where < 0) {
        return conjuncts;
    }
    const std::vector<Token> tokens =
        tokenize(source, after_keywords(source, c.where, 1), c.clause_end(c.where));
    int begin = -1;
    int end = -1;
    bool between = false;
    for (const Token& t : tokens) {
        if (t.depth == 0 && is_word(source, t, "BETWEEN")) {
            between = true;
        } else if (t.depth == 0 && is_word(source, t, "AND")) {
            if (between) {
                between = false;
            } else {
                if (begin >= 0) {
                    conjuncts.push_back({begin, end});
                }
                begin = -1;
                continue;
            }
        }
        if (begin < 0) {
            begin = t.begin;
        }
        end = t.end;
    }
    if (begin >= 0) {
        conjuncts.push_back({begin, end});
    }
    return conjuncts;
}

void check_level(const sqlparse::Statement& statement, const RuleContext& context,
                 const Query& q, std::vector<Finding>& out) {
    if (q.relations.size() < 2) {
        return;
    }
    for (const Relation& r : q.relations) {
        // A set-returning function (generate_series) or a CTE in FROM is usually meant to
        // multiply rows; the rule looks at table-only levels.
        if (r.kind == sqlparse::RelationKind::cte || r.kind == sqlparse::RelationKind::function ||
            r.offset < 0) {
            return;
        }
        // So is a subquery that reads no table: a VALUES list or a SELECT without FROM holds
        // the handful of rows written in it.
        if (r.kind == sqlparse::RelationKind::subquery && r.subquery >= 0 &&
            static_cast<std::size_t>(r.subquery) < q.subqueries.size()) {
            const Query& sub = q.subqueries[static_cast<std::size_t>(r.subquery)];
            if (sub.relations.empty() && sub.subqueries.empty() && sub.set_operations.empty()) {
                return;
            }
        }
    }
    // Each JOIN merges two FROM items into one: with one item left (a chain of explicit
    // joins) nothing is multiplied by accident, and the source need not be tokenized.
    const bool dml_target_level =
        &q == &statement.query && (statement.kind == sqlparse::StatementKind::update ||
                                   statement.kind == sqlparse::StatementKind::delete_);
    if (!dml_target_level && q.relations.size() <= q.joins.size() + 1) {
        return;
    }
    const auto items = from_items(statement, context.source, q);
    if (!items || items->size() < 2) {
        return;
    }
    Components components(q.relations.size());
    for (const std::vector<int>& item : *items) {
        for (const int r : item) {
            components.join(static_cast<std::size_t>(r), static_cast<std::size_t>(item.front()));
        }
    }
    bool unknown = false;
    auto connect = [&](int a, int b) {
        if (a == -2 || b == -2) {
            unknown = true;
        } else if (a >= 0 && b >= 0) {
            components.join(static_cast<std::size_t>(a), static_cast<std::size_t>(b));
        }
    };
    for (const sqlparse::JoinCondition& jc : q.join_conditions) {
        connect(relation_index(q, jc.left), relation_index(q, jc.right));
    }
    for (const sqlparse::Predicate& p : q.predicates) {
        const int left = relation_index(q, p.column);
        if (p.operand.kind == sqlparse::OperandKind::column && p.operand.column) {
            connect(left, relation_index(q, *p.operand.column));
        }
        for (const int r : relations_in_text(q, p.operand.text)) {
            connect(left, r);
        }
        if (p.operand2) {
            for (const int r : relations_in_text(q, p.operand2->text)) {
                connect(left, r);
            }
        }
        for (const int r : relations_in_text(q, p.wrapped_text)) {
            connect(left, r);
        }
    }
    if (unknown) {
        return; // an unqualified column might connect anything
    }
    // Conditions the model does not break down (row comparisons such as `(a.x, a.y) = (b.x,
    // b.y)`, function calls over several tables) still connect every table they name.
    const sqlparse::Span level_span = q.span.valid() ? q.span : statement.span;
    for (const sqlparse::Span conjunct : where_conjuncts(context.source, level_span)) {
        const std::vector<int> named =
            relations_in_text(q, slice(context.source, conjunct));
        for (std::size_t i = 1; i < named.size(); ++i) {
            connect(named[0], named[i]);
        }
    }
    const std::size_t first = components.find(0);
    std::string connected = relation_text(q.relations.front());
    std::string apart;
    int offset = -1;
    for (std::size_t r = 1; r < q.relations.size(); ++r) {
        if (components.find(r) == first) {
            connected += ", " + relation_text(q.relations[r]);
        } else {
            apart += (apart.empty() ? "" : ", ") + relation_text(q.relations[r]);
            if (offset < 0) {
                offset = q.relations[r].offset;
            }
        }
    }
    if (apart.empty()) {
        return;
    }
    Finding f = make_finding(
        RuleId::cartesian_product, offset,
        fmt::format("No join condition connects {} with {}", apart, connected),
        fmt::format("Nothing in WHERE or ON relates {} to {}, so every row of one is paired with "
                    "every row of the other and the result grows as the product of their "
                    "sizes. Add the missing join condition (`JOIN ... ON ...`); if the product "
                    "is intended, write CROSS JOIN to say so.",
                    apart, connected));
    f.subject = connected + " x " + apart;
    f.evidence.emplace_back("relations", static_cast<std::int64_t>(q.relations.size()));
    out.push_back(std::move(f));
}

void check(const sqlparse::Statement& statement, const RuleContext& context,
           std::vector<Finding>& out) {
    for_each_query(statement.query, [&](const Query& q, const Query*) {
        check_level(statement, context, q, out);
    });
}

} // namespace

Rule cartesian_product() {
    return Rule{RuleId::cartesian_product, &check};
}

} // namespace dbadvise::analyzer::rules
