// Lint rules that report without a mechanical rewrite: positive and negative cases, on plain
// SQL and on pg_stat_statements-style text with $n parameters.
#include "rule_test_support.hpp"

using namespace dbadvise;
using dbadvise::test::contains;
using dbadvise::test::offset_of;
using dbadvise::test::run_rule;

TEST_CASE("rule missing-limit") {
    SUBCASE("ORDER BY without LIMIT") {
        const std::string sql = "SELECT id FROM orders WHERE status = 'open' ORDER BY created_at";
        const auto found = run_rule("missing-limit", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::info);
        CHECK(found[0].location->offset == offset_of(sql, "created_at"));
    }
    SUBCASE("grouped result ordered without LIMIT") {
        CHECK(run_rule("missing-limit",
                       "SELECT status, count(*) FROM orders GROUP BY status ORDER BY 2 DESC")
                  .size() == 1);
    }
    SUBCASE("silent: LIMIT n, LIMIT $1, FETCH FIRST") {
        CHECK(run_rule("missing-limit", "SELECT id FROM orders ORDER BY created_at LIMIT 10")
                  .empty());
        CHECK(run_rule("missing-limit", "SELECT id FROM orders ORDER BY created_at LIMIT $1")
                  .empty());
        CHECK(run_rule("missing-limit",
                       "SELECT id FROM orders ORDER BY created_at FETCH FIRST 5 ROWS ONLY")
                  .empty());
    }
    SUBCASE("silent: aggregate-only query, no ORDER BY, not top level") {
        CHECK(run_rule("missing-limit", "SELECT max(total) FROM orders ORDER BY 1").empty());
        CHECK(run_rule("missing-limit", "SELECT id FROM orders WHERE total > 5").empty());
        CHECK(run_rule("missing-limit",
                       "SELECT array_agg(id ORDER BY created_at) FROM orders")
                  .empty());
        CHECK(run_rule("missing-limit", "INSERT INTO archive SELECT id FROM orders ORDER BY id")
                  .empty());
    }
}

TEST_CASE("rule leading-wildcard-like") {
    SUBCASE("LIKE '%x': pg_trgm index") {
        const std::string sql = "SELECT id FROM users WHERE email LIKE '%@example.com'";
        const auto found = run_rule("leading-wildcard-like", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::warning);
        CHECK(found[0].location->offset == offset_of(sql, "LIKE"));
        CHECK(found[0].suggestion.sql ==
              "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX CONCURRENTLY "
              "users_email_trgm_idx ON users USING gin (email gin_trgm_ops);");
        CHECK(sqlparse::parses(found[0].suggestion.sql));
    }
    SUBCASE("ILIKE '%x%' on an aliased table") {
        const auto found = run_rule("leading-wildcard-like",
                                    "SELECT p.id FROM shop.products p WHERE p.name ILIKE '%lamp%'");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].suggestion.sql,
                       "ON shop.products USING gin (name gin_trgm_ops)"));
    }
    SUBCASE("a wrapped column: the trigram index is on the expression") {
        const auto found = run_rule("leading-wildcard-like",
                                    "SELECT id FROM users u WHERE lower(u.name) LIKE '%smith%'");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].suggestion.sql,
                       "users_name_trgm_idx ON users USING gin (lower(name) gin_trgm_ops);"));
        CHECK(sqlparse::parses(found[0].suggestion.sql));
    }
    SUBCASE("too short for trigrams: reported without an index") {
        const auto found =
            run_rule("leading-wildcard-like", "SELECT id FROM users WHERE name LIKE '%ab'");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql.empty());
        CHECK(contains(found[0].message, "no trigram"));
    }
    SUBCASE("silent: prefix pattern, NOT LIKE, parameter pattern, equality") {
        CHECK(run_rule("leading-wildcard-like", "SELECT id FROM users WHERE email LIKE 'ann%'")
                  .empty());
        CHECK(run_rule("leading-wildcard-like",
                       "SELECT id FROM users WHERE email NOT LIKE '%@spam.example'")
                  .empty());
        CHECK(run_rule("leading-wildcard-like", "SELECT id FROM users WHERE email LIKE $1")
                  .empty());
        CHECK(run_rule("leading-wildcard-like", "SELECT id FROM users WHERE email = '%x'")
                  .empty());
    }
}

