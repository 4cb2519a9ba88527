#include "sqlparse/typed_literals.hpp"

#include <doctest/doctest.h>

using dbadvise::sqlparse::rewrite_typed_parameters;

TEST_CASE("rewrite_typed_parameters") {
    SUBCASE("date and interval literals become casts") {
        const auto rewritten = rewrite_typed_parameters("SELECT * FROM t WHERE d > date $1 AND x < now() - interval $2 month");
        REQUIRE(rewritten);
        REQUIRE(*rewritten);
        CHECK(**rewritten == "SELECT * FROM t WHERE d > $1::date AND x < (now() - $2::interval month)");
    }
    SUBCASE("timestamptz in VALUES") {
        const auto rewritten = rewrite_typed_parameters("INSERT INTO o (a, b) VALUES ($1, timestamptz $2)");
        REQUIRE(rewritten);
        REQUIRE(*rewritten);
        CHECK(**rewritten == "INSERT INTO o (a, b) VALUES ($1, $2::timestamptz)");
    }
    SUBCASE("explicit casts need no repair") {
        const auto rewritten = rewrite_typed_parameters("SELECT $1::date, lower($2 || $3)");
        REQUIRE(rewritten);
        CHECK_FALSE(*rewritten);
    }
    SUBCASE("syntax error") {
        const auto rewritten = rewrite_typed_parameters("SELEC 1");
        REQUIRE_FALSE(rewritten);
        CHECK(rewritten.error().message == "syntax error at or near \"SELEC\"");
    }
}

TEST_CASE("rewrite_extract_fields") {
    using dbadvise::sqlparse::rewrite_extract_fields;
    SUBCASE("the field became a parameter: a function call the server accepts") {
        const auto rewritten =
            rewrite_extract_fields("SELECT extract($1 FROM o_orderdate) AS y, EXTRACT ( $2 /* f */ from d) FROM t", 150004);
        REQUIRE(rewritten);
        REQUIRE(*rewritten);
        CHECK(**rewritten == "SELECT pg_catalog.extract($1 , o_orderdate) AS y, pg_catalog.extract ( $2 /* f */ , d) FROM t");
    }
    SUBCASE("before PostgreSQL 14 date_part") {
        const auto rewritten = rewrite_extract_fields("SELECT extract($1 from d) FROM t", 130010);
        REQUIRE(rewritten);
        REQUIRE(*rewritten);
        CHECK(**rewritten == "SELECT pg_catalog.date_part($1 , d) FROM t");
    }
    SUBCASE("a keyword field needs nothing") {
        const auto rewritten = rewrite_extract_fields("SELECT extract(year from d) FROM t", 150004);
        REQUIRE(rewritten);
        CHECK_FALSE(*rewritten);
    }
}

TEST_CASE("repair_normalized") {
    using dbadvise::sqlparse::repair_normalized;
    CHECK(repair_normalized("SELECT extract($1 from d) FROM t WHERE d > date $2", 150004) ==
          "SELECT pg_catalog.\"extract\"($1, d) FROM t WHERE d > $2::date");
    CHECK(repair_normalized("SELECT 1", 150004) == "SELECT 1");
    // Text that does not parse comes back as it is: the server reports its own error.
    CHECK(repair_normalized("SELEC 1", 150004) == "SELEC 1");
}

TEST_CASE("rewrite_grouping_parameters") {
    using dbadvise::sqlparse::rewrite_grouping_parameters;
    SUBCASE("the select list gets back the constants its GROUP BY and ORDER BY kept") {
        const auto rewritten = rewrite_grouping_parameters(
            "select date_trunc($1, created_at), substr(name, $2, $3), count(*) from c "
            "group by date_trunc('month', created_at), substr(name, 1, -20) order by substr(name, 1, -20) limit $4");
        REQUIRE(rewritten);
        REQUIRE(*rewritten);
        CHECK(**rewritten == "select date_trunc('month', created_at), substr(name, 1, -20), count(*) from c "
                             "group by date_trunc('month', created_at), substr(name, 1, -20) "
                             "order by substr(name, 1, -20) limit $4");
    }
    SUBCASE("different expressions are left alone") {
        const auto rewritten =
            rewrite_grouping_parameters("select date_trunc($1, created_at) from c group by date_trunc('month', updated_at)");
        REQUIRE(rewritten);
        CHECK_FALSE(*rewritten);
    }
}
