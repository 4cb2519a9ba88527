// sqlparse's tree built from libpg_query's parse nodes (sqlparse/pg_tree.cpp) against the
// tree read from libpg_query's own JSON (pg_query_parse), the oracle: they must be the same
// node for node, member for member, for every statement of the SQL files under testdata/
// and for statements that use every node type pg_tree.cpp writes.
//
// The oracle also runs on demand over other SQL, for example PostgreSQL's regression tests:
//   DBADVISE_PG_TREE_ORACLE=/path/to/sql/dir dbadvise_unit_tests -tc='parse_tree*'
// (several directories or files separated by ':'). It prints how many statements it compared.
#include "sqlparse/json_tree_internal.hpp"
#include "sqlparse/pg_tree_internal.hpp"
#include "sqlparse/script_reader.hpp"

#include <pg_query.h>

#include "sql_corpus_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace dbadvise::sqlparse;
using namespace dbadvise::sqlparse::detail;
namespace test = dbadvise::test;

namespace {

struct Comparison {
    bool parsed = false;      // both accepted the text
    bool dml = false;         // SELECT, INSERT, UPDATE or DELETE statements only
    TreeRoute route = TreeRoute::json;
    std::string difference;   // empty when the trees (or the errors) are the same
};

Comparison compare(const std::string& sql) {
    Comparison out;
    JsonDocument built;
    const TreeOutcome outcome = parse_tree(sql.c_str(), built);
    out.route = outcome.route;
    PgQueryParseResult oracle = pg_query_parse(sql.c_str());
    if (oracle.error != nullptr || outcome.error) {
        if (oracle.error == nullptr || !outcome.error) {
            out.difference = "only one side reports an error";
        } else if (outcome.error->message != oracle.error->message ||
                   outcome.error->cursorpos != oracle.error->cursorpos) {
            out.difference = "errors differ: " + outcome.error->message + " at " +
                             std::to_string(outcome.error->cursorpos) + ", oracle " +
                             oracle.error->message + " at " + std::to_string(oracle.error->cursorpos);
        }
        pg_query_free_parse_result(oracle);
        return out;
    }
    out.parsed = true;
    JsonDocument expected;
    const bool readable = expected.parse(oracle.parse_tree);
    if (readable != outcome.readable) {
        out.difference = "readable differs";
    } else if (readable) {
        out.difference = tree_difference(built.root(), expected.root());
        out.dml = expected.root()["stmts"].size() > 0;
        for (JsonRef raw = expected.root()["stmts"].first_child(); raw.valid(); raw = raw.next()) {
            const std::string_view type = raw["stmt"].node_type();
            out.dml = out.dml && (type == "SelectStmt" || type == "InsertStmt" || type == "UpdateStmt" ||
                                  type == "DeleteStmt");
        }
    }
    pg_query_free_parse_result(oracle);
    return out;
}

struct OracleStats {
    int files = 0;
    int statements = 0;
    int direct = 0;   // built from the parse nodes, not through the JSON
    int dml = 0;      // statements that are SELECT, INSERT, UPDATE or DELETE
    int dml_direct = 0;
    int rejected = 0; // statements libpg_query rejects (both sides must agree on the error)
    int batches = 0;  // runs of statements parsed together, as lint parses them
};

// Statements of a file parsed together, as lint parses a batch: DDL among DML is taken
// through the JSON one statement at a time and copied in between the others.
constexpr std::size_t k_batch = 8;

void compare_batch(const std::filesystem::path& path, std::vector<std::string>& batch, OracleStats& stats) {
    if (batch.size() < 2) {
        batch.clear();
        return;
    }
    std::string sql;
    for (const std::string& statement : batch) {
        sql += statement + "\n;\n";
    }
    batch.clear();
    const Comparison c = compare(sql);
    CAPTURE(path.string());
    CAPTURE(sql);
    CHECK(c.parsed);
    CHECK(c.difference == "");
    ++stats.batches;
}

// Compares the two on every statement of `path`, cut as psql would.
void compare_file(const std::filesystem::path& path, OracleStats& stats) {
    const std::string text = test::read_sql_file(path);
    ++stats.files;
    ScriptReader reader;
    int pos = 0;
    std::vector<std::string> batch;
    while (std::optional<ScriptItem> item = reader.next(text, pos, true, nullptr)) {
        pos = item->next;
        if (item->kind != ScriptItem::Kind::statement || !item->holes.empty() || item->nul_offset >= 0) {
            continue;
        }
        const std::string sql = text.substr(static_cast<std::size_t>(item->begin),
                                            static_cast<std::size_t>(item->end - item->begin));
        const Comparison c = compare(sql);
        CAPTURE(path.string());
        CAPTURE(sql);
        CHECK(c.difference == "");
        if (!c.parsed) {
            ++stats.rejected;
            continue;
        }
        batch.push_back(sql);
        if (batch.size() == k_batch) {
            compare_batch(path, batch, stats);
        }
        ++stats.statements;
        stats.direct += c.route == TreeRoute::nodes ? 1 : 0;
        stats.dml += c.dml ? 1 : 0;
        stats.dml_direct += c.dml && c.route == TreeRoute::nodes ? 1 : 0;
    }
    compare_batch(path, batch, stats);
}

void report(const OracleStats& stats) {
    MESSAGE("parse_tree oracle: " << stats.files << " files, " << stats.statements << " statements compared ("
                                  << stats.direct << " built from the parse nodes, the rest through the JSON; "
                                  << stats.dml_direct << " of " << stats.dml << " DML statements), "
                                  << stats.rejected << " rejected by the parser on both routes; "
                                  << stats.batches << " batches of up to " << k_batch << " statements compared");
}

} // namespace

