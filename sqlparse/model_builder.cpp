#include "sqlparse/model_builder_internal.hpp"

#include "sqlparse/lexer.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <memory>
#include <optional>
#include <span>

namespace dbadvise::sqlparse::detail {

namespace {

constexpr int k_max_depth = 2000;

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// A PRIMARY KEY or UNIQUE constraint's columns (`column` for a column constraint, which
// lists none); nullopt for other constraints.
std::optional<KeyDefinition> key_constraint(JsonRef constraint, std::string_view column) {
    const std::string_view contype = constraint["contype"].str();
    if (contype != "CONSTR_PRIMARY" && contype != "CONSTR_UNIQUE") {
        return std::nullopt;
    }
    KeyDefinition key;
    key.primary = contype == "CONSTR_PRIMARY";
    for (JsonRef name : JsonChildren(constraint["keys"])) {
        key.columns.emplace_back(name["String"]["sval"].str());
    }
    if (key.columns.empty() && !column.empty()) {
        key.columns.emplace_back(column);
    }
    if (key.columns.empty()) {
        return std::nullopt; // PRIMARY KEY USING INDEX name: the columns are the index's
    }
    return key;
}

// The token kind of a punctuation character the builder looks for.
constexpr TokenKind punct_kind(char c) {
    switch (c) {
    case '(':
        return TokenKind::open_paren;
    case ')':
        return TokenKind::close_paren;
    case '[':
        return TokenKind::open_bracket;
    case ']':
        return TokenKind::close_bracket;
    case ',':
        return TokenKind::comma;
    case '.':
        return TokenKind::dot;
    case ';':
        return TokenKind::semicolon;
    default:
        return TokenKind::colon;
    }
}

// What a token does to the builder's group nesting: ( [ and CASE open a group (+1), ) ] and
// END close one (-1), everything else 0.
std::int8_t nesting_step(std::string_view text, const Token& token) {
    switch (token.kind) {
    case TokenKind::open_paren:
    case TokenKind::open_bracket:
        return 1;
    case TokenKind::close_paren:
    case TokenKind::close_bracket:
        return -1;
    case TokenKind::identifier:
        return token_is(text, token, "case") ? 1 : token_is(text, token, "end") ? -1 : 0;
    default:
        return 0;
    }
}

// A libpg_query node is `{"TypeName": {...}}`: one member whose key is the node type.
bool is_wrapper(JsonRef value) { return value.is_node(); }

// The last String of a name list such as funcname [{"String":{"sval":"pg_catalog"}}, ...].
std::string_view last_name(JsonRef list) {
    std::string_view name;
    for (JsonRef item : JsonChildren(list)) {
        const std::string_view s = item["String"]["sval"].str();
        if (!s.empty()) {
            name = s;
        }
    }
    return name;
}

const char* commuted(std::string_view op) {
    if (op == "=") return "=";
    if (op == "<>") return "<>";
    if (op == "<") return ">";
    if (op == ">") return "<";
    if (op == "<=") return ">=";
    if (op == ">=") return "<=";
    // Containment, overlap and text search commute too (`$1 <@ tags` is `tags @> $1`).
    if (op == "@>") return "<@";
    if (op == "<@") return "@>";
    if (op == "&&") return "&&";
    if (op == "@@") return "@@";
    return nullptr;
}

bool is_comparison(std::string_view op) {
    return op == "=" || op == "<>" || op == "<" || op == ">" || op == "<=" || op == ">=";
}

bool is_aggregate_name(std::string_view name) {
    static constexpr std::string_view k_names[] = {
        "count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and", "bool_or",
        "every", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "stddev",
        "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "bit_and", "bit_or",
        "bit_xor", "xmlagg", "percentile_cont", "percentile_disc", "mode", "corr", "covar_pop",
        "covar_samp", "regr_count", "range_agg", "range_intersect_agg"};
    return std::find(std::begin(k_names), std::end(k_names), name) != std::end(k_names);
}

// A FuncCall body that computes an aggregate (not a window function).
bool is_aggregate_call(JsonRef func) {
    // One pass over the members: this runs for every function call, twice.
    JsonRef funcname;
    bool aggregate_syntax = false;
    for (JsonRef member : JsonChildren(func)) {
        const std::string_view key = member.key();
        if (key == "over") {
            return false;
        }
        if (key == "funcname") {
            funcname = member;
        } else if (key == "agg_filter" ||
                   ((key == "agg_star" || key == "agg_distinct" || key == "agg_within_group") &&
                    member.boolean())) {
            aggregate_syntax = true;
        }
    }
    return aggregate_syntax || is_aggregate_name(lower_ascii(last_name(funcname)));
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t value = 0;
    const auto result = std::from_chars(s.data(), s.data() + s.size(), value);
    if (result.ec != std::errc() || result.ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

struct Scope {
    const Scope* parent = nullptr;
    std::vector<std::string> ctes;
    bool has_cte(std::string_view name) const {
        for (const Scope* s = this; s != nullptr; s = s->parent) {
            if (std::find(s->ctes.begin(), s->ctes.end(), name) != s->ctes.end()) {
                return true;
            }
        }
        return false;
    }
};

// What a predicate's column side looks like: a plain or wrapped column.
struct ColumnSide {
    bool ok = false;
    bool plain = false;
    ColumnRef column;
    WrapKind wrap = WrapKind::none;
    std::string wrapper;
};

// Per-statement tables over the statement's tokens, built once in build_statement(): the
// builder asks the same questions of the same tokens many times per statement.
struct TokenTables {
    /// Per token: +1 when it opens a group (( [ CASE), -1 when it closes one () ] END).
    std::span<const std::int8_t> steps;
    /// first_at[o - origin]: the index of the first token that begins at or after byte o,
    /// for o in (origin, last token's begin]; empty for statements too long for 16-bit
    /// entries (the builder then searches).
    std::span<const std::uint16_t> first_at;
    int origin = 0;
};

class Builder {
public:
    Builder(std::string_view text, int base, Span span, std::span<const Token> tokens,
            const TokenTables& tables, std::span<SubtreeExtent> cache)
        : m_text(text), m_base(base), m_span(span), m_tokens(tokens), m_nesting(tables.steps),
          m_first_at(tables.first_at), m_origin(tables.origin), m_tables(tables), m_cache(cache) {}

    Statement build(JsonRef stmt);

private:
    // --- source text and extents ---------------------------------------------------------
    std::span<const Token> tokens() const { return m_tokens; }
    // Index of the first token that begins at or after `offset` (token_count() when none).
    [[gnu::always_inline]] int token_index(int offset) {
        const auto& t = tokens();
        if (!m_first_at.empty()) {
            const int at = offset - m_origin;
            if (at <= 0) {
                return 0;
            }
            return at < static_cast<int>(m_first_at.size()) ? m_first_at[static_cast<std::size_t>(at)]
                                                            : token_count();
        }
        const auto it = std::lower_bound(t.begin(), t.end(), offset,
                                         [](const Token& token, int o) { return token.begin < o; });
        return static_cast<int>(it - t.begin());
    }
    [[gnu::always_inline]] const Token& tok(int index) { return m_tokens[static_cast<std::size_t>(index)]; }
    [[gnu::always_inline]] int token_count() { return static_cast<int>(tokens().size()); }
    [[gnu::always_inline]] bool is_punct(int index, char c) {
        return index >= 0 && index < token_count() && tok(index).kind == punct_kind(c);
    }
    [[gnu::always_inline]] bool is_word(int index, std::string_view word) {
        return index >= 0 && index < token_count() && token_is(m_text, tok(index), word);
    }
    // Groups are ( ), [ ] and CASE ... END: see nesting_step().
    [[gnu::always_inline]] bool is_opener(int i) {
        return i >= 0 && i < token_count() && m_nesting[static_cast<std::size_t>(i)] > 0;
    }
    [[gnu::always_inline]] bool is_closer(int i) {
        return i >= 0 && i < token_count() && m_nesting[static_cast<std::size_t>(i)] < 0;
    }
    [[gnu::always_inline]] int step(int i) { return m_nesting[static_cast<std::size_t>(i)]; }
    // Index of the token closing the group opened at `open`; the last token when unmatched.
    int group_close(int open) {
        int depth = 0;
        const int n = token_count();
        for (int i = std::max(open, 0); i < n; ++i) {
            const int d = step(i);
            depth += d;
            if (d < 0 && depth <= 0) {
                return i;
            }
        }
        return n - 1;
    }
    int abs_location(JsonRef body) {
        const std::int32_t location = body.location();
        return location < 0 ? -1 : m_base + location;
    }
    int after_dotted_name(int i) {
        while (is_punct(i + 1, '.') && i + 2 < token_count() &&
               (is_name_kind(tok(i + 2).kind) ||
                (tok(i + 2).kind == TokenKind::op && m_text[static_cast<std::size_t>(tok(i + 2).begin)] == '*'))) {
            i += 2;
        }
        return i;
    }
    int node_end(std::string_view type, int offset);
    SubtreeExtent subtree(JsonRef value, int depth);
    SubtreeExtent subtree_at(const JsonNode* base, std::int32_t index, int depth);
    Span balance(int begin, int end);
    /// The source extent of a node (wrapper or body of known type).
    Span extent(JsonRef node) {
        const SubtreeExtent e = subtree(node, 0);
        if (e.end < 0) {
            return {};
        }
        return balance(e.begin, e.end);
    }
    std::string slice(Span span) {
        if (!span.valid()) {
            return {};
        }
        return std::string(m_text.substr(static_cast<std::size_t>(span.begin),
                                         static_cast<std::size_t>(span.end - span.begin)));
    }
    // Span of the parenthesised group whose `(` is the first at or after `offset`, without
    // the parentheses and surrounding blanks.
    Span inner_group(int offset) {
        int i = token_index(offset);
        while (i < token_count() && !is_punct(i, '(')) {
            ++i;
        }
        if (i >= token_count()) {
            return {};
        }
        const int close = group_close(i);
        if (close <= i + 1 || !is_punct(close, ')')) {
            return close > i + 1 ? Span{tok(i + 1).begin, tok(close).end} : Span{};
        }
        return {tok(i + 1).begin, tok(close - 1).end};
    }
    Span inner_group_around(int offset) {
        // The unmatched `(` before `offset`: the parenthesis enclosing a FROM subquery.
        int depth = 0;
        for (int i = token_index(offset) - 1; i >= 0; --i) {
            if (is_punct(i, ')') || is_punct(i, ']')) {
                ++depth;
            } else if (is_punct(i, '(') || is_punct(i, '[')) {
                if (depth == 0) {
                    const int close = group_close(i);
                    return close > i + 1 ? Span{tok(i + 1).begin, is_punct(close, ')') ? tok(close - 1).end : tok(close).end}
                                         : Span{};
                }
                --depth;
            }
        }
        return {};
    }

    // --- model ---------------------------------------------------------------------------
    ColumnRef column_ref(JsonRef body);
    ColumnSide column_side(JsonRef node);
    const JsonRef* find_column(JsonRef node, JsonRef& out, int depth);
    Operand operand(JsonRef node);
    Operand list_operand(JsonRef list_body, JsonRef list_node);
    std::string type_text(JsonRef type_name_body) { return slice(extent(type_name_body)); }

    void build_select(JsonRef body, Query& q, const Scope* parent);
    void build_with(JsonRef with, Query& q, Scope& scope);
    void add_from_item(JsonRef item, Query& q, Scope& scope);
    void add_relation(JsonRef range_var, Query& q, const Scope& scope);
    void collect_predicates(JsonRef node, Query& q, std::vector<Predicate>& out, Scope& scope,
                            bool in_or, bool negated, ClauseContext context, bool* has_or, int depth);
    void add_comparison(JsonRef node, JsonRef body, Query& q, std::vector<Predicate>& out,
                        bool in_or, bool negated, ClauseContext context);
    void walk(JsonRef value, Query& q, Scope& scope, ClauseContext context, bool under_not,
              int not_offset, int depth);
    void add_sublink(JsonRef body, Query& q, Scope& scope, ClauseContext context, bool under_not,
                     int not_offset);
    void check_aggregate_comparison(JsonRef body, Query& q);
    void add_like(JsonRef body, Query& q);
    SortKey sort_key(JsonRef expr);
    void set_limit(JsonRef node, Query& q, bool is_offset);
    void resolve(Query& q);
    int build_subquery(JsonRef select_body, Query& q, const Scope& scope, ClauseContext context,
                       Span span);
    void flatten_set_operation(JsonRef body, Query& q, const Scope& scope);

    std::string_view m_text;
    int m_base;
    Span m_span;
    std::span<const Token> m_tokens; // the statement's tokens, in order
    std::span<const std::int8_t> m_nesting; // per token: +1 opens a group, -1 closes one
    std::span<const std::uint16_t> m_first_at; // see TokenTables
    int m_origin;
    const TokenTables& m_tables;
    std::span<SubtreeExtent> m_cache; // per JSON node, filled on first use
};

// Node types whose located token is not their last one. Everything else (ResTarget, A_Expr,
// ParamRef, ...) ends its own part at the located token; children extend the subtree.
bool extends_past_location(std::string_view type) {
    switch (type.empty() ? '\0' : type[0]) {
    case 'A':
        return type == "A_Const" || type == "A_ArrayExpr";
    case 'B':
        return type == "BooleanTest";
    case 'C':
        return type == "ColumnRef" || type == "CollateClause" || type == "CoalesceExpr" ||
               type == "CaseExpr";
    case 'F':
        return type == "FuncCall";
    case 'G':
        return type == "GroupingFunc";
    case 'M':
        return type == "MinMaxExpr";
    case 'N':
        return type == "NullTest";
    case 'R':
        return type == "RangeVar" || type == "RowExpr";
    case 'S':
        return type == "SubLink" || type == "SQLValueFunction";
    case 'T':
        return type == "TypeName" || type == "TypeCast";
    case 'X':
        return type == "XmlExpr";
    default:
        return false;
    }
}

int Builder::node_end(std::string_view type, int offset) {
    int i = token_index(offset);
    const int n = token_count();
    if (i >= n) {
        return -1;
    }
    if (!extends_past_location(type)) {
        return tok(i).end;
    }
    if (type == "A_Const") {
        if (tok(i).kind == TokenKind::op && i + 1 < n) {
            return tok(i + 1).end;
        }
        return tok(i).end;
    }
    if (type == "ColumnRef" || type == "RangeVar") {
        return tok(after_dotted_name(i)).end;
    }
    if (type == "TypeName") {
        i = after_dotted_name(i);
        static constexpr std::string_view k_more[] = {"precision", "varying", "with", "without",
                                                      "time", "zone"};
        while (i + 1 < n) {
            bool more = false;
            for (std::string_view w : k_more) {
                more = more || is_word(i + 1, w);
            }
            if (more) {
                ++i;
            } else if (is_punct(i + 1, '(') || is_punct(i + 1, '[')) {
                i = group_close(i + 1);
            } else if (tok(i + 1).kind == TokenKind::op && m_text[static_cast<std::size_t>(tok(i + 1).begin)] == '%' &&
                       is_word(i + 2, "type")) {
                i += 2;
            } else {
                break;
            }
        }
        return tok(i).end;
    }
    if (type == "FuncCall") {
        i = after_dotted_name(i);
        if (is_punct(i + 1, '(')) {
            i = group_close(i + 1);
        }
        while (i + 1 < n) {
            if (is_word(i + 1, "filter") && is_punct(i + 2, '(')) {
                i = group_close(i + 2);
            } else if (is_word(i + 1, "within") && is_word(i + 2, "group") && is_punct(i + 3, '(')) {
                i = group_close(i + 3);
            } else if (is_word(i + 1, "over")) {
                i = is_punct(i + 2, '(') ? group_close(i + 2) : std::min(i + 2, n - 1);
            } else {
                break;
            }
        }
        return tok(i).end;
    }
    if (type == "NullTest") {
        while (is_word(i + 1, "not") || is_word(i + 1, "null")) {
            ++i;
        }
        return tok(i).end;
    }
    if (type == "BooleanTest") {
        while (is_word(i + 1, "not") || is_word(i + 1, "true") || is_word(i + 1, "false") ||
               is_word(i + 1, "unknown")) {
            ++i;
        }
        return tok(i).end;
    }
    if (type == "CollateClause") {
        if (i + 1 < n) {
            return tok(after_dotted_name(i + 1)).end;
        }
        return tok(i).end;
    }
    if (type == "SubLink" || type == "A_ArrayExpr" || type == "CoalesceExpr" ||
        type == "MinMaxExpr" || type == "RowExpr" || type == "XmlExpr" || type == "GroupingFunc" ||
        type == "SQLValueFunction" || type == "TypeCast" || type == "CaseExpr") {
        if (type == "CaseExpr") {
            return tok(group_close(i)).end;
        }
        if (is_opener(i)) {
            return tok(group_close(i)).end;
        }
        if (type == "SubLink") {
            // EXISTS (, x IN (, x NOT IN (, x = ANY (, ARRAY(: the first `(` that follows.
            int j = i;
            while (j < n && !is_punct(j, '(')) {
                ++j;
            }
            return j < n ? tok(group_close(j)).end : tok(i).end;
        }
        if (is_punct(i + 1, '(') || is_punct(i + 1, '[')) {
            return tok(group_close(i + 1)).end;
        }
        return tok(i).end;
    }
    return tok(i).end;
}

SubtreeExtent Builder::subtree(JsonRef value, int depth) {
    const JsonNode* node = value.node();
    if (node == nullptr) {
        return {};
    }
    return subtree_at(value.base(), static_cast<std::int32_t>(node - value.base()), depth);
}

// The walk behind subtree(): it follows the node links directly (this is the model builder's
// hottest loop, and the first to touch most nodes of a statement).
SubtreeExtent Builder::subtree_at(const JsonNode* base, std::int32_t index, int depth) {
    const JsonNode& node = base[index];
    if ((node.type != JsonType::object && node.type != JsonType::array) || depth > k_max_depth) {
        return {};
    }
    SubtreeExtent& cached = m_cache[static_cast<std::size_t>(index)];
    if (cached.computed) {
        return cached;
    }
    SubtreeExtent result;
    result.computed = true;
    if (node.type == JsonType::object && node.location >= 0) {
        // The node type decides how far its located token reaches: a wrapper body's key is
        // the type; TypeName and RangeVar also appear unwrapped under fixed field names.
        const std::string_view key = node.key();
        std::string_view node_type;
        if (!key.empty() && key[0] >= 'A' && key[0] <= 'Z') {
            node_type = key;
        } else if (key == "typeName") {
            node_type = "TypeName";
        } else if (key == "relation") {
            node_type = "RangeVar";
        }
        const int location = m_base + node.location;
        result.begin = location;
        result.end = node_end(node_type, location);
    }
    for (std::int32_t child = node.first_child; child >= 0; child = base[child].next) {
        const JsonType type = base[child].type;
        if (type != JsonType::object && type != JsonType::array) {
            continue;
        }
        const SubtreeExtent e = subtree_at(base, child, depth + 1);
        result.begin = std::min(result.begin, e.begin);
        result.end = std::max(result.end, e.end);
    }
    m_cache[static_cast<std::size_t>(index)] = result;
    return result;
}

Span Builder::balance(int begin, int end) {
    int bi = token_index(begin);
    int ei = token_index(end); // first token at or after `end`
    const int n = token_count();
    if (bi >= n) {
        return {begin, end};
    }
    for (int guard = 0; guard < 64; ++guard) {
        int depth = 0;
        int lowest = 0;
        for (int i = bi; i < ei; ++i) {
            depth += step(i);
            lowest = std::min(lowest, depth);
        }
        if (lowest < 0) {
            // The expression began inside parentheses that open before its first location:
            // `(a + b) * c` has its first location at `a`.
            int need = -lowest;
            int i = bi - 1;
            int inner = 0;
            for (; i >= 0; --i) {
                if (is_closer(i)) {
                    ++inner;
                } else if (is_opener(i)) {
                    if (inner == 0 && --need == 0) {
                        break;
                    }
                    if (inner > 0) {
                        --inner;
                    }
                }
            }
            if (i < 0) {
                break;
            }
            bi = i;
            continue;
        }
        if (depth > 0) {
            int i = ei;
            for (; i < n && depth > 0; ++i) {
                depth += step(i);
            }
            ei = i;
        }
        break;
    }
    const int last = std::max(bi, ei - 1);
    return {tok(bi).begin, std::max(tok(std::min(last, n - 1)).end, end)};
}

ColumnRef Builder::column_ref(JsonRef body) {
    ColumnRef ref;
    std::string qualifier;
    std::string name;
    for (JsonRef field : JsonChildren(body["fields"])) {
        if (!name.empty()) {
            if (!qualifier.empty()) {
                qualifier += '.';
            }
            qualifier += name;
        }
        if (field.node_type() == "A_Star") {
            name = "*";
        } else {
            name = std::string(field["String"]["sval"].str());
        }
    }
    ref.qualifier = std::move(qualifier);
    ref.name = std::move(name);
    ref.offset = abs_location(body);
    return ref;
}

// DFS for the first column reference of an expression, not entering subqueries.
const JsonRef* Builder::find_column(JsonRef node, JsonRef& out, int depth) {
    if (depth > k_max_depth) {
        return nullptr;
    }
    if (node.type() == JsonType::array) {
        for (JsonRef item : JsonChildren(node)) {
            if (find_column(item, out, depth + 1) != nullptr) {
                return &out;
            }
        }
        return nullptr;
    }
    if (node.type() != JsonType::object) {
        return nullptr;
    }
    if (is_wrapper(node)) {
        const std::string_view type = node.node_type();
        if (type == "ColumnRef") {
            if (node.body()["fields"].first_child().node_type() == "A_Star") {
                return nullptr;
            }
            out = node.body();
            return &out;
        }
        if (type == "SubLink" || type == "SelectStmt") {
            return nullptr;
        }
        return find_column(node.body(), out, depth + 1);
    }
    for (JsonRef member : JsonChildren(node)) {
        if (member.type() == JsonType::object || member.type() == JsonType::array) {
            if (find_column(member, out, depth + 1) != nullptr) {
                return &out;
            }
        }
    }
    return nullptr;
}

ColumnSide Builder::column_side(JsonRef node) {
    ColumnSide side;
    const std::string_view type = node.node_type();
    const JsonRef body = node.body();
    if (type == "ColumnRef") {
        side.column = column_ref(body);
        if (side.column.name == "*") {
            return side;
        }
        side.ok = true;
        side.plain = true;
        return side;
    }
    if (type == "FuncCall") {
        side.wrap = WrapKind::function;
        side.wrapper = lower_ascii(last_name(body["funcname"]));
    } else if (type == "CoalesceExpr") {
        side.wrap = WrapKind::function;
        side.wrapper = "coalesce";
    } else if (type == "TypeCast") {
        side.wrap = WrapKind::cast;
        side.wrapper = type_text(body["typeName"]);
    } else if (type == "A_Expr" && body["kind"].str() == "AEXPR_OP" && body["lexpr"] && body["rexpr"]) {
        // The operator's name from the tree (OPERATOR(pg_catalog.+) is +): only the
        // arithmetic ones can be moved to the other side of a comparison.
        const std::string_view op = last_name(body["name"]);
        const bool arithmetic = op == "+" || op == "-" || op == "*" || op == "/" || op == "%" || op == "^";
        side.wrap = arithmetic ? WrapKind::arithmetic : WrapKind::operator_;
        side.wrapper = std::string(op);
    } else if (type == "CollateClause") {
        side.wrap = WrapKind::collate;
        side.wrapper = std::string(last_name(body["collname"]));
    } else {
        return side;
    }
    JsonRef column;
    if (find_column(body, column, 0) == nullptr) {
        return side;
    }
    side.column = column_ref(column);
    side.ok = true;
    return side;
}

Operand Builder::list_operand(JsonRef items, JsonRef list_node) {
    Operand op;
    op.kind = OperandKind::list;
    op.list_length = static_cast<int>(items.size());
    Span span = extent(list_node);
    // `IN (1, 2, 3)`: the list node carries no location; include its parentheses.
    if (span.valid()) {
        const int first = token_index(span.begin);
        if (first > 0 && is_punct(first - 1, '(')) {
            const int close = group_close(first - 1);
            span = {tok(first - 1).begin, tok(close).end};
        }
    }
    op.text = slice(span);
    op.offset = span.begin;
    return op;
}

Operand Builder::operand(JsonRef node) {
    Operand op;
    const std::string_view type = node.node_type();
    const JsonRef body = node.body();
    const Span span = extent(node);
    op.text = slice(span);
    op.offset = span.begin;
    if (type == "A_Const") {
        if (body["isnull"].boolean()) {
            op.kind = OperandKind::null;
        } else {
            op.kind = OperandKind::constant;
            if (body["ival"]) {
                op.type_name = "integer";
            } else if (body["fval"]) {
                op.type_name = "float";
            } else if (body["boolval"]) {
                op.type_name = "boolean";
            } else if (body["bsval"]) {
                op.type_name = "bitstring";
            } else {
                op.type_name = "string";
            }
        }
    } else if (type == "ParamRef") {
        op.kind = OperandKind::parameter;
        op.param_number = static_cast<int>(body["number"].integer());
    } else if (type == "TypeCast") {
        const JsonRef arg = body["arg"];
        const std::string_view arg_type = arg.node_type();
        if (arg_type == "A_Const") {
            op.kind = arg.body()["isnull"].boolean() ? OperandKind::null : OperandKind::constant;
            op.type_name = type_text(body["typeName"]);
        } else if (arg_type == "ParamRef") {
            op.kind = OperandKind::parameter;
            op.param_number = static_cast<int>(arg.body()["number"].integer());
            op.type_name = type_text(body["typeName"]);
        }
    } else if (type == "ColumnRef") {
        ColumnRef ref = column_ref(body);
        if (ref.name != "*") {
            op.kind = OperandKind::column;
            op.column = std::move(ref);
        }
    } else if (type == "A_ArrayExpr") {
        op.kind = OperandKind::list;
        op.list_length = static_cast<int>(body["elements"].size());
    } else if (type == "List") {
        Operand list = list_operand(body["items"], node);
        return list;
    } else if (type == "SubLink") {
        op.kind = OperandKind::subquery;
    }
    return op;
}

void Builder::add_comparison(JsonRef node, JsonRef body, Query& q, std::vector<Predicate>& out,
                             bool in_or, bool negated, ClauseContext context) {
    const std::string_view kind = body["kind"].str();
    const JsonRef lexpr = body["lexpr"];
    const JsonRef rexpr = body["rexpr"];
    const std::string_view name = last_name(body["name"]);
    std::string op;
    bool commutable = false;
    if (kind == "AEXPR_OP") {
        op = std::string(name);
        commutable = commuted(op) != nullptr;
    } else if (kind == "AEXPR_OP_ANY") {
        op = std::string(name) + " ANY";
    } else if (kind == "AEXPR_OP_ALL") {
        op = std::string(name) + " ALL";
    } else if (kind == "AEXPR_IN") {
        op = name == "<>" ? "NOT IN" : "IN";
    } else if (kind == "AEXPR_LIKE") {
        op = name == "!~~" ? "NOT LIKE" : "LIKE";
    } else if (kind == "AEXPR_ILIKE") {
        op = name == "!~~*" ? "NOT ILIKE" : "ILIKE";
    } else if (kind == "AEXPR_SIMILAR") {
        op = name == "!~" ? "NOT SIMILAR TO" : "SIMILAR TO";
    } else if (kind == "AEXPR_BETWEEN" || kind == "AEXPR_BETWEEN_SYM") {
        op = "BETWEEN";
    } else if (kind == "AEXPR_NOT_BETWEEN" || kind == "AEXPR_NOT_BETWEEN_SYM") {
        op = "NOT BETWEEN";
    } else if (kind == "AEXPR_DISTINCT") {
        op = "IS DISTINCT FROM";
        commutable = true;
    } else if (kind == "AEXPR_NOT_DISTINCT") {
        op = "IS NOT DISTINCT FROM";
        commutable = true;
    } else {
        return;
    }
    if (!lexpr || !rexpr) {
        return;
    }
    ColumnSide left = column_side(lexpr);
    JsonRef other = rexpr;
    if (left.ok && left.plain && is_comparison(op)) {
        const ColumnSide right = column_side(rexpr);
        if (right.ok && right.plain && op == "=" && !in_or && !negated &&
            (context == ClauseContext::where || context == ClauseContext::join_on) &&
            !left.column.qualifier.empty() && !right.column.qualifier.empty() &&
            left.column.qualifier != right.column.qualifier) {
            JoinCondition jc;
            jc.left = left.column;
            jc.right = right.column;
            jc.op = op;
            jc.offset = abs_location(body);
            q.join_conditions.push_back(std::move(jc));
            return;
        }
    }
    if (!left.ok || (!left.plain && commutable && column_side(rexpr).plain)) {
        if (!commutable) {
            return;
        }
        ColumnSide right = column_side(rexpr);
        if (!right.ok) {
            return;
        }
        left = std::move(right);
        other = lexpr;
        if (const char* c = commuted(op)) {
            op = c;
        }
    }
    Predicate p;
    p.column = left.column;
    p.op = std::move(op);
    p.wrap = left.wrap;
    p.wrapper = left.wrapper;
    if (left.wrap != WrapKind::none) {
        p.wrapped_text = slice(extent(other.index() == rexpr.index() ? lexpr : rexpr));
    }
    if (kind == "AEXPR_BETWEEN" || kind == "AEXPR_BETWEEN_SYM" || kind == "AEXPR_NOT_BETWEEN" ||
        kind == "AEXPR_NOT_BETWEEN_SYM") {
        const JsonRef items = other.body()["items"];
        const JsonRef first = items.first_child();
        if (first) {
            p.operand = operand(first);
            if (first.next()) {
                p.operand2 = operand(first.next());
            }
        }
    } else if (kind == "AEXPR_IN") {
        p.operand = list_operand(other.body()["items"], other);
    } else {
        p.operand = operand(other);
    }
    p.in_or = in_or;
    p.negated = negated;
    p.offset = abs_location(body);
    p.span = extent(node);
    out.push_back(std::move(p));
}

void Builder::collect_predicates(JsonRef node, Query& q, std::vector<Predicate>& out, Scope& scope,
                                 bool in_or, bool negated, ClauseContext context, bool* has_or,
                                 int depth) {
    if (depth > k_max_depth || !node) {
        return;
    }
    const std::string_view type = node.node_type();
    const JsonRef body = node.body();
    if (type == "BoolExpr") {
        const std::string_view boolop = body["boolop"].str();
        if (boolop == "OR_EXPR") {
            if (has_or != nullptr) {
                *has_or = true;
            }
            in_or = true;
        }
        const bool is_not = boolop == "NOT_EXPR";
        for (JsonRef arg : JsonChildren(body["args"])) {
            if (is_not && arg.node_type() == "SubLink" &&
                arg.body()["subLinkType"].str() == "ANY_SUBLINK" && !arg.body()["operName"]) {
                // `x NOT IN (SELECT ...)` is parsed as NOT (x IN (SELECT ...)).
                ColumnSide side = column_side(arg.body()["testexpr"]);
                if (side.ok) {
                    Predicate p;
                    p.column = side.column;
                    p.op = "NOT IN";
                    p.wrap = side.wrap;
                    p.wrapper = side.wrapper;
                    if (side.wrap != WrapKind::none) {
                        p.wrapped_text = slice(extent(arg.body()["testexpr"]));
                    }
                    p.operand = operand(arg);
                    p.operand.text = slice(inner_group(abs_location(arg.body())));
                    p.in_or = in_or;
                    p.negated = negated;
                    p.offset = abs_location(body);
                    p.span = extent(node);
                    out.push_back(std::move(p));
                }
                continue;
            }
            collect_predicates(arg, q, out, scope, in_or, is_not ? !negated : negated, context,
                               has_or, depth + 1);
        }
        return;
    }
    if (type == "A_Expr") {
        add_comparison(node, body, q, out, in_or, negated, context);
        return;
    }
    if (type == "NullTest" || type == "BooleanTest") {
        ColumnSide side = column_side(body["arg"]);
        if (!side.ok) {
            return;
        }
        Predicate p;
        p.column = side.column;
        if (type == "NullTest") {
            p.op = body["nulltesttype"].str() == "IS_NOT_NULL" ? "IS NOT NULL" : "IS NULL";
            p.operand.kind = OperandKind::null;
        } else {
            const std::string_view test = body["booltesttype"].str();
            p.op = test == "IS_TRUE"        ? "IS TRUE"
                   : test == "IS_NOT_TRUE"  ? "IS NOT TRUE"
                   : test == "IS_FALSE"     ? "IS FALSE"
                   : test == "IS_NOT_FALSE" ? "IS NOT FALSE"
                   : test == "IS_UNKNOWN"   ? "IS UNKNOWN"
                                            : "IS NOT UNKNOWN";
            p.operand.kind = OperandKind::constant;
            p.operand.type_name = "boolean";
        }
        p.wrap = side.wrap;
        p.wrapper = side.wrapper;
        if (side.wrap != WrapKind::none) {
            p.wrapped_text = slice(extent(body["arg"]));
        }
        p.in_or = in_or;
        p.negated = negated;
        p.offset = abs_location(body);
        p.span = extent(node);
        out.push_back(std::move(p));
        return;
    }
    if (type == "SubLink") {
        const std::string_view link = body["subLinkType"].str();
        if (link != "ANY_SUBLINK" && link != "ALL_SUBLINK") {
            return;
        }
        ColumnSide side = column_side(body["testexpr"]);
        if (!side.ok) {
            return;
        }
        Predicate p;
        p.column = side.column;
        const std::string_view oper = last_name(body["operName"]);
        if (link == "ANY_SUBLINK" && oper.empty()) {
            p.op = "IN";
        } else {
            p.op = std::string(oper.empty() ? "=" : oper) + (link == "ANY_SUBLINK" ? " ANY" : " ALL");
        }
        p.wrap = side.wrap;
        p.wrapper = side.wrapper;
        if (side.wrap != WrapKind::none) {
            p.wrapped_text = slice(extent(body["testexpr"]));
        }
        p.operand.kind = OperandKind::subquery;
        p.operand.text = slice(inner_group(abs_location(body)));
        p.operand.offset = p.operand.text.empty() ? -1 : inner_group(abs_location(body)).begin;
        p.in_or = in_or;
        p.negated = negated;
        p.offset = abs_location(body);
        p.span = extent(node);
        out.push_back(std::move(p));
    }
}

void Builder::check_aggregate_comparison(JsonRef body, Query& q) {
    if (body["kind"].str() != "AEXPR_OP") {
        return;
    }
    std::string op(last_name(body["name"]));
    if (!is_comparison(op)) {
        return;
    }
    JsonRef agg = body["lexpr"];
    JsonRef constant = body["rexpr"];
    if (constant.node_type() != "A_Const") {
        std::swap(agg, constant);
        if (constant.node_type() != "A_Const") {
            return;
        }
        op = commuted(op);
    }
    AggregateComparison cmp;
    if (agg.node_type() == "FuncCall" && is_aggregate_call(agg.body())) {
        cmp.function_name = lower_ascii(last_name(agg.body()["funcname"]));
    } else if (agg.node_type() == "SubLink" && agg.body()["subLinkType"].str() == "EXPR_SUBLINK") {
        const JsonRef sub = agg.body()["subselect"].body();
        const JsonRef targets = sub["targetList"];
        const JsonRef val = targets.first_child().body()["val"];
        if (targets.size() != 1 || val.node_type() != "FuncCall" || !is_aggregate_call(val.body())) {
            return;
        }
        cmp.function_name = lower_ascii(last_name(val.body()["funcname"]));
        // The sublink is recorded when the walk reaches it, right after this comparison.
        cmp.subquery_index = static_cast<int>(q.subqueries.size());
    } else {
        return;
    }
    cmp.op = std::move(op);
    cmp.constant = slice(extent(constant));
    cmp.offset = abs_location(body);
    q.aggregate_comparisons.push_back(std::move(cmp));
}

void Builder::add_like(JsonRef body, Query& q) {
    const std::string_view kind = body["kind"].str();
    LikePattern like;
    like.case_insensitive = kind == "AEXPR_ILIKE";
    const std::string_view name = last_name(body["name"]);
    like.negated = name == "!~~" || name == "!~~*";
    const ColumnSide side = column_side(body["lexpr"]);
    if (side.ok) {
        like.column = side.column;
    }
    const JsonRef rexpr = body["rexpr"];
    JsonRef pattern = rexpr;
    if (pattern.node_type() == "TypeCast") {
        pattern = pattern.body()["arg"];
    }
    if (pattern.node_type() == "A_Const") {
        like.pattern = std::string(pattern.body()["sval"]["sval"].str());
    }
    like.offset = abs_location(body);
    q.likes.push_back(std::move(like));
}

int Builder::build_subquery(JsonRef select_body, Query& q, const Scope& scope,
                            ClauseContext context, Span span) {
    Query sub;
    sub.context = context;
    sub.span = span;
    build_select(select_body, sub, &scope);
    q.subqueries.push_back(std::move(sub));
    return static_cast<int>(q.subqueries.size()) - 1;
}

void Builder::add_sublink(JsonRef body, Query& q, Scope& scope, ClauseContext context,
                          bool under_not, int not_offset) {
    SubLink link;
    const std::string_view type = body["subLinkType"].str();
    const std::string_view oper = last_name(body["operName"]);
    link.context = context;
    if (type == "EXISTS_SUBLINK") {
        link.kind = SubLinkKind::exists;
        link.negated = under_not;
    } else if (type == "ANY_SUBLINK") {
        if (oper.empty()) {
            link.kind = under_not ? SubLinkKind::not_in : SubLinkKind::in;
            link.op = "=";
        } else {
            link.kind = SubLinkKind::any;
            link.op = std::string(oper);
            link.negated = under_not;
        }
    } else if (type == "ALL_SUBLINK") {
        link.kind = SubLinkKind::all;
        link.op = oper.empty() ? "=" : std::string(oper);
        link.negated = under_not;
    } else if (type == "ARRAY_SUBLINK") {
        link.kind = SubLinkKind::array;
    } else {
        link.kind = SubLinkKind::scalar;
    }
    const int location = abs_location(body);
    link.offset = location;
    const JsonRef test = body["testexpr"];
    if (test) {
        link.test_text = slice(extent(test));
        const ColumnSide side = column_side(test);
        if (side.ok && side.plain) {
            link.test_column = side.column;
        }
    }
    link.subquery_span = inner_group(location);
    Span whole;
    whole.begin = location;
    if (test) {
        const Span t = extent(test);
        if (t.valid()) {
            whole.begin = std::min(whole.begin, t.begin);
        }
    }
    if (under_not && not_offset >= 0 && link.kind != SubLinkKind::not_in) {
        whole.begin = std::min(whole.begin, not_offset);
    }
    const Span sub_extent = extent(body["subselect"]);
    whole.end = link.subquery_span.valid() ? link.subquery_span.end : sub_extent.end;
    // Include the closing parenthesis.
    {
        const int i = token_index(whole.end);
        if (is_punct(i, ')')) {
            whole.end = tok(i).end;
        }
    }
    link.span = whole.valid() ? whole : Span{};
    link.query_index = build_subquery(body["subselect"].body(), q, scope, context, link.subquery_span);
    q.sublinks.push_back(std::move(link));
}

void Builder::walk(JsonRef value, Query& q, Scope& scope, ClauseContext context, bool under_not,
                   int not_offset, int depth) {
    if (depth > k_max_depth) {
        return;
    }
    const JsonType jt = value.type();
    if (jt == JsonType::array) {
        for (JsonRef item : JsonChildren(value)) {
            walk(item, q, scope, context, false, -1, depth + 1);
        }
        return;
    }
    if (jt != JsonType::object) {
        return;
    }
    if (!is_wrapper(value)) {
        for (JsonRef member : JsonChildren(value)) {
            if (member.type() == JsonType::object || member.type() == JsonType::array) {
                walk(member, q, scope, context, false, -1, depth + 1);
            }
        }
        return;
    }
    const std::string_view type = value.node_type();
    const JsonRef body = value.body();
    if (type == "SubLink") {
        if (body["testexpr"]) {
            walk(body["testexpr"], q, scope, context, false, -1, depth + 1);
        }
        add_sublink(body, q, scope, context, under_not, not_offset);
        return;
    }
    if (type == "SelectStmt") {
        return; // only reachable inside sublinks and FROM, which build their own query
    }
    if (type == "FuncCall") {
        FunctionCall call;
        call.name = lower_ascii(last_name(body["funcname"]));
        call.star = body["agg_star"].boolean();
        call.window = static_cast<bool>(body["over"]);
        call.context = context;
        call.offset = abs_location(body);
        if ((context == ClauseContext::select_list || context == ClauseContext::having ||
             context == ClauseContext::order_by) &&
            is_aggregate_call(body)) {
            q.has_aggregate = true;
        }
        q.functions.push_back(std::move(call));
    } else if (type == "A_Expr") {
        const std::string_view kind = body["kind"].str();
        if (kind == "AEXPR_LIKE" || kind == "AEXPR_ILIKE") {
            add_like(body, q);
        } else if (kind == "AEXPR_OP") {
            check_aggregate_comparison(body, q);
        }
    } else if (type == "BoolExpr" && body["boolop"].str() == "NOT_EXPR") {
        const int location = abs_location(body);
        for (JsonRef arg : JsonChildren(body["args"])) {
            walk(arg, q, scope, context, true, location, depth + 1);
        }
        return;
    }
    for (JsonRef member : JsonChildren(body)) {
        if (member.type() == JsonType::object || member.type() == JsonType::array) {
            walk(member, q, scope, context, false, -1, depth + 1);
        }
    }
}

void Builder::add_relation(JsonRef range_var, Query& q, const Scope& scope) {
    Relation r;
    r.schema = std::string(range_var["schemaname"].str());
    r.name = std::string(range_var["relname"].str());
    r.alias = std::string(range_var["alias"]["aliasname"].str());
    r.is_cte = r.schema.empty() && scope.has_cte(r.name);
    r.kind = r.is_cte ? RelationKind::cte : RelationKind::table;
    r.offset = abs_location(range_var);
    // The qualified name's parts from its first token: a psql variable among them names a
    // table only psql knows.
    for (int i = token_index(r.offset); i < token_count(); i += 2) {
        if (tok(i).kind == TokenKind::psql_variable) {
            r.psql_variable = true;
            break;
        }
        if (!is_punct(i + 1, '.')) {
            break;
        }
    }
    q.relations.push_back(std::move(r));
}

void Builder::add_from_item(JsonRef item, Query& q, Scope& scope) {
    const std::string_view type = item.node_type();
    const JsonRef body = item.body();
    if (type == "RangeVar") {
        add_relation(body, q, scope);
    } else if (type == "JoinExpr") {
        add_from_item(body["larg"], q, scope);
        const std::size_t right_first = q.relations.size();
        add_from_item(body["rarg"], q, scope);
        Join join;
        const std::string_view jt = body["jointype"].str();
        const bool has_quals = static_cast<bool>(body["quals"]);
        const bool has_using = static_cast<bool>(body["usingClause"]);
        const bool natural = body["isNatural"].boolean();
        join.has_condition = has_quals || has_using || natural;
        join.type = jt == "JOIN_LEFT"    ? Join::Type::left
                    : jt == "JOIN_RIGHT" ? Join::Type::right
                    : jt == "JOIN_FULL"  ? Join::Type::full
                    : join.has_condition ? Join::Type::inner
                                         : Join::Type::cross;
        // The JOIN keyword precedes the right-hand item.
        const Span right = extent(body["rarg"]);
        int keyword = right.valid() ? token_index(right.begin) - 1 : -1;
        if (keyword >= 0 && right_first < q.relations.size()) {
            // A FROM subquery's extent starts inside its parenthesis.
            while (keyword >= 0 && !is_word(keyword, "join")) {
                --keyword;
            }
        }
        join.offset = keyword >= 0 ? tok(keyword).begin : (right.valid() ? right.begin : -1);
        q.joins.push_back(join);
        if (has_quals) {
            collect_predicates(body["quals"], q, q.predicates, scope, false, false,
                               ClauseContext::join_on, nullptr, 0);
            walk(body["quals"], q, scope, ClauseContext::join_on, false, -1, 0);
        }
    } else if (type == "RangeSubselect") {
        const JsonRef sub = body["subquery"];
        const Span sub_extent = extent(sub);
        Span span = sub_extent.valid() ? inner_group_around(sub_extent.begin) : Span{};
        Relation r;
        r.kind = RelationKind::subquery;
        r.alias = std::string(body["alias"]["aliasname"].str());
        r.offset = span.valid() ? span.begin : -1;
        if (span.valid()) {
            const int open = token_index(span.begin) - 1;
            if (open >= 0) {
                r.offset = tok(open).begin;
            }
        }
        q.relations.push_back(std::move(r));
        const std::size_t relation = q.relations.size() - 1;
        q.relations[relation].subquery = build_subquery(sub.body(), q, scope, ClauseContext::from, span);
    } else if (type == "RangeTableSample") {
        // `orders TABLESAMPLE SYSTEM (10)`: the table, plus the sampling arguments.
        add_from_item(body["relation"], q, scope);
        walk(body["args"], q, scope, ClauseContext::from, false, -1, 0);
        walk(body["repeatable"], q, scope, ClauseContext::from, false, -1, 0);
    } else if (type == "RangeFunction") {
        Relation r;
        r.kind = RelationKind::function;
        JsonRef call;
        for (JsonRef f : JsonChildren(body["functions"])) {
            call = f.body()["items"].first_child();
            break;
        }
        if (call.node_type() == "FuncCall") {
            r.name = lower_ascii(last_name(call.body()["funcname"]));
            r.offset = abs_location(call.body());
        }
        r.alias = std::string(body["alias"]["aliasname"].str());
        q.relations.push_back(std::move(r));
        walk(body["functions"], q, scope, ClauseContext::from, false, -1, 0);
    } else if (item) {
        // RangeTableFunc (XMLTABLE) and others: a FROM item without a table name.
        Relation r;
        r.kind = RelationKind::other;
        r.alias = std::string(body["alias"]["aliasname"].str());
        const Span span = extent(item);
        r.offset = span.begin;
        q.relations.push_back(std::move(r));
    }
}

SortKey Builder::sort_key(JsonRef expr) {
    SortKey key;
    const Span span = extent(expr);
    key.text = slice(span);
    key.offset = span.begin;
    const std::string_view type = expr.node_type();
    if (type == "ColumnRef") {
        ColumnRef ref = column_ref(expr.body());
        if (ref.name != "*") {
            key.column = std::move(ref);
        }
    } else if (type == "FuncCall") {
        key.is_function_call = true;
        key.function_name = lower_ascii(last_name(expr.body()["funcname"]));
    }
    return key;
}

void Builder::set_limit(JsonRef node, Query& q, bool is_offset) {
    JsonRef value = node;
    if (value.node_type() == "TypeCast") {
        value = value.body()["arg"];
    }
    const std::string_view type = value.node_type();
    const Span span = extent(node);
    if (type == "A_Const" && value.body()["isnull"].boolean()) {
        return; // LIMIT ALL / LIMIT NULL: no limit
    }
    std::optional<std::int64_t> constant;
    bool parameter = false;
    int number = 0;
    if (type == "A_Const") {
        std::string text = slice(extent(value));
        std::erase_if(text, [](char c) { return c == '_' || c == ' ' || c == '+'; });
        constant = parse_int(text);
    } else if (type == "ParamRef") {
        parameter = true;
        number = static_cast<int>(value.body()["number"].integer(0));
    }
    if (is_offset) {
        q.has_offset = true;
        q.offset_value = constant;
        q.offset_is_parameter = parameter;
        q.offset_parameter = number;
        q.offset_offset = span.begin;
    } else {
        q.has_limit = true;
        q.limit_value = constant;
        q.limit_is_parameter = parameter;
        q.limit_parameter = number;
    }
}

void Builder::build_with(JsonRef with, Query& q, Scope& scope) {
    q.recursive_with = with["recursive"].boolean();
    for (JsonRef cte : JsonChildren(with["ctes"])) {
        const JsonRef body = cte.body();
        std::string name(body["ctename"].str());
        scope.ctes.push_back(name);
        q.cte_names.push_back(std::move(name));
        // `name [(cols)] AS [NOT] [MATERIALIZED] (query)`: the query's parenthesis follows.
        int i = token_index(abs_location(body)) + 1;
        if (is_punct(i, '(')) {
            i = group_close(i) + 1;
        }
        Span span;
        if (i < token_count()) {
            span = inner_group(tok(i).begin);
        }
        const JsonRef query = body["ctequery"];
        q.cte_materialized.push_back(body["ctematerialized"].str() == "CTEMaterializeAlways");
        q.cte_queries.push_back(static_cast<int>(q.subqueries.size()));
        if (query.node_type() == "SelectStmt") {
            build_subquery(query.body(), q, scope, ClauseContext::other, span);
        } else {
            // A data-modifying CTE (WITH x AS (DELETE ... RETURNING ...)).
            Query sub;
            sub.span = span;
            Statement inner = Builder(m_text, m_base, m_span, m_tokens, m_tables, m_cache).build(query);
            sub = std::move(inner.query);
            sub.span = span;
            q.subqueries.push_back(std::move(sub));
        }
    }
}

void Builder::flatten_set_operation(JsonRef body, Query& q, const Scope& scope) {
    // `a UNION b UNION ALL c` nests as ((a UNION b) UNION ALL c); the model lists the
    // branches a, b, c and the operations between them, in source order, when the inner
    // operation carries no ORDER BY / LIMIT / WITH of its own.
    const std::string_view op = body["op"].str();
    if (op == "SETOP_NONE") {
        Query branch;
        branch.context = ClauseContext::other;
        const SubtreeExtent e = subtree(body, 0);
        const int begin = e.begin;
        const int end = e.end;
        if (end >= 0) {
            // Back up to the SELECT / VALUES / TABLE keyword that opens the branch.
            int i = token_index(begin);
            int j = i - 1;
            while (j >= 0 && !is_word(j, "union") && !is_word(j, "intersect") &&
                   !is_word(j, "except") && !is_punct(j, '(') && tok(j).begin >= m_span.begin) {
                if (is_word(j, "select") || is_word(j, "values") || is_word(j, "table")) {
                    i = j;
                }
                --j;
            }
            branch.span = balance(tok(std::min(i, token_count() - 1)).begin, end);
        }
        build_select(body, branch, &scope);
        q.subqueries.push_back(std::move(branch));
        return;
    }
    const JsonRef larg = body["larg"];
    const bool flatten_left = larg["op"].str() != "SETOP_NONE" && !larg["sortClause"] &&
                              !larg["limitCount"] && !larg["limitOffset"] && !larg["withClause"];
    if (flatten_left) {
        flatten_set_operation(larg, q, scope);
    } else if (larg["op"].str() != "SETOP_NONE") {
        Query branch;
        build_select(larg, branch, &scope);
        q.subqueries.push_back(std::move(branch));
    } else {
        flatten_set_operation(larg, q, scope);
    }
    SetOperation set_op;
    set_op.op = op == "SETOP_UNION"       ? SetOperation::Op::union_
                : op == "SETOP_INTERSECT" ? SetOperation::Op::intersect
                                          : SetOperation::Op::except;
    set_op.all = body["all"].boolean();
    // The keyword sits between the end of the left branch and the right branch.
    {
        const SubtreeExtent e = subtree(body["rarg"], 0);
        int j = e.end >= 0 ? token_index(e.begin) - 1 : -1;
        while (j >= 0 && !is_word(j, "union") && !is_word(j, "intersect") && !is_word(j, "except")) {
            --j;
        }
        set_op.offset = j >= 0 ? tok(j).begin : -1;
    }
    q.set_operations.push_back(set_op);
    const JsonRef rarg = body["rarg"];
    if (rarg["op"].str() != "SETOP_NONE") {
        Query branch;
        build_select(rarg, branch, &scope);
        q.subqueries.push_back(std::move(branch));
    } else {
        flatten_set_operation(rarg, q, scope);
    }
}

void Builder::build_select(JsonRef body, Query& q, const Scope* parent) {
    // One pass over the SelectStmt's members instead of a lookup per clause.
    struct Clauses {
        JsonRef with, op, from, distinct, targets, where, group, having, sort, limit, offset, values;
    } c;
    for (JsonRef member : JsonChildren(body)) {
        const std::string_view key = member.key();
        if (key == "withClause") c.with = member;
        else if (key == "op") c.op = member;
        else if (key == "fromClause") c.from = member;
        else if (key == "distinctClause") c.distinct = member;
        else if (key == "targetList") c.targets = member;
        else if (key == "whereClause") c.where = member;
        else if (key == "groupClause") c.group = member;
        else if (key == "havingClause") c.having = member;
        else if (key == "sortClause") c.sort = member;
        else if (key == "limitCount") c.limit = member;
        else if (key == "limitOffset") c.offset = member;
        else if (key == "valuesLists") c.values = member;
    }
    Scope scope;
    scope.parent = parent;
    if (const JsonRef with = c.with) {
        build_with(with, q, scope);
    }
    if (c.op.str() != "SETOP_NONE" && c.op) {
        flatten_set_operation(body, q, scope);
    }
    for (JsonRef item : JsonChildren(c.from)) {
        add_from_item(item, q, scope);
    }
    if (!q.relations.empty()) {
        int first = q.relations.front().offset;
        if (first >= 0) {
            int i = token_index(first);
            while (i >= 0 && !is_word(i, "from")) {
                --i;
            }
            q.from_offset = i >= 0 ? tok(i).begin : first;
        }
    }
    q.has_distinct = static_cast<bool>(c.distinct);
    // Plain DISTINCT is a list of one empty node; DISTINCT ON lists its expressions.
    for (JsonRef item : JsonChildren(c.distinct)) {
        q.has_distinct_on = q.has_distinct_on || !item.node_type().empty();
    }
    for (JsonRef target : JsonChildren(c.targets)) {
        const JsonRef rt = target.body();
        const JsonRef val = rt["val"];
        TargetEntry entry;
        entry.alias = std::string(rt["name"].str());
        entry.span = extent(val);
        entry.text = slice(entry.span);
        entry.offset = entry.span.valid() ? entry.span.begin : abs_location(rt);
        const std::string_view type = val.node_type();
        if (type == "ColumnRef") {
            ColumnRef ref = column_ref(val.body());
            if (ref.name == "*") {
                entry.is_star = true;
                entry.star_qualifier = ref.qualifier;
            } else {
                entry.column = std::move(ref);
            }
        } else if (type == "FuncCall") {
            entry.function_name = lower_ascii(last_name(val.body()["funcname"]));
            entry.is_aggregate = is_aggregate_call(val.body());
        }
        q.targets.push_back(std::move(entry));
        walk(val, q, scope, ClauseContext::select_list, false, -1, 0);
    }
    if (const JsonRef where = c.where) {
        q.has_where = true;
        q.where_offset = extent(where).begin;
        bool has_or = false;
        collect_predicates(where, q, q.predicates, scope, false, false, ClauseContext::where,
                           &has_or, 0);
        q.where_has_or = has_or;
        walk(where, q, scope, ClauseContext::where, false, -1, 0);
    }
    for (JsonRef group : JsonChildren(c.group)) {
        q.group_by.push_back(sort_key(group));
        walk(group, q, scope, ClauseContext::group_by, false, -1, 0);
    }
    if (const JsonRef having = c.having) {
        collect_predicates(having, q, q.having, scope, false, false, ClauseContext::having, nullptr, 0);
        walk(having, q, scope, ClauseContext::having, false, -1, 0);
    }
    for (JsonRef sort : JsonChildren(c.sort)) {
        const JsonRef sb = sort.body();
        SortKey key = sort_key(sb["node"]);
        key.descending = sb["sortby_dir"].str() == "SORTBY_DESC";
        key.using_operator = sb["sortby_dir"].str() == "SORTBY_USING";
        const std::string_view nulls = sb["sortby_nulls"].str();
        if (nulls == "SORTBY_NULLS_FIRST") {
            key.nulls_first = true;
        } else if (nulls == "SORTBY_NULLS_LAST") {
            key.nulls_first = false;
        }
        q.order_by.push_back(std::move(key));
        walk(sb["node"], q, scope, ClauseContext::order_by, false, -1, 0);
    }
    if (const JsonRef limit = c.limit) {
        set_limit(limit, q, false);
        walk(limit, q, scope, ClauseContext::other, false, -1, 0);
    }
    if (const JsonRef offset = c.offset) {
        set_limit(offset, q, true);
        walk(offset, q, scope, ClauseContext::other, false, -1, 0);
    }
    if (const JsonRef values = c.values) {
        walk(values, q, scope, ClauseContext::other, false, -1, 0);
    }
    resolve(q);
}

void Builder::resolve(Query& q) {
    auto fix = [&q](ColumnRef& ref) {
        if (ref.name.empty()) {
            return;
        }
        if (ref.qualifier.empty()) {
            ref.relation = q.relations.size() == 1 ? 0 : -1;
            return;
        }
        std::string_view table = ref.qualifier;
        if (const auto dot = table.rfind('.'); dot != std::string_view::npos) {
            table = table.substr(dot + 1);
        }
        int found = -1;
        for (std::size_t i = 0; i < q.relations.size(); ++i) {
            if (q.relations[i].ref_name() == table) {
                if (found >= 0) {
                    found = -1;
                    break;
                }
                found = static_cast<int>(i);
            }
        }
        ref.relation = found;
    };
    for (auto& p : q.predicates) {
        fix(p.column);
        if (p.operand.column) {
            fix(*p.operand.column);
        }
    }
    for (auto& p : q.having) {
        fix(p.column);
        if (p.operand.column) {
            fix(*p.operand.column);
        }
    }
    for (auto& j : q.join_conditions) {
        fix(j.left);
        fix(j.right);
    }
    for (auto& t : q.targets) {
        if (t.column) {
            fix(*t.column);
        }
    }
    for (auto& k : q.order_by) {
        if (k.column) {
            fix(*k.column);
        }
    }
    for (auto& k : q.group_by) {
        if (k.column) {
            fix(*k.column);
        }
    }
    for (auto& s : q.sublinks) {
        if (s.test_column) {
            fix(*s.test_column);
        }
    }
    for (auto& l : q.likes) {
        fix(l.column);
    }
}

Statement Builder::build(JsonRef stmt) {
    Statement s;
    s.span = m_span;
    s.node_type = std::string(stmt.node_type());
    const std::string_view type = s.node_type;
    const JsonRef body = stmt.body();
    s.query.span = m_span;
    Scope root;
    if (type == "SelectStmt") {
        s.kind = StatementKind::select;
        build_select(body, s.query, &root);
    } else if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt" ||
               type == "MergeStmt") {
        s.kind = type == "InsertStmt"   ? StatementKind::insert
                 : type == "UpdateStmt" ? StatementKind::update
                 : type == "DeleteStmt" ? StatementKind::delete_
                                        : StatementKind::merge;
        Query& q = s.query;
        Scope scope;
        scope.parent = &root;
        if (const JsonRef with = body["withClause"]) {
            build_with(with, q, scope);
        }
        add_relation(body["relation"], q, scope);
        if (type == "InsertStmt") {
            const JsonRef select = body["selectStmt"];
            if (select) {
                const JsonRef sel = select.body();
                if (sel["valuesLists"] && !sel["fromClause"]) {
                    walk(sel["valuesLists"], q, scope, ClauseContext::other, false, -1, 0);
                } else {
                    const SubtreeExtent e = subtree(select, 0);
                    Span span;
                    if (e.end >= 0) {
                        const int end = e.end;
                        int i = token_index(e.begin);
                        int j = i - 1;
                        while (j >= 0 && !is_punct(j, ')') && !is_word(j, "into")) {
                            if (is_word(j, "select") || is_word(j, "with") || is_word(j, "values") ||
                                is_word(j, "table")) {
                                i = j;
                            }
                            --j;
                        }
                        span = balance(tok(std::min(i, token_count() - 1)).begin, end);
                    }
                    build_subquery(sel, q, scope, ClauseContext::other, span);
                }
            }
            if (const JsonRef conflict = body["onConflictClause"]) {
                walk(conflict, q, scope, ClauseContext::other, false, -1, 0);
            }
        } else if (type == "UpdateStmt") {
            for (JsonRef item : JsonChildren(body["fromClause"])) {
                add_from_item(item, q, scope);
            }
            for (JsonRef target : JsonChildren(body["targetList"])) {
                walk(target.body()["val"], q, scope, ClauseContext::other, false, -1, 0);
            }
        } else if (type == "DeleteStmt") {
            for (JsonRef item : JsonChildren(body["usingClause"])) {
                add_from_item(item, q, scope);
            }
        } else {
            add_from_item(body["sourceRelation"], q, scope);
            if (const JsonRef on = body["joinCondition"]) {
                collect_predicates(on, q, q.predicates, scope, false, false, ClauseContext::join_on,
                                   nullptr, 0);
                walk(on, q, scope, ClauseContext::join_on, false, -1, 0);
            }
            walk(body["mergeWhenClauses"], q, scope, ClauseContext::other, false, -1, 0);
        }
        if (const JsonRef where = body["whereClause"]) {
            q.has_where = true;
            q.where_offset = extent(where).begin;
            bool has_or = false;
            collect_predicates(where, q, q.predicates, scope, false, false, ClauseContext::where,
                               &has_or, 0);
            q.where_has_or = has_or;
            walk(where, q, scope, ClauseContext::where, false, -1, 0);
        }
        for (JsonRef target : JsonChildren(body["returningList"])) {
            const JsonRef rt = target.body();
            const JsonRef val = rt["val"];
            TargetEntry entry;
            entry.alias = std::string(rt["name"].str());
            entry.span = extent(val);
            entry.text = slice(entry.span);
            entry.offset = entry.span.begin;
            if (val.node_type() == "ColumnRef") {
                ColumnRef ref = column_ref(val.body());
                if (ref.name == "*") {
                    entry.is_star = true;
                    entry.star_qualifier = ref.qualifier;
                } else {
                    entry.column = std::move(ref);
                }
            } else if (val.node_type() == "FuncCall") {
                entry.function_name = lower_ascii(last_name(val.body()["funcname"]));
            }
            q.targets.push_back(std::move(entry));
            walk(val, q, scope, ClauseContext::select_list, false, -1, 0);
        }
        resolve(q);
    } else if (type == "ExplainStmt") {
        s.kind = StatementKind::explain;
        const JsonRef inner = body["query"];
        Statement explained = Builder(m_text, m_base, m_span, m_tokens, m_tables, m_cache).build(inner);
        s.query = std::move(explained.query);
        s.query.span = m_span;
    } else if (type == "CreateStmt") {
        s.kind = StatementKind::create_table;
        const JsonRef rel = body["relation"];
        s.table_schema = std::string(rel["schemaname"].str());
        s.table_name = std::string(rel["relname"].str());
        std::vector<std::string> primary_key;
        for (JsonRef element : JsonChildren(body["tableElts"])) {
            if (element.node_type() == "Constraint") {
                if (std::optional<KeyDefinition> key = key_constraint(element.body(), {})) {
                    if (key->primary) {
                        primary_key = key->columns;
                    }
                    s.keys.push_back(std::move(*key));
                }
                continue;
            }
            if (element.node_type() != "ColumnDef") {
                continue;
            }
            const JsonRef def = element.body();
            ColumnDefinition column;
            column.name = std::string(def["colname"].str());
            column.type_name = type_text(def["typeName"]);
            for (JsonRef constraint : JsonChildren(def["constraints"])) {
                const std::string_view contype = constraint.body()["contype"].str();
                // A primary key column cannot hold NULL either.
                if (contype == "CONSTR_NOTNULL" || contype == "CONSTR_PRIMARY") {
                    column.not_null = true;
                }
                if (std::optional<KeyDefinition> key = key_constraint(constraint.body(), column.name)) {
                    s.keys.push_back(std::move(*key));
                }
            }
            s.columns.push_back(std::move(column));
        }
        for (auto& column : s.columns) {
            if (std::find(primary_key.begin(), primary_key.end(), column.name) != primary_key.end()) {
                column.not_null = true;
            }
        }
    } else if (type == "IndexStmt") {
        s.kind = StatementKind::create_index;
        IndexDefinition index;
        index.name = std::string(body["idxname"].str());
        index.schema = std::string(body["relation"]["schemaname"].str());
        index.table = std::string(body["relation"]["relname"].str());
        index.unique = body["unique"].boolean();
        index.partial = body["whereClause"].valid();
        index.method = body["accessMethod"] ? std::string(body["accessMethod"].str()) : "btree";
        for (JsonRef param : JsonChildren(body["indexParams"])) {
            const JsonRef elem = param.body();
            if (elem["name"]) {
                index.columns.emplace_back(elem["name"].str());
            } else {
                index.expressions = true;
                index.columns.push_back(slice(extent(elem["expr"])));
            }
        }
        s.table_schema = index.schema;
        s.table_name = index.table;
        s.index = std::move(index);
    } else if (type == "AlterTableStmt") {
        // pg_dump adds primary keys and unique constraints after the data, this way.
        s.kind = StatementKind::utility;
        s.table_schema = std::string(body["relation"]["schemaname"].str());
        s.table_name = std::string(body["relation"]["relname"].str());
        for (JsonRef command : JsonChildren(body["cmds"])) {
            const JsonRef cmd = command.body();
            if (cmd["subtype"].str() == "AT_AddConstraint") {
                if (std::optional<KeyDefinition> key = key_constraint(cmd["def"].body(), {})) {
                    s.keys.push_back(std::move(*key));
                }
            }
        }
    } else {
        s.kind = StatementKind::utility;
    }
    return s;
}

} // namespace

Statement build_statement(JsonRef stmt, std::string_view text, int base, Span span,
                          std::span<const Token> tokens, std::span<SubtreeExtent> cache) {
    // Reused by every statement this thread builds (build_statement is not re-entered).
    thread_local std::vector<std::int8_t> steps;
    thread_local std::vector<std::uint16_t> first_at;
    steps.resize(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        steps[i] = nesting_step(text, tokens[i]);
    }
    TokenTables tables;
    tables.steps = steps;
    if (!tokens.empty() && tokens.back().begin - tokens.front().begin < UINT16_MAX) {
        const int origin = tokens.front().begin;
        first_at.resize(static_cast<std::size_t>(tokens.back().begin - origin + 1));
        first_at[0] = 0;
        int at = 1;
        for (std::size_t i = 1; i < tokens.size(); ++i) {
            for (; at <= tokens[i].begin - origin; ++at) {
                first_at[static_cast<std::size_t>(at)] = static_cast<std::uint16_t>(i);
            }
        }
        tables.first_at = first_at;
        tables.origin = origin;
    }
    return Builder(text, base, span, tokens, tables, cache).build(stmt);
}

} // namespace dbadvise::sqlparse::detail
