// The walk behind call_inventory(). libpg_query's JSON wraps a node held through a `Node *`
// field as {"TypeName": {...fields...}}; a field of a concrete struct type (typeName, alias,
// withClause, larg/rarg, over, ...) holds the fields bare. So the walk recurses into every
// value, treats an upper-case key as a node type (checked against the nodes it knows) and
// recognises the few fields it needs by their names, wherever they sit.
#include "sqlparse/call_inventory.hpp"

#include <nlohmann/json.hpp>
#include <pg_query.h>

#include <algorithm>
#include <cctype>

namespace dbadvise::sqlparse {

namespace {

using nlohmann::json;

// Nodes that appear in SELECT statements and do nothing by themselves beyond what the walk
// records from their fields (function calls, operators, casts, relations).
const std::set<std::string, std::less<>> k_known_nodes = {
    "A_ArrayExpr", "A_Const", "A_Expr", "A_Indices", "A_Indirection", "A_Star", "Alias",
    "BitString", "BoolExpr", "Boolean", "BooleanTest", "CTECycleClause", "CTESearchClause",
    "CaseExpr", "CaseWhen", "CoalesceExpr", "CollateClause", "ColumnRef", "CommonTableExpr",
    "Float", "FuncCall", "GroupingFunc", "GroupingSet", "Integer", "IntoClause", "JoinExpr",
    "List", "LockingClause", "MinMaxExpr", "MultiAssignRef", "NamedArgExpr", "NullTest",
    "ParamRef", "RangeFunction", "RangeSubselect", "RangeTableFunc", "RangeTableFuncCol",
    "RangeTableSample", "RangeVar", "RawStmt", "ResTarget", "RowExpr", "SQLValueFunction",
    "SelectStmt", "SortBy", "String", "SubLink", "TypeCast", "TypeName", "WindowDef",
    "WithClause", "XmlExpr", "XmlSerialize",
    // Data-modifying statements are known, and flagged.
    "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "MergeWhenClause", "OnConflictClause",
    "InferClause", "IndexElem", "SetToDefault"};

bool is_node_key(std::string_view key) {
    return !key.empty() && std::isupper(static_cast<unsigned char>(key.front())) != 0;
}

// A name list [{"String":{"sval":"pg_catalog"}}, {"String":{"sval":"f"}}].
QualifiedName name_of(const json& list) {
    std::vector<std::string> parts;
    if (list.is_array()) {
        for (const json& item : list) {
            if (item.is_object() && item.contains("String")) {
                parts.push_back(item["String"].value("sval", std::string()));
            }
        }
    }
    QualifiedName name;
    if (!parts.empty()) {
        name.name = parts.back();
    }
    if (parts.size() >= 2) {
        name.schema = parts[parts.size() - 2];
    }
    return name;
}

class Walker {
public:
    explicit Walker(CallInventory& out) : m_out(out) {}

    void visit(const json& value) {
        if (value.is_array()) {
            for (const json& item : value) {
                visit(item);
            }
        } else if (value.is_object()) {
            visit_object(value);
        }
    }

private:
    void visit_object(const json& object) {
        if (object.size() == 1 && is_node_key(object.begin().key())) {
            node(object.begin().key(), object.begin().value());
            return;
        }
        fields(object);
    }

    // The fields of a node body or bare struct.
    void fields(const json& object) {
        if (!object.is_object()) {
            return;
        }
        if (const auto with = object.find("withClause"); with != object.end() && with->is_object()) {
            with_scope(object, *with);
            return;
        }
        plain_fields(object);
    }

    void plain_fields(const json& object, const json* skip = nullptr) {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (skip != nullptr && &it.value() == skip) {
                continue;
            }
            const std::string& key = it.key();
            if (key == "lockingClause" && it->is_array() && !it->empty()) {
                m_out.row_locks = true;
            } else if (key == "intoClause" && !it->is_null()) {
                m_out.select_into = true;
            } else if (key == "limitCount") {
                params_in(*it, m_out.limit_parameters);
            } else if (key == "limitOffset") {
                params_in(*it, m_out.offset_parameters);
            }
            if (is_node_key(key)) {
                node(key, *it);
            } else {
                visit(*it);
            }
        }
    }

    // A statement with WITH: each CTE sees the ones before it (all of them when RECURSIVE), the
    // statement sees all; a name in scope is a CTE reference, not a relation.
    void with_scope(const json& statement, const json& with) {
        const bool recursive = with.value("recursive", false);
        std::vector<std::string> names;
        const json& ctes = with.contains("ctes") ? with["ctes"] : json::array();
        for (const json& cte : ctes) {
            if (cte.is_object() && cte.contains("CommonTableExpr")) {
                names.push_back(cte["CommonTableExpr"].value("ctename", std::string()));
            }
        }
        const std::size_t depth = m_ctes.size();
        if (recursive) {
            m_ctes.insert(m_ctes.end(), names.begin(), names.end());
        }
        std::size_t index = 0;
        for (const json& cte : ctes) {
            visit(cte);
            if (!recursive && index < names.size()) {
                m_ctes.push_back(names[index]);
            }
            ++index;
        }
        plain_fields(statement, &with);
        m_ctes.resize(depth);
    }

