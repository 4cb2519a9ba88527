// libpg_query's parse nodes into a JsonDocument, without the JSON text (pg_tree_internal.hpp).
//
// This is the one file that includes PostgreSQL's server headers (Debian:
// postgresql-server-dev-15), for the layout of the parse nodes that libpg_query 15 builds.
// Each node type below writes the members libpg_query's JSON writer (15-4.0) writes, in its
// order and with its rules: integers, booleans and absent pointers and lists are left out
// when zero, enumerations are always written by name, a node is `{"Type": {...}}` while a
// member of a fixed type (a RangeVar relation, an Alias) is the bare object, and an object's
// "location" is kept in the object's own JsonNode as JsonDocument::parse keeps it. A node of
// any other type makes parse_tree take libpg_query's JSON for that statement.
//
// libpg_query keeps CurrentMemoryContext and ErrorContext thread-local, where the server's
// headers declare plain globals: this file calls only libpg_query's exported functions
// (pg_query_raw_parse, list_make1_impl, pfree, ...), never an inline of the headers that
// would reach those variables (MemoryContextSwitchTo, palloc0fast).
#include "sqlparse/pg_tree_internal.hpp"

#include <cstdlib>
#include <string_view>
#include <vector>

#include <pg_query.h>

namespace {
// The version libpg_query writes into its JSON, before PostgreSQL's headers redefine it.
constexpr int k_libpg_query_version = PG_VERSION_NUM;
} // namespace

#undef PG_MAJORVERSION
#undef PG_VERSION
#undef PG_VERSION_NUM

extern "C" {
#include <pg_query/pg_query_internal.h>

#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "nodes/value.h"

// libpg_query's JSON writer (src/pg_query_json.h, not installed): the fallback route.
char* pg_query_nodes_to_json(const void* obj);
}

static_assert(k_libpg_query_version / 10000 == PG_VERSION_NUM / 10000,
              "libpg_query and the PostgreSQL server headers are of different major versions: "
              "their parse nodes differ (install postgresql-server-dev for libpg_query's version)");

