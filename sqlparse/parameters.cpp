// Walks libpg_query's JSON parse tree of a normalized statement and records, for each $n, the
// operator or function it feeds and the expressions around it. Not on the lint hot path: one
// parse per workload statement that the server could not type on its own.
#include "sqlparse/parameters.hpp"
#include "util/ascii.hpp"

#include <nlohmann/json.hpp>
#include <pg_query.h>

#include <algorithm>
#include <array>
#include <memory>

namespace dbadvise::sqlparse {

namespace {

using nlohmann::json;

constexpr int k_max_depth = 400;

// What the expressions around a subtree say, passed down the walk.
struct Inherited {
    ParameterPeer context;
    std::string op;
    bool upper = false;
    std::string function;
    int argument = -1;
    std::string aggregate;
};


// {"Type": {...}} -> "Type"; empty for anything else.
std::string_view node_type(const json& node) {
    if (!node.is_object() || node.size() != 1) {
        return {};
    }
    const auto it = node.begin();
    const std::string& key = it.key();
    if (key.empty() || !std::isupper(static_cast<unsigned char>(key.front())) || !it.value().is_object()) {
        return {};
    }
    return key;
}

const json& body(const json& node) {
    return node.begin().value();
}

const json& member(const json& object, const char* key) {
    static const json k_null;
    if (!object.is_object()) {
        return k_null;
    }
    const auto it = object.find(key);
    return it == object.end() ? k_null : *it;
}

std::string string_value(const json& node) {
    return member(member(node, "String"), "sval").is_string() ? member(member(node, "String"), "sval").get<std::string>()
                                                               : std::string();
}

// The last element of a name list (`pg_catalog.extract` -> "extract").
std::string last_name(const json& names) {
    if (!names.is_array() || names.empty()) {
        return {};
    }
    return string_value(names.back());
}

// One part of a type's name as PREPARE must spell it. The names come from the statement's own
// text (a cast to a user's type), so anything but a plain lower-case word is double-quoted:
// `"OrderStatus"` keeps its case, and no name can close the type list and append SQL. A
// one-part name that is a type keyword (`"char"`, `"int"`) was quoted where it was written
// (unquoted, the grammar maps those to pg_catalog names), so it is quoted again.
std::string type_name_part(std::string_view part, bool single) {
    static constexpr std::array<std::string_view, 20> k_type_keywords = {
        "bigint", "bit", "boolean", "char", "character", "dec", "decimal", "double", "float", "int",
        "integer", "interval", "national", "nchar", "numeric", "real", "smallint", "time", "timestamp",
        "varchar"};
    const bool plain = !part.empty() && ((part[0] >= 'a' && part[0] <= 'z') || part[0] == '_') &&
                       std::all_of(part.begin(), part.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                       });
    if (plain && !(single && std::find(k_type_keywords.begin(), k_type_keywords.end(), part) !=
                                 k_type_keywords.end())) {
        return std::string(part);
    }
    std::string out = "\"";
    for (const char c : part) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

// A TypeName as the server accepts it in PREPARE: `int4`, `timestamptz`, `numeric(10,2)`,
// `text[]`, `"OrderStatus"`; the internal names libpg_query records are valid type names.
std::string type_text(const json& type_name) {
    std::string out;
    std::string last;
    const json& names = member(type_name, "names");
    for (const json& name : names) {
        const std::string part = string_value(name);
        if (part == "pg_catalog" && names.size() > 1) {
            continue;
        }
        out += (out.empty() ? "" : ".") + type_name_part(part, names.size() == 1);
        last = part;
    }
    const json& mods = member(type_name, "typmods");
    if (mods.is_array() && !mods.empty()) {
        std::string list;
        for (const json& mod : mods) {
            const json& value = member(member(mod, "A_Const"), "ival");
            if (!value.is_object()) {
                list.clear();
                break;
            }
            list += (list.empty() ? "" : ",") + std::to_string(member(value, "ival").is_number() ? member(value, "ival").get<int>() : 0);
        }
        if (!list.empty() && last != "interval") {
            out += "(" + list + ")";
        }
    }
    if (member(type_name, "arrayBounds").is_array() && !member(type_name, "arrayBounds").empty()) {
        out += "[]";
    }
    return out;
}

bool is_aggregate(std::string_view name) {
    static constexpr std::array<std::string_view, 20> k_aggregates = {
        "sum", "avg", "min", "max", "count", "stddev", "stddev_pop", "stddev_samp", "variance",
        "var_pop", "var_samp", "array_agg", "string_agg", "bool_and", "bool_or", "every",
        "bit_and", "bit_or", "json_agg", "jsonb_agg"};
    return std::find(k_aggregates.begin(), k_aggregates.end(), name) != k_aggregates.end();
}

ColumnRef column_of(const json& column_ref) {
    ColumnRef ref;
    std::string qualifier;
    std::string name;
    for (const json& field : member(column_ref, "fields")) {
        if (!name.empty()) {
            qualifier += qualifier.empty() ? name : "." + name;
        }
        name = field.contains("A_Star") ? "*" : string_value(field);
    }
    ref.qualifier = std::move(qualifier);
    ref.name = std::move(name);
    ref.offset = member(column_ref, "location").is_number() ? member(column_ref, "location").get<int>() : -1;
    return ref;
}

// The type of a function's result where it is obvious, for a peer that is a call.
std::string result_type(std::string_view function) {
    if (function == "now" || function == "statement_timestamp" || function == "transaction_timestamp" ||
        function == "clock_timestamp" || function == "to_timestamp") {
        return "timestamptz";
    }
    if (function == "count") {
        return "int8";
    }
    if (function == "lower" || function == "upper" || function == "concat" || function == "substring" ||
        function == "substr" || function == "btrim" || function == "trim" || function == "md5" ||
        function == "to_char" || function == "replace") {
        return "text";
    }
    if (function == "length" || function == "char_length" || function == "strpos" || function == "position") {
        return "int4";
    }
    if (function == "to_date") {
        return "date";
    }
    return {};
}

bool is_param(const json& node) {
    return node_type(node) == "ParamRef";
}

// `$1` or `$1::type`: the ParamRef node, else null.
const json* param_of(const json& node) {
    if (is_param(node)) {
        return &node;
    }
    if (node_type(node) == "TypeCast" && is_param(member(body(node), "arg"))) {
        return &member(body(node), "arg");
    }
    return nullptr;
}

std::string cast_of(const json& node) {
    return node_type(node) == "TypeCast" ? type_text(member(body(node), "typeName")) : std::string();
}

int param_number(const json& node) {
    const json& number = member(body(node), "number");
    return number.is_number() ? number.get<int>() : 0;
}

ParameterPeer describe(const json& node) {
    ParameterPeer peer;
    const std::string_view type = node_type(node);
    if (type.empty()) {
        return peer;
    }
    const json& b = body(node);
    if (type == "ColumnRef") {
        ColumnRef ref = column_of(b);
        if (ref.name != "*") {
            peer.kind = ParameterPeer::Kind::column;
            peer.column = std::move(ref);
        }
    } else if (type == "FuncCall" && member(b, "args").is_array() && member(b, "args").size() == 1 &&
               node_type(member(b, "args").front()) == "ColumnRef") {
        // `lower(email)`: a value compared with it is a value of the column, transformed.
        peer = describe(member(b, "args").front());
        peer.wrapper = util::ascii_lower(last_name(member(b, "funcname")));
    } else if (type == "A_Const") {
        if (member(b, "isnull").is_boolean() && member(b, "isnull").get<bool>()) {
            return peer;
        }
        peer.kind = ParameterPeer::Kind::constant;
        peer.type_name = b.contains("ival") ? "integer"
                         : b.contains("fval") ? "float"
                         : b.contains("boolval") ? "boolean"
                                                 : "string";
    } else if (type == "ParamRef") {
        peer.kind = ParameterPeer::Kind::parameter;
        peer.parameter = member(b, "number").is_number() ? member(b, "number").get<int>() : 0;
    } else if (type == "TypeCast") {
        peer.kind = ParameterPeer::Kind::typed;
        peer.type_name = type_text(member(b, "typeName"));
        if (is_param(member(b, "arg"))) {
            peer.parameter = param_number(member(b, "arg"));
        }
    } else if (type == "FuncCall") {
        peer.kind = ParameterPeer::Kind::expression;
        peer.type_name = result_type(util::ascii_lower(last_name(member(b, "funcname"))));
    } else if (type == "SQLValueFunction") {
        peer.kind = ParameterPeer::Kind::typed;
        const std::string op = member(b, "op").is_string() ? member(b, "op").get<std::string>() : "";
        peer.type_name = op == "SVFOP_CURRENT_DATE" ? "date"
                         : op.find("TIMESTAMP") != std::string::npos ? "timestamptz"
                         : op.find("TIME") != std::string::npos ? "timetz"
                                                                : "text";
    } else {
        peer.kind = ParameterPeer::Kind::expression;
    }
    return peer;
}

int location_of(const json& node) {
    const json& location = member(body(node), "location");
    return location.is_number() ? location.get<int>() : -1;
}

bool is_comparison(std::string_view kind, std::string_view op) {
    if (kind != "AEXPR_OP") {
        return kind == "AEXPR_OP_ANY" || kind == "AEXPR_OP_ALL" || kind == "AEXPR_IN" || kind == "AEXPR_LIKE" ||
               kind == "AEXPR_ILIKE" || kind == "AEXPR_SIMILAR" || kind.starts_with("AEXPR_BETWEEN") ||
               kind.starts_with("AEXPR_NOT_BETWEEN") || kind == "AEXPR_DISTINCT" ||
               kind == "AEXPR_NOT_DISTINCT" || kind == "AEXPR_NULLIF";
    }
    return op == "=" || op == "<>" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=" ||
           op == "~" || op == "~*" || op == "!~" || op == "!~*";
}

std::string comparison_name(std::string_view kind, const std::string& op) {
    if (kind == "AEXPR_IN") return "IN";
    if (kind == "AEXPR_LIKE" || kind == "AEXPR_ILIKE" || kind == "AEXPR_SIMILAR") return "LIKE";
    if (kind.starts_with("AEXPR_BETWEEN") || kind.starts_with("AEXPR_NOT_BETWEEN")) return "BETWEEN";
    if (kind == "AEXPR_OP_ANY") return op + " ANY";
    if (kind == "AEXPR_OP_ALL") return op + " ALL";
    return op;
}

class Walker {
public:
    explicit Walker(std::vector<ParameterSite>& out) : m_out(out) {}

