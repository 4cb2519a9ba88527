// Candidate indexes from the statements' column uses: equality columns (most selective
// first), then one range column, or the ORDER BY keys after the equality columns; join keys;
// expression keys for function-wrapped columns; INCLUDE columns for narrow select lists;
// partial indexes for rare IS NULL predicates. Candidates an existing index already serves
// (same leading keys, method and predicate) and candidates on tiny tables are dropped.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/text.hpp"
#include "sqlparse/lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace dbadvise::analyzer::advisor {

namespace {

// Below this size a sequential scan reads a handful of pages; an index cannot pay for itself.
constexpr double k_tiny_rows = 1000;
constexpr std::int64_t k_tiny_pages = 10;
// INCLUDE only when the select list adds this many columns at most: wider ones make the index
// nearly a copy of the table.
constexpr std::size_t k_max_include = 3;
// A partial index on `col IS NULL` pays when few rows are NULL.
constexpr double k_rare_null_frac = 0.2;

struct Key {
    std::string column; // unquoted column, or expression text
    bool expression = false;
    bool descending = false;
};

std::string key_sql(const Key& key) {
    std::string out = key.expression ? "(" + key.column + ")" : quote_identifier(key.column);
    if (key.descending) {
        out += " DESC";
    }
    return out;
}

int type_width(const std::string& type_name) {
    const std::string t = type_name.substr(0, type_name.find('('));
    if (t == "smallint" || t == "boolean") return 2;
    if (t == "integer" || t == "real" || t == "date" || t == "oid") return 4;
    if (t == "bigint" || t == "double precision" || t.starts_with("timestamp") || t.starts_with("time") ||
        t == "money") return 8;
    if (t == "uuid") return 16;
    if (t == "numeric") return 8;
    if (t == "character") {
        return 8;
    }
    return 24; // text and other varlena types: a short string
}

int column_width(const Workload& workload, const CatalogTable& table, const std::string& column) {
    for (const ColumnStats& stats : workload.column_stats) {
        if (stats.schema == table.schema && stats.table == table.name && stats.column == column && stats.avg_width > 0) {
            return stats.avg_width;
        }
    }
    for (const CatalogColumn& c : table.columns) {
        if (c.name == column) {
            return type_width(c.type_name);
        }
    }
    return 24;
}

// The column name inside an index key as create_sql writes it: `"Order Date" DESC` ->
// `Order Date`, `(lower(email))` -> empty (an expression).
std::string key_column(std::string_view key) {
    bool expression = false;
    std::string target = key_target(key, &expression);
    return expression ? std::string() : target;
}

double null_fraction(const Workload& workload, const CatalogTable& table, const std::string& column) {
    for (const ColumnStats& stats : workload.column_stats) {
        if (stats.schema == table.schema && stats.table == table.name && stats.column == column) {
            return stats.null_frac;
        }
    }
    return 1.0;
}

// True when `existing` already serves `candidate`: same method and predicate, and the
// candidate's keys are a leading prefix of the existing keys (all in the same direction, or
// all reversed, which a btree scans backwards), its INCLUDE columns among the existing ones.
bool serves(const CatalogIndex& existing, const IndexSpec& candidate) {
    if (!existing.valid || existing.method != candidate.method ||
        normalized_key(existing.predicate) != normalized_key(candidate.predicate) ||
        existing.keys.size() < candidate.keys.size()) {
        return false;
    }
    int same = 0;
    int reversed = 0;
    for (std::size_t i = 0; i < candidate.keys.size(); ++i) {
        std::string key = candidate.keys[i];
        const bool desc = key.ends_with(" DESC");
        if (desc) {
            key.resize(key.size() - 5);
        }
        if (normalized_key(key) != normalized_key(existing.keys[i])) {
            return false;
        }
        const bool existing_desc = i < existing.descending.size() && existing.descending[i];
        (desc == existing_desc ? same : reversed) += 1;
    }
    if (same > 0 && reversed > 0) {
        return false;
    }
    for (const std::string& include : candidate.include) {
        const std::string wanted = normalized_key(include);
        const bool found =
            std::any_of(existing.keys.begin(), existing.keys.end(), [&](const std::string& k) { return normalized_key(k) == wanted; }) ||
            std::any_of(existing.include.begin(), existing.include.end(), [&](const std::string& k) { return normalized_key(k) == wanted; });
        if (!found) {
            return false;
        }
    }
    return true;
}

IndexSpec make_spec(const CatalogTable& table, const std::vector<Key>& keys) {
    IndexSpec spec;
    spec.table_schema = table.schema;
    spec.table = table.name;
    for (const Key& key : keys) {
        spec.keys.push_back(key_sql(key));
    }
    return spec;
}

// ORDER BY keys as index keys: a btree scans backwards, so keys all in one direction are
// written ascending; mixed directions keep their DESC markers.
std::vector<Key> order_keys(const std::vector<std::pair<std::string, bool>>& order) {
    const bool all_desc = std::all_of(order.begin(), order.end(), [](const auto& k) { return k.second; });
    std::vector<Key> out;
    for (const auto& [column, desc] : order) {
        out.push_back(Key{column, false, all_desc ? false : desc});
    }
    return out;
}

bool contains_column(const std::vector<Key>& keys, const std::string& column) {
    return std::any_of(keys.begin(), keys.end(), [&](const Key& k) { return !k.expression && k.column == column; });
}

} // namespace

