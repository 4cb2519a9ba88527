// Candidate indexes from the statements' column uses: equality columns (most selective
// first), then one range column, or the ORDER BY keys after the equality columns; join keys;
// expression keys for function-wrapped columns; INCLUDE columns for narrow select lists;
// partial indexes for rare IS NULL predicates; BRIN for ranges on large physically ordered
// tables, hash for equality lookups on wide keys, GIN for jsonb, arrays, text search and
// trigram patterns. Candidates an existing index already serves (same leading keys, method
// and predicate, or a stronger method on the column) and candidates on tiny tables are dropped.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/text.hpp"
#include "sqlparse/lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>

namespace dbadvise::analyzer::advisor {

namespace {

// Below this size a sequential scan reads a handful of pages; an index cannot pay for itself.
constexpr double k_tiny_rows = 1000;
constexpr std::int64_t k_tiny_pages = 10;
// INCLUDE only when the select list adds this many columns at most: wider ones make the index
// nearly a copy of the table.
constexpr std::size_t k_max_include = 3;
// A partial index on `col IS NULL` pays when few rows are NULL; on `col = constant` when the
// constant is this rare.
constexpr double k_rare_null_frac = 0.2;
constexpr double k_rare_value_frac = 0.05;
// BRIN: a range on a table this large (about 16 MB), whose column follows the physical order
// of the rows this closely (pg_stats.correlation), reads few block ranges for a tiny index.
constexpr double k_brin_min_pages = 2000;
constexpr double k_brin_correlation = 0.9;
// Hash: equality lookups on keys at least this wide (pg_stats.avg_width), where a 4-byte hash
// code per row makes the index much smaller than a btree holding the keys.
constexpr int k_hash_min_width = 32;

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

// The catalog type of a column without its modifier (`character varying(80)` -> `character
// varying`); empty when the table has no such column.
std::string column_type_name(const CatalogTable& table, const std::string& column) {
    for (const CatalogColumn& c : table.columns) {
        if (c.name == column) {
            // Only the modifier goes: `character varying(20)[]` stays an array type.
            std::string type = c.type_name;
            if (const auto open = type.find('('); open != std::string::npos) {
                if (const auto close = type.find(')', open); close != std::string::npos) {
                    type.erase(open, close - open + 1);
                }
            }
            return type;
        }
    }
    return {};
}

double column_correlation(const Workload& workload, const CatalogTable& table, const std::string& column) {
    const ColumnStats* stats = workload.find_stats(table.schema, table.name, column);
    return stats && stats->correlation ? *stats->correlation : 0.0;
}

// The types gin_trgm_ops indexes directly: text and varchar. character(n) and name reach text
// through a function (the operator class refuses them), and citext's own LIKE never uses a
// trigram index on it.
bool text_like(const std::string& type) {
    return type == "text" || type == "character varying";
}

// A LIKE pattern a btree can serve as a prefix range (`'abc%'`): a constant that starts with
// neither `%` nor `_`. A pattern normalization replaced with a parameter may start with either.
bool anchored_pattern(const std::string& constant) {
    if (constant.size() < 2 || constant.front() != '\'') {
        return false;
    }
    return constant[1] != '%' && constant[1] != '_';
}

// The column name inside an index key as create_sql writes it: `"Order Date" DESC` ->
// `Order Date`, `(lower(email))` -> empty (an expression).
std::string key_column(std::string_view key) {
    bool expression = false;
    std::string target = key_target(key, &expression);
    return expression ? std::string() : target;
}

// A constant as a partial index's predicate may repeat it, and its value as pg_stats shows
// it: a plain string literal (`'pending'`, `'pending'::text`) or a number, nothing else (no
// expression, no escape syntax), so the predicate is the query's own and matches it.
struct Literal {
    std::string sql;   // as written: `'pending'::text`
    std::string value; // as pg_stats prints it: `pending`
};
std::optional<Literal> partial_literal(std::string_view text) {
    std::string_view body = text;
    if (const auto cast = text.find("::"); cast != std::string_view::npos) {
        const std::string_view type = text.substr(cast + 2);
        if (type.empty() || !std::all_of(type.begin(), type.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ' ';
            })) {
            return std::nullopt;
        }
        body = text.substr(0, cast);
    }
    if (body.size() >= 2 && body.front() == '\'' && body.back() == '\'') {
        const std::string_view inner = body.substr(1, body.size() - 2);
        if (inner.find('\'') != std::string_view::npos || inner.find('\\') != std::string_view::npos) {
            return std::nullopt;
        }
        return Literal{std::string(text), std::string(inner)};
    }
    if (!body.empty() && std::all_of(body.begin(), body.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-';
        })) {
        return Literal{std::string(text), std::string(body)};
    }
    return std::nullopt;
}