    void walk(const json& node, const Inherited& in, int depth) {
        if (depth > k_max_depth) {
            return;
        }
        if (node.is_array()) {
            for (const json& item : node) {
                walk(item, in, depth + 1);
            }
            return;
        }
        if (!node.is_object()) {
            return;
        }
        const std::string_view type = node_type(node);
        if (type.empty()) {
            for (const auto& [key, value] : node.items()) {
                walk(value, in, depth + 1);
            }
            return;
        }
        const json& b = body(node);
        if (type == "ParamRef") {
            emit(node, ParameterSite::Kind::other, in);
        } else if (type == "A_Expr") {
            a_expr(b, in, depth);
        } else if (type == "FuncCall") {
            function(util::ascii_lower(last_name(member(b, "funcname"))), member(b, "args"), in, depth);
            walk(member(b, "agg_filter"), Inherited{}, depth + 1);
            walk(member(b, "agg_order"), Inherited{}, depth + 1);
            walk(member(b, "over"), Inherited{}, depth + 1);
        } else if (type == "CoalesceExpr") {
            function("coalesce", member(b, "args"), in, depth);
        } else if (type == "MinMaxExpr") {
            function(member(b, "op") == "IS_GREATEST" ? "greatest" : "least", member(b, "args"), in, depth);
        } else if (type == "CaseExpr") {
            case_expr(b, in, depth);
        } else if (type == "TypeCast") {
            const json& arg = member(b, "arg");
            if (is_param(arg)) {
                ParameterSite& site = emit(arg, ParameterSite::Kind::cast, in);
                site.cast_type = type_text(member(b, "typeName"));
            } else {
                Inherited typed = in;
                typed.context.kind = ParameterPeer::Kind::typed;
                typed.context.type_name = type_text(member(b, "typeName"));
                walk(arg, typed, depth + 1);
            }
        } else if (type == "SelectStmt") {
            select(b, depth);
        } else if (type == "BoolExpr" || type == "SubLink" || type == "NullTest" || type == "BooleanTest") {
            // A condition: what encloses it says nothing about the types inside.
            for (const auto& [key, value] : b.items()) {
                walk(value, Inherited{}, depth + 1);
            }
        } else {
            for (const auto& [key, value] : b.items()) {
                walk(value, in, depth + 1);
            }
        }
    }

private:
    std::vector<ParameterSite>& m_out;

