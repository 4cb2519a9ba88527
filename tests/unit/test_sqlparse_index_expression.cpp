#include "sqlparse/index_expression.hpp"

#include <doctest/doctest.h>

using dbadvise::sqlparse::index_expression;

TEST_CASE("index_expression") {
    SUBCASE("qualifiers removed, the rest as written") {
        CHECK(index_expression("lower(c.email)") == "lower(email)");
        CHECK(index_expression("coalesce(public.o.status, 'x')") == "coalesce(status, 'x')");
        CHECK(index_expression("(c.\"First Name\" || ' ' || c.last)") == "(\"First Name\" || ' ' || last)");
    }
    SUBCASE("a parameter: normalization removed its value") {
        const auto key = index_expression("substring(phone from $13 for $14)");
        REQUIRE_FALSE(key);
        CHECK(key.error() == "it holds a parameter, whose value normalization removed");
    }
    SUBCASE("no column, a subquery, not an expression") {
        CHECK(index_expression("now()").error() == "it uses no column");
        CHECK(index_expression("(SELECT max(x) FROM t)").error() == "it holds a subquery");
        CHECK(index_expression("lower(").error() == "it does not parse as an expression");
    }
    SUBCASE("columns of two tables: no index holds it") {
        CHECK(index_expression("lower(a.name || b.name)").error() == "it reads columns of more than one table");
        CHECK(index_expression("coalesce(s.t.x, t.x)").error() == "it reads columns of more than one table");
        // One table's columns, qualified or not, stay a key.
        CHECK(index_expression("lower(a.first || a.last)") == "lower(first || last)");
        CHECK(index_expression("coalesce(a.x, y)") == "coalesce(x, y)");
    }
}