TEST_CASE("parse_tree: every node type it writes, against libpg_query's JSON") {
    // Each statement only uses node types pg_tree.cpp writes, so it must take the direct
    // route; together they use every one of them, and most of their members.
    const std::vector<std::string> statements = {
        "SELECT 1",
        "SELECT -1, 0, 2147483647, 1.5, -2.5e10, 'text', E'a\\nb\\\\c\"<>', B'1010', X'1F', true, false, NULL",
        "SELECT DISTINCT ON (a) a, b AS bee FROM s.t AS x (c1, c2) WHERE a = $1 AND NOT b OR c IS NULL "
        "GROUP BY a HAVING count(*) > 2 ORDER BY a DESC NULLS LAST, b USING < LIMIT 10 OFFSET 5",
        "SELECT * FROM ONLY cat.s.t, t2 t WHERE t.* IS NOT NULL FOR UPDATE OF t SKIP LOCKED",
        "SELECT 1 FROM a FOR NO KEY UPDATE NOWAIT",
        "SELECT 1 FROM a FOR SHARE",
        "SELECT 1 FROM a FOR KEY SHARE",
        "SELECT a FROM t1 JOIN t2 USING (id) AS j LEFT JOIN t3 ON t3.x = t1.x FULL JOIN t4 ON true "
        "RIGHT JOIN t5 ON false NATURAL JOIN t6 CROSS JOIN t7",
        "SELECT x FROM (SELECT 1 AS x) s, LATERAL (SELECT x) l, generate_series(1, 3) WITH ORDINALITY AS g (n, o), "
        "ROWS FROM (f(1), g(2)), jsonb_to_record('{}') AS r",
        "SELECT a::int, CAST(b AS varchar(10)), c::numeric(10, 2)[], d::timestamptz, e::public.mytype, "
        "f::double precision, g::int[3][4], h::interval day to second, i::setof int",
        "SELECT a COLLATE \"C\", b LIKE 'x%', c ILIKE $2, d SIMILAR TO 'y', e NOT LIKE 'z', f BETWEEN 1 AND 2, "
        "g NOT BETWEEN SYMMETRIC 3 AND 4, h IS DISTINCT FROM i, j IS NOT DISTINCT FROM k, NULLIF(l, m), "
        "n IN (1, 2), o NOT IN (3), p = ANY($3), q < ALL(ARRAY[1, 2]), r OPERATOR(pg_catalog.+) s",
        "SELECT count(*), count(DISTINCT a), sum(b) FILTER (WHERE c > 0), string_agg(d, ',' ORDER BY d), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY e), rank() OVER w, row_number() OVER (PARTITION BY f "
        "ORDER BY g ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), lag(h) OVER (w RANGE UNBOUNDED PRECEDING), "
        "concat(VARIADIC ARRAY['a']) FROM t WINDOW w AS (PARTITION BY i)",
        "SELECT EXISTS (SELECT 1), (SELECT 2), ARRAY(SELECT 3), a IN (SELECT 4), b > ANY (SELECT 5), "
        "c <= ALL (SELECT 6), (d, e) = (SELECT 7, 8), ROW(1, 2) < ROW(3, 4), (f, g) IS NULL",
        "SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END, CASE c WHEN 1 THEN 'x' END, COALESCE(d, e), "
        "GREATEST(f, g), LEAST(h, i), a IS TRUE, b IS NOT FALSE, c IS UNKNOWN, d IS NOT UNKNOWN, e IS FALSE, "
        "f IS NOT TRUE",
        "SELECT CURRENT_DATE, CURRENT_TIME, CURRENT_TIME(2), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(3), LOCALTIME, "
        "LOCALTIME(1), LOCALTIMESTAMP, LOCALTIMESTAMP(4), CURRENT_ROLE, CURRENT_USER, USER, SESSION_USER, "
        "CURRENT_CATALOG, CURRENT_SCHEMA",
        "SELECT a[1], a[1:2], a[:3], (b).f, (c).*, d.e.f.g, ARRAY[[1, 2], [3, 4]], (f(x)).y[2]",
        "SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS ((a), (b), ()), ROLLUP (a, b), CUBE (a)",
        "SELECT a FROM t UNION SELECT b FROM u UNION ALL (SELECT c FROM v INTERSECT SELECT d FROM w) "
        "EXCEPT SELECT e FROM x ORDER BY 1 LIMIT 1",
        "SELECT a FROM t ORDER BY a FETCH FIRST 3 ROWS WITH TIES",
        "SELECT 1 FETCH FIRST 3 ROWS ONLY",
        "VALUES (1, 'a'), (2, DEFAULT)",
        "SELECT a INTO TEMP TABLE new_t FROM t",
        "SELECT a INTO UNLOGGED new_t2 FROM t",
        "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10), "
        "m AS MATERIALIZED (SELECT 2), nm AS NOT MATERIALIZED (SELECT 3) SELECT * FROM r, m, nm",
        "INSERT INTO s.t AS x (a, b) OVERRIDING SYSTEM VALUE VALUES (1, DEFAULT) "
        "ON CONFLICT (a, lower(b) COLLATE \"C\" text_pattern_ops DESC NULLS FIRST) WHERE a > 0 "
        "DO UPDATE SET b = excluded.b, (c, d) = (SELECT 1, 2) WHERE x.a <> 1 RETURNING *",
        "INSERT INTO t OVERRIDING USER VALUE SELECT * FROM u ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING",
        "INSERT INTO t DEFAULT VALUES",
        "WITH d AS (DELETE FROM q RETURNING id) INSERT INTO t (id) SELECT id FROM d",
        "UPDATE t SET a = a + 1, b[2] = 3, c.f = 4, (d, e) = (5, 6), g = DEFAULT FROM u "
        "WHERE t.id = u.id AND u.x = $1 RETURNING t.a, t.b AS bee",
        "WITH x AS (SELECT 1) UPDATE ONLY t SET a = 1 WHERE CURRENT OF c",
        "DELETE FROM s.t AS x USING u WHERE x.id = u.id AND u.y IS NOT TRUE RETURNING x.*",
        "WITH x AS (SELECT 1) DELETE FROM t",
        "SELECT $1::int, $2",
        "SELECT 'a'\n'b', U&'d\\0061t', n'national', $$dollar$$, $tag$ta'g$tag$",
    };
    int direct = 0;
    for (const std::string& sql : statements) {
        CAPTURE(sql);
        const Comparison c = compare(sql);
        CHECK(c.parsed);
        CHECK(c.difference == "");
        CHECK(c.route == TreeRoute::nodes);
        direct += c.route == TreeRoute::nodes ? 1 : 0;
    }
    CHECK(direct == static_cast<int>(statements.size()));
}

