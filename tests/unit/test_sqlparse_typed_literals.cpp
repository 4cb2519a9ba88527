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