namespace dbadvise::sqlparse::detail {

namespace {

#define DBADVISE_NAME(value) \
    case value: return #value;

const char* name_of(A_Expr_Kind v) {
    switch (v) {
        DBADVISE_NAME(AEXPR_OP) DBADVISE_NAME(AEXPR_OP_ANY) DBADVISE_NAME(AEXPR_OP_ALL)
        DBADVISE_NAME(AEXPR_DISTINCT) DBADVISE_NAME(AEXPR_NOT_DISTINCT) DBADVISE_NAME(AEXPR_NULLIF)
        DBADVISE_NAME(AEXPR_IN) DBADVISE_NAME(AEXPR_LIKE) DBADVISE_NAME(AEXPR_ILIKE)
        DBADVISE_NAME(AEXPR_SIMILAR) DBADVISE_NAME(AEXPR_BETWEEN) DBADVISE_NAME(AEXPR_NOT_BETWEEN)
        DBADVISE_NAME(AEXPR_BETWEEN_SYM) DBADVISE_NAME(AEXPR_NOT_BETWEEN_SYM)
    }
    return nullptr;
}

const char* name_of(BoolExprType v) {
    switch (v) { DBADVISE_NAME(AND_EXPR) DBADVISE_NAME(OR_EXPR) DBADVISE_NAME(NOT_EXPR) }
    return nullptr;
}

const char* name_of(SubLinkType v) {
    switch (v) {
        DBADVISE_NAME(EXISTS_SUBLINK) DBADVISE_NAME(ALL_SUBLINK) DBADVISE_NAME(ANY_SUBLINK)
        DBADVISE_NAME(ROWCOMPARE_SUBLINK) DBADVISE_NAME(EXPR_SUBLINK) DBADVISE_NAME(MULTIEXPR_SUBLINK)
        DBADVISE_NAME(ARRAY_SUBLINK) DBADVISE_NAME(CTE_SUBLINK)
    }
    return nullptr;
}

const char* name_of(JoinType v) {
    switch (v) {
        DBADVISE_NAME(JOIN_INNER) DBADVISE_NAME(JOIN_LEFT) DBADVISE_NAME(JOIN_FULL)
        DBADVISE_NAME(JOIN_RIGHT) DBADVISE_NAME(JOIN_SEMI) DBADVISE_NAME(JOIN_ANTI)
        DBADVISE_NAME(JOIN_UNIQUE_OUTER) DBADVISE_NAME(JOIN_UNIQUE_INNER)
    }
    return nullptr;
}

const char* name_of(SetOperation v) {
    switch (v) {
        DBADVISE_NAME(SETOP_NONE) DBADVISE_NAME(SETOP_UNION) DBADVISE_NAME(SETOP_INTERSECT)
        DBADVISE_NAME(SETOP_EXCEPT)
    }
    return nullptr;
}

// libpg_query reorders this enumeration (its patch 05 puts the default first), so the
// values are its own, not those of PostgreSQL's header.
const char* limit_option_name(int v) {
    switch (v) {
    case 0: return "LIMIT_OPTION_DEFAULT";
    case 1: return "LIMIT_OPTION_COUNT";
    case 2: return "LIMIT_OPTION_WITH_TIES";
    default: return nullptr;
    }
}

const char* name_of(SortByDir v) {
    switch (v) {
        DBADVISE_NAME(SORTBY_DEFAULT) DBADVISE_NAME(SORTBY_ASC) DBADVISE_NAME(SORTBY_DESC)
        DBADVISE_NAME(SORTBY_USING)
    }
    return nullptr;
}

const char* name_of(SortByNulls v) {
    switch (v) {
        DBADVISE_NAME(SORTBY_NULLS_DEFAULT) DBADVISE_NAME(SORTBY_NULLS_FIRST) DBADVISE_NAME(SORTBY_NULLS_LAST)
    }
    return nullptr;
}

const char* name_of(CoercionForm v) {
    switch (v) {
        DBADVISE_NAME(COERCE_EXPLICIT_CALL) DBADVISE_NAME(COERCE_EXPLICIT_CAST)
        DBADVISE_NAME(COERCE_IMPLICIT_CAST) DBADVISE_NAME(COERCE_SQL_SYNTAX)
    }
    return nullptr;
}

const char* name_of(OverridingKind v) {
    switch (v) {
        DBADVISE_NAME(OVERRIDING_NOT_SET) DBADVISE_NAME(OVERRIDING_USER_VALUE)
        DBADVISE_NAME(OVERRIDING_SYSTEM_VALUE)
    }
    return nullptr;
}

const char* name_of(OnConflictAction v) {
    switch (v) { DBADVISE_NAME(ONCONFLICT_NONE) DBADVISE_NAME(ONCONFLICT_NOTHING) DBADVISE_NAME(ONCONFLICT_UPDATE) }
    return nullptr;
}

const char* name_of(LockClauseStrength v) {
    switch (v) {
        DBADVISE_NAME(LCS_NONE) DBADVISE_NAME(LCS_FORKEYSHARE) DBADVISE_NAME(LCS_FORSHARE)
        DBADVISE_NAME(LCS_FORNOKEYUPDATE) DBADVISE_NAME(LCS_FORUPDATE)
    }
    return nullptr;
}

const char* name_of(LockWaitPolicy v) {
    switch (v) { DBADVISE_NAME(LockWaitBlock) DBADVISE_NAME(LockWaitSkip) DBADVISE_NAME(LockWaitError) }
    return nullptr;
}

const char* name_of(CTEMaterialize v) {
    switch (v) {
        DBADVISE_NAME(CTEMaterializeDefault) DBADVISE_NAME(CTEMaterializeAlways) DBADVISE_NAME(CTEMaterializeNever)
    }
    return nullptr;
}

const char* name_of(NullTestType v) {
    switch (v) { DBADVISE_NAME(IS_NULL) DBADVISE_NAME(IS_NOT_NULL) }
    return nullptr;
}

const char* name_of(BoolTestType v) {
    switch (v) {
        DBADVISE_NAME(IS_TRUE) DBADVISE_NAME(IS_NOT_TRUE) DBADVISE_NAME(IS_FALSE)
        DBADVISE_NAME(IS_NOT_FALSE) DBADVISE_NAME(IS_UNKNOWN) DBADVISE_NAME(IS_NOT_UNKNOWN)
    }
    return nullptr;
}

const char* name_of(MinMaxOp v) {
    switch (v) { DBADVISE_NAME(IS_GREATEST) DBADVISE_NAME(IS_LEAST) }
    return nullptr;
}

const char* name_of(SQLValueFunctionOp v) {
    switch (v) {
        DBADVISE_NAME(SVFOP_CURRENT_DATE) DBADVISE_NAME(SVFOP_CURRENT_TIME) DBADVISE_NAME(SVFOP_CURRENT_TIME_N)
        DBADVISE_NAME(SVFOP_CURRENT_TIMESTAMP) DBADVISE_NAME(SVFOP_CURRENT_TIMESTAMP_N)
        DBADVISE_NAME(SVFOP_LOCALTIME) DBADVISE_NAME(SVFOP_LOCALTIME_N) DBADVISE_NAME(SVFOP_LOCALTIMESTAMP)
        DBADVISE_NAME(SVFOP_LOCALTIMESTAMP_N) DBADVISE_NAME(SVFOP_CURRENT_ROLE) DBADVISE_NAME(SVFOP_CURRENT_USER)
        DBADVISE_NAME(SVFOP_USER) DBADVISE_NAME(SVFOP_SESSION_USER) DBADVISE_NAME(SVFOP_CURRENT_CATALOG)
        DBADVISE_NAME(SVFOP_CURRENT_SCHEMA)
    }
    return nullptr;
}

const char* name_of(GroupingSetKind v) {
    switch (v) {
        DBADVISE_NAME(GROUPING_SET_EMPTY) DBADVISE_NAME(GROUPING_SET_SIMPLE) DBADVISE_NAME(GROUPING_SET_ROLLUP)
        DBADVISE_NAME(GROUPING_SET_CUBE) DBADVISE_NAME(GROUPING_SET_SETS)
    }
    return nullptr;
}

const char* name_of(OnCommitAction v) {
    switch (v) {
        DBADVISE_NAME(ONCOMMIT_NOOP) DBADVISE_NAME(ONCOMMIT_PRESERVE_ROWS) DBADVISE_NAME(ONCOMMIT_DELETE_ROWS)
        DBADVISE_NAME(ONCOMMIT_DROP)
    }
    return nullptr;
}

#undef DBADVISE_NAME

} // namespace

// Fills a JsonDocument node by node, as JsonDocument::parse would from libpg_query's JSON.
class TreeBuilder {
public:
    // `scratch`: where a statement written through libpg_query's JSON is read before it is
    // copied in.
    TreeBuilder(JsonDocument& document, JsonDocument& scratch)
        : m_document(document), m_nodes(document.m_nodes), m_scratch(scratch) {
        m_document.clear();
    }

