#include "db/plan_safety.hpp"
#include "db/workload_reader.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace dbadvise::db;

TEST_CASE("statements_sql") {
    SUBCASE("PostgreSQL 13+ names and toplevel (14+)") {
        const std::vector<std::string> columns = {
            "userid", "dbid", "toplevel", "queryid", "query", "calls", "total_exec_time",
            "mean_exec_time", "rows", "shared_blks_hit", "shared_blks_read", "temp_blks_read",
            "temp_blks_written", "total_plan_time"};
        const auto sql = statements_sql("public", columns);
        REQUIRE(sql.has_value());
        CHECK(sql->starts_with("SELECT s.* FROM public.pg_stat_statements s "));
        CHECK(sql->find("s.mean_exec_time >= $2::float8") != std::string::npos);
        CHECK(sql->find("ORDER BY s.total_exec_time DESC, s.queryid, s.userid, s.toplevel DESC "
                        "LIMIT $3::bigint") != std::string::npos);
        CHECK(sql->find("current_database()") != std::string::npos);
    }
    SUBCASE("before 13: total_time, no toplevel") {
        const std::vector<std::string> columns = {
            "userid", "dbid", "queryid", "query", "calls", "total_time", "mean_time", "rows",
            "shared_blks_hit", "shared_blks_read", "temp_blks_read", "temp_blks_written"};
        const auto sql = statements_sql("\"Stats\"", columns);
        REQUIRE(sql.has_value());
        CHECK(sql->find("s.mean_time >= $2::float8") != std::string::npos);
        CHECK(sql->find("ORDER BY s.total_time DESC, s.queryid, s.userid LIMIT") != std::string::npos);
        CHECK(sql->find("toplevel") == std::string::npos);
        CHECK(sql->find("FROM \"Stats\".pg_stat_statements s") != std::string::npos);
    }
    SUBCASE("a required column is missing") {
        const std::vector<std::string> columns = {"queryid", "query", "total_exec_time",
                                                  "mean_exec_time", "rows"};
        const auto sql = statements_sql("public", columns);
        REQUIRE_FALSE(sql.has_value());
        CHECK(sql.error() ==
              "pg_stat_statements has no column calls: this version of the extension is "
              "not supported (update it with ALTER EXTENSION pg_stat_statements UPDATE)");
    }
}

TEST_CASE("parse_array_literal") {
    SUBCASE("plain, quoted and escaped elements") {
        CHECK(parse_array_literal("{delivered,shipped}") ==
              std::vector<std::string>{"delivered", "shipped"});
        CHECK(parse_array_literal(R"({"a,b","say \"hi\"",c\d})") ==
              std::vector<std::string>{"a,b", "say \"hi\"", "c\\d"});
        CHECK(parse_array_literal(R"({"2025-01-01 00:00:00+00","2025-06-01 00:00:00+00"})") ==
              std::vector<std::string>{"2025-01-01 00:00:00+00", "2025-06-01 00:00:00+00"});
    }
    SUBCASE("NULL and nested arrays") {
        CHECK(parse_array_literal("{1,NULL,3}") == std::vector<std::string>{"1", "NULL", "3"});
        CHECK(parse_array_literal(R"({{1,2},{3,"}"}})") ==
              std::vector<std::string>{"{1,2}", R"({3,"}"})"});
    }
    SUBCASE("empty and malformed input") {
        CHECK(parse_array_literal("{}").empty());
        CHECK(parse_array_literal("").empty());
        CHECK(parse_array_literal("not an array").empty());
        CHECK(parse_array_literal(R"({"unterminated})") == std::vector<std::string>{"unterminated"});
    }
}

TEST_CASE("identifiers_in") {
    SUBCASE("bare words are lower-cased, quoted names keep their text") {
        const auto words = identifiers_in(
            R"(SELECT "Id" FROM Shop."Order Items" oi WHERE oi.order_id = $1 AND x = 'orders')");
        CHECK(words == std::vector<std::string>{"and", "from", "id", "oi", "order items",
                                                "order_id", "select", "shop", "where", "x"});
    }
    SUBCASE("string literals are skipped, doubled quotes handled") {
        const auto words = identifiers_in(R"(SELECT 'it''s customers' AS "a""b")");
        CHECK(words == std::vector<std::string>{"a\"b", "as", "select"});
    }
}

TEST_CASE("names_in_body: nothing in a function body hides a name") {
    SUBCASE("words in comments and strings count, so an apostrophe in a comment hides nothing") {
        const auto body = names_in_body("BEGIN\n -- it's a lookup\n PERFORM evil();\n -- that's all\n RETURN 1; END");
        CHECK(body.names.contains("evil"));
        CHECK(body.names.contains("perform"));
        CHECK_FALSE(body.unicode_escapes);
    }
    SUBCASE("an E'\\'' string does not swallow what follows") {
        CHECK(names_in_body(R"(SELECT E'\'' IS NOT NULL AND evil('x') AND '' = '')").names.contains("evil"));
    }
    SUBCASE("quoted names keep their case, bare words are folded") {
        const auto body = names_in_body(R"(SELECT "Hidden"(), "a""b", Lower(x))");
        CHECK(body.names.contains("Hidden"));
        CHECK(body.names.contains("a\"b"));
        CHECK(body.names.contains("lower"));
        CHECK_FALSE(body.names.contains("Lower"));
    }
    SUBCASE("U& names are flagged: the scan does not decode their escapes") {
        CHECK(names_in_body(R"(SELECT U&"\0048idden"())").unicode_escapes);
        CHECK(names_in_body(R"(SELECT u&"x")").unicode_escapes);
        CHECK_FALSE(names_in_body(R"(SELECT a & "x")").unicode_escapes);
    }
}
