#include "analyzer/sql_text.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;

TEST_CASE("mentions_identifier") {
    SUBCASE("bare words fold to lower case, quoted names keep theirs") {
        CHECK(analyzer::mentions_identifier("SELECT * FROM orders WHERE id = $1", "orders"));
        CHECK(analyzer::mentions_identifier("select * from public.ORDERS", "orders"));
        CHECK(analyzer::mentions_identifier("SELECT * FROM \"Orders\"", "Orders"));
        CHECK_FALSE(analyzer::mentions_identifier("SELECT * FROM Orders", "Orders"));
    }
    SUBCASE("whole names only") {
        CHECK_FALSE(analyzer::mentions_identifier("SELECT * FROM order_items", "orders"));
        CHECK_FALSE(analyzer::mentions_identifier("SELECT * FROM myorders", "orders"));
    }
    SUBCASE("not inside literals or comments") {
        CHECK_FALSE(analyzer::mentions_identifier("SELECT * FROM t WHERE s = 'orders'", "orders"));
        CHECK_FALSE(analyzer::mentions_identifier("SELECT $$ orders $$", "orders"));
        CHECK_FALSE(analyzer::mentions_identifier("SELECT E'\\' orders'", "orders"));
        CHECK_FALSE(analyzer::mentions_identifier("SELECT 1 -- orders", "orders"));
        CHECK_FALSE(analyzer::mentions_identifier("SELECT /* /* orders */ */ 1", "orders"));
    }
    SUBCASE("Unicode-escaped names are decoded") {
        CHECK(analyzer::mentions_identifier("SELECT * FROM U&\"\\006Frders\"", "orders"));
        CHECK(analyzer::mentions_identifier("SELECT * FROM U&\"!006Frders\" UESCAPE '!'", "orders"));
    }
}

TEST_CASE("strip_qualifier") {
    CHECK(analyzer::strip_qualifier("lower(u.email)", "u") == "lower(email)");
    CHECK(analyzer::strip_qualifier("lower(U.email)", "u") == "lower(email)");
    CHECK(analyzer::strip_qualifier("lower(\"U\".email)", "U") == "lower(email)");
    CHECK(analyzer::strip_qualifier("lower(\"U\".email)", "u") == "lower(\"U\".email)");
    CHECK(analyzer::strip_qualifier("coalesce(u.a, 'u.b')", "u") == "coalesce(a, 'u.b')");
    CHECK(analyzer::strip_qualifier("s.u.email", "u") == "s.u.email");
    CHECK(analyzer::strip_qualifier("uu.email", "u") == "uu.email");
    CHECK(analyzer::strip_qualifier("u.email", "") == "u.email");
}

TEST_CASE("parameter_numbers") {
    CHECK(analyzer::parameter_numbers("lower($3 || $1) = $12") == std::vector<int>{3, 1, 12});
    CHECK(analyzer::parameter_numbers("'$1' || $$ $2 $$ || \"$3\" -- $4") == std::vector<int>{});
    CHECK(analyzer::max_parameter("$2 + $10 + $3") == 10);
    CHECK(analyzer::max_parameter("SELECT 1") == 0);
}

TEST_CASE("single_parameter_call") {
    const auto call = analyzer::single_parameter_call(" to_timestamp ( $4 ) ");
    REQUIRE(call);
    CHECK(call->function == "to_timestamp");
    CHECK(call->parameter == 4);
    CHECK(analyzer::single_parameter_call("pg_catalog.Lower($1)")->function == "pg_catalog.lower");
    CHECK_FALSE(analyzer::single_parameter_call("lower($1 || $2)"));
    CHECK_FALSE(analyzer::single_parameter_call("$1"));
    CHECK_FALSE(analyzer::single_parameter_call("lower('$1')"));
}
