// Lint rules with mechanical rewrites: each rewritten statement is checked to parse and to
// read exactly as expected; every rule also has cases where it must stay silent.
#include "rule_test_support.hpp"

#include <algorithm>
#include <set>

using namespace dbadvise;
using dbadvise::test::contains;
using dbadvise::test::offset_of;
using dbadvise::test::run_rule;

TEST_CASE("lint_rules") {
    const auto rules = analyzer::lint_rules();
    REQUIRE(rules.size() == 16);
    std::set<std::string_view> ids;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const analyzer::RuleInfo& info = analyzer::rule_info(rules[i].id);
        CAPTURE(info.id);
        if (i > 0) {
            CHECK(rules[i - 1].id < rules[i].id);
        }
        ids.insert(info.id);
        CHECK(static_cast<bool>(rules[i].check));
        CHECK(info.category == analyzer::Category::rewrite);
        CHECK(info.reported_by(analyzer::Command::lint));
        CHECK(info.reported_by(analyzer::Command::analyze));
        CHECK_FALSE(info.reported_by(analyzer::Command::explain));
    }
    CHECK(ids == std::set<std::string_view>{
                     "cartesian-product", "count-for-existence", "deep-offset", "in-subquery",
                     "leading-wildcard-like", "long-in-list", "missing-limit",
                     "non-sargable-predicate", "not-in-subquery", "null-comparison",
                     "or-across-columns", "order-by-random", "scalar-subquery-in-select",
                     "select-star", "unfiltered-write", "union-vs-union-all"});
    CHECK(analyzer::rule_info(analyzer::RuleId::unfiltered_write).severity == analyzer::Severity::error);
    CHECK(analyzer::rule_info(analyzer::RuleId::null_comparison).severity == analyzer::Severity::error);
    CHECK(analyzer::rule_info(analyzer::RuleId::not_in_subquery).severity == analyzer::Severity::warning);
    CHECK(analyzer::rule_info(analyzer::RuleId::union_vs_union_all).severity == analyzer::Severity::info);
}