std::string key_target(std::string_view key, bool* expression) {
    std::vector<sqlparse::Token> tokens = sqlparse::lex(key);
    if (!tokens.empty() && sqlparse::token_is(key, tokens.back(), "desc")) {
        tokens.pop_back();
    }
    if (expression != nullptr) {
        *expression = false;
    }
    if (tokens.empty()) {
        return {};
    }
    if (tokens.size() == 1 && sqlparse::is_name_kind(tokens[0].kind)) {
        return sqlparse::identifier_value(key, tokens[0]);
    }
    const bool wrapped = tokens.front().kind == sqlparse::TokenKind::open_paren &&
                         tokens.back().kind == sqlparse::TokenKind::close_paren &&
                         tokens.back().depth == 0 &&
                         std::none_of(tokens.begin() + 1, tokens.end() - 1,
                                      [](const sqlparse::Token& t) { return t.depth == 0; });
    if (expression != nullptr) {
        *expression = true;
    }
    const int begin = wrapped ? tokens.front().end : tokens.front().begin;
    const int end = wrapped ? tokens.back().begin : tokens.back().end;
    return std::string(trim(key.substr(static_cast<std::size_t>(begin),
                                       static_cast<std::size_t>(end - begin))));
}

std::string normalized_key(std::string_view text) {
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(text);
    std::string out;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const sqlparse::Token& t = tokens[i];
        if (t.kind == sqlparse::TokenKind::typecast) {
            // The type: words and dots (`character varying`, `pg_catalog.text`), then a
            // modifier in parentheses.
            while (i + 1 < tokens.size() && (tokens[i + 1].kind == sqlparse::TokenKind::identifier ||
                                             tokens[i + 1].kind == sqlparse::TokenKind::dot)) {
                ++i;
            }
            if (i + 1 < tokens.size() && tokens[i + 1].kind == sqlparse::TokenKind::open_paren) {
                const int depth = tokens[i + 1].depth;
                ++i;
                while (i + 1 < tokens.size() && !(tokens[i].kind == sqlparse::TokenKind::close_paren &&
                                                  tokens[i].depth == depth)) {
                    ++i;
                }
            }
            continue;
        }
        if (t.kind == sqlparse::TokenKind::open_paren || t.kind == sqlparse::TokenKind::close_paren) {
            continue;
        }
        std::string part = sqlparse::is_name_kind(t.kind) ? sqlparse::identifier_value(text, t)
                                                          : std::string(sqlparse::token_text(text, t));
        for (char& c : part) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        out += part;
    }
    return out;
}

std::int64_t estimate_index_bytes(const Workload& workload, const CatalogTable& table, const IndexSpec& spec) {
    int data = 0;
    for (const std::string& key : spec.keys) {
        const std::string column = key_column(key);
        data += column.empty() ? 24 : column_width(workload, table, column);
    }
    for (const std::string& include : spec.include) {
        data += column_width(workload, table, key_column(include));
    }
    // IndexTupleData (8 bytes) + line pointer (4), data MAXALIGNed to 8; leaf pages 90% full.
    const int tuple = 12 + ((data + 7) / 8) * 8;
    double rows = std::max(0.0, table.reltuples);
    if (spec.predicate.ends_with(" IS NULL")) {
        const std::string column = key_column(spec.predicate.substr(0, spec.predicate.size() - 8));
        rows *= null_fraction(workload, table, column);
    }
    const double per_page = std::floor((8192.0 - 24.0 - 16.0) * 0.9 / tuple);
    const double leaf_pages = std::ceil(rows / std::max(1.0, per_page));
    // Inner pages add roughly one per 300 leaf pages, plus the metapage.
    const double pages = leaf_pages + std::ceil(leaf_pages / 300.0) + 1;
    return static_cast<std::int64_t>(pages * 8192.0);
}