// The share of rows holding `value` (as pg_stats prints it): its most-common-value
// frequency, else what the other values leave for it (at most 1/n_distinct); 1 unknown.
double value_frequency(const Workload& workload, const CatalogTable& table, const std::string& column,
                       const std::string& value) {
    for (const ColumnStats& stats : workload.column_stats) {
        if (stats.schema != table.schema || stats.table != table.name || stats.column != column) {
            continue;
        }
        double common = 0;
        for (std::size_t i = 0; i < stats.most_common_vals.size() && i < stats.most_common_freqs.size(); ++i) {
            if (stats.most_common_vals[i] == value) {
                return stats.most_common_freqs[i];
            }
            common += stats.most_common_freqs[i];
        }
        return std::min(1.0 - common, equality_selectivity(workload, table, column));
    }
    return 1.0;
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
    if (existing.valid && existing.method != candidate.method) {
        // A btree serves the equality a hash index and the range a BRIN index on its leading
        // column would; a GiST index on the column serves what a GIN one would (trigram, text
        // search), a little slower.
        const bool stronger = (existing.method == "btree" && (candidate.method == "hash" || candidate.method == "brin")) ||
                              (existing.method == "gist" && candidate.method == "gin");
        return stronger && candidate.keys.size() == 1 && !existing.keys.empty() &&
               normalized_key(existing.predicate) == normalized_key(candidate.predicate) &&
               normalized_key(existing.keys.front()) == normalized_key(candidate.keys.front());
    }
    if (existing.method == "gin" && candidate.method == "gin" && candidate.opclass.empty() &&
        existing.definition.find("jsonb_path_ops") != std::string::npos) {
        return false; // jsonb_path_ops has no key-existence operators (?, ?|, ?&)
    }
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
    const TableSize size = table_size(workload, table);
    const double rows = std::max(0.0, size.rows);
    if (spec.method == "brin") {
        // One summary tuple (min and max per key) per 128-page block range, the range map and
        // the metapage.
        const double ranges = std::ceil(std::max(1.0, size.pages) / 128.0);
        int width = 0;
        for (const std::string& key : spec.keys) {
            const std::string column = key_column(key);
            width += 2 * (column.empty() ? 24 : column_width(workload, table, column));
        }
        const double per_page = std::floor(8000.0 / (16.0 + width));
        return static_cast<std::int64_t>((std::ceil(ranges / per_page) + std::ceil(ranges / 1300.0) + 1) * 8192.0);
    }
    if (spec.method == "hash") {
        // A 4-byte hash code per row (16-byte tuples and a line pointer), buckets 75% full,
        // plus the metapage and bitmap pages.
        const double per_page = std::floor((8192.0 - 24.0 - 16.0) * 0.75 / 20.0);
        return static_cast<std::int64_t>((std::ceil(rows / per_page) + 2) * 8192.0);
    }
    if (spec.method == "gin") {
        // GIN stores one entry per key, path, element, lexeme or trigram with compressed lists
        // of row pointers; relative to the indexed data (pg_stats avg_width x rows) its size is
        // roughly: jsonb_path_ops 0.6, jsonb_ops and arrays 1.0, tsvector 0.6, trigrams 2.0.
        const std::string column = spec.keys.empty() ? std::string() : key_column(spec.keys.front());
        const int width = column.empty() ? 64 : column_width(workload, table, column);
        const double factor = spec.opclass == "jsonb_path_ops" ? 0.6
                              : spec.opclass == "gin_trgm_ops" ? 2.0
                              : spec.opclass.empty() && !column.empty() &&
                                      column_type_name(table, column) == "tsvector"
                                  ? 0.6
                                  : 1.0;
        return static_cast<std::int64_t>(std::max(3.0, std::ceil(rows * width * factor / 8192.0) + 2) * 8192.0);
    }
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
    double entries = rows;
    if (spec.predicate.ends_with(" IS NULL")) {
        const std::string column = key_column(spec.predicate.substr(0, spec.predicate.size() - 8));
        entries *= null_fraction(workload, table, column);
    }
    const double per_page = std::floor((8192.0 - 24.0 - 16.0) * 0.9 / tuple);
    const double leaf_pages = std::ceil(entries / std::max(1.0, per_page));
    // Inner pages add roughly one per 300 leaf pages, plus the metapage.
    const double pages = leaf_pages + std::ceil(leaf_pages / 300.0) + 1;
    return static_cast<std::int64_t>(pages * 8192.0);
}