    void params_in(const json& value, std::set<int>& into) {
        if (value.is_array()) {
            for (const json& item : value) {
                params_in(item, into);
            }
            return;
        }
        if (!value.is_object()) {
            return;
        }
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (it.key() == "ParamRef" && it->is_object()) {
                into.insert(it->value("number", 0));
            } else {
                params_in(*it, into);
            }
        }
    }

    bool is_cte(const std::string& name) const {
        return std::find(m_ctes.begin(), m_ctes.end(), name) != m_ctes.end();
    }

    void add_operator(const json& names) {
        QualifiedName op = name_of(names);
        if (!op.name.empty()) {
            m_out.operators.insert(std::move(op));
        }
    }

    void node(const std::string& type, const json& body) {
        if (!k_known_nodes.contains(type)) {
            m_out.unknown_nodes.insert(type);
        }
        if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt" || type == "MergeStmt") {
            m_out.data_modifying = true;
        } else if (type == "FuncCall" || type == "RangeTableSample") {
            QualifiedName name = name_of(body.value(type == "FuncCall" ? "funcname" : "method", json::array()));
            if (!name.name.empty()) {
                m_out.functions.insert(std::move(name));
            }
        } else if (type == "A_Expr") {
            const std::string kind = body.value("kind", std::string());
            if (kind.starts_with("AEXPR_BETWEEN") || kind.starts_with("AEXPR_NOT_BETWEEN")) {
                for (const char* op : {">=", "<=", "<", ">"}) {
                    m_out.operators.insert({"", op});
                }
            } else {
                add_operator(body.value("name", json::array()));
            }
        } else if (type == "SubLink") {
            add_operator(body.value("operName", json::array()));
        } else if (type == "SortBy") {
            add_operator(body.value("useOp", json::array()));
        } else if (type == "TypeCast" || type == "RangeTableFuncCol") {
            type_name(body.value("typeName", json::object()));
        } else if (type == "TypeName") {
            type_name(body);
        } else if (type == "RangeVar") {
            QualifiedName relation{body.value("schemaname", std::string()), body.value("relname", std::string())};
            if (!relation.name.empty() && (!relation.schema.empty() || !is_cte(relation.name))) {
                m_out.relations.insert(std::move(relation));
            }
        } else if (type == "ColumnRef") {
            attribute(body.value("fields", json::array()));
        } else if (type == "A_Indirection") {
            attribute(body.value("indirection", json::array()));
        } else if (type == "ParamRef") {
            m_out.parameters = std::max(m_out.parameters, body.value("number", 0));
        }
        fields(body);
    }

    void type_name(const json& type) {
        QualifiedName name = name_of(type.value("names", json::array()));
        if (!name.name.empty()) {
            m_out.types.insert(std::move(name));
        }
    }

    void attribute(const json& list) {
        if (!list.is_array()) {
            return;
        }
        for (const json& item : list) {
            if (item.is_object() && item.contains("String")) {
                m_out.attributes.insert(item["String"].value("sval", std::string()));
            }
        }
    }

    CallInventory& m_out;
    std::vector<std::string> m_ctes;
};

} // namespace

CallInventory call_inventory(std::string_view sql) {
    CallInventory out;
    const std::string text(sql);
    PgQueryParseResult result = pg_query_parse(text.c_str());
    if (result.error != nullptr) {
        out.error = result.error->message != nullptr ? result.error->message : "syntax error";
        pg_query_free_parse_result(result);
        return out;
    }
    const json tree = json::parse(result.parse_tree != nullptr ? result.parse_tree : "{}", nullptr, false);
    pg_query_free_parse_result(result);
    if (tree.is_discarded() || !tree.contains("stmts") || !tree["stmts"].is_array()) {
        out.error = "the parser returned no statements";
        return out;
    }
    out.parsed = true;
    out.statements = static_cast<int>(tree["stmts"].size());
    // Sorting, grouping, DISTINCT, set operations, IN lists, hash joins, CASE x WHEN and
    // GREATEST call the types' comparison operators without naming them.
    for (const char* op : {"=", "<", ">"}) {
        out.operators.insert({"", op});
    }
    Walker walker(out);
    for (const json& statement : tree["stmts"]) {
        const json& node = statement.contains("stmt") ? statement["stmt"] : json::object();
        if (out.statement_type.empty() && node.is_object() && !node.empty()) {
            out.statement_type = node.begin().key();
        }
        walker.visit(node);
    }
    return out;
}

} // namespace dbadvise::sqlparse