    // The whole parse result. A statement with a node of a type this file does not write is
    // written by libpg_query's JSON writer alone, read, and copied in, so a batch of DML with
    // one DDL statement in it pays the JSON for that statement only. False when a statement's
    // tree is nested too deep to read, as JsonDocument::parse would say of the whole JSON.
    bool build(const List* statements) {
        open({}, JsonType::object);
        number("version", k_libpg_query_version);
        open("stmts", JsonType::array);
        for (int i = 0; statements != nullptr && i < statements->length; ++i) {
            auto* raw = static_cast<RawStmt*>(statements->elements[i].ptr_value);
            const std::size_t nodes = m_nodes.size();
            const std::size_t depth = m_open.size();
            const Open array = m_open.back();
            open({}, JsonType::object);
            node("stmt", raw->stmt);
            integer("stmt_location", raw->stmt_location);
            integer("stmt_len", raw->stmt_len);
            close();
            if (!m_ok) {
                // Undo the partial statement, then take libpg_query's JSON of it.
                m_nodes.resize(nodes);
                m_open.resize(depth);
                m_open.back() = array;
                if (array.last_child < 0) {
                    m_nodes[static_cast<std::size_t>(array.index)].first_child = -1;
                } else {
                    m_nodes[static_cast<std::size_t>(array.last_child)].next = -1;
                }
                m_ok = true;
                if (!graft(raw)) {
                    return false;
                }
            }
        }
        close();
        close();
        return true;
    }

    // Statements taken through libpg_query's JSON.
    int grafted() const { return m_grafted; }

private:
    bool graft(RawStmt* raw) {
        ++m_grafted;
        List* one = list_make1(raw);
        char* json = pg_query_nodes_to_json(one);
        const bool readable = m_scratch.parse_copy(json);
        pfree(json);
        list_free(one);
        if (!readable) {
            return false;
        }
        copy(m_scratch.root()["stmts"].first_child());
        return true;
    }

    // A node of another document and everything under it, keys and strings copied.
    void copy(JsonRef from) {
        const JsonNode& source = *from.node();
        const std::string_view key = source.key_length > 0 ? m_document.keep(source.key()) : std::string_view();
        if (source.type == JsonType::object || source.type == JsonType::array) {
            open(key, source.type);
            m_nodes[static_cast<std::size_t>(m_open.back().index)].location = source.location;
            for (JsonRef child = from.first_child(); child.valid(); child = child.next()) {
                copy(child);
            }
            close();
            return;
        }
        const std::string_view text = source.type == JsonType::string ? m_document.keep(source.text()) : std::string_view();
        JsonNode& node = add(key, source.type);
        node.boolean = source.boolean;
        node.location = source.location;
        if (source.type == JsonType::number) {
            node.number = source.number;
        } else if (source.type == JsonType::string) {
            node.set_text(text);
        }
    }

    struct Open {
        std::int32_t index;
        std::int32_t last_child;
    };

    // Appends a node under the open object or array (depth as JsonDocument::parse counts it).
    JsonNode& add(std::string_view key, JsonType type) {
        if (static_cast<int>(m_open.size()) > k_max_tree_depth) {
            m_ok = false;
        }
        const auto index = static_cast<std::int32_t>(m_nodes.size());
        JsonNode& node = m_nodes.emplace_back();
        node.set_key(key);
        node.type = type;
        if (!m_open.empty()) {
            Open& parent = m_open.back();
            if (parent.last_child < 0) {
                m_nodes[static_cast<std::size_t>(parent.index)].first_child = index;
            } else {
                m_nodes[static_cast<std::size_t>(parent.last_child)].next = index;
            }
            parent.last_child = index;
        }
        return m_nodes[static_cast<std::size_t>(index)];
    }

    void open(std::string_view key, JsonType type) {
        add(key, type);
        m_open.push_back({static_cast<std::int32_t>(m_nodes.size() - 1), -1});
    }

    // As JsonDocument::parse marks a libpg_query node: one member, an upper-case key, an object.
    void close() {
        JsonNode& self = m_nodes[static_cast<std::size_t>(m_open.back().index)];
        if (self.type == JsonType::object && self.first_child >= 0) {
            const JsonNode& first = m_nodes[static_cast<std::size_t>(self.first_child)];
            self.wrapper = first.next < 0 && first.key_length > 0 && first.key_data[0] >= 'A' &&
                           first.key_data[0] <= 'Z' && first.type == JsonType::object;
        }
        m_open.pop_back();
    }

    void fail() { m_ok = false; }

    // --- members -------------------------------------------------------------------------

    void number(std::string_view key, std::int64_t value) { add(key, JsonType::number).number = value; }

    // WRITE_INT_FIELD and friends: left out when zero.
    void integer(std::string_view key, std::int64_t value) {
        if (value != 0) {
            number(key, value);
        }
    }

    // An object's "location": kept in the object's node when it reads as digits, as
    // JsonDocument::parse does, else (-1) an ordinary member.
    void location_always(int value) {
        if (value >= 0) {
            m_nodes[static_cast<std::size_t>(m_open.back().index)].location = value;
        } else {
            number("location", value);
        }
    }
    void location(int value) {
        if (value != 0) {
            location_always(value);
        }
    }