std::string_view to_string(CandidateKind kind) {
    switch (kind) {
    case CandidateKind::single: return "single";
    case CandidateKind::composite: return "composite";
    case CandidateKind::join_pair: return "join-pair";
    case CandidateKind::include: return "include";
    case CandidateKind::partial: return "partial";
    case CandidateKind::or_arm: return "or-arm";
    case CandidateKind::brin: return "brin";
    case CandidateKind::hash: return "hash";
    case CandidateKind::gin: return "gin";
    }
    return "single";
}

const CatalogIndex* serving_index(const Workload& workload, const CatalogTable& table, const IndexSpec& spec) {
    for (const CatalogIndex& existing : workload.indexes) {
        if (existing.table == table.name && existing.table_schema == table.schema && serves(existing, spec)) {
            return &existing;
        }
    }
    return nullptr;
}

std::vector<const CatalogTable*> children_lacking(const Workload& workload, const CatalogTable& table,
                                                  const IndexSpec& spec) {
    std::vector<const CatalogTable*> out;
    for (const CatalogTable* child : inheritance_children_of(workload, table)) {
        if ((child->kind == 'r' || child->kind == 'm') &&
            serving_index(workload, *child, spec.on_table(child->schema, child->name)) == nullptr) {
            out.push_back(child);
        }
    }
    return out;
}