std::vector<Candidate> generate_candidates(const Workload& workload, const std::vector<StatementSetup>& statements,
                                           std::vector<std::string>& notes) {
    std::vector<Candidate> out;
    std::vector<const CatalogTable*> tiny_noted;
    auto add = [&](const StatementSetup& statement, const CatalogTable& table, IndexSpec spec, std::string leading) {
        for (const CatalogIndex& existing : workload.indexes) {
            if (existing.table == table.name && existing.table_schema == table.schema && serves(existing, spec)) {
                return;
            }
        }
        const auto same = std::find_if(out.begin(), out.end(), [&](const Candidate& c) { return c.spec == spec; });
        if (same != out.end()) {
            same->statements.insert(statement.id);
            return;
        }
        Candidate candidate;
        candidate.spec = std::move(spec);
        candidate.table = &table;
        candidate.estimated_bytes = estimate_index_bytes(workload, table, candidate.spec);
        candidate.statements.insert(statement.id);
        candidate.leading_column = std::move(leading);
        out.push_back(std::move(candidate));
    };

    for (const StatementSetup& statement : statements) {
        for (const TableUse& use : statement.tables) {
            const CatalogTable& table = *use.table;
            const bool has_columns = !use.equality.empty() || !use.range.empty() || !use.join.empty() ||
                                     !use.expressions.empty() || !use.order.empty() || !use.group.empty();
            if (!has_columns) {
                continue;
            }
            if (table.reltuples < k_tiny_rows || table.relpages < k_tiny_pages) {
                if (std::find(tiny_noted.begin(), tiny_noted.end(), &table) == tiny_noted.end()) {
                    tiny_noted.push_back(&table);
                    notes.push_back(fmt::format("no index considered on {}.{}: {:.0f} rows in {} pages, a sequential "
                                                "scan is as fast as an index",
                                                table.schema, table.name, std::max(0.0, table.reltuples), table.relpages));
                }
                continue;
            }
            std::vector<Key> equality;
            for (const std::string& column : use.equality) {
                equality.push_back(Key{column, false, false});
            }
            std::stable_sort(equality.begin(), equality.end(), [&](const Key& a, const Key& b) {
                return equality_selectivity(workload, table, a.column) < equality_selectivity(workload, table, b.column);
            });
            std::optional<Key> range;
            for (const std::string& column : use.range) {
                if (!contains_column(equality, column)) {
                    range = Key{column, false, false};
                    break;
                }
            }

            // Single keys: the building blocks the selection extends.
            for (const Key& key : equality) {
                add(statement, table, make_spec(table, {key}), key.column);
            }
            if (range) {
                add(statement, table, make_spec(table, {*range}), range->column);
            }
            for (const std::string& column : use.join) {
                add(statement, table, make_spec(table, {Key{column, false, false}}), column);
            }
            for (const std::string& expression : use.expressions) {
                add(statement, table, make_spec(table, {Key{expression, true, false}}), expression);
            }
            if (!use.order.empty() && equality.empty() && !range) {
                const std::vector<Key> keys = order_keys(use.order);
                add(statement, table, make_spec(table, keys), keys.front().column);
            }
            if (!use.group.empty() && equality.empty() && !range) {
                std::vector<Key> keys;
                for (const std::string& column : use.group) {
                    keys.push_back(Key{column, false, false});
                }
                add(statement, table, make_spec(table, keys), keys.front().column);
            }

            // Composites: equality columns, then one range column or the ORDER BY keys.
            std::vector<std::vector<Key>> composites;
            if (equality.size() >= 2) {
                composites.push_back(equality);
            }
            if (!equality.empty() && range) {
                std::vector<Key> keys = equality;
                keys.push_back(*range);
                composites.push_back(keys);
            }
            if (!equality.empty() && !use.order.empty()) {
                std::vector<Key> keys = equality;
                bool fits = true;
                for (const Key& key : order_keys(use.order)) {
                    if (contains_column(keys, key.column)) {
                        fits = false;
                        break;
                    }
                    keys.push_back(key);
                }
                if (fits) {
                    composites.push_back(keys);
                }
            }
            for (const std::vector<Key>& keys : composites) {
                add(statement, table, make_spec(table, keys), keys.front().column);
            }

            // INCLUDE: an index-only scan for a narrow select list over one table.
            if (use.single_relation && !use.output_star && !use.output.empty() && !equality.empty()) {
                std::vector<Key> keys = composites.empty() ? std::vector<Key>{equality.front()} : composites.back();
                if (keys.size() == 1 && range) {
                    keys.push_back(*range);
                }
                std::vector<std::string> include;
                for (const std::string& column : use.output) {
                    if (!contains_column(keys, column)) {
                        include.push_back(quote_identifier(column));
                    }
                }
                if (!include.empty() && include.size() <= k_max_include) {
                    IndexSpec spec = make_spec(table, keys);
                    spec.include = include;
                    add(statement, table, std::move(spec), keys.front().column);
                }
            }

            // Partial: `col IS NULL` selecting few rows keeps the index small.
            for (const std::string& column : use.is_null) {
                if (null_fraction(workload, table, column) >= k_rare_null_frac) {
                    continue;
                }
                std::vector<Key> keys = !equality.empty() ? equality
                                        : range           ? std::vector<Key>{*range}
                                        : !use.order.empty() ? order_keys(use.order)
                                                             : std::vector<Key>{};
                if (keys.empty()) {
                    continue;
                }
                IndexSpec spec = make_spec(table, keys);
                spec.predicate = quote_identifier(column) + " IS NULL";
                add(statement, table, std::move(spec), keys.front().column);
            }
        }
    }
    // Deterministic order: by table, then keys.
    std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        return canonical(a.spec) < canonical(b.spec);
    });
    return out;
}

} // namespace dbadvise::analyzer::advisor