    ParameterSite& emit(const json& param, ParameterSite::Kind kind, const Inherited& in) {
        ParameterSite site;
        site.number = param_number(param);
        site.kind = kind;
        site.offset = location_of(param);
        site.context = in.context;
        site.context_op = in.op;
        site.upper_bound = in.upper;
        site.context_function = in.function;
        site.context_argument = in.argument;
        site.aggregate = in.aggregate;
        m_out.push_back(std::move(site));
        return m_out.back();
    }

    // The elements of `IN (...)`, `= ANY (ARRAY[...])` and `BETWEEN a AND b`.
    static std::vector<const json*> elements(const json& side) {
        std::vector<const json*> out;
        const std::string_view type = node_type(side);
        const json* list = nullptr;
        if (type == "List") {
            list = &member(body(side), "items");
        } else if (type == "A_ArrayExpr") {
            list = &member(body(side), "elements");
        } else if (side.is_array()) {
            list = &side;
        }
        if (list && list->is_array()) {
            for (const json& item : *list) {
                out.push_back(&item);
            }
        } else if (!side.is_null()) {
            out.push_back(&side);
        }
        return out;
    }

    void a_expr(const json& b, const Inherited& in, int depth) {
        const std::string kind = member(b, "kind").is_string() ? member(b, "kind").get<std::string>() : "";
        const std::string op = last_name(member(b, "name"));
        const json& left = member(b, "lexpr");
        const json& right = member(b, "rexpr");
        if (is_comparison(kind, op)) {
            const std::string name = comparison_name(kind, op);
            const std::vector<const json*> rights = elements(right);
            // Each side is compared with the other; a list's elements with the left side.
            const ParameterPeer left_peer = describe(left);
            ParameterPeer right_peer;
            for (const json* item : rights) {
                if (!param_of(*item)) {
                    right_peer = describe(*item);
                    break;
                }
            }
            if (rights.size() == 1 && param_of(*rights.front())) {
                right_peer = describe(*rights.front());
            }
            // The left side is an upper bound for > and >=; a right side for < and <=, and the
            // second value of BETWEEN.
            const bool less = op == "<" || op == "<=";
            const bool greater = op == ">" || op == ">=";
            side(left, name, right_peer, greater, true, depth);
            for (std::size_t i = 0; i < rights.size(); ++i) {
                const bool upper = name == "BETWEEN" ? i == 1 : less;
                side(*rights[i], name, left_peer, upper, false, depth);
            }
            (void)in;
            return;
        }
        const ParameterSite::Kind site = op == "||" ? ParameterSite::Kind::concatenation : ParameterSite::Kind::arithmetic;
        for (const auto& [mine, other] : {std::pair{&left, &right}, std::pair{&right, &left}}) {
            if (mine->is_null()) {
                continue;
            }
            if (const json* param = param_of(*mine)) {
                ParameterSite& s = emit(*param, site, in);
                s.op = op;
                s.left = mine == &left;
                s.peer = describe(*other);
                s.cast_type = cast_of(*mine);
            } else {
                walk(*mine, in, depth + 1);
            }
        }
    }