    void boolean(std::string_view key, bool value) {
        if (value) {
            add(key, JsonType::boolean).boolean = true;
        }
    }

    void string(std::string_view key, const char* value) {
        if (value != nullptr) {
            string_always(key, value);
        }
    }
    // _outToken: a NULL string is written as null.
    void string_always(std::string_view key, const char* value) {
        if (value == nullptr) {
            add(key, JsonType::null);
            return;
        }
        const std::string_view text = m_document.keep(value);
        add(key, JsonType::string).set_text(text);
    }

    void character(std::string_view key, char value) {
        if (value != 0) {
            const std::string_view text = m_document.keep(std::string_view(&value, 1));
            add(key, JsonType::string).set_text(text);
        }
    }

    // WRITE_ENUM_FIELD: always written, by name.
    void enumeration(std::string_view key, const char* name) {
        if (name == nullptr) {
            fail();
            return;
        }
        add(key, JsonType::string).set_text(name);
    }

    void list(std::string_view key, const List* value) {
        if (value == nullptr) {
            return;
        }
        open(key, JsonType::array);
        items(value);
        close();
    }

    void items(const List* value) {
        if (nodeTag(value) != T_List) {
            fail(); // integer and OID lists: not in the parse trees this file writes
            return;
        }
        for (int i = 0; i < value->length && m_ok; ++i) {
            const void* item = value->elements[i].ptr_value;
            if (item == nullptr) {
                add({}, JsonType::object);
            } else {
                node_value({}, static_cast<const Node*>(item));
            }
        }
    }

    void node(std::string_view key, const void* value) {
        if (value != nullptr) {
            node_value(key, static_cast<const Node*>(value));
        }
    }

    // WRITE_SPECIFIC_NODE_PTR_FIELD: a member of a fixed node type, the bare object.
    template <typename T, typename Body>
    void specific(std::string_view key, const T* value, Body write) {
        // Not past a failure: a chain of 60,000 UNIONs nests as deep through larg.
        if (value != nullptr && m_ok) {
            open(key, JsonType::object);
            (this->*write)(value);
            close();
        }
    }

    // `{"Type": {...}}`
    void node_value(std::string_view key, const Node* value) {
        if (!m_ok) {
            return;
        }
        open(key, JsonType::object);
        const std::string_view type = type_name(nodeTag(value));
        if (type.empty()) {
            fail();
            close();
            return;
        }
        open(type, JsonType::object);
        body(value);
        close();
        close();
    }

    // --- node types ----------------------------------------------------------------------

    static std::string_view type_name(NodeTag tag) {
        switch (tag) {
        case T_Integer: return "Integer";
        case T_Float: return "Float";
        case T_Boolean: return "Boolean";
        case T_String: return "String";
        case T_BitString: return "BitString";
        case T_List: return "List";
        case T_A_Const: return "A_Const";
        case T_A_Expr: return "A_Expr";
        case T_A_Star: return "A_Star";
        case T_A_Indices: return "A_Indices";
        case T_A_Indirection: return "A_Indirection";
        case T_A_ArrayExpr: return "A_ArrayExpr";
        case T_ColumnRef: return "ColumnRef";
        case T_ParamRef: return "ParamRef";
        case T_FuncCall: return "FuncCall";
        case T_ResTarget: return "ResTarget";
        case T_MultiAssignRef: return "MultiAssignRef";
        case T_TypeCast: return "TypeCast";
        case T_TypeName: return "TypeName";
        case T_CollateClause: return "CollateClause";
        case T_SortBy: return "SortBy";
        case T_WindowDef: return "WindowDef";
        case T_RangeVar: return "RangeVar";
        case T_RangeSubselect: return "RangeSubselect";
        case T_RangeFunction: return "RangeFunction";
        case T_JoinExpr: return "JoinExpr";
        case T_Alias: return "Alias";
        case T_BoolExpr: return "BoolExpr";
        case T_SubLink: return "SubLink";
        case T_NullTest: return "NullTest";
        case T_BooleanTest: return "BooleanTest";
        case T_CaseExpr: return "CaseExpr";
        case T_CaseWhen: return "CaseWhen";
        case T_CoalesceExpr: return "CoalesceExpr";
        case T_MinMaxExpr: return "MinMaxExpr";
        case T_SQLValueFunction: return "SQLValueFunction";
        case T_RowExpr: return "RowExpr";
        case T_SetToDefault: return "SetToDefault";
        case T_GroupingSet: return "GroupingSet";
        case T_LockingClause: return "LockingClause";
        case T_IndexElem: return "IndexElem";
        case T_InferClause: return "InferClause";
        case T_OnConflictClause: return "OnConflictClause";
        case T_WithClause: return "WithClause";
        case T_CommonTableExpr: return "CommonTableExpr";
        case T_IntoClause: return "IntoClause";
        case T_CurrentOfExpr: return "CurrentOfExpr";
        case T_SelectStmt: return "SelectStmt";
        case T_InsertStmt: return "InsertStmt";
        case T_UpdateStmt: return "UpdateStmt";
        case T_DeleteStmt: return "DeleteStmt";
        default: return {};
        }
    }