TEST_CASE("rule cartesian-product") {
    SUBCASE("comma join without a condition") {
        const std::string sql =
            "SELECT o.id, c.name FROM orders o, customers c WHERE o.total > 100";
        const auto found = run_rule("cartesian-product", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::warning);
        CHECK(found[0].location->offset == offset_of(sql, "customers"));
        CHECK(contains(found[0].message, "CROSS JOIN"));
    }
    SUBCASE("three tables, one left out") {
        const std::string sql =
            "SELECT 1 FROM a, b, c WHERE a.id = b.a_id AND c.kind = 'x'";
        const auto found = run_rule("cartesian-product", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].location->offset == offset_of(sql, "c WHERE"));
    }
    SUBCASE("UPDATE ... FROM without a condition on the target") {
        CHECK(run_rule("cartesian-product", "UPDATE orders SET status = 'x' FROM customers WHERE "
                                            "customers.region = 'EU'")
                  .size() == 1);
    }
    SUBCASE("silent: joins with ON, CROSS JOIN, comma joins with a condition") {
        CHECK(run_rule("cartesian-product", "SELECT 1 FROM orders o JOIN customers c ON c.id = "
                                            "o.customer_id")
                  .empty());
        CHECK(run_rule("cartesian-product", "SELECT 1 FROM sizes CROSS JOIN colours").empty());
        CHECK(run_rule("cartesian-product",
                       "SELECT 1 FROM orders o, customers c WHERE c.id = o.customer_id")
                  .empty());
        CHECK(run_rule("cartesian-product",
                       "SELECT 1 FROM orders o, customers c WHERE o.customer_id = c.id + 0")
                  .empty());
        CHECK(run_rule("cartesian-product", "SELECT 1 FROM a JOIN b USING (id), c JOIN d ON "
                                            "d.c_id = c.id WHERE a.id = c.a_id")
                  .empty());
        // A join key wrapped in a function still connects the two tables.
        CHECK(run_rule("cartesian-product",
                       "SELECT a.id FROM a, b WHERE lower(a.x) = b.y").empty());
    }
    SUBCASE("a subquery in FROM left unconnected is named by its alias") {
        const auto found = run_rule("cartesian-product",
                                    "SELECT 1 FROM orders o, (SELECT max(total) AS m FROM orders) "
                                    "AS mx WHERE o.total > 5");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].title, "subquery mx"));
    }
    SUBCASE("silent: row comparisons and subqueries that connect, LATERAL") {
        CHECK(run_rule("cartesian-product",
                       "SELECT 1 FROM pg_class c, (SELECT oid, x FROM t) AS ta, pg_attribute a "
                       "WHERE c.oid = ta.oid AND (a.attrelid, a.attnum) = (c.oid, ta.x)")
                  .empty());
        CHECK(run_rule("cartesian-product",
                       "SELECT 1 FROM orders o, LATERAL (SELECT * FROM customers c WHERE c.id = "
                       "o.customer_id) x")
                  .empty());
        CHECK(run_rule("cartesian-product",
                       "SELECT 1 FROM a, b WHERE a.n BETWEEN 1 AND b.n")
                  .empty());
    }
    SUBCASE("silent: functions, subqueries and CTEs in FROM, a single table") {
        CHECK(run_rule("cartesian-product",
                       "SELECT 1 FROM orders o, generate_series(1, 3) g WHERE o.id = 1")
                  .empty());
        CHECK(run_rule("cartesian-product",
                       "WITH p AS (SELECT 5 AS n) SELECT 1 FROM orders, p WHERE total > p.n")
                  .empty());
        CHECK(run_rule("cartesian-product", "SELECT id FROM orders WHERE total > 5").empty());
    }
    SUBCASE("silent: VALUES lists and subqueries that read no table") {
        // Seen in sqlfluff's PostgreSQL fixtures: two VALUES lists of constants, crossed.
        CHECK(run_rule("cartesian-product",
                       "SELECT t1.column1, t2.column1 FROM (VALUES (1, 'a'), (2, 'b')) AS t1, "
                       "(VALUES (3, 'c')) AS t2")
                  .empty());
        CHECK(run_rule("cartesian-product",
                       "SELECT o.id, p.n FROM orders o, (SELECT 5 AS n) AS p WHERE o.total > 5")
                  .empty());
        // A subquery that reads a table still counts.
        CHECK(run_rule("cartesian-product",
                       "SELECT 1 FROM orders o, (SELECT id FROM customers) AS c WHERE o.total > 5")
                  .size() == 1);
    }
}

TEST_CASE("rule unfiltered-write") {
    SUBCASE("DELETE and UPDATE without WHERE") {
        const auto deleted = run_rule("unfiltered-write", "DELETE FROM sessions");
        REQUIRE(deleted.size() == 1);
        CHECK(deleted[0].severity == analyzer::Severity::error);
        CHECK(deleted[0].location->offset == 0);
        CHECK(contains(deleted[0].title, "DELETE without WHERE"));
        const auto updated =
            run_rule("unfiltered-write", "SELECT 1;\nUPDATE users SET active = false");
        REQUIRE(updated.size() == 1);
        CHECK(updated[0].location->offset == 10);
        CHECK(contains(updated[0].message, "`WHERE true`"));
    }
    SUBCASE("silent: with WHERE, TRUNCATE, INSERT, SELECT") {
        CHECK(run_rule("unfiltered-write", "DELETE FROM sessions WHERE expires_at < now()")
                  .empty());
        CHECK(run_rule("unfiltered-write", "UPDATE users SET active = false WHERE id = $1")
                  .empty());
        CHECK(run_rule("unfiltered-write", "TRUNCATE sessions").empty());
        CHECK(run_rule("unfiltered-write", "INSERT INTO t VALUES (1)").empty());
        CHECK(run_rule("unfiltered-write", "SELECT * FROM t").empty());
    }
}