    // One side of a comparison: a parameter gets a site, anything else is walked knowing what
    // it is compared with.
    void side(const json& node, const std::string& op, const ParameterPeer& peer, bool upper, bool left,
              int depth) {
        if (const json* param = param_of(node)) {
            ParameterSite& s = emit(*param, ParameterSite::Kind::comparison, Inherited{});
            s.op = op;
            s.peer = peer;
            s.left = left;
            s.upper_bound = upper;
            s.cast_type = cast_of(node);
            return;
        }
        Inherited in;
        if (peer.kind == ParameterPeer::Kind::column || peer.kind == ParameterPeer::Kind::typed ||
            peer.kind == ParameterPeer::Kind::constant) {
            in.context = peer;
            in.op = op;
            in.upper = upper;
        }
        walk(node, in, depth + 1);
    }

    void function(const std::string& name, const json& args, const Inherited& in, int depth) {
        if (!args.is_array()) {
            return;
        }
        ParameterPeer sibling;
        for (const json& arg : args) {
            if (!is_param(arg)) {
                sibling = describe(arg);
                break;
            }
        }
        Inherited inner = in;
        inner.function = name;
        if (is_aggregate(name)) {
            inner.aggregate = name;
        }
        int position = 0;
        for (const json& arg : args) {
            if (is_param(arg)) {
                ParameterSite& s = emit(arg, ParameterSite::Kind::function_argument, in);
                s.function = name;
                s.argument = position;
                s.arguments = static_cast<int>(args.size());
                s.peer = sibling;
                if (is_aggregate(name)) {
                    s.aggregate = name;
                }
            } else {
                inner.argument = position;
                walk(arg, inner, depth + 1);
            }
            ++position;
        }
    }