std::vector<Candidate> generate_candidates(const Workload& workload, const std::vector<StatementSetup>& statements,
                                           std::vector<std::string>& notes, std::map<int, std::string>* no_candidate,
                                           const std::vector<std::string>& without) {
    std::vector<Candidate> out;
    std::vector<const CatalogTable*> tiny_noted;
    std::vector<const CatalogTable*> unknown_noted;
    // Per statement: what became of its candidates, to say why it got none.
    int generated = 0;
    std::vector<std::string> served_by;
    auto add = [&](const StatementSetup& statement, const CatalogTable& table, IndexSpec spec, std::string leading,
                   CandidateKind kind) {
        if (std::find(without.begin(), without.end(), to_string(kind)) != without.end()) {
            return;
        }
        // An index on an inheritance parent serves the statements only where each child has
        // one too: a parent's index covers none of its children (the usual mistake with
        // INHERITS, which the recommendation then completes).
        if (const CatalogIndex* existing = serving_index(workload, table, spec);
            existing != nullptr && children_lacking(workload, table, spec).empty()) {
            if (std::find(served_by.begin(), served_by.end(), existing->name) == served_by.end()) {
                served_by.push_back(existing->name);
            }
            return;
        }
        ++generated;
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
        candidate.kind = kind;
        out.push_back(std::move(candidate));
    };

    // Across the workload: columns some statement reads in order (a range, ORDER BY, GROUP BY,
    // a pattern), which a hash index cannot serve; and jsonb columns tested for keys (`?`),
    // which jsonb_path_ops cannot serve.
    std::set<std::pair<const CatalogTable*, std::string>> ordered;
    std::set<std::pair<const CatalogTable*, std::string>> key_tests;
    for (const StatementSetup& statement : statements) {
        for (const TableUse& use : statement.tables) {
            for (const std::string& column : use.range) {
                ordered.emplace(use.table, column);
            }
            for (const auto& [column, desc] : use.order) {
                ordered.emplace(use.table, column);
            }
            for (const std::string& column : use.group) {
                ordered.emplace(use.table, column);
            }
            for (const GinUse& gin : use.gin) {
                if (gin.op == "LIKE" || gin.op == "ILIKE") {
                    ordered.emplace(use.table, gin.column);
                }
                if (gin.op == "?" || gin.op == "?|" || gin.op == "?&") {
                    key_tests.emplace(use.table, gin.column);
                }
            }
        }
    }

    for (const StatementSetup& statement : statements) {
        generated = 0;
        served_by.clear();
        std::vector<std::string> tiny_tables;
        bool any_columns = false;
        for (const TableUse& use : statement.tables) {
            const CatalogTable& table = *use.table;
            const bool has_columns = !use.equality.empty() || !use.range.empty() || !use.join.empty() ||
                                     !use.expressions.empty() || !use.order.empty() || !use.group.empty() ||
                                     !use.or_equality.empty() || !use.gin.empty();
            if (!has_columns) {
                continue;
            }
            any_columns = true;
            const TableSize size = table_size(workload, table);
            if (!size.known) {
                if (std::find(unknown_noted.begin(), unknown_noted.end(), &table) == unknown_noted.end()) {
                    unknown_noted.push_back(&table);
                    notes.push_back(fmt::format("{}.{} has never been analyzed and no activity is counted for it: its "
                                                "size is unknown, so candidates on it are costed by the planner alone "
                                                "(run ANALYZE {}.{};)",
                                                table.schema, table.name, quote_identifier(table.schema),
                                                quote_identifier(table.name)));
                }
            } else if (size.rows < k_tiny_rows || size.pages < k_tiny_pages) {
                tiny_tables.push_back(fmt::format("{}.{}: {:.0f} rows", table.schema, table.name, size.rows));
                if (std::find(tiny_noted.begin(), tiny_noted.end(), &table) == tiny_noted.end()) {
                    tiny_noted.push_back(&table);
                    notes.push_back(fmt::format("no index considered on {}.{}: {:.0f} rows in {:.0f} pages ({}), a "
                                                "sequential scan is as fast as an index",
                                                table.schema, table.name, size.rows, size.pages, size.source));
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

            using Kind = CandidateKind;
            // Single keys: the building blocks the selection extends.
            for (const Key& key : equality) {
                add(statement, table, make_spec(table, {key}), key.column, Kind::single);
            }
            if (range) {
                add(statement, table, make_spec(table, {*range}), range->column, Kind::single);
            }
            // Join keys: the inner side of a nested loop looks rows up by them.
            for (const std::string& column : use.join) {
                add(statement, table, make_spec(table, {Key{column, false, false}}), column, Kind::single);
            }
            for (const std::string& expression : use.expressions) {
                add(statement, table, make_spec(table, {Key{expression, true, false}}), expression, Kind::single);
            }
            if (!use.order.empty() && equality.empty() && !range) {
                const std::vector<Key> keys = order_keys(use.order);
                add(statement, table, make_spec(table, keys), keys.front().column,
                    keys.size() > 1 ? Kind::composite : Kind::single);
            }
            if (!use.group.empty() && equality.empty() && !range) {
                std::vector<Key> keys;
                for (const std::string& column : use.group) {
                    keys.push_back(Key{column, false, false});
                }
                add(statement, table, make_spec(table, keys), keys.front().column,
                    keys.size() > 1 ? Kind::composite : Kind::single);
            }
            // OR arms: each arm's column indexed lets a BitmapOr read only the matching rows.
            for (const std::string& column : use.or_equality) {
                add(statement, table, make_spec(table, {Key{column, false, false}}), column, Kind::or_arm);
            }

            // Composites: equality columns, then one range column or the ORDER BY keys or the
            // GROUP BY keys; a join key after the equality columns (a filtered inner side).
            std::vector<std::vector<Key>> composites;
            if (equality.size() >= 2) {
                composites.push_back(equality);
            }
            if (!equality.empty() && range) {
                std::vector<Key> keys = equality;
                keys.push_back(*range);
                composites.push_back(keys);
            }
            auto then = [&](std::vector<Key> keys, const std::vector<Key>& more) {
                for (const Key& key : more) {
                    if (contains_column(keys, key.column)) {
                        return;
                    }
                    keys.push_back(key);
                }
                composites.push_back(std::move(keys));
            };
            if (!equality.empty() && !use.order.empty()) {
                then(equality, order_keys(use.order));
            }
            if (!equality.empty() && !use.group.empty() && use.order.empty()) {
                std::vector<Key> keys;
                for (const std::string& column : use.group) {
                    keys.push_back(Key{column, false, false});
                }
                then(equality, keys);
            }
            for (const std::string& column : use.join) {
                if (!equality.empty() && !contains_column(equality, column)) {
                    // Equality first: the index then also serves the filter alone, and a
                    // parameterized inner scan probes both keys the same either way.
                    then(equality, {Key{column, false, false}});
                }
            }
            for (const std::vector<Key>& keys : composites) {
                add(statement, table, make_spec(table, keys), keys.front().column, Kind::composite);
            }
            // Join keys that meet one other relation together: one composite lookup.
            for (const std::vector<std::string>& group : use.join_groups) {
                std::vector<Key> keys;
                for (const std::string& column : group) {
                    keys.push_back(Key{column, false, false});
                }
                std::stable_sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
                    return equality_selectivity(workload, table, a.column) < equality_selectivity(workload, table, b.column);
                });
                add(statement, table, make_spec(table, keys), keys.front().column, Kind::join_pair);
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
                    add(statement, table, std::move(spec), keys.front().column, Kind::include);
                }
            }

            // Partial: `col IS NULL` selecting few rows keeps the index small.
            const std::vector<Key> partial_keys = !equality.empty() ? equality
                                                  : range           ? std::vector<Key>{*range}
                                                  : !use.order.empty() ? order_keys(use.order)
                                                                       : std::vector<Key>{};
            for (const std::string& column : use.is_null) {
                if (null_fraction(workload, table, column) >= k_rare_null_frac || partial_keys.empty()) {
                    continue;
                }
                IndexSpec spec = make_spec(table, partial_keys);
                spec.predicate = quote_identifier(column) + " IS NULL";
                add(statement, table, std::move(spec), partial_keys.front().column, Kind::partial);
            }
            // Partial: `col = 'rare constant'` (a constant the text kept: a query file, a view's
            // definition) over the statement's other keys; the index holds the rare rows only.
            for (const auto& [column, constant] : use.constants) {
                const std::optional<Literal> literal = partial_literal(constant);
                if (!literal || value_frequency(workload, table, column, literal->value) >= k_rare_value_frac) {
                    continue;
                }
                std::vector<Key> keys;
                for (const Key& key : equality) {
                    if (key.column != column) {
                        keys.push_back(key);
                    }
                }
                if (keys.empty() && range && range->column != column) {
                    keys.push_back(*range);
                }
                if (keys.empty() && !use.order.empty()) {
                    keys = order_keys(use.order);
                }
                if (keys.empty() || contains_column(keys, column)) {
                    continue;
                }
                IndexSpec spec = make_spec(table, keys);
                spec.predicate = quote_identifier(column) + " = " + literal->sql;
                add(statement, table, std::move(spec), keys.front().column, Kind::partial);
            }

            // BRIN: a range on a large table whose rows lie in the column's order (an
            // append-only log by time) reads only the block ranges that can match, from an
            // index of a few pages.
            if (size.known && size.pages >= k_brin_min_pages) {
                for (const std::string& column : use.range) {
                    if (std::abs(column_correlation(workload, table, column)) < k_brin_correlation) {
                        continue;
                    }
                    IndexSpec spec = make_spec(table, {Key{column, false, false}});
                    spec.method = "brin";
                    add(statement, table, std::move(spec), column, Kind::brin);
                }
            }
            // Hash: equality lookups on a wide key no statement reads in order; the index holds a
            // hash code per row instead of the key.
            std::vector<std::string> lookups = use.equality;
            for (const std::string& column : use.join) {
                if (std::find(lookups.begin(), lookups.end(), column) == lookups.end()) {
                    lookups.push_back(column);
                }
            }
            for (const std::string& column : lookups) {
                if (ordered.contains({&table, column}) || column_width(workload, table, column) < k_hash_min_width ||
                    workload.find_stats(table.schema, table.name, column) == nullptr) {
                    continue;
                }
                IndexSpec spec = make_spec(table, {Key{column, false, false}});
                spec.method = "hash";
                add(statement, table, std::move(spec), column, Kind::hash);
            }
            // GIN: containment and key tests on jsonb, array containment and overlap, text
            // search, and (with pg_trgm) patterns no btree serves. HypoPG cannot cost them: they
            // are estimated (analyzer/advisor/unverified.cpp).
            for (const GinUse& gin : use.gin) {
                IndexSpec spec;
                if (gin.expression) {
                    spec = make_spec(table, {Key{gin.column, true, false}});
                } else {
                    const std::string type = column_type_name(table, gin.column);
                    const bool jsonb_op = gin.op == "@>" || gin.op == "?" || gin.op == "?|" || gin.op == "?&" ||
                                          gin.op == "@?" || gin.op == "@@";
                    const bool array_op = gin.op == "@>" || gin.op == "<@" || gin.op == "&&";
                    spec = make_spec(table, {Key{gin.column, false, false}});
                    if (type == "jsonb" && jsonb_op) {
                        // jsonb_path_ops is smaller and faster for @>, @? and @@, but has no
                        // key-existence operators.
                        if (!key_tests.contains({&table, gin.column})) {
                            spec.opclass = "jsonb_path_ops";
                        }
                    } else if (type.ends_with("[]") && array_op) {
                    } else if (type == "tsvector" && gin.op == "@@") {
                    } else if (text_like(type) && (gin.op == "LIKE" || gin.op == "ILIKE") &&
                               workload.has_extension("pg_trgm") &&
                               !(gin.op == "LIKE" && anchored_pattern(gin.constant))) {
                        spec.opclass = "gin_trgm_ops";
                    } else {
                        continue;
                    }
                }
                spec.method = "gin";
                add(statement, table, std::move(spec), gin.column, Kind::gin);
            }
        }
        if (no_candidate && generated == 0) {
            std::string reason;
            if (statement.tables.empty()) {
                reason = "it reads no table the catalog knows (only functions, VALUES, system catalogs or tables "
                         "dropped since)";
            } else if (!any_columns) {
                reason = "it filters, joins, groups and sorts on no plain column of a table (no condition, or only "
                         "conditions under OR or NOT, or on expressions an index cannot hold)";
            } else if (!served_by.empty()) {
                reason = fmt::format("existing indexes already serve the columns it filters, joins and sorts on ({})",
                                     fmt::join(served_by, ", "));
            } else if (!tiny_tables.empty()) {
                reason = fmt::format("its tables are too small for an index to pay ({})", fmt::join(tiny_tables, ", "));
            } else {
                reason = "no index can serve what it filters, joins and sorts on";
            }
            (*no_candidate)[statement.id] = std::move(reason);
        }
    }
    // Deterministic order: by table, then keys.
    std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        return canonical(a.spec) < canonical(b.spec);
    });
    return out;
}

} // namespace dbadvise::analyzer::advisor