TEST_CASE("rule order-by-random") {
    SUBCASE("ORDER BY random()") {
        const std::string sql = "SELECT id FROM products ORDER BY random() LIMIT 5";
        const auto found = run_rule("order-by-random", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].location->offset == offset_of(sql, "random"));
        CHECK(contains(found[0].message, "TABLESAMPLE"));
    }
    SUBCASE("silent: ordinary keys, random() elsewhere") {
        CHECK(run_rule("order-by-random", "SELECT id FROM products ORDER BY id LIMIT 5").empty());
        CHECK(run_rule("order-by-random", "SELECT id, random() FROM products").empty());
    }
}

TEST_CASE("rule count-for-existence") {
    SUBCASE("count(*) > 0 in the select list") {
        const auto found = run_rule("count-for-existence",
                                    "SELECT count(*) > 0 FROM orders WHERE customer_id = 42");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "EXISTS (SELECT 1"));
    }
    SUBCASE("(SELECT count(*) ...) > 0 in WHERE, and >= 1") {
        CHECK(run_rule("count-for-existence",
                       "SELECT id FROM customers c WHERE (SELECT count(*) FROM orders o WHERE "
                       "o.customer_id = c.id) > 0")
                  .size() == 1);
        CHECK(run_rule("count-for-existence",
                       "SELECT id FROM customers c WHERE (SELECT count(*) FROM orders o WHERE "
                       "o.customer_id = c.id) >= 1")
                  .size() == 1);
    }
    SUBCASE("count(*) = 0 asks for NOT EXISTS") {
        const auto found = run_rule("count-for-existence",
                                    "SELECT id FROM customers c WHERE (SELECT count(*) FROM orders "
                                    "o WHERE o.customer_id = c.id) = 0");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].title, "NOT EXISTS"));
    }
    SUBCASE("silent: counts used as values, per-group counts") {
        CHECK(run_rule("count-for-existence", "SELECT count(*) FROM orders").empty());
        CHECK(run_rule("count-for-existence",
                       "SELECT status FROM orders GROUP BY status HAVING count(*) > 5")
                  .empty());
        CHECK(run_rule("count-for-existence",
                       "SELECT status FROM orders GROUP BY status HAVING count(*) > 0")
                  .empty());
    }
}

TEST_CASE("rule or-across-columns") {
    SUBCASE("OR between two columns of one table") {
        const std::string sql = "SELECT id FROM users WHERE email = $1 OR phone = $2";
        const auto found = run_rule("or-across-columns", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::info);
        CHECK(found[0].location->offset == offset_of(sql, "email"));
        CHECK(contains(found[0].message, "BitmapOr"));
    }
    SUBCASE("silent: one column, AND, separate OR groups") {
        CHECK(run_rule("or-across-columns",
                       "SELECT id FROM users WHERE status = 'a' OR status = 'b'")
                  .empty());
        CHECK(run_rule("or-across-columns", "SELECT id FROM users WHERE email = $1 AND phone = $2")
                  .empty());
        CHECK(run_rule("or-across-columns",
                       "SELECT id FROM t WHERE (a = 1 OR a = 2) AND (b = 1 OR b = 2)")
                  .empty());
    }
}

TEST_CASE("rule union-vs-union-all") {
    SUBCASE("UNION") {
        const std::string sql = "SELECT email FROM customers UNION SELECT email FROM leads";
        const auto found = run_rule("union-vs-union-all", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::info);
        CHECK(contains(found[0].message, "UNION ALL"));
    }
    SUBCASE("silent: UNION ALL, INTERSECT") {
        CHECK(run_rule("union-vs-union-all",
                       "SELECT email FROM customers UNION ALL SELECT email FROM leads")
                  .empty());
        CHECK(run_rule("union-vs-union-all",
                       "SELECT email FROM customers INTERSECT SELECT email FROM leads")
                  .empty());
    }
}

TEST_CASE("rule scalar-subquery-in-select") {
    SUBCASE("correlated scalar subquery in the select list") {
        const std::string sql = "SELECT c.name, (SELECT count(*) FROM orders o WHERE "
                                "o.customer_id = c.id) AS n FROM customers c";
        const auto found = run_rule("scalar-subquery-in-select", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::warning);
        CHECK(contains(found[0].message, "LATERAL"));
        CHECK(contains(found[0].message, "`c`"));
    }
    SUBCASE("silent: uncorrelated, in WHERE, LATERAL join") {
        CHECK(run_rule("scalar-subquery-in-select",
                       "SELECT c.name, (SELECT max(total) FROM orders) FROM customers c")
                  .empty());
        CHECK(run_rule("scalar-subquery-in-select",
                       "SELECT c.name FROM customers c WHERE c.credit > (SELECT avg(total) FROM "
                       "orders o WHERE o.customer_id = c.id)")
                  .empty());
        CHECK(run_rule("scalar-subquery-in-select",
                       "SELECT c.name, s.n FROM customers c LEFT JOIN LATERAL (SELECT count(*) "
                       "AS n FROM orders o WHERE o.customer_id = c.id) s ON true")
                  .empty());
    }
}