    void case_expr(const json& b, const Inherited& in, int depth) {
        const json& arg = member(b, "arg");
        std::vector<const json*> results;
        for (const json& when : member(b, "args")) {
            results.push_back(&member(member(when, "CaseWhen"), "result"));
        }
        if (!member(b, "defresult").is_null()) {
            results.push_back(&member(b, "defresult"));
        }
        ParameterPeer sibling;
        for (const json* result : results) {
            if (!is_param(*result) && !result->is_null()) {
                sibling = describe(*result);
                break;
            }
        }
        const ParameterPeer tested = describe(arg);
        for (const json& when : member(b, "args")) {
            const json& condition = member(member(when, "CaseWhen"), "expr");
            if (!arg.is_null() && is_param(condition)) {
                ParameterSite& s = emit(condition, ParameterSite::Kind::case_test, Inherited{});
                s.peer = tested;
                s.op = "=";
            } else if (!arg.is_null()) {
                Inherited compared;
                compared.context = tested;
                compared.op = "=";
                walk(condition, compared, depth + 1);
            } else {
                walk(condition, Inherited{}, depth + 1);
            }
        }
        if (!arg.is_null() && !is_param(arg)) {
            walk(arg, Inherited{}, depth + 1);
        }
        for (const json* result : results) {
            if (is_param(*result)) {
                ParameterSite& s = emit(*result, ParameterSite::Kind::case_result, in);
                s.peer = sibling;
            } else {
                walk(*result, in, depth + 1);
            }
        }
    }

    void select(const json& b, int depth) {
        for (const auto& [key, value] : b.items()) {
            if ((key == "limitCount" || key == "limitOffset") && is_param(value)) {
                emit(value, key == "limitCount" ? ParameterSite::Kind::limit : ParameterSite::Kind::offset, Inherited{});
                continue;
            }
            walk(value, Inherited{}, depth + 1);
        }
    }
};

} // namespace

std::vector<ParameterSite> parameter_sites(std::string_view sql) {
    const std::string text(sql);
    PgQueryParseResult parsed = pg_query_parse(text.c_str());
    const std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
        &parsed, [](PgQueryParseResult* r) { pg_query_free_parse_result(*r); });
    std::vector<ParameterSite> out;
    if (parsed.error) {
        return out;
    }
    const json tree = json::parse(parsed.parse_tree, nullptr, false);
    if (tree.is_discarded()) {
        return out;
    }
    Walker walker(out);
    walker.walk(member(tree, "stmts"), Inherited{}, 0);
    return out;
}

} // namespace dbadvise::sqlparse
