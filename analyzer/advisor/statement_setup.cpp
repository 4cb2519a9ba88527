// What the advisor needs to know about each statement: the tables it reads with the columns it
// filters, joins and sorts on, and what each $n parameter meets, so that custom plans can be
// given representative values. Everything comes from the query model and the catalog.
#include "analyzer/advisor/advisor.hpp"
#include "util/ascii.hpp"
#include "sqlparse/index_expression.hpp"
#include "sqlparse/parser.hpp"
#include "analyzer/sql_text.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/typed_literals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <deque>
#include <map>
#include <regex>

namespace dbadvise::analyzer::advisor {

namespace {

using sqlparse::ColumnRef;
using sqlparse::OperandKind;
using sqlparse::Predicate;
using sqlparse::Query;
using sqlparse::StatementKind;


const CatalogColumn* find_column(const CatalogTable& table, std::string_view name) {
    for (const CatalogColumn& column : table.columns) {
        if (column.name == name) {
            return &column;
        }
    }
    return nullptr;
}

const ColumnStats* find_stats(const Workload& workload, const CatalogTable& table, std::string_view column) {
    for (const ColumnStats& stats : workload.column_stats) {
        if (stats.table == table.name && stats.schema == table.schema && stats.column == column) {
            return &stats;
        }
    }
    return nullptr;
}

template <typename T>
void add_unique(std::vector<T>& list, const T& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) {
        list.push_back(value);
    }
}

std::string commuted_operator(const std::string& op) {
    if (op == "<") return ">";
    if (op == "<=") return ">=";
    if (op == ">") return "<";
    if (op == ">=") return "<=";
    return op;
}

bool is_equality(const std::string& op) {
    return op == "=" || op == "IN" || op == "= ANY";
}

bool is_range(const std::string& op) {
    return op == "<" || op == "<=" || op == ">" || op == ">=" || op == "BETWEEN";
}

// Operators a GIN index serves (jsonb, arrays, tsvector; LIKE and ILIKE with pg_trgm): which
// operator class fits is decided with the column's type (analyzer/advisor/candidates.cpp).
bool is_gin_operator(const std::string& op) {
    return op == "@>" || op == "<@" || op == "?" || op == "?|" || op == "?&" || op == "@?" || op == "@@" ||
           op == "&&" || op == "LIKE" || op == "ILIKE" || op == "~~" || op == "~~*";
}

// A column of a base table: setup.tables[use] and the column's name there.
struct Source {
    int use = -1;
    std::string column;
    bool valid() const { return use >= 0; }
};

// The output columns of a query level by name, traced to base tables; `pushable` says whether
// PostgreSQL pushes an outer condition on them down into the level (no LIMIT/OFFSET, no set
// operation), so an index on the base column serves it.
struct Outputs {
    std::vector<std::pair<std::string, Source>> columns;
    bool pushable = true;
    const Source* find(std::string_view name) const {
        for (const auto& [output, source] : columns) {
            if (output == name) {
                return &source;
            }
        }
        return nullptr;
    }
};

// Walks the statement's query levels and traces every column it filters, joins, groups and
// sorts on to the base table behind it: through views (their definitions), CTEs that
// PostgreSQL inlines (not MATERIALIZED, not recursive, referenced once), subqueries in FROM,
// output aliases and ORDER BY / GROUP BY ordinals.
class Tracer {
public:
    Tracer(const Workload& workload, StatementSetup& setup, const sqlparse::Statement& statement)
        : m_workload(workload), m_setup(setup) {
        count_cte_references(statement.query);
    }