TEST_CASE("rule in-subquery") {
    SUBCASE("qualified outer column: rewritten to a correlated EXISTS") {
        const std::string sql = "SELECT id FROM customers c WHERE c.id IN "
                                "(SELECT customer_id FROM orders WHERE total > 100)";
        const auto found = run_rule("in-subquery", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::info);
        CHECK(found[0].location->offset == offset_of(sql, "IN ("));
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders WHERE total > 100 "
              "AND customer_id = c.id)");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("unqualified outer column is qualified so the subquery cannot capture it") {
        const std::string sql =
            "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders)";
        const auto found = run_rule("in-subquery", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT name FROM customers WHERE EXISTS (SELECT 1 FROM orders WHERE customer_id "
              "= customers.id)");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("an OR in the subquery's WHERE is parenthesised") {
        const std::string sql = "SELECT name FROM customers c WHERE c.id IN (SELECT customer_id "
                                "FROM orders WHERE status = 'open' OR total > 10)";
        const auto found = run_rule("in-subquery", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders WHERE (status = "
              "'open' OR total > 10) AND customer_id = c.id)");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("pg_stat_statements text with parameters") {
        const std::string sql = "SELECT id FROM customers c WHERE c.id IN (SELECT customer_id "
                                "FROM orders WHERE status = $1) LIMIT $2";
        const auto found = run_rule("in-subquery", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders WHERE status = $1 "
              "AND customer_id = c.id) LIMIT $2");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("same table inside and outside: reported, not rewritten") {
        const auto found = run_rule(
            "in-subquery", "SELECT id FROM orders WHERE orders.id IN (SELECT id FROM orders "
                           "WHERE total > 5)");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "give one of them an alias first"));
    }
    SUBCASE("the subquery's column is an expression with an output name") {
        const std::string sql = "SELECT name FROM customers c WHERE c.id IN (SELECT customer_id "
                                "+ 0 AS cid FROM orders)";
        const auto found = run_rule("in-subquery", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders WHERE "
              "(customer_id + 0) = c.id)");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("grouped subquery: reported, not rewritten") {
        const auto found = run_rule(
            "in-subquery", "SELECT id FROM customers c WHERE c.id IN (SELECT customer_id FROM "
                           "orders GROUP BY customer_id HAVING sum(total) > 1000)");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "not rewritten automatically"));
    }
    SUBCASE("silent: EXISTS already used") {
        CHECK(run_rule("in-subquery", "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM "
                                      "orders o WHERE o.customer_id = c.id)")
                  .empty());
    }
    SUBCASE("silent: IN over a literal list, NOT IN subquery") {
        CHECK(run_rule("in-subquery", "SELECT id FROM orders WHERE status IN ('a', 'b')").empty());
        CHECK(run_rule("in-subquery", "SELECT id FROM customers WHERE id NOT IN (SELECT "
                                      "customer_id FROM orders)")
                  .empty());
    }
}

TEST_CASE("rule not-in-subquery") {
    SUBCASE("rewritten to NOT EXISTS, NULL semantics explained") {
        const std::string sql = "SELECT id FROM customers c\nWHERE c.id NOT IN (SELECT "
                                "customer_id FROM orders)";
        const auto found = run_rule("not-in-subquery", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::warning);
        CHECK(found[0].location->offset == offset_of(sql, "NOT IN"));
        CHECK(contains(found[0].message, "If the subquery returns any NULL"));
        CHECK(contains(found[0].message, "cannot plan NOT IN as an anti-join"));
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM customers c\nWHERE NOT EXISTS (SELECT 1 FROM orders WHERE "
              "customer_id = c.id)");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("with a WHERE in the subquery, in an UPDATE") {
        const std::string sql = "UPDATE customers SET region = 'XX' WHERE id NOT IN (SELECT "
                                "customer_id FROM orders WHERE created_at > now() - interval "
                                "'1 year')";
        const auto found = run_rule("not-in-subquery", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "UPDATE customers SET region = 'XX' WHERE NOT EXISTS (SELECT 1 FROM orders WHERE "
              "created_at > now() - interval '1 year' AND customer_id = customers.id)");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("<> ALL (subquery) has the same NULL trap: reported, not rewritten") {
        const auto found = run_rule("not-in-subquery", "SELECT id FROM customers c WHERE c.id <> "
                                                       "ALL (SELECT customer_id FROM orders)");
        REQUIRE(found.size() == 1);
        CHECK(found[0].title == "`c.id <> ALL (SELECT ...)`: use NOT EXISTS");
        CHECK(found[0].suggestion.rewritten_query.empty());
    }
    SUBCASE("NOT (x IN (subquery)) is reported; its text is not spliced") {
        const auto found = run_rule("not-in-subquery", "SELECT id FROM customers c WHERE NOT "
                                                       "(c.id IN (SELECT customer_id FROM orders))");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
    }
    SUBCASE("silent: NOT EXISTS, NOT IN over a literal list, IN subquery") {
        CHECK(run_rule("not-in-subquery", "SELECT id FROM customers c WHERE NOT EXISTS (SELECT "
                                          "1 FROM orders o WHERE o.customer_id = c.id)")
                  .empty());
        CHECK(run_rule("not-in-subquery",
                       "SELECT id FROM customers WHERE region NOT IN ('XX', 'YY')")
                  .empty());
        CHECK(run_rule("not-in-subquery",
                       "SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders)")
                  .empty());
    }
}

TEST_CASE("rule select-star") {
    const analyzer::Schema schema = test::schema_of(
        "CREATE TABLE users (id bigint, email text, \"Name\" text, \"order\" integer);\n"
        "CREATE TABLE orders (id bigint, user_id bigint, total numeric);");
    SUBCASE("without a schema: reported, no rewrite") {
        const std::string sql = "SELECT * FROM users WHERE id = 1";
        const auto found = run_rule("select-star", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].location->offset == offset_of(sql, "*"));
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "--schema"));
    }
    SUBCASE("with a schema: columns listed and quoted where needed") {
        const std::string sql = "SELECT * FROM users WHERE id = 1";
        const auto found = run_rule("select-star", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id, email, \"Name\", \"order\" FROM users WHERE id = 1");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("a star written without spaces does not glue words together") {
        const auto found = run_rule("select-star", "SELECT*FROM users", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id, email, \"Name\", \"order\" FROM users");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("a join: columns qualified by alias") {
        const std::string sql = "SELECT * FROM users u JOIN orders o ON o.user_id = u.id";
        const auto found = run_rule("select-star", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT u.id, u.email, u.\"Name\", u.\"order\", o.id, o.user_id, o.total FROM "
              "users u JOIN orders o ON o.user_id = u.id");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("t.* expands one table") {
        const std::string sql = "SELECT o.*, u.email FROM users u JOIN orders o ON o.user_id = "
                                "u.id ORDER BY o.id LIMIT 10";
        const auto found = run_rule("select-star", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT o.id, o.user_id, o.total, u.email FROM users u JOIN orders o ON o.user_id "
              "= u.id ORDER BY o.id LIMIT 10");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("a table the schema does not know: reported, no rewrite") {
        const auto found = run_rule("select-star", "SELECT * FROM invoices", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
    }
    SUBCASE("silent: EXISTS (SELECT *), count(*), derived tables, RETURNING *") {
        CHECK(run_rule("select-star", "SELECT id FROM users u WHERE EXISTS (SELECT * FROM "
                                      "orders o WHERE o.user_id = u.id)")
                  .empty());
        CHECK(run_rule("select-star", "SELECT count(*) FROM users").empty());
        CHECK(run_rule("select-star", "SELECT s.id FROM (SELECT * FROM users) s").empty());
        CHECK(run_rule("select-star", "INSERT INTO users (id) VALUES (1) RETURNING *").empty());
        CHECK(run_rule("select-star", "SELECT id, email FROM users").empty());
    }
}

TEST_CASE("rule deep-offset") {
    const analyzer::Schema schema = test::schema_of(
        "CREATE TABLE posts (id bigint PRIMARY KEY, author_id int, editor_id int, title text, "
        "created_at timestamptz NOT NULL, score int NOT NULL, subtitle text);\n"
        "CREATE TABLE tags (name text NOT NULL, post_id bigint NOT NULL, note text);\n"
        "CREATE UNIQUE INDEX tags_name_post ON tags (name, post_id);\n"
        "CREATE TABLE logs (at timestamptz NOT NULL, message text);");
    SUBCASE("constant OFFSET, DESC keys: keyset rewrite with <") {
        const std::string sql = "SELECT id, title FROM posts WHERE author_id = 7\nORDER BY "
                                "created_at DESC, id DESC\nLIMIT 20 OFFSET 10000";
        const auto found = run_rule("deep-offset", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::warning);
        CHECK(found[0].location->offset == offset_of(sql, "10000"));
        REQUIRE_FALSE(found[0].evidence.empty());
        CHECK(found[0].evidence[0].first == "offset");
        CHECK(std::get<std::int64_t>(found[0].evidence[0].second) == 10000);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id, title, created_at FROM posts WHERE author_id = 7 AND (created_at, id) < ($1, "
              "$2)\nORDER BY created_at DESC, id DESC\nLIMIT 20");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
        CHECK(contains(found[0].message, "identify a row"));
    }
    SUBCASE("no WHERE, one key, OFFSET before LIMIT") {
        const std::string sql = "SELECT id FROM posts ORDER BY id OFFSET 5000 LIMIT 50";
        const auto found = run_rule("deep-offset", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM posts WHERE id > $1 ORDER BY id LIMIT 50");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("OFFSET $n from pg_stat_statements: info, new parameters numbered after the rest") {
        const std::string sql = "SELECT id FROM posts WHERE author_id = $1 OR editor_id = $1 "
                                "ORDER BY id LIMIT $2 OFFSET $3";
        const auto found = run_rule("deep-offset", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::info);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM posts WHERE (author_id = $1 OR editor_id = $1) AND id > $3 ORDER "
              "BY id LIMIT $2");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("OFFSET $n's number is reused first, so no parameter number is left unused") {
        const std::string sql = "SELECT id FROM posts WHERE author_id = $1 ORDER BY created_at, "
                                "id LIMIT $2 OFFSET $3";
        const auto found = run_rule("deep-offset", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id, created_at FROM posts WHERE author_id = $1 AND (created_at, id) > ($3, $4) ORDER "
              "BY created_at, id LIMIT $2");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("keys that do not identify a row get the primary key added, in ORDER BY too") {
        const std::string sql = "SELECT p.id FROM posts p ORDER BY p.score DESC LIMIT 10 OFFSET 2000";
        const auto found = run_rule("deep-offset", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT p.id, p.score FROM posts p WHERE (p.score, p.id) < ($1, $2) ORDER BY p.score DESC, "
              "p.id DESC LIMIT 10");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
        CHECK(contains(found[0].message, "adds id (the table's unique key)"));
        CHECK(contains(found[0].message, "It also selects p.score: the client needs the last row's keys"));
    }
    SUBCASE("a unique index over the keys identifies a row; part of it gets the rest added") {
        auto found = run_rule(
            "deep-offset", "SELECT note FROM tags ORDER BY name, post_id LIMIT 10 OFFSET 2000", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT note, name, post_id FROM tags WHERE (name, post_id) > ($1, $2) ORDER BY name, post_id LIMIT 10");
        found = run_rule("deep-offset", "SELECT note FROM tags ORDER BY name LIMIT 20 OFFSET 5000",
                         &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT note, name, post_id FROM tags WHERE (name, post_id) > ($1, $2) ORDER BY name, post_id LIMIT 20");
    }
    SUBCASE("no rewrite, with the reason, when no key set identifying a row is known") {
        // Without the table's definition: which unique column to end ORDER BY with.
        auto found = run_rule("deep-offset", "SELECT id FROM posts ORDER BY id LIMIT 20 OFFSET 5000");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "lint does not know the keys of posts: pass its CREATE "
                                         "TABLE with --schema"));
        // A nullable key: a row comparison would skip its NULL rows.
        found = run_rule("deep-offset", "SELECT id FROM posts ORDER BY subtitle LIMIT 20 OFFSET 5000",
                         &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "subtitle may be NULL"));
        // A table without a unique NOT NULL key: say what to add.
        found = run_rule("deep-offset", "SELECT message FROM logs ORDER BY at LIMIT 20 OFFSET 5000",
                         &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "do not identify a row of logs, and it has no unique NOT "
                                         "NULL column to add: add one (a primary key)"));
        // Joins: rows of the result are not identified by one table's key.
        found = run_rule("deep-offset", "SELECT p.id FROM posts p JOIN tags t ON t.post_id = p.id "
                                        "ORDER BY p.id LIMIT 20 OFFSET 5000",
                         &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "several tables"));
    }
    // The keyset condition goes into WHERE: whatever is computed over the rows WHERE lets
    // through, or rows that are not the table's rows, makes it change the query's meaning.
    const auto no_rewrite = [&](const std::string& sql, std::string_view reason) {
        const auto found = run_rule("deep-offset", sql, &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "No rewrite is given because"));
        CHECK(contains(found[0].message, reason));
    };
    SUBCASE("no rewrite: SELECT DISTINCT whose added key is not selected") {
        no_rewrite("SELECT DISTINCT score FROM posts ORDER BY score LIMIT 20 OFFSET 5000",
                   "without id, and SELECT DISTINCT may only be ordered by what it selects");
    }
    SUBCASE("SELECT DISTINCT that selects the added key still rewrites") {
        const auto found = run_rule(
            "deep-offset", "SELECT DISTINCT id, score FROM posts ORDER BY score LIMIT 20 OFFSET 5000",
            &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT DISTINCT id, score FROM posts WHERE (score, id) > ($1, $2) ORDER BY score, "
              "id LIMIT 20");
    }
    SUBCASE("no rewrite: DISTINCT ON") {
        no_rewrite("SELECT DISTINCT ON (score) id, score FROM posts ORDER BY score, id LIMIT 20 "
                   "OFFSET 5000",
                   "DISTINCT ON keeps the first row of each group");
    }
    SUBCASE("no rewrite: a window function") {
        no_rewrite("SELECT id, row_number() OVER (ORDER BY created_at) AS n FROM posts ORDER BY id "
                   "LIMIT 20 OFFSET 5000",
                   "the window function row_number() ... OVER computes over the rows WHERE lets "
                   "through");
    }
    SUBCASE("no rewrite: an output alias named like the added key") {
        no_rewrite("SELECT title AS id FROM posts ORDER BY created_at LIMIT 20 OFFSET 5000",
                   "the output column `title` named id would take its place in ORDER BY");
        // Qualified keys are the table's columns whatever the select list calls its outputs.
        const auto found = run_rule(
            "deep-offset", "SELECT p.title AS id FROM posts p ORDER BY p.created_at LIMIT 20 OFFSET 5000",
            &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT p.title AS id, p.created_at, p.id FROM posts p WHERE (p.created_at, p.id) > ($1, $2) ORDER BY "
              "p.created_at, p.id LIMIT 20");
    }
    SUBCASE("no rewrite: GROUP BY, HAVING, aggregates") {
        no_rewrite("SELECT score, count(*) FROM posts GROUP BY score ORDER BY score LIMIT 20 OFFSET "
                   "5000",
                   "the query aggregates");
        no_rewrite("SELECT id FROM posts GROUP BY id HAVING id > 3 ORDER BY id LIMIT 20 OFFSET 5000",
                   "the query aggregates");
    }
    SUBCASE("no rewrite: UNION") {
        no_rewrite("SELECT id FROM posts UNION SELECT post_id FROM tags ORDER BY 1 LIMIT 20 OFFSET "
                   "5000",
                   "UNION, INTERSECT or EXCEPT");
    }
    SUBCASE("no rewrite: a set-returning function in the select list") {
        no_rewrite("SELECT id, unnest(string_to_array(title, ' ')) FROM posts ORDER BY id LIMIT 20 "
                   "OFFSET 5000",
                   "the set-returning function unnest() in the select list");
    }
    SUBCASE("the client gets every key it needs for the next page: keys not selected are added") {
        // Selected by name, under an alias or through * : nothing added.
        auto found = run_rule("deep-offset",
                              "SELECT score AS points, id FROM posts ORDER BY score LIMIT 20 OFFSET 5000", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT score AS points, id FROM posts WHERE (score, id) > ($1, $2) ORDER BY score, id LIMIT 20");
        CHECK_FALSE(contains(found[0].message, "It also selects"));
        found = run_rule("deep-offset", "SELECT * FROM posts ORDER BY score LIMIT 20 OFFSET 5000", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT * FROM posts WHERE (score, id) > ($1, $2) ORDER BY score, id LIMIT 20");
        // Neither the ORDER BY key nor the added one is selected: both are.
        found = run_rule("deep-offset", "SELECT title FROM posts ORDER BY score LIMIT 20 OFFSET 5000", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT title, score, id FROM posts WHERE (score, id) > ($1, $2) ORDER BY score, id LIMIT 20");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
        CHECK(contains(found[0].message, "It also selects score, id"));
    }
    SUBCASE("FETCH ... WITH TIES: NOT NULL keys suffice, no key is added") {
        // A page never ends inside a group of ties, so `score > $1` skips and repeats nothing;
        // adding id would change the pages' sizes.
        auto found = run_rule("deep-offset",
                              "SELECT id, score FROM posts ORDER BY score OFFSET 5000 ROWS FETCH FIRST 20 ROWS WITH TIES",
                              &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id, score FROM posts WHERE score > $1 ORDER BY score FETCH FIRST 20 ROWS WITH TIES");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
        CHECK(contains(found[0].message, "WITH TIES never ends a page inside a group of rows"));
        // The keys must still be NOT NULL.
        found = run_rule("deep-offset",
                         "SELECT id FROM posts ORDER BY subtitle OFFSET 5000 ROWS FETCH FIRST 20 ROWS WITH TIES",
                         &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "subtitle may be NULL"));
        // FETCH FIRST ... ROWS ONLY pages like LIMIT: the row key is added.
        found = run_rule("deep-offset",
                         "SELECT id, score FROM posts ORDER BY score OFFSET 5000 ROWS FETCH FIRST 20 ROWS ONLY",
                         &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id, score FROM posts WHERE (score, id) > ($1, $2) ORDER BY score, id FETCH FIRST 20 ROWS ONLY");
    }
    SUBCASE("no rewrite: ORDER BY ... USING an operator") {
        // USING > sorts descending: a `>` keyset condition would page backwards.
        no_rewrite("SELECT id, score FROM posts ORDER BY score USING >, id USING > OFFSET 5000 LIMIT 5",
                   "sorts USING an operator");
    }
    SUBCASE("mixed directions: reported without a row-comparison rewrite") {
        const auto found = run_rule(
            "deep-offset", "SELECT id FROM posts ORDER BY score DESC, id LIMIT 10 OFFSET 2000", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query.empty());
        CHECK(contains(found[0].message, "mix directions"));
    }
    SUBCASE("silent: small constant OFFSET, no OFFSET") {
        CHECK(run_rule("deep-offset", "SELECT id FROM posts ORDER BY id LIMIT 20 OFFSET 40")
                  .empty());
        CHECK(run_rule("deep-offset", "SELECT id FROM posts ORDER BY id LIMIT 20 OFFSET 999")
                  .empty());
        CHECK(run_rule("deep-offset", "SELECT id FROM posts WHERE id > $1 ORDER BY id LIMIT 20")
                  .empty());
    }
}

TEST_CASE("rule null-comparison") {
    SUBCASE("= NULL becomes IS NULL") {
        const std::string sql = "SELECT id FROM users WHERE deleted_at = NULL";
        const auto found = run_rule("null-comparison", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::error);
        CHECK(found[0].location->offset == offset_of(sql, "= NULL"));
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM users WHERE deleted_at IS NULL");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("<> NULL and != NULL become IS NOT NULL") {
        for (const std::string op : {"<>", "!="}) {
            const std::string sql = "SELECT id FROM users u WHERE u.manager_id " + op +
                                    " NULL AND active";
            const auto found = run_rule("null-comparison", sql);
            REQUIRE(found.size() == 1);
            CHECK(found[0].suggestion.rewritten_query ==
                  "SELECT id FROM users u WHERE u.manager_id IS NOT NULL AND active");
            CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
        }
    }
    SUBCASE("in an UPDATE's WHERE, not in its SET") {
        const std::string sql = "UPDATE users SET manager_id = NULL WHERE manager_id = NULL";
        const auto found = run_rule("null-comparison", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "UPDATE users SET manager_id = NULL WHERE manager_id IS NULL");
    }
    SUBCASE("silent: IS NULL, IS NOT NULL, IS DISTINCT FROM, assignments") {
        CHECK(run_rule("null-comparison", "SELECT id FROM users WHERE deleted_at IS NULL").empty());
        CHECK(run_rule("null-comparison", "SELECT id FROM users WHERE deleted_at IS NOT NULL")
                  .empty());
        CHECK(run_rule("null-comparison",
                       "SELECT id FROM users WHERE deleted_at IS DISTINCT FROM NULL")
                  .empty());
        CHECK(run_rule("null-comparison", "UPDATE users SET deleted_at = NULL WHERE id = 1")
                  .empty());
    }
}

TEST_CASE("rule non-sargable-predicate") {
    SUBCASE("function on a column: expression index") {
        const std::string sql = "SELECT id FROM users u WHERE lower(u.email) = $1";
        const auto found = run_rule("non-sargable-predicate", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::warning);
        CHECK(found[0].location->offset == offset_of(sql, "lower"));
        CHECK(found[0].suggestion.sql ==
              "CREATE INDEX CONCURRENTLY users_lower_email_idx ON users ((lower(email)));");
        CHECK(sqlparse::parses(found[0].suggestion.sql));
    }
    SUBCASE("a leading-wildcard LIKE is left to leading-wildcard-like, in every quoting") {
        for (const char* pattern : {"'%x'", "E'%x'", "$$%x$$", "$p$_x$p$"}) {
            CAPTURE(pattern);
            CHECK(run_rule("non-sargable-predicate",
                           std::string("SELECT id FROM t WHERE lower(name) LIKE ") + pattern)
                      .empty());
        }
        CHECK(run_rule("non-sargable-predicate", "SELECT id FROM t WHERE lower(name) LIKE E'x%'")
                  .size() == 1);
    }
    SUBCASE("operators are told apart by the parse tree: ->> is no arithmetic") {
        auto found = run_rule("non-sargable-predicate", "SELECT id FROM events WHERE payload->>$1 = 'x'");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "applies the operator ->> to payload"));
        CHECK_FALSE(contains(found[0].message, "arithmetic"));
        CHECK(found[0].suggestion.sql.empty()); // the key changes with $1: no one index fits
        found = run_rule("non-sargable-predicate",
                         "SELECT id FROM events e WHERE e.payload ->> 'kind' = $1");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql ==
              "CREATE INDEX CONCURRENTLY events_payload_kind_idx ON events ((payload ->> 'kind'));");
        CHECK(sqlparse::parses(found[0].suggestion.sql));
        found = run_rule("non-sargable-predicate",
                         "SELECT id FROM events WHERE amount OPERATOR(pg_catalog.*) 2 > 10");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "applies arithmetic to amount"));
    }
    SUBCASE("cast to date: range rewrite on the bare column") {
        const std::string sql = "SELECT id FROM orders WHERE created_at::date = $1 AND total > 5";
        const auto found = run_rule("non-sargable-predicate", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM orders WHERE created_at >= $1::date AND created_at < $1::date + 1 "
              "AND total > 5");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("cast to date with BETWEEN and literals") {
        const std::string sql = "SELECT id FROM orders WHERE created_at::date BETWEEN "
                                "'2024-01-01' AND '2024-01-31'";
        const auto found = run_rule("non-sargable-predicate", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT id FROM orders WHERE created_at >= '2024-01-01'::date AND created_at < "
              "'2024-01-31'::date + 1");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("date_trunc: a range, no expression index") {
        const auto found = run_rule(
            "non-sargable-predicate",
            "SELECT id FROM orders WHERE date_trunc('day', created_at) = '2024-01-01'");
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.sql.empty());
        CHECK(contains(found[0].message, "not IMMUTABLE"));
    }
    SUBCASE("arithmetic on a column") {
        const auto found =
            run_rule("non-sargable-predicate", "SELECT id FROM products WHERE price * 2 > 100");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].message, "Move the arithmetic to the other side"));
        // A constant interval or a qualified column is no other column.
        const auto qualified = run_rule("non-sargable-predicate",
                                        "SELECT id FROM orders o WHERE o.created_at + interval '1 day' > now()");
        REQUIRE(qualified.size() == 1);
        CHECK(contains(qualified[0].message, "Move the arithmetic to the other side"));
    }
    SUBCASE("arithmetic between two columns: no rearranging helps, an expression index does") {
        for (const char* sql : {"SELECT id FROM ev WHERE col1 - col2 > 2",
                                "SELECT id FROM ev e WHERE e.finished_at - e.started_at > interval '1 hour'"}) {
            CAPTURE(sql);
            const auto found = run_rule("non-sargable-predicate", sql);
            REQUIRE(found.size() == 1);
            CHECK_FALSE(contains(found[0].message, "Move the arithmetic"));
            CHECK(contains(found[0].message, "combines"));
            CHECK(contains(found[0].message, "an expression index on"));
        }
    }
    SUBCASE("a leading-wildcard LIKE is left to leading-wildcard-like") {
        CHECK(run_rule("non-sargable-predicate",
                       "SELECT id FROM users WHERE lower(name) LIKE '%smith%'")
                  .empty());
        CHECK(run_rule("non-sargable-predicate",
                       "SELECT id FROM users WHERE lower(name) LIKE 'smith%'")
                  .size() == 1);
    }
    SUBCASE("silent: functions and casts on the value side, plain comparisons") {
        CHECK(run_rule("non-sargable-predicate", "SELECT id FROM users WHERE email = lower($1)")
                  .empty());
        CHECK(run_rule("non-sargable-predicate",
                       "SELECT id FROM orders WHERE created_at >= $1::date")
                  .empty());
        CHECK(run_rule("non-sargable-predicate",
                       "SELECT id FROM orders WHERE created_at > now() - interval '1 day'")
                  .empty());
        CHECK(run_rule("non-sargable-predicate", "SELECT lower(email) FROM users WHERE id = 1")
                  .empty());
    }
    SUBCASE("silent: a column of a set-returning function has no index to lose") {
        CHECK(run_rule("non-sargable-predicate",
                       "SELECT g FROM generate_series(1, 10) g WHERE g::text = '5'")
                  .empty());
    }
    SUBCASE("a sampled table keeps its name: the expression index is on it") {
        const auto found = run_rule(
            "non-sargable-predicate",
            "SELECT id FROM orders TABLESAMPLE SYSTEM (10) WHERE lower(status) = 'x'");
        REQUIRE(found.size() == 1);
        CHECK(contains(found[0].suggestion.sql, "ON orders ((lower(status)))"));
    }
}

TEST_CASE("rule long-in-list") {
    std::string list;
    for (int i = 1; i <= 60; ++i) {
        list += (i > 1 ? ", " : "") + std::to_string(i);
    }
    SUBCASE("60 integers: one bigint[] parameter") {
        const std::string sql = "SELECT name FROM products WHERE id IN (" + list + ")";
        const auto found = run_rule("long-in-list", sql);
        REQUIRE(found.size() == 1);
        CHECK(found[0].severity == analyzer::Severity::info);
        REQUIRE(found[0].evidence.size() == 1);
        CHECK(std::get<std::int64_t>(found[0].evidence[0].second) == 60);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT name FROM products WHERE id = ANY($1::bigint[])");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("the schema gives the element type") {
        const analyzer::Schema schema =
            test::schema_of("CREATE TABLE products (id integer, name text);");
        const auto found = run_rule(
            "long-in-list", "SELECT name FROM products WHERE id NOT IN (" + list + ")", &schema);
        REQUIRE(found.size() == 1);
        CHECK(found[0].suggestion.rewritten_query ==
              "SELECT name FROM products WHERE id <> ALL($1::integer[])");
        CHECK(sqlparse::parses(found[0].suggestion.rewritten_query));
    }
    SUBCASE("pg_stat_statements text: a list of parameters is reported, not rewritten") {
        std::string params;
        for (int i = 1; i <= 55; ++i) {
            params += (i > 1 ? ", $" : "$") + std::to_string(i);
        }
        const auto found =
            run_rule("long-in-list", "SELECT name FROM products WHERE id IN (" + params + ")");
        REQUIRE(found.size() == 1);
        CHECK(std::get<std::int64_t>(found[0].evidence[0].second) == 55);
        CHECK(contains(found[0].message, "`id = ANY($56)`"));
        CHECK(found[0].suggestion.rewritten_query.empty());
    }
    SUBCASE("silent: short lists") {
        CHECK(run_rule("long-in-list", "SELECT name FROM products WHERE id IN (1, 2, 3)").empty());
        std::string list49;
        for (int i = 1; i <= 49; ++i) {
            list49 += (i > 1 ? ", " : "") + std::to_string(i);
        }
        CHECK(run_rule("long-in-list", "SELECT name FROM products WHERE id IN (" + list49 + ")")
                  .empty());
    }
}
