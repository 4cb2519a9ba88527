#include "sqlparse/call_inventory.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;
using sqlparse::QualifiedName;

namespace {

bool has_function(const sqlparse::CallInventory& inventory, const std::string& schema, const std::string& name) {
    return inventory.functions.contains(QualifiedName{schema, name});
}

} // namespace

TEST_CASE("call_inventory") {
    SUBCASE("functions anywhere: select list, FROM, subqueries, CTEs, window and aggregate clauses") {
        const auto inventory = sqlparse::call_inventory(
            "WITH c AS (SELECT f_cte(x) FROM t1) "
            "SELECT f_list(a), count(*) FILTER (WHERE f_filter(b)) OVER (ORDER BY f_window(c)), "
            "(SELECT f_scalar() FROM t2) FROM c, LATERAL f_from($1) AS g, "
            "ROWS FROM (f_rows1(), f_rows2()) AS r WHERE EXISTS (SELECT 1 FROM t3 WHERE f_exists(t3.y)) "
            "AND extract(year FROM now()) > 1 GROUP BY f_group(d) HAVING f_having(e) ORDER BY f_order(a)");
        REQUIRE(inventory.parsed);
        for (const char* name : {"f_cte", "f_list", "count", "f_filter", "f_window", "f_scalar", "f_from", "f_rows1",
                                 "f_rows2", "f_exists", "now", "f_group", "f_having", "f_order"}) {
            CAPTURE(name);
            CHECK(has_function(inventory, "", name));
        }
        CHECK(has_function(inventory, "pg_catalog", "extract")); // SQL syntax as a function
        CHECK(inventory.relations == std::set<QualifiedName>{{"", "t1"}, {"", "t2"}, {"", "t3"}});
        CHECK(inventory.statement_type == "SelectStmt");
        CHECK(inventory.parameters == 1);
        CHECK_FALSE(inventory.row_locks);
        CHECK_FALSE(inventory.data_modifying);
        CHECK(inventory.unknown_nodes.empty());
    }
    SUBCASE("schema-qualified names and TABLESAMPLE methods") {
        const auto inventory = sqlparse::call_inventory(
            "SELECT public.f(), \"My\".\"G\"() FROM s.t TABLESAMPLE system_rows(5)");
        CHECK(has_function(inventory, "public", "f"));
        CHECK(has_function(inventory, "My", "G"));
        CHECK(has_function(inventory, "", "system_rows"));
        CHECK(inventory.relations == std::set<QualifiedName>{{"s", "t"}});
    }
    SUBCASE("operators, explicit and implied") {
        const auto inventory = sqlparse::call_inventory(
            "SELECT a OPERATOR(myschema.===) b, c @> d, x BETWEEN 1 AND 2, y LIKE 'a%', z IN (SELECT 1) FROM t "
            "ORDER BY a USING ~<~");
        for (const QualifiedName& op : std::vector<QualifiedName>{{"myschema", "==="}, {"", "@>"}, {"", ">="},
                                                                   {"", "<="}, {"", "~~"}, {"", "="}, {"", "<"},
                                                                   {"", ">"}, {"", "~<~"}}) {
            CAPTURE(op.text());
            CHECK(inventory.operators.contains(op));
        }
    }
    SUBCASE("casts, typed literals and array element types") {
        const auto inventory = sqlparse::call_inventory(
            "SELECT $1::mytype, date '2024-01-01', CAST(x AS s.other[]), y::int FROM t");
        CHECK(inventory.types.contains({"", "mytype"}));
        CHECK(inventory.types.contains({"", "date"}));
        CHECK(inventory.types.contains({"s", "other"}));
        CHECK(inventory.types.contains({"pg_catalog", "int4"}));
    }
    SUBCASE("CTE names are not relations, in scope only") {
        const auto recursive = sqlparse::call_inventory(
            "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r");
        CHECK(recursive.relations.empty());
        // A non-recursive CTE does not see itself: `orders` inside it is the table.
        const auto shadow = sqlparse::call_inventory(
            "WITH orders AS (SELECT * FROM orders WHERE id > 5) SELECT * FROM orders, customers");
        CHECK(shadow.relations == std::set<QualifiedName>{{"", "orders"}, {"", "customers"}});
        // Outside the statement that defines it, the name is a table again.
        const auto outside = sqlparse::call_inventory(
            "SELECT (WITH x AS (SELECT 1) SELECT * FROM x), (SELECT count(*) FROM x)");
        CHECK(outside.relations == std::set<QualifiedName>{{"", "x"}});
    }
    SUBCASE("row locks, SELECT INTO and data-modifying WITH") {
        CHECK(sqlparse::call_inventory("SELECT * FROM t FOR UPDATE").row_locks);
        CHECK(sqlparse::call_inventory("SELECT * FROM (SELECT * FROM t FOR KEY SHARE) s").row_locks);
        CHECK(sqlparse::call_inventory("SELECT * FROM t UNION SELECT * FROM u FOR SHARE").row_locks);
        CHECK(sqlparse::call_inventory("SELECT * INTO copy FROM t").select_into);
        const auto deleting = sqlparse::call_inventory("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d");
        CHECK(deleting.data_modifying);
        CHECK(deleting.statement_type == "SelectStmt");
        CHECK(sqlparse::call_inventory("UPDATE t SET a = 1").statement_type == "UpdateStmt");
    }
    SUBCASE("LIMIT and OFFSET parameters") {
        const auto inventory = sqlparse::call_inventory("SELECT * FROM t LIMIT $2 OFFSET $3 + 1");
        CHECK(inventory.limit_parameters == std::set<int>{2});
        CHECK(inventory.offset_parameters == std::set<int>{3});
        CHECK(inventory.parameters == 3);
    }
    SUBCASE("attribute notation candidates") {
        const auto inventory = sqlparse::call_inventory("SELECT t.full_name, (t).other FROM people t");
        CHECK(inventory.attributes.contains("full_name"));
        CHECK(inventory.attributes.contains("other"));
    }
    SUBCASE("several statements, and text that does not parse") {
        CHECK(sqlparse::call_inventory("SELECT 1; SELECT pg_sleep(1)").statements == 2);
        const auto bad = sqlparse::call_inventory("SELECT FROM WHERE (");
        CHECK_FALSE(bad.parsed);
        CHECK_FALSE(bad.error.empty());
    }
}
