#include "analyzer/schema.hpp"
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;

TEST_CASE("Schema::add_statements") {
    analyzer::Schema schema;
    schema.add_statements(sqlparse::parse_script(
        "CREATE TABLE public.orders (id bigint, customer_id bigint, code text UNIQUE, note text,\n"
        "  UNIQUE (customer_id, note));\n"
        "ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);\n"
        "CREATE UNIQUE INDEX orders_customer_code ON orders (customer_id, code);\n"
        "CREATE UNIQUE INDEX orders_lower_note ON orders (lower(note));\n"
        "CREATE UNIQUE INDEX orders_open ON orders (note) WHERE note IS NOT NULL;\n"
        "CREATE TABLE items (order_id bigint NOT NULL, line int NOT NULL, PRIMARY KEY (order_id, line));\n"
        "ALTER TABLE missing ADD PRIMARY KEY (x);"));
    const analyzer::TableInfo* orders = schema.find("", "orders");
    REQUIRE(orders != nullptr);
    SUBCASE("keys from CREATE TABLE, ALTER TABLE and unique indexes on plain columns") {
        CHECK(orders->unique_keys == std::vector<std::vector<std::string>>{
                                         {"id"}, {"code"}, {"customer_id", "note"},
                                         {"customer_id", "code"}});
    }
    SUBCASE("a primary key makes its columns NOT NULL; the row key is the first NOT NULL key") {
        REQUIRE(orders->column("id") != nullptr);
        CHECK(orders->column("id")->not_null);
        CHECK_FALSE(orders->column("code")->not_null);
        REQUIRE(orders->row_key() != nullptr);
        CHECK(*orders->row_key() == std::vector<std::string>{"id"});
        const analyzer::TableInfo* items = schema.find("public", "items");
        REQUIRE(items != nullptr);
        CHECK(*items->row_key() == std::vector<std::string>{"order_id", "line"});
    }
    SUBCASE("a table without a NOT NULL unique key has no row key") {
        analyzer::Schema other;
        other.add_statements(sqlparse::parse_script("CREATE TABLE t (a int UNIQUE, b int);"));
        CHECK(other.find("", "t")->row_key() == nullptr);
    }
}