    void body(const Node* n) {
        switch (nodeTag(n)) {
        case T_Integer: integer_body(reinterpret_cast<const Integer*>(n)); break;
        case T_Float: float_body(reinterpret_cast<const Float*>(n)); break;
        case T_Boolean: boolean_body(reinterpret_cast<const Boolean*>(n)); break;
        case T_String: string_body(reinterpret_cast<const String*>(n)); break;
        case T_BitString: bit_string_body(reinterpret_cast<const BitString*>(n)); break;
        case T_List:
            open("items", JsonType::array);
            items(reinterpret_cast<const List*>(n));
            close();
            break;
        case T_A_Const: a_const(reinterpret_cast<const A_Const*>(n)); break;
        case T_A_Expr: a_expr(reinterpret_cast<const A_Expr*>(n)); break;
        case T_A_Star: break;
        case T_A_Indices: a_indices(reinterpret_cast<const A_Indices*>(n)); break;
        case T_A_Indirection: a_indirection(reinterpret_cast<const A_Indirection*>(n)); break;
        case T_A_ArrayExpr: a_array_expr(reinterpret_cast<const A_ArrayExpr*>(n)); break;
        case T_ColumnRef: column_ref(reinterpret_cast<const ColumnRef*>(n)); break;
        case T_ParamRef: param_ref(reinterpret_cast<const ParamRef*>(n)); break;
        case T_FuncCall: func_call(reinterpret_cast<const FuncCall*>(n)); break;
        case T_ResTarget: res_target(reinterpret_cast<const ResTarget*>(n)); break;
        case T_MultiAssignRef: multi_assign_ref(reinterpret_cast<const MultiAssignRef*>(n)); break;
        case T_TypeCast: type_cast(reinterpret_cast<const TypeCast*>(n)); break;
        case T_TypeName: type_name_body(reinterpret_cast<const TypeName*>(n)); break;
        case T_CollateClause: collate_clause(reinterpret_cast<const CollateClause*>(n)); break;
        case T_SortBy: sort_by(reinterpret_cast<const SortBy*>(n)); break;
        case T_WindowDef: window_def(reinterpret_cast<const WindowDef*>(n)); break;
        case T_RangeVar: range_var(reinterpret_cast<const RangeVar*>(n)); break;
        case T_RangeSubselect: range_subselect(reinterpret_cast<const RangeSubselect*>(n)); break;
        case T_RangeFunction: range_function(reinterpret_cast<const RangeFunction*>(n)); break;
        case T_JoinExpr: join_expr(reinterpret_cast<const JoinExpr*>(n)); break;
        case T_Alias: alias(reinterpret_cast<const Alias*>(n)); break;
        case T_BoolExpr: bool_expr(reinterpret_cast<const BoolExpr*>(n)); break;
        case T_SubLink: sub_link(reinterpret_cast<const SubLink*>(n)); break;
        case T_NullTest: null_test(reinterpret_cast<const NullTest*>(n)); break;
        case T_BooleanTest: boolean_test(reinterpret_cast<const BooleanTest*>(n)); break;
        case T_CaseExpr: case_expr(reinterpret_cast<const CaseExpr*>(n)); break;
        case T_CaseWhen: case_when(reinterpret_cast<const CaseWhen*>(n)); break;
        case T_CoalesceExpr: coalesce_expr(reinterpret_cast<const CoalesceExpr*>(n)); break;
        case T_MinMaxExpr: min_max_expr(reinterpret_cast<const MinMaxExpr*>(n)); break;
        case T_SQLValueFunction: sql_value_function(reinterpret_cast<const SQLValueFunction*>(n)); break;
        case T_RowExpr: row_expr(reinterpret_cast<const RowExpr*>(n)); break;
        case T_SetToDefault: set_to_default(reinterpret_cast<const SetToDefault*>(n)); break;
        case T_GroupingSet: grouping_set(reinterpret_cast<const GroupingSet*>(n)); break;
        case T_LockingClause: locking_clause(reinterpret_cast<const LockingClause*>(n)); break;
        case T_IndexElem: index_elem(reinterpret_cast<const IndexElem*>(n)); break;
        case T_InferClause: infer_clause(reinterpret_cast<const InferClause*>(n)); break;
        case T_OnConflictClause: on_conflict_clause(reinterpret_cast<const OnConflictClause*>(n)); break;
        case T_WithClause: with_clause(reinterpret_cast<const WithClause*>(n)); break;
        case T_CommonTableExpr: common_table_expr(reinterpret_cast<const CommonTableExpr*>(n)); break;
        case T_IntoClause: into_clause(reinterpret_cast<const IntoClause*>(n)); break;
        case T_CurrentOfExpr: current_of_expr(reinterpret_cast<const CurrentOfExpr*>(n)); break;
        case T_SelectStmt: select_stmt(reinterpret_cast<const SelectStmt*>(n)); break;
        case T_InsertStmt: insert_stmt(reinterpret_cast<const InsertStmt*>(n)); break;
        case T_UpdateStmt: update_stmt(reinterpret_cast<const UpdateStmt*>(n)); break;
        case T_DeleteStmt: delete_stmt(reinterpret_cast<const DeleteStmt*>(n)); break;
        default: fail(); break;
        }
    }

    // Value nodes. libpg_query 15-4.0 leaves out an Integer's ival unless it is positive.
    void integer_body(const Integer* n) {
        if (n->ival > 0) {
            number("ival", n->ival);
        }
    }
    void float_body(const Float* n) { string_always("fval", n->fval); }
    void boolean_body(const Boolean* n) { add("boolval", JsonType::boolean).boolean = n->boolval; }
    void string_body(const String* n) { string_always("sval", n->sval); }
    void bit_string_body(const BitString* n) { string_always("bsval", n->bsval); }