    Outputs walk(const Query& query, std::vector<const Query*> ancestors, int depth) {
        Outputs outputs;
        if (depth > k_max_depth) {
            outputs.pushable = false;
            return outputs;
        }
        std::vector<bool> walked(query.subqueries.size(), false);
        // Each relation of the level, as a way to find a column by name.
        struct Resolver {
            int use = -1;              // a base table of this level: setup.tables index
            const CatalogTable* table = nullptr;
            std::optional<Outputs> traced; // a view, subquery or inlined CTE
        };
        std::vector<Resolver> resolvers(query.relations.size());
        const std::size_t first_use = m_setup.tables.size();
        int real_relations = 0;
        ancestors.push_back(&query);
        for (std::size_t i = 0; i < query.relations.size(); ++i) {
            const sqlparse::Relation& relation = query.relations[i];
            Resolver& resolver = resolvers[i];
            if (relation.kind == sqlparse::RelationKind::table) {
                ++real_relations;
                if (const CatalogTable* table = m_workload.find_table(relation.schema, relation.name)) {
                    resolver.table = table;
                    resolver.use = static_cast<int>(m_setup.tables.size());
                    TableUse use;
                    use.table = table;
                    use.has_limit = query.has_limit;
                    m_setup.tables.push_back(std::move(use));
                    m_setup.names.emplace_back(relation.ref_name(), table);
                } else if (const CatalogView* view = resolve_view(relation.schema, relation.name)) {
                    resolver.traced = view_outputs(*view, depth);
                }
            } else if (relation.kind == sqlparse::RelationKind::subquery && relation.subquery >= 0 &&
                       relation.subquery < static_cast<int>(query.subqueries.size())) {
                ++real_relations;
                walked[static_cast<std::size_t>(relation.subquery)] = true;
                resolver.traced = walk(query.subqueries[static_cast<std::size_t>(relation.subquery)], ancestors, depth + 1);
            } else if (relation.kind == sqlparse::RelationKind::cte) {
                ++real_relations;
                if (auto traced = cte_outputs(relation.name, query, walked, ancestors, depth)) {
                    resolver.traced = std::move(traced);
                }
            }
            if (resolver.traced) {
                for (const auto& [name, source] : resolver.traced->columns) {
                    if (source.valid() && resolver.traced->pushable) {
                        m_setup.traced.push_back({relation.ref_name(), name, m_setup.tables[static_cast<std::size_t>(source.use)].table,
                                                  source.column});
                    }
                }
            }
        }
        for (std::size_t u = first_use; u < m_setup.tables.size(); ++u) {
            m_setup.tables[u].single_relation = real_relations == 1;
        }

        // The base column behind `ref` at this level.
        auto source_of = [&](const ColumnRef& ref) -> Source {
            auto in = [&](std::size_t i) -> Source {
                const Resolver& resolver = resolvers[i];
                if (resolver.table) {
                    return find_column(*resolver.table, ref.name) ? Source{resolver.use, ref.name} : Source{};
                }
                if (resolver.traced && resolver.traced->pushable) {
                    if (const Source* found = resolver.traced->find(ref.name)) {
                        return *found;
                    }
                }
                return {};
            };
            if (ref.relation >= 0 && ref.relation < static_cast<int>(resolvers.size())) {
                return in(static_cast<std::size_t>(ref.relation));
            }
            if (!ref.qualifier.empty()) {
                std::string_view qualifier = ref.qualifier;
                if (const auto dot = qualifier.rfind('.'); dot != std::string_view::npos) {
                    qualifier = qualifier.substr(dot + 1);
                }
                for (std::size_t i = 0; i < query.relations.size(); ++i) {
                    if (query.relations[i].ref_name() == qualifier) {
                        return in(i);
                    }
                }
                return {};
            }
            Source found;
            for (std::size_t i = 0; i < resolvers.size(); ++i) {
                if (Source s = in(i); s.valid()) {
                    if (found.valid()) {
                        return {}; // ambiguous
                    }
                    found = s;
                }
            }
            return found;
        };
        // An ORDER BY or GROUP BY key: an output alias or ordinal names a select-list entry.
        auto key_source = [&](const sqlparse::SortKey& key, bool order_by) -> Source {
            if (!key.column) {
                int ordinal = 0;
                if (!key.text.empty() && std::all_of(key.text.begin(), key.text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
                    ordinal = std::atoi(key.text.c_str());
                }
                if (ordinal >= 1 && ordinal <= static_cast<int>(query.targets.size())) {
                    const sqlparse::TargetEntry& target = query.targets[static_cast<std::size_t>(ordinal - 1)];
                    return target.column ? source_of(*target.column) : Source{};
                }
                return {};
            }
            const ColumnRef& ref = *key.column;
            // ORDER BY prefers an output name, GROUP BY an input column (PostgreSQL's rules).
            const Source input = source_of(ref);
            if (ref.qualifier.empty() && (order_by || !input.valid())) {
                for (const sqlparse::TargetEntry& target : query.targets) {
                    if (target.alias == ref.name) {
                        return target.column ? source_of(*target.column) : Source{};
                    }
                }
            }
            return input;
        };
        auto use_of = [&](const Source& source) -> TableUse& { return m_setup.tables[static_cast<std::size_t>(source.use)]; };

        // Join keys by the pair of relations they connect, for composite lookups.
        std::map<std::pair<int, int>, std::vector<std::pair<std::string, std::string>>> joined;
        auto add_join = [&](const Source& a, const Source& b) {
            add_unique(use_of(a).join, a.column);
            add_unique(use_of(b).join, b.column);
            joined[{a.use, b.use}].emplace_back(a.column, b.column);
        };
        // A column of an enclosing query level, inside a correlated subquery: it names a
        // relation of an outer level, or (unqualified) none of this level.
        auto outer_reference = [&](const ColumnRef& ref) {
            if (ancestors.size() < 2 || source_of(ref).valid()) {
                return false;
            }
            if (ref.qualifier.empty()) {
                return true;
            }
            std::string_view qualifier = ref.qualifier;
            if (const auto dot = qualifier.rfind('.'); dot != std::string_view::npos) {
                qualifier = qualifier.substr(dot + 1);
            }
            for (std::size_t level = 0; level + 1 < ancestors.size(); ++level) {
                for (const sqlparse::Relation& relation : ancestors[level]->relations) {
                    if (relation.ref_name() == qualifier) {
                        return true;
                    }
                }
            }
            return false;
        };
        // `inner.key = outer.key` in a correlated subquery (EXISTS, IN, a scalar subquery) with
        // one side unqualified, which sqlparse keeps as a predicate rather than a join
        // condition: the outer value is a parameter of each execution of the subquery, or the
        // key of the semi join PostgreSQL turns it into, so the inner column is looked up like
        // a join key.
        auto correlated = [&](const Predicate& predicate, const ColumnRef& inner_ref, const ColumnRef& outer_ref) {
            if (predicate.op != "=" || predicate.wrap != sqlparse::WrapKind::none || predicate.negated ||
                predicate.in_or || !outer_reference(outer_ref)) {
                return;
            }
            if (const Source inner = source_of(inner_ref); inner.valid()) {
                add_unique(use_of(inner).join, inner.column);
            }
        };
        for (const Predicate& predicate : query.predicates) {
            const Source column = predicate.wrap == sqlparse::WrapKind::none
                                      ? source_of(predicate.column)
                                      : Source{source_of(predicate.column).use, {}};
            if (!column.valid() || predicate.negated) {
                if (predicate.operand.kind == OperandKind::column && predicate.operand.column) {
                    correlated(predicate, *predicate.operand.column, predicate.column);
                }
                continue;
            }
            if (predicate.in_or) {
                // An equality under OR: each arm's column indexed lets a BitmapOr combine them.
                if (predicate.wrap == sqlparse::WrapKind::none && is_equality(predicate.op) &&
                    predicate.operand.kind != OperandKind::column && predicate.operand.kind != OperandKind::subquery) {
                    add_unique(use_of(column).or_equality, column.column);
                }
                continue;
            }
            TableUse& use = use_of(column);
            if (predicate.operand.kind == OperandKind::column && predicate.operand.column) {
                // `a = b` between two relations is a join, however it is written.
                const Source other = source_of(*predicate.operand.column);
                if (predicate.op == "=" && predicate.wrap == sqlparse::WrapKind::none && other.valid() &&
                    other.use != column.use && use_of(other).table != use.table) {
                    add_join(column, other);
                } else if (!other.valid()) {
                    correlated(predicate, predicate.column, *predicate.operand.column);
                }
                continue;
            }
            if (predicate.operand.kind == OperandKind::constant && predicate.op == "=" &&
                predicate.wrap == sqlparse::WrapKind::none) {
                use.constants.emplace_back(column.column, predicate.operand.text);
            }
            if (predicate.operand.kind == OperandKind::subquery) {
                continue;
            }
            if (is_gin_operator(predicate.op)) {
                const std::string op = predicate.op == "~~" ? "LIKE" : predicate.op == "~~*" ? "ILIKE" : predicate.op;
                if (predicate.wrap == sqlparse::WrapKind::none) {
                    GinUse gin{column.column, op, false, predicate.operand.kind == OperandKind::constant
                                                            ? predicate.operand.text
                                                            : std::string()};
                    if (std::find(use.gin.begin(), use.gin.end(), gin) == use.gin.end()) {
                        use.gin.push_back(std::move(gin));
                    }
                } else if (predicate.wrap == sqlparse::WrapKind::function && op == "@@" &&
                           !predicate.wrapped_text.empty()) {
                    // `to_tsvector('english', body) @@ q`: an expression index, when the expression
                    // holds no parameter (normalization replaces the configuration's name).
                    const Source direct = source_of(predicate.column);
                    if (direct.valid() && direct.column == predicate.column.name) {
                        // Only to_tsvector with a constant configuration is IMMUTABLE, as an
                        // index expression must be; to_tsvector(body) depends on a setting.
                        const auto key = sqlparse::index_expression(predicate.wrapped_text);
                        if (key && key->starts_with("to_tsvector('")) {
                            GinUse gin{*key, op, true, {}};
                            if (std::find(use.gin.begin(), use.gin.end(), gin) == use.gin.end()) {
                                use.gin.push_back(std::move(gin));
                            }
                        }
                    }
                }
                continue;
            }
            if (predicate.wrap == sqlparse::WrapKind::function && is_equality(predicate.op) &&
                !predicate.wrapped_text.empty()) {
                // Only an expression of the column itself can be an index key: not one holding a
                // parameter (`substring(phone from $13 for $14)`), whose value normalization
                // removed. Expressions are keyed on tables the statement names directly.
                const Source direct = source_of(predicate.column);
                if (direct.valid() && direct.column == predicate.column.name) {
                    if (auto key = sqlparse::index_expression(predicate.wrapped_text)) {
                        add_unique(use.expressions, *key);
                    }
                }
                continue;
            }
            if (predicate.wrap != sqlparse::WrapKind::none) {
                continue;
            }
            if (is_equality(predicate.op)) {
                add_unique(use.equality, column.column);
            } else if (is_range(predicate.op)) {
                add_unique(use.range, column.column);
            } else if (predicate.op == "IS NULL") {
                add_unique(use.is_null, column.column);
            }
        }
        for (const sqlparse::JoinCondition& join : query.join_conditions) {
            const Source left = source_of(join.left);
            const Source right = source_of(join.right);
            if (left.valid() && right.valid()) {
                add_join(left, right);
            } else if (left.valid()) {
                add_unique(use_of(left).join, left.column);
            } else if (right.valid()) {
                add_unique(use_of(right).join, right.column);
            }
        }
        for (const auto& [pair, columns] : joined) {
            if (columns.size() < 2) {
                continue;
            }
            std::vector<std::string> left;
            std::vector<std::string> right;
            for (const auto& [a, b] : columns) {
                add_unique(left, a);
                add_unique(right, b);
            }
            if (left.size() >= 2) {
                add_unique(use_of(Source{pair.first, {}}).join_groups, left);
            }
            if (right.size() >= 2) {
                add_unique(use_of(Source{pair.second, {}}).join_groups, right);
            }
        }
        // ORDER BY helps an index only when every key is a plain column of one base table.
        if (!query.order_by.empty()) {
            int owner = -2;
            std::vector<std::pair<std::string, bool>> keys;
            for (const sqlparse::SortKey& key : query.order_by) {
                const Source source = key_source(key, true);
                if (!source.valid() || (owner != -2 && source.use != owner)) {
                    owner = -1;
                    break;
                }
                owner = source.use;
                keys.emplace_back(source.column, key.descending);
            }
            if (owner >= 0) {
                m_setup.tables[static_cast<std::size_t>(owner)].order = keys;
                m_setup.tables[static_cast<std::size_t>(owner)].has_limit = query.has_limit;
            }
        }
        for (const sqlparse::SortKey& key : query.group_by) {
            if (const Source source = key_source(key, false); source.valid()) {
                add_unique(use_of(source).group, source.column);
            }
        }
        for (const sqlparse::TargetEntry& target : query.targets) {
            if (target.is_star) {
                for (std::size_t i = 0; i < resolvers.size(); ++i) {
                    if (!target.star_qualifier.empty() && query.relations[i].ref_name() != target.star_qualifier) {
                        continue;
                    }
                    if (resolvers[i].table) {
                        use_of(Source{resolvers[i].use, {}}).output_star = true;
                        for (const CatalogColumn& column : resolvers[i].table->columns) {
                            outputs.columns.emplace_back(column.name, Source{resolvers[i].use, column.name});
                        }
                    } else if (resolvers[i].traced) {
                        for (const auto& entry : resolvers[i].traced->columns) {
                            outputs.columns.push_back(entry);
                        }
                    }
                }
                continue;
            }
            const Source source = target.column ? source_of(*target.column) : Source{};
            const std::string name = !target.alias.empty() ? target.alias
                                     : target.column        ? target.column->name
                                                            : target.function_name;
            outputs.columns.emplace_back(name, source);
            if (source.valid()) {
                add_unique(use_of(source).output, source.column);
            } else {
                for (std::size_t u = first_use; u < m_setup.tables.size(); ++u) {
                    m_setup.tables[u].output_star = true; // an expression reads columns we do not list
                }
            }
        }
        outputs.pushable = !query.has_limit && !query.has_offset && query.set_operations.empty();

        // Sublinks and set-operation branches, then the CTEs no reference inlined (a reference
        // further down may inline one, so those come last).
        std::vector<bool> is_cte(query.subqueries.size(), false);
        for (const int index : query.cte_queries) {
            if (index >= 0 && index < static_cast<int>(is_cte.size())) {
                is_cte[static_cast<std::size_t>(index)] = true;
            }
        }
        for (const bool ctes : {false, true}) {
            for (std::size_t i = 0; i < query.subqueries.size(); ++i) {
                if (!walked[i] && is_cte[i] == ctes && !m_inlined.contains(&query.subqueries[i])) {
                    walk(query.subqueries[i], ancestors, depth + 1);
                }
            }
        }
        return outputs;
    }

private:
    static constexpr int k_max_depth = 32;
    const Workload& m_workload;
    StatementSetup& m_setup;
    std::map<std::string, int> m_cte_references;
    std::deque<sqlparse::ParsedStatement> m_view_parses; // kept alive while walking

    void count_cte_references(const Query& query) {
        for (const sqlparse::Relation& relation : query.relations) {
            if (relation.kind == sqlparse::RelationKind::cte) {
                ++m_cte_references[relation.name];
            }
        }
        for (const Query& sub : query.subqueries) {
            count_cte_references(sub);
        }
    }

    const CatalogView* resolve_view(const std::string& schema, const std::string& name) const {
        auto find = [&](std::string_view s) -> const CatalogView* {
            for (const CatalogView& view : m_workload.views) {
                if (view.name == name && view.schema == s) {
                    return &view;
                }
            }
            return nullptr;
        };
        if (!schema.empty()) {
            return find(schema);
        }
        for (const std::string& entry : m_workload.search_path) {
            if (const CatalogView* view = find(entry)) {
                return view;
            }
        }
        return find("public");
    }

    // A view is its definition: its columns trace to the tables it reads, and the conditions
    // inside it are the statement's too.
    std::optional<Outputs> view_outputs(const CatalogView& view, int depth) {
        m_view_parses.push_back(sqlparse::parse_statement(view.definition));
        const sqlparse::ParsedStatement& parsed = m_view_parses.back();
        if (!parsed.statement || parsed.statement->kind != StatementKind::select) {
            return std::nullopt;
        }
        count_cte_references(parsed.statement->query);
        return walk(parsed.statement->query, {}, depth + 1);
    }

    // A CTE is inlined (and its columns traced) when PostgreSQL would inline it; otherwise its
    // query is walked once as a level of its own.
    std::optional<Outputs> cte_outputs(const std::string& name, const Query& level, std::vector<bool>& walked,
                                       const std::vector<const Query*>& ancestors, int depth) {
        for (auto it = ancestors.rbegin(); it != ancestors.rend(); ++it) {
            const Query& owner = **it;
            for (std::size_t c = 0; c < owner.cte_names.size(); ++c) {
                if (owner.cte_names[c] != name || c >= owner.cte_queries.size()) {
                    continue;
                }
                const auto index = static_cast<std::size_t>(owner.cte_queries[c]);
                if (index >= owner.subqueries.size()) {
                    return std::nullopt;
                }
                const bool inlined = !owner.recursive_with && !(c < owner.cte_materialized.size() && owner.cte_materialized[c]) &&
                                     m_cte_references[name] == 1;
                if (!inlined) {
                    return std::nullopt;
                }
                if (&owner == &level) {
                    walked[index] = true;
                } else {
                    m_inlined.insert(&owner.subqueries[index]);
                }
                return walk(owner.subqueries[index], {ancestors.begin(), ancestors.begin() + (ancestors.rend() - it)},
                            depth + 1);
            }
        }
        return std::nullopt;
    }

public:
    std::set<const Query*> m_inlined; // CTE queries of outer levels already walked through a reference
};

// What each $n meets, from where it sits in the parse tree: the column it is compared with
// (directly, or as part of an expression compared with a column), LIMIT or OFFSET.
// The base table behind a column reference of the statement, and the column's name there.
std::pair<const CatalogTable*, std::string> column_source(const StatementSetup& setup, const ColumnRef& ref) {
    std::string_view qualifier = ref.qualifier;
    if (const auto dot = qualifier.rfind('.'); dot != std::string_view::npos) {
        qualifier = qualifier.substr(dot + 1);
    }
    std::pair<const CatalogTable*, std::string> found{nullptr, {}};
    auto consider = [&](const CatalogTable* table, const std::string& column) {
        if (found.first && (found.first != table || found.second != column)) {
            found = {nullptr, {}};
            return false; // ambiguous across the statement's relations
        }
        found = {table, column};
        return true;
    };
    for (const auto& [name, table] : setup.names) {
        if ((qualifier.empty() || name == qualifier) && find_column(*table, ref.name) &&
            !consider(table, ref.name)) {
            return found;
        }
    }
    for (const TracedColumn& traced : setup.traced) {
        if ((qualifier.empty() || traced.qualifier == qualifier) && traced.column == ref.name &&
            !consider(traced.table, traced.base_column)) {
            return found;
        }
    }
    return found;
}

void note_parameters(StatementSetup& setup) {
    auto strength = [](const ParameterUse& use) {
        return use.in_limit || use.in_offset ? 3 : use.value == ParameterUse::Value::column ? 2 : use.in_predicate ? 1 : 0;
    };
    for (const sqlparse::ParameterSite& site : setup.sites) {
        if (site.number < 1 || site.number > 65535) {
            continue;
        }
        if (static_cast<int>(setup.parameters.size()) < site.number) {
            setup.parameters.resize(static_cast<std::size_t>(site.number));
        }
        ParameterUse use;
        using Kind = sqlparse::ParameterSite::Kind;
        using Peer = sqlparse::ParameterPeer::Kind;
        if (site.kind == Kind::limit || site.kind == Kind::offset) {
            (site.kind == Kind::limit ? use.in_limit : use.in_offset) = true;
        } else if (site.kind == Kind::comparison || site.kind == Kind::case_test) {
            use.in_predicate = true;
            use.op = site.left ? commuted_operator(site.op) : site.op;
            use.upper_bound = site.upper_bound;
            if (site.peer.kind == Peer::column) {
                std::tie(use.table, use.column) = column_source(setup, site.peer.column);
                use.wrapper = site.peer.wrapper;
                use.value = use.table ? ParameterUse::Value::column : ParameterUse::Value::none;
            }
        } else if (site.kind == Kind::arithmetic && site.peer.kind == Peer::column && is_gin_operator(site.op)) {
            // `attrs @> $1`, `tags && $1`: a condition on the column that no pg_stats value
            // stands for (a whole stored document is no containment test), and NULL would make
            // the plan a constant-false filter: the generic plan prices it.
            use.in_predicate = true;
            use.op = site.op;
        } else if (site.context.kind == Peer::column) {
            // Part of an expression compared with a column: `col BETWEEN $4 - $5 AND ...`,
            // `created_at > to_timestamp($1)`, `lower(email) = lower($1 || $2)`.
            use.in_predicate = true;
            use.op = site.context_op;
            use.upper_bound = site.upper_bound;
            std::tie(use.table, use.column) = column_source(setup, site.context.column);
            const bool leading = site.left || (site.kind != Kind::arithmetic && site.kind != Kind::concatenation);
            if (site.kind == Kind::function_argument) {
                const bool transparent = site.argument == 0 && site.arguments == 1 &&
                                         (site.function == "to_timestamp" || site.function == "lower" ||
                                          site.function == "upper");
                use.wrapper = transparent ? site.function : "";
                use.value = transparent && use.table ? ParameterUse::Value::column : ParameterUse::Value::none;
            } else if (leading) {
                use.wrapper = site.context.wrapper.empty() ? site.context_function : site.context.wrapper;
                if (!use.wrapper.empty() && use.wrapper != "to_timestamp" && use.wrapper != "lower" &&
                    use.wrapper != "upper") {
                    use.value = ParameterUse::Value::none;
                } else {
                    use.value = use.table ? ParameterUse::Value::column : ParameterUse::Value::none;
                }
            } else if (site.peer.parameter > 0 && (site.op == "+" || site.op == "-" || site.op == "||")) {
                // `$4 - $5`, `$2::date + $3::interval`: the left parameter carries the value.
                use.value = ParameterUse::Value::neutral_add;
            } else if (site.peer.parameter > 0 && (site.op == "*" || site.op == "/")) {
                use.value = ParameterUse::Value::neutral_multiply;
            }
        }
        ParameterUse& current = setup.parameters[static_cast<std::size_t>(site.number - 1)];
        if (strength(use) > strength(current)) {
            current = std::move(use);
        }
    }
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

// pg_stats shows timestamptz as `2025-03-04 12:34:56.789+00` (ISO DateStyle); to_timestamp()
// takes epoch seconds, so a parameter wrapped in it gets the bound converted.
std::optional<std::string> epoch_of(const std::string& text) {
    static const std::regex k_timestamp(
        R"(^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?)?(?:([+-])(\d{2})(?::?(\d{2}))?)?$)");
    std::smatch m;
    if (!std::regex_match(text, m, k_timestamp)) {
        return std::nullopt;
    }
    const long long days = days_from_civil(std::stoll(m[1]), static_cast<unsigned>(std::stoi(m[2])),
                                           static_cast<unsigned>(std::stoi(m[3])));
    long long seconds = days * 86400;
    if (m[4].matched) {
        seconds += std::stoll(m[4]) * 3600 + std::stoll(m[5]) * 60 + std::stoll(m[6]);
    }
    if (m[8].matched) {
        const long long offset = std::stoll(m[9]) * 3600 + (m[10].matched ? std::stoll(m[10]) * 60 : 0);
        seconds -= m[8] == "+" ? offset : -offset;
    }
    return std::to_string(seconds);
}

// The value at row quantile q of the column's distribution, most frequent values first: the
// kind of value a lookup sees when applications ask for values as often as rows hold them.
std::optional<std::string> equality_value(const ColumnStats& stats, double q) {
    double cumulative = 0;
    for (std::size_t i = 0; i < stats.most_common_vals.size() && i < stats.most_common_freqs.size(); ++i) {
        cumulative += stats.most_common_freqs[i];
        if (cumulative >= q) {
            return stats.most_common_vals[i];
        }
    }
    if (!stats.histogram_bounds.empty()) {
        const double rest = std::max(1e-9, 1.0 - stats.null_frac - cumulative);
        const double position = std::clamp((q - cumulative) / rest, 0.0, 1.0);
        const auto index = static_cast<std::size_t>(std::lround(position * static_cast<double>(stats.histogram_bounds.size() - 1)));
        return stats.histogram_bounds[index];
    }
    if (!stats.most_common_vals.empty()) {
        return stats.most_common_vals.back();
    }
    return std::nullopt;
}

std::optional<std::string> histogram_value(const ColumnStats& stats, double position) {
    if (stats.histogram_bounds.empty()) {
        return std::nullopt;
    }
    const auto last = static_cast<double>(stats.histogram_bounds.size() - 1);
    return stats.histogram_bounds[static_cast<std::size_t>(std::lround(std::clamp(position, 0.0, 1.0) * last))];
}

// The value that leaves `x + $n` (or `x * $n`) as x, for the parameter's type; nullopt when
// the type has none.
std::optional<std::string> neutral_value(const std::string& type, bool multiply) {
    if (type == "text" || type.starts_with("character")) {
        return multiply ? std::nullopt : std::optional<std::string>("");
    }
    if (type == "interval") {
        return multiply ? std::nullopt : std::optional<std::string>("0");
    }
    if (type == "smallint" || type == "integer" || type == "bigint" || type.starts_with("numeric") ||
        type == "real" || type == "double precision" || type == "money") {
        return multiply ? "1" : "0";
    }
    return std::nullopt;
}

bool is_one_sided_range(const std::string& op) {
    return op == "<" || op == "<=" || op == ">" || op == ">=";
}

// `col >= $1 AND col < $2`: a window like BETWEEN, so the bounds must come as a pair.
bool two_sided(const StatementSetup& setup, std::size_t i) {
    const ParameterUse& use = setup.parameters[i];
    if (!is_one_sided_range(use.op)) {
        return false;
    }
    for (std::size_t j = 0; j < setup.parameters.size(); ++j) {
        const ParameterUse& other = setup.parameters[j];
        if (j != i && other.table == use.table && other.column == use.column && is_one_sided_range(other.op) &&
            other.upper_bound != use.upper_bound) {
            return true;
        }
    }
    return false;
}

} // namespace

std::string canonical(const IndexSpec& spec) {
    return spec.on_clause();
}

namespace {

// Partition trees are a few levels deep; a snapshot (user input) may describe a cycle.
constexpr int k_max_partition_depth = 32;

void collect_partitions(const Workload& workload, const CatalogTable& table, int depth,
                        std::vector<const CatalogTable*>& out) {
    if (table.kind != 'p' || depth > k_max_partition_depth) {
        return;
    }
    for (const CatalogTable& partition : workload.tables) {
        if (partition.is_partition && partition.parent_name == table.name && partition.parent_schema == table.schema &&
            &partition != &table) {
            out.push_back(&partition);
            collect_partitions(workload, partition, depth + 1, out);
        }
    }
}

void collect_inheritance_children(const Workload& workload, const CatalogTable& table, int depth,
                                  std::vector<const CatalogTable*>& out) {
    if (depth > k_max_partition_depth) {
        return;
    }
    for (const CatalogTable& child : workload.tables) {
        if (child.inherits && child.parent_name == table.name && child.parent_schema == table.schema && &child != &table &&
            std::find(out.begin(), out.end(), &child) == out.end()) {
            out.push_back(&child);
            collect_inheritance_children(workload, child, depth + 1, out);
        }
    }
}

TableSize table_size_at(const Workload& workload, const CatalogTable& table, int depth);

} // namespace

std::vector<const CatalogTable*> partitions_of(const Workload& workload, const CatalogTable& table) {
    std::vector<const CatalogTable*> out;
    collect_partitions(workload, table, 0, out);
    return out;
}

std::vector<const CatalogTable*> inheritance_children_of(const Workload& workload, const CatalogTable& table) {
    std::vector<const CatalogTable*> out;
    collect_inheritance_children(workload, table, 0, out);
    return out;
}

TableSize table_size(const Workload& workload, const CatalogTable& table) {
    TableSize size = table_size_at(workload, table, 0);
    // A scan of an inheritance parent reads its children: their rows count as its own.
    bool added = false;
    for (const CatalogTable* child : inheritance_children_of(workload, table)) {
        const TableSize part = table_size_at(workload, *child, 0);
        if (!part.known) {
            continue;
        }
        size.rows += part.rows;
        size.pages += part.pages;
        size.known = true;
        added = true;
    }
    if (added) {
        size.source = (size.source == "unknown" ? std::string("inheritance children")
                                                : size.source + " and inheritance children");
    }
    return size;
}

namespace {

TableSize table_size_at(const Workload& workload, const CatalogTable& table, int depth) {
    constexpr double k_rows_per_page = 80; // a guess for pages -> rows when nothing else tells
    TableSize size;
    if (table.kind == 'p') {
        size.source = "partitions";
        for (const CatalogTable& partition : workload.tables) {
            if (depth < k_max_partition_depth && partition.is_partition && partition.parent_name == table.name &&
                partition.parent_schema == table.schema && &partition != &table) {
                const TableSize part = table_size_at(workload, partition, depth + 1);
                size.rows += part.rows;
                size.pages += part.pages;
                size.known = size.known || part.known;
            }
        }
        return size;
    }
    const double pages = table.relpages > 0 ? static_cast<double>(table.relpages)
                                            : static_cast<double>(table.size_bytes) / 8192.0;
    if (table.reltuples > 0) {
        size = {table.reltuples, pages, true, "reltuples"};
    } else if (table.n_live_tup > 0) {
        size = {static_cast<double>(table.n_live_tup), pages, true, "n_live_tup"};
    } else if (pages > 0) {
        size = {pages * k_rows_per_page, pages, true, "relpages"};
    } else if (table.reltuples == 0 && table.ever_analyzed) {
        size = {0, 0, true, "reltuples"};
    } else {
        size.source = "unknown";
        return size;
    }
    if (size.pages <= 0) {
        size.pages = std::ceil(size.rows / k_rows_per_page);
    }
    return size;
}

} // namespace

double equality_selectivity(const Workload& workload, const CatalogTable& table, const std::string& column) {
    const ColumnStats* stats = find_stats(workload, table, column);
    if (!stats || stats->n_distinct == 0) {
        return 0.005; // PostgreSQL's DEFAULT_EQ_SEL
    }
    const double distinct = stats->n_distinct > 0 ? stats->n_distinct
                                                  : -stats->n_distinct * std::max(1.0, table_size(workload, table).rows);
    return 1.0 / std::max(1.0, distinct);
}

StatementSetup setup_statement(const Workload& workload, const ParsedWorkloadStatement& statement, int id) {
    StatementSetup setup;
    setup.id = id;
    setup.parsed = &statement;
    const std::string& text = statement.source ? statement.source->text : std::string();
    setup.sql = sqlparse::repair_normalized(text, workload.server_version_num);
    setup.sites = sqlparse::parameter_sites(setup.sql);
    for (const sqlparse::ParameterSite& site : setup.sites) {
        setup.parameter_count = std::max(setup.parameter_count, site.number);
    }
    if (!statement.parsed.statement) {
        return setup;
    }
    const sqlparse::Statement& parsed = *statement.parsed.statement;
    setup.is_write = parsed.kind == StatementKind::insert || parsed.kind == StatementKind::update ||
                     parsed.kind == StatementKind::delete_ || parsed.kind == StatementKind::merge;
    if (setup.is_write && !parsed.query.relations.empty()) {
        const sqlparse::Relation& target = parsed.query.relations.front();
        setup.write_target = workload.find_table(target.schema, target.name);
    }
    Tracer tracer(workload, setup, parsed);
    tracer.walk(parsed.query, {}, 0);
    note_parameters(setup);
    if (static_cast<int>(setup.parameters.size()) < setup.parameter_count) {
        setup.parameters.resize(static_cast<std::size_t>(setup.parameter_count));
    }
    return setup;
}

std::string column_type(const StatementSetup& setup, const ColumnRef& ref) {
    const auto [table, name] = column_source(setup, ref);
    if (table) {
        if (const CatalogColumn* column = find_column(*table, name)) {
            return column->type_name;
        }
    }
    return {};
}

std::vector<ParamSet> representative_params(const Workload& workload, const StatementSetup& setup,
                                            const std::vector<std::string>& types) {
    if (setup.parameters.empty()) {
        return {};
    }
    // Sets at the 50% and 75% row quantiles, and one with the most frequent value (a skewed
    // column's heavy hitter, where a sort after an index scan hurts most). Ranges get narrow
    // windows (one histogram bucket for BETWEEN and two-sided ranges, 5%/25%/1% of rows for
    // one-sided ones).
    // The first set is the median one: screening costs many configurations with it alone.
    constexpr std::array<double, 3> k_quantiles = {0.5, 0.75, 0.0};
    constexpr std::array<double, 3> k_one_sided = {0.05, 0.25, 0.01};
    const std::array<std::string, 3> k_intervals = {"7 days", "30 days", "1 day"};
    // For one-sided ranges the sets are windows of 5%, 25% and 1% of the rows; the labels name
    // the equality case, as the docs explain.
    constexpr std::array<std::string_view, 3> k_labels = {"median", "upper-quartile", "most common"};
    const WorkloadStatement* source = setup.parsed ? setup.parsed->source : nullptr;
    std::vector<ParamSet> sets;
    for (std::size_t k = 0; k < k_quantiles.size(); ++k) {
        ParamSet set;
        for (std::size_t i = 0; i < setup.parameters.size(); ++i) {
            const ParameterUse& use = setup.parameters[i];
            const std::string type = i < types.size() ? util::ascii_lower(types[i]) : "";
            // The compared column's values stand for the parameter only when they are of its
            // kind: in `published_at > now() - $1::interval * $2` the expression holding $1 is
            // compared with a timestamp column, and $1 is an interval.
            const CatalogColumn* column =
                use.value == ParameterUse::Value::column && use.table ? find_column(*use.table, use.column) : nullptr;
            const bool column_values = use.value == ParameterUse::Value::column && use.table && !use.column.empty() &&
                                       (use.wrapper.empty() || use.wrapper == "to_timestamp" ||
                                        use.wrapper == "lower" || use.wrapper == "upper") &&
                                       (use.wrapper == "to_timestamp" || column == nullptr ||
                                        value_fits_type(column->type_name, type));
            std::optional<std::string> value;
            if (!use.in_predicate && !use.in_limit && !use.in_offset) {
                // Outside every predicate (`date_trunc($1, created_at)` in the select list) a
                // value changes nothing the advisor looks at; NULL plans everywhere.
                set.values.emplace_back(std::nullopt);
                continue;
            } else if (use.in_limit) {
                // What the workload shows: the rows the statement returned per call (its limit is
                // at least that). One that returned nothing read to the end: no limit (NULL).
                if (!source || source->calls <= 0 || source->rows <= 0) {
                    set.values.emplace_back(std::nullopt);
                    continue;
                }
                const double per_call = static_cast<double>(source->rows) / static_cast<double>(source->calls);
                value = std::to_string(std::max<long long>(1, std::llround(std::ceil(per_call))));
            } else if (use.in_offset) {
                value = "0";
            } else if (use.value == ParameterUse::Value::neutral_add) {
                value = neutral_value(type, false);
            } else if (use.value == ParameterUse::Value::neutral_multiply) {
                value = neutral_value(type, true);
            } else if (type == "interval" && !column_values) {
                value = k_intervals[k];
            } else if (column_values) {
                const ColumnStats* stats = find_stats(workload, *use.table, use.column);
                if (stats) {
                    if (use.op == "BETWEEN" || two_sided(setup, i)) {
                        const double low = k_quantiles[k] == 0.0 ? 0.5 : k_quantiles[k];
                        const double width = stats->histogram_bounds.size() > 1
                                                 ? 1.0 / static_cast<double>(stats->histogram_bounds.size() - 1)
                                                 : 0.01;
                        value = histogram_value(*stats, use.upper_bound ? low + width : low);
                    } else if (use.op == ">" || use.op == ">=") {
                        value = histogram_value(*stats, 1.0 - k_one_sided[k]);
                    } else if (use.op == "<" || use.op == "<=") {
                        value = histogram_value(*stats, k_one_sided[k]);
                    } else if (k_quantiles[k] == 0.0 && !stats->most_common_vals.empty()) {
                        value = stats->most_common_vals.front();
                    } else {
                        value = equality_value(*stats, k_quantiles[k] == 0.0 ? 0.5 : k_quantiles[k]);
                    }
                    if (value && use.wrapper == "to_timestamp") {
                        value = epoch_of(*value);
                    } else if (value && use.wrapper == "lower") {
                        value = util::ascii_lower(*value);
                    } else if (value && use.wrapper == "upper") {
                        std::string up = *value;
                        for (char& c : up) {
                            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                        }
                        value = up;
                    }
                }
            }
            if (!value) {
                return {}; // a parameter without a representative value: generic plan only
            }
            set.values.emplace_back(*value);
        }
        set.weight = 1.0 / static_cast<double>(k_quantiles.size());
        set.label = std::string(k_labels[k]);
        const auto same = std::find_if(sets.begin(), sets.end(),
                                       [&](const ParamSet& other) { return other.values == set.values; });
        if (same != sets.end()) {
            same->weight += set.weight;
            same->label += ", " + set.label;
        } else {
            sets.push_back(std::move(set));
        }
    }
    for (ParamSet& set : sets) {
        // "median, most common" -> "median and most common values"
        if (const auto comma = set.label.rfind(", "); comma != std::string::npos) {
            set.label.replace(comma, 2, " and ");
        }
        set.label += " values";
    }
    return sets;
}

} // namespace dbadvise::analyzer::advisor