TEST_CASE("parse_tree: other statements go through libpg_query's JSON, with the same tree") {
    for (const std::string sql : {
             "CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'x')",
             "CREATE INDEX CONCURRENTLY t_name_idx ON t (lower(name)) WHERE id > 0",
             "ALTER TABLE t ADD COLUMN c int", "BEGIN; COMMIT", "SET search_path = a, b",
             "EXPLAIN (ANALYZE, BUFFERS) SELECT 1",
             "WITH RECURSIVE t (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SEARCH DEPTH FIRST BY n SET o "
             "SELECT * FROM t",
             "COPY t FROM STDIN", "SELECT * FROM jsonb_to_record('{}') AS r (a int, b text[])", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
             // Batches as lint parses them: only the DDL statement goes through the JSON.
             "SELECT 1; CREATE TABLE u (a int); SELECT 2",
             "CREATE TABLE u (a int); SELECT 2 FROM u; ALTER TABLE u ADD b int; DROP TABLE u",
         }) {
        CAPTURE(sql);
        const Comparison c = compare(sql);
        CHECK(c.parsed);
        CHECK(c.difference == "");
        CHECK(c.route == TreeRoute::json);
    }
}

TEST_CASE("parse_tree: errors, empty texts and trees too deep to read") {
    SUBCASE("a syntax error: the parser's message and position, no tree") {
        JsonDocument document;
        const TreeOutcome outcome = parse_tree("SELECT 1 FORM t", document);
        REQUIRE(outcome.error);
        CHECK(outcome.error->message == "syntax error at or near \"t\"");
        CHECK(outcome.error->cursorpos == 15);
        CHECK(document.node_count() == 0);
        CHECK(compare("SELECT 1 FORM t").difference == "");
        CHECK(compare("SELECT 'unterminated").difference == "");
    }
    SUBCASE("no statement") {
        for (const std::string sql : {"", "  ", "-- only a comment", ";;"}) {
            CAPTURE(sql);
            const Comparison c = compare(sql);
            CHECK(c.parsed);
            CHECK(c.difference == "");
        }
    }
    SUBCASE("nested deeper than the tree reader goes: unreadable on both routes") {
        std::string sql = "SELECT ";
        constexpr int k_levels = 2000; // three tree levels each
        for (int i = 0; i < k_levels; ++i) {
            sql += "f(";
        }
        sql += "1";
        sql.append(k_levels, ')');
        sql = "SELECT 1; " + sql + "; SELECT 2";
        JsonDocument document;
        const TreeOutcome outcome = parse_tree(sql.c_str(), document);
        REQUIRE_FALSE(outcome.error);
        CHECK_FALSE(outcome.readable);
        CHECK(compare(sql).difference == "");
    }
    SUBCASE("a chain of set operations nested deeper than the reader goes: unreadable, no tree") {
        std::string sql = "SELECT 1";
        for (int i = 0; i < 6000; ++i) {
            sql += " UNION SELECT 1";
        }
        JsonDocument document;
        const TreeOutcome outcome = parse_tree(sql.c_str(), document);
        REQUIRE_FALSE(outcome.error);
        CHECK_FALSE(outcome.readable);
        CHECK(document.node_count() == 0);
        CHECK(compare(sql).difference == "");
    }
    SUBCASE("one document, reused: a later tree does not keep an earlier one's nodes or strings") {
        JsonDocument document;
        REQUIRE_FALSE(parse_tree("SELECT a_rather_long_column_name FROM first_table", document).error);
        REQUIRE_FALSE(parse_tree("SELECT b FROM t", document).error);
        JsonDocument expected;
        PgQueryParseResult oracle = pg_query_parse("SELECT b FROM t");
        REQUIRE(expected.parse(oracle.parse_tree));
        CHECK(tree_difference(document.root(), expected.root()) == "");
        pg_query_free_parse_result(oracle);
    }
}

TEST_CASE("parse_tree matches libpg_query's JSON on testdata") {
    SUBCASE("testdata") {
        OracleStats stats;
        for (const auto& path : test::sql_files(std::filesystem::path(DBADVISE_SOURCE_DIR) / "testdata")) {
            compare_file(path, stats);
        }
        report(stats);
        CHECK(stats.files > 20);
        CHECK(stats.statements > 200);
        // testdata is schema scripts as much as queries; what lint and analyze mostly read is
        // DML, and that must not fall back to the JSON.
        CHECK(stats.dml > 100);
        CHECK(stats.batches > 20);
        CHECK(stats.dml_direct * 10 >= stats.dml * 9);
    }
    SUBCASE("on demand: DBADVISE_PG_TREE_ORACLE") {
        const char* roots = std::getenv("DBADVISE_PG_TREE_ORACLE");
        if (roots == nullptr) {
            return;
        }
        OracleStats stats;
        for (const auto& path : test::sql_files_of_list(roots)) {
            compare_file(path, stats);
        }
        report(stats);
        CHECK(stats.files > 0);
    }
}