    // A constant holds its value inline, written as a bare object of the value's type.
    void a_const(const A_Const* n) {
        if (n->isnull) {
            add("isnull", JsonType::boolean).boolean = true;
        } else {
            switch (nodeTag(&n->val)) {
            case T_Integer:
                open("ival", JsonType::object);
                integer_body(&n->val.ival);
                close();
                break;
            case T_Float:
                open("fval", JsonType::object);
                float_body(&n->val.fval);
                close();
                break;
            case T_Boolean:
                open("boolval", JsonType::object);
                if (n->val.boolval.boolval) {
                    add("boolval", JsonType::boolean).boolean = true;
                }
                close();
                break;
            case T_String:
                open("sval", JsonType::object);
                string_body(&n->val.sval);
                close();
                break;
            case T_BitString:
                open("bsval", JsonType::object);
                bit_string_body(&n->val.bsval);
                close();
                break;
            default: fail(); return;
            }
        }
        location_always(n->location);
    }

    void a_expr(const A_Expr* n) {
        enumeration("kind", name_of(n->kind));
        list("name", n->name);
        node("lexpr", n->lexpr);
        node("rexpr", n->rexpr);
        location(n->location);
    }
    void a_indices(const A_Indices* n) {
        boolean("is_slice", n->is_slice);
        node("lidx", n->lidx);
        node("uidx", n->uidx);
    }
    void a_indirection(const A_Indirection* n) {
        node("arg", n->arg);
        list("indirection", n->indirection);
    }
    void a_array_expr(const A_ArrayExpr* n) {
        list("elements", n->elements);
        location(n->location);
    }
    void column_ref(const ColumnRef* n) {
        list("fields", n->fields);
        location(n->location);
    }
    void param_ref(const ParamRef* n) {
        integer("number", n->number);
        location(n->location);
    }
    void func_call(const FuncCall* n) {
        list("funcname", n->funcname);
        list("args", n->args);
        list("agg_order", n->agg_order);
        node("agg_filter", n->agg_filter);
        specific("over", n->over, &TreeBuilder::window_def);
        boolean("agg_within_group", n->agg_within_group);
        boolean("agg_star", n->agg_star);
        boolean("agg_distinct", n->agg_distinct);
        boolean("func_variadic", n->func_variadic);
        enumeration("funcformat", name_of(n->funcformat));
        location(n->location);
    }
    void res_target(const ResTarget* n) {
        string("name", n->name);
        list("indirection", n->indirection);
        node("val", n->val);
        location(n->location);
    }
    void multi_assign_ref(const MultiAssignRef* n) {
        node("source", n->source);
        integer("colno", n->colno);
        integer("ncolumns", n->ncolumns);
    }
    void type_cast(const TypeCast* n) {
        node("arg", n->arg);
        specific("typeName", n->typeName, &TreeBuilder::type_name_body);
        location(n->location);
    }
    void type_name_body(const TypeName* n) {
        list("names", n->names);
        integer("typeOid", n->typeOid);
        boolean("setof", n->setof);
        boolean("pct_type", n->pct_type);
        list("typmods", n->typmods);
        integer("typemod", n->typemod);
        list("arrayBounds", n->arrayBounds);
        location(n->location);
    }
    void collate_clause(const CollateClause* n) {
        node("arg", n->arg);
        list("collname", n->collname);
        location(n->location);
    }
    void sort_by(const SortBy* n) {
        node("node", n->node);
        enumeration("sortby_dir", name_of(n->sortby_dir));
        enumeration("sortby_nulls", name_of(n->sortby_nulls));
        list("useOp", n->useOp);
        location(n->location);
    }
    void window_def(const WindowDef* n) {
        string("name", n->name);
        string("refname", n->refname);
        list("partitionClause", n->partitionClause);
        list("orderClause", n->orderClause);
        integer("frameOptions", n->frameOptions);
        node("startOffset", n->startOffset);
        node("endOffset", n->endOffset);
        location(n->location);
    }
    void range_var(const RangeVar* n) {
        string("catalogname", n->catalogname);
        string("schemaname", n->schemaname);
        string("relname", n->relname);
        boolean("inh", n->inh);
        character("relpersistence", n->relpersistence);
        specific("alias", n->alias, &TreeBuilder::alias);
        location(n->location);
    }
    void range_subselect(const RangeSubselect* n) {
        boolean("lateral", n->lateral);
        node("subquery", n->subquery);
        specific("alias", n->alias, &TreeBuilder::alias);
    }
    void range_function(const RangeFunction* n) {
        boolean("lateral", n->lateral);
        boolean("ordinality", n->ordinality);
        boolean("is_rowsfrom", n->is_rowsfrom);
        list("functions", n->functions);
        specific("alias", n->alias, &TreeBuilder::alias);
        list("coldeflist", n->coldeflist);
    }
    void join_expr(const JoinExpr* n) {
        enumeration("jointype", name_of(n->jointype));
        boolean("isNatural", n->isNatural);
        node("larg", n->larg);
        node("rarg", n->rarg);
        list("usingClause", n->usingClause);
        specific("join_using_alias", n->join_using_alias, &TreeBuilder::alias);
        node("quals", n->quals);
        specific("alias", n->alias, &TreeBuilder::alias);
        integer("rtindex", n->rtindex);
    }
    void alias(const Alias* n) {
        string("aliasname", n->aliasname);
        list("colnames", n->colnames);
    }
    void bool_expr(const BoolExpr* n) {
        enumeration("boolop", name_of(n->boolop));
        list("args", n->args);
        location(n->location);
    }
    void sub_link(const SubLink* n) {
        enumeration("subLinkType", name_of(n->subLinkType));
        integer("subLinkId", n->subLinkId);
        node("testexpr", n->testexpr);
        list("operName", n->operName);
        node("subselect", n->subselect);
        location(n->location);
    }
    void null_test(const NullTest* n) {
        node("arg", n->arg);
        enumeration("nulltesttype", name_of(n->nulltesttype));
        boolean("argisrow", n->argisrow);
        location(n->location);
    }
    void boolean_test(const BooleanTest* n) {
        node("arg", n->arg);
        enumeration("booltesttype", name_of(n->booltesttype));
        location(n->location);
    }
    void case_expr(const CaseExpr* n) {
        integer("casetype", n->casetype);
        integer("casecollid", n->casecollid);
        node("arg", n->arg);
        list("args", n->args);
        node("defresult", n->defresult);
        location(n->location);
    }
    void case_when(const CaseWhen* n) {
        node("expr", n->expr);
        node("result", n->result);
        location(n->location);
    }
    void coalesce_expr(const CoalesceExpr* n) {
        integer("coalescetype", n->coalescetype);
        integer("coalescecollid", n->coalescecollid);
        list("args", n->args);
        location(n->location);
    }
    void min_max_expr(const MinMaxExpr* n) {
        integer("minmaxtype", n->minmaxtype);
        integer("minmaxcollid", n->minmaxcollid);
        integer("inputcollid", n->inputcollid);
        enumeration("op", name_of(n->op));
        list("args", n->args);
        location(n->location);
    }
    void sql_value_function(const SQLValueFunction* n) {
        enumeration("op", name_of(n->op));
        integer("type", n->type);
        integer("typmod", n->typmod);
        location(n->location);
    }
    void row_expr(const RowExpr* n) {
        list("args", n->args);
        integer("row_typeid", n->row_typeid);
        enumeration("row_format", name_of(n->row_format));
        list("colnames", n->colnames);
        location(n->location);
    }
    void set_to_default(const SetToDefault* n) {
        integer("typeId", n->typeId);
        integer("typeMod", n->typeMod);
        integer("collation", n->collation);
        location(n->location);
    }
    void grouping_set(const GroupingSet* n) {
        enumeration("kind", name_of(n->kind));
        list("content", n->content);
        location(n->location);
    }
    void locking_clause(const LockingClause* n) {
        list("lockedRels", n->lockedRels);
        enumeration("strength", name_of(n->strength));
        enumeration("waitPolicy", name_of(n->waitPolicy));
    }
    void index_elem(const IndexElem* n) {
        string("name", n->name);
        node("expr", n->expr);
        string("indexcolname", n->indexcolname);
        list("collation", n->collation);
        list("opclass", n->opclass);
        list("opclassopts", n->opclassopts);
        enumeration("ordering", name_of(n->ordering));
        enumeration("nulls_ordering", name_of(n->nulls_ordering));
    }
    void infer_clause(const InferClause* n) {
        list("indexElems", n->indexElems);
        node("whereClause", n->whereClause);
        string("conname", n->conname);
        location(n->location);
    }
    void on_conflict_clause(const OnConflictClause* n) {
        enumeration("action", name_of(n->action));
        specific("infer", n->infer, &TreeBuilder::infer_clause);
        list("targetList", n->targetList);
        node("whereClause", n->whereClause);
        location(n->location);
    }
    void with_clause(const WithClause* n) {
        list("ctes", n->ctes);
        boolean("recursive", n->recursive);
        location(n->location);
    }
    void common_table_expr(const CommonTableExpr* n) {
        string("ctename", n->ctename);
        list("aliascolnames", n->aliascolnames);
        enumeration("ctematerialized", name_of(n->ctematerialized));
        node("ctequery", n->ctequery);
        if (n->search_clause != nullptr || n->cycle_clause != nullptr) {
            fail(); // SEARCH and CYCLE clauses: left to libpg_query's writer
            return;
        }
        location(n->location);
        boolean("cterecursive", n->cterecursive);
        integer("cterefcount", n->cterefcount);
        list("ctecolnames", n->ctecolnames);
        list("ctecoltypes", n->ctecoltypes);
        list("ctecoltypmods", n->ctecoltypmods);
        list("ctecolcollations", n->ctecolcollations);
    }
    void into_clause(const IntoClause* n) {
        specific("rel", n->rel, &TreeBuilder::range_var);
        list("colNames", n->colNames);
        string("accessMethod", n->accessMethod);
        list("options", n->options);
        enumeration("onCommit", name_of(n->onCommit));
        string("tableSpaceName", n->tableSpaceName);
        node("viewQuery", n->viewQuery);
        boolean("skipData", n->skipData);
    }
    void current_of_expr(const CurrentOfExpr* n) {
        integer("cvarno", n->cvarno);
        string("cursor_name", n->cursor_name);
        integer("cursor_param", n->cursor_param);
    }
    void select_stmt(const SelectStmt* n) {
        list("distinctClause", n->distinctClause);
        specific("intoClause", n->intoClause, &TreeBuilder::into_clause);
        list("targetList", n->targetList);
        list("fromClause", n->fromClause);
        node("whereClause", n->whereClause);
        list("groupClause", n->groupClause);
        boolean("groupDistinct", n->groupDistinct);
        node("havingClause", n->havingClause);
        list("windowClause", n->windowClause);
        list("valuesLists", n->valuesLists);
        list("sortClause", n->sortClause);
        node("limitOffset", n->limitOffset);
        node("limitCount", n->limitCount);
        enumeration("limitOption", limit_option_name(static_cast<int>(n->limitOption)));
        list("lockingClause", n->lockingClause);
        specific("withClause", n->withClause, &TreeBuilder::with_clause);
        enumeration("op", name_of(n->op));
        boolean("all", n->all);
        specific("larg", n->larg, &TreeBuilder::select_stmt);
        specific("rarg", n->rarg, &TreeBuilder::select_stmt);
    }
    void insert_stmt(const InsertStmt* n) {
        specific("relation", n->relation, &TreeBuilder::range_var);
        list("cols", n->cols);
        node("selectStmt", n->selectStmt);
        specific("onConflictClause", n->onConflictClause, &TreeBuilder::on_conflict_clause);
        list("returningList", n->returningList);
        specific("withClause", n->withClause, &TreeBuilder::with_clause);
        enumeration("override", name_of(n->override));
    }
    void delete_stmt(const DeleteStmt* n) {
        specific("relation", n->relation, &TreeBuilder::range_var);
        list("usingClause", n->usingClause);
        node("whereClause", n->whereClause);
        list("returningList", n->returningList);
        specific("withClause", n->withClause, &TreeBuilder::with_clause);
    }
    void update_stmt(const UpdateStmt* n) {
        specific("relation", n->relation, &TreeBuilder::range_var);
        list("targetList", n->targetList);
        node("whereClause", n->whereClause);
        list("fromClause", n->fromClause);
        list("returningList", n->returningList);
        specific("withClause", n->withClause, &TreeBuilder::with_clause);
    }

    JsonDocument& m_document;
    std::vector<JsonNode>& m_nodes;
    JsonDocument& m_scratch;
    std::vector<Open> m_open;
    bool m_ok = true;
    int m_grafted = 0;
};

namespace {

// libpg_query's memory context for one parse, left even when building the tree throws.
class ParseContext {
public:
    ParseContext() : m_context(pg_query_enter_memory_context()) {}
    ParseContext(const ParseContext&) = delete;
    ParseContext& operator=(const ParseContext&) = delete;
    ~ParseContext() { pg_query_exit_memory_context(m_context); }

private:
    MemoryContext m_context;
};

// Both routes on one statement that uses the common node types: the direct route is taken
// only when they give the same tree (a libpg_query whose structs differ from the headers
// this file was compiled with gets its JSON used for everything instead).
bool direct_route_agrees() {
    static const bool agrees = [] {
        constexpr const char* k_probe =
            "WITH w AS (SELECT 1 AS n) SELECT a.b, count(DISTINCT c) FILTER (WHERE d), $1::int[] "
            "FROM s.t AS a LEFT JOIN w ON w.n = a.id, LATERAL (SELECT 'x' || e) f "
            "WHERE a.id IN (1, -2) AND NOT (b LIKE 'p%' OR c IS NULL) AND EXISTS (SELECT 1.5) "
            "GROUP BY 1 HAVING sum(a.b) > 0 ORDER BY a.b DESC NULLS LAST LIMIT 10 OFFSET 5 FOR UPDATE";
        JsonDocument direct;
        JsonDocument through_json;
        const ParseContext context;
        const PgQueryInternalParsetreeAndError parsed = pg_query_raw_parse(k_probe);
        std::free(parsed.stderr_buffer);
        bool same = false;
        TreeBuilder builder(direct, through_json);
        if (parsed.error != nullptr) {
            pg_query_free_error(parsed.error);
        } else if (builder.build(parsed.tree) && builder.grafted() == 0) {
            char* json = pg_query_nodes_to_json(parsed.tree);
            same = through_json.parse_copy(json) && tree_difference(direct.root(), through_json.root()).empty();
            pfree(json);
        }
        return same;
    }();
    return agrees;
}

} // namespace

TreeOutcome parse_tree(const char* sql, JsonDocument& document, TreeRoute route) {
    if (route == TreeRoute::nodes && !direct_route_agrees()) {
        route = TreeRoute::json;
    }
    TreeOutcome outcome;
    const ParseContext context;
    const PgQueryInternalParsetreeAndError parsed = pg_query_raw_parse(sql);
    std::free(parsed.stderr_buffer);
    if (parsed.error != nullptr) {
        outcome.error.emplace();
        outcome.error->message = parsed.error->message != nullptr ? parsed.error->message : "parse error";
        outcome.error->cursorpos = parsed.error->cursorpos;
        pg_query_free_error(parsed.error);
        document.clear();
    } else if (route == TreeRoute::nodes) {
        thread_local JsonDocument scratch;
        TreeBuilder builder(document, scratch);
        outcome.readable = builder.build(parsed.tree);
        outcome.route = builder.grafted() == 0 ? TreeRoute::nodes : TreeRoute::json;
    } else {
        outcome.route = TreeRoute::json;
        char* json = pg_query_nodes_to_json(parsed.tree);
        outcome.readable = document.parse_copy(json);
        pfree(json);
    }
    if (!outcome.readable) {
        document.clear(); // as JsonDocument::parse leaves a text it cannot read
    }
    return outcome;
}

} // namespace dbadvise::sqlparse::detail
