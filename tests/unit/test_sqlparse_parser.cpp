#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <string_view>

using namespace dbadvise::sqlparse;

namespace {

// The statement of a one-statement text; fails the test when it does not parse.
Statement parse_one(std::string_view sql) {
    ParsedStatement parsed = parse_statement(sql);
    if (parsed.error) {
        FAIL("unexpected parse error: " << parsed.error->message);
    }
    REQUIRE(parsed.statement.has_value());
    return std::move(*parsed.statement);
}

std::string_view text_of(std::string_view sql, Span span) {
    REQUIRE(span.valid());
    return sql.substr(static_cast<std::size_t>(span.begin),
                      static_cast<std::size_t>(span.end - span.begin));
}

int offset_of(std::string_view sql, std::string_view needle, std::size_t from = 0) {
    const auto pos = sql.find(needle, from);
    REQUIRE(pos != std::string_view::npos);
    return static_cast<int>(pos);
}

} // namespace

TEST_CASE("parse_script") {
    SUBCASE("splits statements with byte offsets and spans without the semicolon") {
        const std::string sql = "SELECT 1;\n  -- note\n  UPDATE t SET a = 2 ;\nDELETE FROM t";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 3);
        CHECK(text_of(sql, result[0].statement->span) == "SELECT 1");
        CHECK(result[0].statement->kind == StatementKind::select);
        CHECK(text_of(sql, result[1].statement->span) == "UPDATE t SET a = 2");
        CHECK(result[1].statement->span.begin == offset_of(sql, "UPDATE"));
        CHECK(result[1].statement->kind == StatementKind::update);
        CHECK(text_of(sql, result[2].statement->span) == "DELETE FROM t");
        CHECK(result[2].statement->kind == StatementKind::delete_);
    }
    SUBCASE("a bad statement is an error entry and the others still parse") {
        const std::string sql = "SELECT 1;\nSELECT * FORM t;\nSELECT 2";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 3);
        CHECK(result[0].statement.has_value());
        REQUIRE(result[1].error.has_value());
        CHECK(result[1].error->message == "syntax error at or near \"FORM\"");
        CHECK(result[1].error->offset == offset_of(sql, "FORM"));
        CHECK(text_of(sql, result[1].error->statement_span) == "SELECT * FORM t");
        REQUIRE(result[2].statement.has_value());
        CHECK(text_of(sql, result[2].statement->span) == "SELECT 2");
    }
    SUBCASE("error offsets are bytes even after multi-byte characters") {
        // `FORM` is taken as a column alias, so the error is at `y`.
        const std::string sql = "SELECT 'h\xC3\xA9llo \xE2\x82\xAC' AS x;\nSELECT 'w\xC3\xA9' FORM y z";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[1].error.has_value());
        CHECK(result[1].error->message == "syntax error at or near \"y\"");
        CHECK(result[1].error->offset == offset_of(sql, "y", offset_of(sql, "FORM")));
    }
    SUBCASE("many statements across batches keep exact offsets") {
        std::string sql;
        for (int i = 0; i < 200; ++i) {
            sql += "SELECT " + std::to_string(i) + " FROM t" + std::to_string(i) + ";\n";
        }
        sql += "SELECT FROM WHERE;\n";
        for (int i = 0; i < 50; ++i) {
            sql += "SELECT " + std::to_string(i) + ";\n";
        }
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 251);
        CHECK(text_of(sql, result[137].statement->span) == "SELECT 137 FROM t137");
        CHECK(result[137].statement->query.relations.at(0).name == "t137");
        CHECK(result[137].statement->query.relations.at(0).offset == offset_of(sql, "t137"));
        REQUIRE(result[200].error.has_value());
        CHECK(result[200].error->message == "syntax error at or near \"WHERE\"");
        CHECK(result[200].error->offset == offset_of(sql, "WHERE"));
        CHECK(text_of(sql, result[250].statement->span) == "SELECT 49");
    }
    SUBCASE("a UTF-8 byte order mark at the start is skipped") {
        const std::string sql = "\xEF\xBB\xBFSELECT 1; SELECT 2";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[0].statement.has_value());
        CHECK(result[0].statement->span.begin == 3);
        CHECK(text_of(sql, result[0].statement->span) == "SELECT 1");
    }
    SUBCASE("empty text, blanks and comments give no statement") {
        CHECK(parse_script("").empty());
        CHECK(parse_script("  \n -- only a comment\n /* and another */ ;;").empty());
    }
    SUBCASE("an embedded NUL byte is an error at its offset") {
        constexpr char k_text[] = "SELECT 1;\nSELECT 2\0 x;\nSELECT 3";
        const std::string sql(k_text, sizeof k_text - 1);
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 3);
        CHECK(result[0].statement.has_value());
        REQUIRE(result[1].error.has_value());
        CHECK(result[1].error->message == "invalid NUL byte (0x00) in SQL text");
        CHECK(result[1].error->offset == 18);
        REQUIRE(result[2].statement.has_value());
        CHECK(text_of(sql, result[2].statement->span) == "SELECT 3");
    }
    SUBCASE("binary garbage never crashes and reports errors with offsets") {
        std::string garbage;
        unsigned state = 12345;
        for (int i = 0; i < 4096; ++i) {
            state = state * 1103515245u + 12345u;
            garbage.push_back(static_cast<char>((state >> 16) & 0xFF));
        }
        const auto result = parse_script(garbage);
        CHECK_FALSE(result.empty());
        for (const auto& entry : result) {
            if (entry.error) {
                CHECK(entry.error->offset >= 0);
                CHECK(entry.error->offset <= static_cast<int>(garbage.size()));
            }
        }
    }
    SUBCASE("non-UTF-8 bytes in a string literal still parse") {
        const std::string sql = "SELECT '\xFF\xFE' FROM t";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 1);
        CHECK(result[0].statement.has_value());
    }
    SUBCASE("unterminated string and comment are errors with the lexer's message") {
        const std::string quote = "SELECT 1;\nSELECT 'abc";
        auto result = parse_script(quote);
        REQUIRE(result.size() == 2);
        REQUIRE(result[1].error.has_value());
        CHECK(result[1].error->message == "unterminated quoted string at or near \"'abc\"");
        CHECK(result[1].error->offset == offset_of(quote, "'abc"));
        const std::string comment = "SELECT 1 /* never closed";
        result = parse_script(comment);
        REQUIRE(result.size() == 1);
        REQUIRE(result[0].error.has_value());
        CHECK(result[0].error->message == "unterminated /* comment at or near \"/* never closed\"");
        CHECK(result[0].error->offset == 9);
    }
    SUBCASE("a DO block is one utility statement; its inner semicolons do not split") {
        const std::string sql = "DO $$ BEGIN PERFORM 1; RAISE NOTICE 'x;'; END $$;\nSELECT 1";
        ParseOptions options;
        options.function_bodies = false;
        const auto result = parse_script(sql, options);
        REQUIRE(result.size() == 2);
        CHECK(result[0].statement->kind == StatementKind::utility);
        CHECK(result[0].statement->node_type == "DoStmt");
        CHECK(text_of(sql, result[0].statement->span) == "DO $$ BEGIN PERFORM 1; RAISE NOTICE 'x;'; END $$");
    }
    SUBCASE("syntax newer than PostgreSQL 15 is a parse error with a location") {
        const std::string sql = "SELECT 1;\nSELECT JSON_ARRAYAGG(x RETURNING jsonb) FROM t";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[1].error.has_value());
        CHECK(result[1].error->message == "syntax error at or near \"RETURNING\"");
        CHECK(result[1].error->offset == offset_of(sql, "RETURNING"));
    }
    SUBCASE("quoted semicolons, dollar quotes and nested comments do not split") {
        const std::string sql =
            "SELECT ';', \"a;b\", E'\\';', $tag$;$tag$ /* x /* ; */ ; */ FROM t;SELECT 2";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[0].statement.has_value());
        CHECK(result[0].statement->query.targets.size() == 4);
        CHECK(text_of(sql, result[1].statement->span) == "SELECT 2");
    }
    SUBCASE("a 10 MB statement parses without the size limit") {
        std::string sql = "SELECT * FROM t WHERE id IN (";
        while (sql.size() < 10 * 1024 * 1024) {
            sql += "123456789,";
        }
        sql += "0)";
        const auto result =
            parse_script(sql, ParseOptions{.fingerprint = false, .max_statement_bytes = 0});
        REQUIRE(result.size() == 1);
        REQUIRE(result[0].statement.has_value());
        const auto& predicates = result[0].statement->query.predicates;
        REQUIRE(predicates.size() == 1);
        CHECK(predicates[0].op == "IN");
        CHECK(predicates[0].operand.list_length > 1000000);
    }
    SUBCASE("an operator chain deep enough to overflow libpg_query is refused, not a crash") {
        std::string sql = "SELECT 1;\nSELECT a";
        for (int i = 0; i < 200000; ++i) {
            sql += " || a";
        }
        sql += " FROM t;\nSELECT 3";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 3);
        REQUIRE(result[1].error.has_value());
        CHECK(result[1].error->message == "expression too deeply nested: more than 10000 chained operators");
        CHECK(result[1].error->offset == static_cast<int>(std::string("SELECT 1;\nSELECT a").size()) + 10000 * 5 + 1);
        CHECK(result[2].statement.has_value());
        const auto fp = fingerprint(sql.substr(10));
        REQUIRE_FALSE(fp.has_value());
        CHECK(fp.error().message == "expression too deeply nested: more than 10000 chained operators");
    }
    SUBCASE("long AND chains and 2,000 nested parentheses still parse") {
        std::string ands = "SELECT 1 FROM t WHERE a0 = 1";
        for (int i = 1; i < 30000; ++i) {
            ands += " AND a" + std::to_string(i) + " = 1";
        }
        auto result = parse_script(ands);
        REQUIRE(result.size() == 1);
        REQUIRE(result[0].statement.has_value());
        CHECK(result[0].statement->query.predicates.size() == 30000);
        const std::string parens = "SELECT " + std::string(2000, '(') + "1" + std::string(2000, ')');
        result = parse_script(parens);
        REQUIRE(result.size() == 1);
        CHECK(result[0].statement.has_value());
    }
    SUBCASE("the streaming form yields the same statements in order") {
        const std::string sql = "SELECT 1; SELECT FROM; SELECT 3";
        std::vector<ParsedStatement> seen;
        parse_script(sql, ParseOptions{}, [&seen](ParsedStatement&& s) { seen.push_back(std::move(s)); });
        REQUIRE(seen.size() == 3);
        CHECK(seen[0].statement.has_value());
        CHECK(seen[1].error.has_value());
        CHECK(seen[2].statement.has_value());
    }
    SUBCASE("token fingerprints ignore constants, parameters, case, comments and layout") {
        const std::string sql =
            "SELECT a FROM t WHERE b = 1 AND c = 'x'; select A\n from T /* c */ where b = $1 and c = 'y';"
            "SELECT a FROM t WHERE b = 1 OR c = 'x'";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 3);
        CHECK(result[0].statement->fingerprint.size() == 16);
        CHECK(result[0].statement->fingerprint == result[1].statement->fingerprint);
        CHECK(result[0].statement->fingerprint != result[2].statement->fingerprint);
    }
    SUBCASE("token fingerprints are frozen: finding ids and baselines are made of them") {
        // FNV-1a of the tokens with their frozen kind codes, computed independently of the
        // lexer; a change here would change every finding id in every user's baseline.
        CHECK(token_fingerprint("SELECT a FROM t WHERE b = $1 AND c >= 42") == "34277ecce7cccbcf");
        CHECK(token_fingerprint("select A from T where B = 7 and C >= $2") == "34277ecce7cccbcf");
    }
    SUBCASE("libpg_query fingerprints on request, none when turned off") {
        const std::string sql = "SELECT a FROM t WHERE b = 1; SELECT a FROM t WHERE b = 2";
        auto result = parse_script(sql, ParseOptions{.libpg_query_fingerprint = true});
        REQUIRE(result.size() == 2);
        const auto expected = fingerprint("SELECT a FROM t WHERE b = 1");
        REQUIRE(expected.has_value());
        CHECK(result[0].statement->fingerprint == *expected);
        CHECK(result[1].statement->fingerprint == *expected);
        result = parse_script(sql, ParseOptions{.fingerprint = false});
        CHECK(result[0].statement->fingerprint.empty());
    }
}

TEST_CASE("parse_script reads psql scripts") {
    SUBCASE("meta-commands are not SQL and do not swallow the next statement") {
        const std::string sql = "\\set ON_ERROR_STOP on\n\\echo deleting\nDELETE FROM orders;\n"
                                "\\restrict Abc\nSELECT 1;";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[0].statement);
        CHECK(result[0].statement->kind == StatementKind::delete_);
        CHECK(text_of(sql, result[0].statement->span) == "DELETE FROM orders");
        REQUIRE(result[1].statement);
        CHECK(text_of(sql, result[1].statement->span) == "SELECT 1");
    }
    SUBCASE("variables parse as placeholders of their kind and keep their locations") {
        const std::string sql = "SELECT :\"col\" FROM t WHERE id = :id AND name = :'name' LIMIT :n;";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 1);
        REQUIRE(result[0].statement);
        const Query& q = result[0].statement->query;
        REQUIRE(q.predicates.size() == 2);
        CHECK(q.predicates[0].operand.text == ":id");
        CHECK(q.predicates[0].operand.offset == offset_of(sql, ":id"));
        CHECK(q.predicates[1].operand.text == ":'name'");
        CHECK(q.predicates[1].operand.kind == OperandKind::constant);
        CHECK(q.predicates[1].operand.offset == offset_of(sql, ":'name'"));
        REQUIRE(q.targets.size() == 1);
        CHECK(q.targets[0].text == ":\"col\"");
        CHECK(text_of(sql, result[0].statement->span) == std::string_view(sql).substr(0, sql.size() - 1));
    }
    SUBCASE("without psql, a variable is a syntax error") {
        ParseOptions options;
        options.psql = false;
        const auto result = parse_script("SELECT :v", options);
        REQUIRE(result.size() == 1);
        CHECK(result[0].error);
    }
    SUBCASE("a meta-command inside a statement is blanked, and \\gset ends one") {
        const std::string sql = "SELECT 1,\n\\echo inside\n2 AS b \\gset\nSELECT :b";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[0].statement);
        CHECK(result[0].statement->query.targets.size() == 2);
        REQUIRE(result[1].statement);
        CHECK(text_of(sql, result[1].statement->span) == "SELECT :b");
    }
    SUBCASE("batches keep their offsets across meta-commands and COPY data") {
        std::string sql;
        for (int i = 0; i < 40; ++i) {
            sql += "SELECT " + std::to_string(i) + ";\n\\echo " + std::to_string(i) + "\n";
            if (i == 20) {
                sql += "COPY t FROM stdin;\nx;y'\n\\.\n";
            }
        }
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 41);
        int select = 0;
        for (const ParsedStatement& s : result) {
            REQUIRE(s.statement);
            if (s.statement->kind == StatementKind::select) {
                const std::string expected = "SELECT " + std::to_string(select++);
                CHECK(text_of(sql, s.statement->span) == expected);
            }
        }
    }
    SUBCASE("an unknown meta-command is reported, the rest still parses") {
        const std::string sql = "\\gst\nSELECT 1;";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[0].error);
        CHECK(result[0].error->kind == ParseError::Kind::psql_command);
        CHECK(result[0].error->offset == 0);
        CHECK(result[0].error->message.starts_with("invalid command \\gst"));
        CHECK(result[1].statement);
    }
    SUBCASE("a statement over max_statement_bytes is an error of kind too_large") {
        const std::string sql = "SELECT 1;\nSELECT 'abcdefghijklmnopqrstuvwxyz';\nSELECT 3;";
        ParseOptions options;
        options.max_statement_bytes = 20;
        const auto result = parse_script(sql, options);
        REQUIRE(result.size() == 3);
        CHECK(result[0].statement);
        REQUIRE(result[1].error);
        CHECK(result[1].error->kind == ParseError::Kind::too_large);
        CHECK(result[1].error->offset == 10);
        CHECK(text_of(sql, result[1].error->statement_span) == "SELECT 'abcdefghijklmnopqrstuvwxyz'");
        CHECK(result[2].statement);
        options.max_statement_bytes = 0; // no limit
        CHECK(parse_script(sql, options)[1].statement);
    }
    SUBCASE("comments before a statement do not count toward max_statement_bytes") {
        const std::string sql = "-- a line comment longer than the limit\nDELETE FROM t;\n"
                                "/* a block comment /* nested */ longer than the limit */ UPDATE t SET a = 1;\n"
                                "-- before a DO block, longer than the limit\nDO $$BEGIN END$$;\n"
                                "-- short\nSELECT 'abcdefghijklmnopqrstuvwxyz';\n";
        ParseOptions options;
        options.max_statement_bytes = 20;
        const auto result = parse_script(sql, options);
        REQUIRE(result.size() == 4);
        REQUIRE(result[0].statement);
        CHECK(text_of(sql, result[0].statement->span) == "DELETE FROM t");
        REQUIRE(result[1].statement);
        CHECK(text_of(sql, result[1].statement->span) == "UPDATE t SET a = 1");
        REQUIRE(result[2].statement);
        CHECK(text_of(sql, result[2].statement->span) == "DO $$BEGIN END$$");
        // A statement itself over the limit still is refused, at its first token.
        REQUIRE(result[3].error);
        CHECK(result[3].error->kind == ParseError::Kind::too_large);
        CHECK(result[3].error->offset == offset_of(sql, "SELECT"));
        CHECK(text_of(sql, result[3].error->statement_span) == "SELECT 'abcdefghijklmnopqrstuvwxyz'");
    }
    SUBCASE("\\quit ends the script") {
        const auto result = parse_script("SELECT 1;\n\\q\nSELECT broken(;");
        REQUIRE(result.size() == 1);
        CHECK(result[0].statement);
    }
    SUBCASE("a BEGIN ATOMIC body straddling a batch stays one statement") {
        std::string sql;
        for (int i = 0; i < 30; ++i) {
            sql += "SELECT " + std::to_string(i) + ";\n";
        }
        sql += "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a + 1;\n"
               "  SELECT CASE WHEN a > 0 THEN 1 END;\n  SELECT 3;\nEND;\nSELECT 'after';";
        ParseOptions options;
        options.function_bodies = false;
        const auto result = parse_script(sql, options);
        REQUIRE(result.size() == 32);
        for (const ParsedStatement& s : result) {
            CHECK_FALSE(s.error);
        }
        CHECK(result[30].statement->node_type == "CreateFunctionStmt");
    }
    SUBCASE("CREATE EXTENSION placeholders parse") {
        const auto result = parse_script("ALTER LANGUAGE plpgsql OWNER TO @extowner@;\n"
                                         "CREATE FUNCTION @extschema@.f() RETURNS int LANGUAGE sql AS 'SELECT 1';");
        REQUIRE(result.size() == 3); // the function's body statement last
        CHECK_FALSE(result[0].error);
        CHECK_FALSE(result[1].error);
    }
}

TEST_CASE("parse_script reads function bodies") {
    // The statements of a body, after the CREATE or DO statement itself.
    const auto body_statements = [](std::string_view sql) {
        std::vector<ParsedStatement> out;
        for (ParsedStatement& s : parse_script(sql)) {
            if (s.error || s.statement->origin != StatementOrigin::script) {
                out.push_back(std::move(s));
            }
        }
        return out;
    };
    SUBCASE("PL/pgSQL statements, with locations in the file") {
        const std::string sql =
            "CREATE FUNCTION purge(p_days int) RETURNS SETOF int LANGUAGE plpgsql AS $fn$\n"
            "DECLARE\n    n bigint;\n    r record;\n    c CURSOR FOR SELECT id FROM keep;\nBEGIN\n"
            "    SELECT count(*) INTO n FROM events WHERE age > p_days;\n"
            "    PERFORM pg_notify('purge', n::text);\n"
            "    DELETE FROM events;\n"
            "    FOR r IN SELECT id FROM sessions LOOP NULL; END LOOP;\n"
            "    RETURN QUERY SELECT 1;\n"
            "EXCEPTION WHEN others THEN UPDATE log SET failed = true;\nEND\n$fn$;";
        const auto result = body_statements(sql);
        REQUIRE(result.size() == 7);
        const std::vector<std::string_view> starts = {
            "SELECT id FROM keep",     "SELECT count(*) INTO n", "PERFORM pg_notify",
            "DELETE FROM events",      "SELECT id FROM sessions", "SELECT 1",
            "UPDATE log SET failed"};
        for (std::size_t i = 0; i < starts.size(); ++i) {
            CAPTURE(i);
            REQUIRE(result[i].statement);
            CHECK(result[i].statement->origin == StatementOrigin::function_body);
            CHECK(result[i].statement->span.begin == offset_of(sql, starts[i]));
        }
        // INTO n is blanked for the parser, kept in the source span.
        CHECK(text_of(sql, result[1].statement->span) ==
              "SELECT count(*) INTO n FROM events WHERE age > p_days");
        CHECK(result[1].statement->query.predicates.size() == 1);
        CHECK(result[2].statement->kind == StatementKind::select); // PERFORM is a SELECT
        CHECK(result[3].statement->kind == StatementKind::delete_);
        CHECK(result[3].statement->query.relations.front().name == "events");
    }
    SUBCASE("statements are placed among the body's tokens, not by searching their text") {
        // PL/pgSQL reports each statement's line only: several on one line, and text that
        // looks like a statement inside a comment, a string or a longer statement, must not
        // move a finding.
        const auto starts = [&](const std::string& sql) {
            std::vector<int> out;
            for (const ParsedStatement& s : body_statements(sql)) {
                REQUIRE(s.statement);
                out.push_back(s.statement->span.begin);
            }
            return out;
        };
        std::string sql = "DO $$ BEGIN UPDATE t SET a = 1 WHERE id = 2; UPDATE t SET a = 1; END $$;";
        CHECK(starts(sql) == std::vector<int>{12, 45});
        sql = "DO $$ BEGIN /* DELETE FROM t; */ DELETE FROM t; END $$;";
        CHECK(starts(sql) == std::vector<int>{33});
        sql = "DO $$ BEGIN RAISE NOTICE 'DELETE FROM u'; DELETE FROM u; END $$;";
        CHECK(starts(sql) == std::vector<int>{42});
        sql = "DO $$ BEGIN DELETE FROM t; DELETE FROM t; END $$;";
        CHECK(starts(sql) == std::vector<int>{12, 27});
        // A shorter statement that ends a longer one on the same line.
        sql = "DO $$ BEGIN INSERT INTO x SELECT 1; SELECT 1; END $$;";
        CHECK(starts(sql) == std::vector<int>{12, 36});
        // A subquery of a condition is no statement; EXECUTE's string is not the body's SQL.
        sql = "DO $$ BEGIN IF EXISTS (SELECT 1 FROM t) THEN EXECUTE 'SELECT 1 FROM t'; SELECT 1 FROM t; END IF; END $$;";
        CHECK(starts(sql) == std::vector<int>{static_cast<int>(offset_of(sql, "SELECT 1 FROM t;"))});
        // Nested blocks and a FOR query on one line, in their order.
        sql = "DO $$ DECLARE r record; BEGIN FOR r IN SELECT 1 LOOP PERFORM 1; BEGIN PERFORM 1; END; END LOOP; PERFORM 1; END $$;";
        CHECK(starts(sql) == std::vector<int>{static_cast<int>(offset_of(sql, "SELECT 1 LOOP")), 53, 70, 96});
        // An INTO clause at the end is not in the text PL/pgSQL reports.
        sql = "DO $$ DECLARE x int; BEGIN SELECT 1 INTO STRICT x; SELECT 2 INTO x; END $$;";
        CHECK(starts(sql) == std::vector<int>{offset_of(sql, "SELECT 1"), offset_of(sql, "SELECT 2")});
        // Across lines: a statement continued onto the next line is still one.
        sql = "DO $$\nBEGIN\n  DELETE FROM t\n  WHERE a = 1; DELETE\n  FROM t;\nEND $$;";
        CHECK(starts(sql) == std::vector<int>{static_cast<int>(offset_of(sql, "DELETE FROM t")),
                                              static_cast<int>(offset_of(sql, "DELETE\n"))});
    }
    SUBCASE("DO blocks") {
        const auto result = body_statements("DO $$ BEGIN UPDATE accounts SET balance = 0; END $$;");
        REQUIRE(result.size() == 1);
        CHECK(result[0].statement->kind == StatementKind::update);
    }
    SUBCASE("SQL bodies: dollar-quoted, single-quoted, RETURN and BEGIN ATOMIC") {
        const std::string sql =
            "CREATE FUNCTION a() RETURNS int LANGUAGE sql AS $$ SELECT 1; DELETE FROM t $$;\n"
            "CREATE FUNCTION b() RETURNS int LANGUAGE sql AS 'SELECT id FROM t WHERE name = ''x''';\n"
            "CREATE FUNCTION c(x int) RETURNS int LANGUAGE sql RETURN (SELECT x + 1);\n"
            "CREATE PROCEDURE d() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); DELETE FROM u; END;";
        const auto result = body_statements(sql);
        REQUIRE(result.size() == 6);
        CHECK(result[0].statement->span.begin == offset_of(sql, "SELECT 1"));
        CHECK(result[1].statement->kind == StatementKind::delete_);
        CHECK(result[2].statement->origin == StatementOrigin::quoted_function_body);
        REQUIRE(result[2].statement->query.predicates.size() == 1);
        // '' stood for one quote: the parser saw the literal 'x'.
        CHECK(result[2].statement->query.predicates[0].operand.type_name == "string");
        CHECK(result[3].statement->span.begin == offset_of(sql, "RETURN (SELECT"));
        CHECK(result[4].statement->kind == StatementKind::insert);
        CHECK(text_of(sql, result[5].statement->span) == "DELETE FROM u");
    }
    SUBCASE("a body that does not parse is an error at its place; the rest goes on") {
        const std::string sql = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n"
                                "  SELEC 1;\nEND $$;\n"
                                "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT FROM WHERE $$;\n"
                                "SELECT 1;";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 5);
        REQUIRE(result[1].error);
        CHECK(result[1].error->kind == ParseError::Kind::function_body);
        CHECK(result[1].error->message == "PL/pgSQL: syntax error at or near \"SELEC\"");
        CHECK(result[1].error->offset == offset_of(sql, "SELEC"));
        REQUIRE(result[3].error);
        CHECK(result[3].error->kind == ParseError::Kind::function_body);
        CHECK(result[3].error->offset == offset_of(sql, "WHERE"));
        CHECK(result[4].statement);
    }
    SUBCASE("what libpg_query's PL/pgSQL parser cannot know is not a body error") {
        // It compiles without a catalog: no variable has a type, so a cursor is no cursor.
        const std::string sql = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
                                "DECLARE c refcursor;\nBEGIN\n  OPEN c FOR SELECT 1;\n  RETURN 1;\nEND $$;";
        const auto result = parse_script(sql);
        REQUIRE(result.size() == 2);
        REQUIRE(result[1].error);
        CHECK(result[1].error->kind == ParseError::Kind::unchecked);
        CHECK(result[1].error->message.find("must be of type cursor") != std::string::npos);
    }
    SUBCASE("other languages and C functions are left alone") {
        const auto result = body_statements(
            "CREATE FUNCTION f() RETURNS int LANGUAGE plperl AS $$ return 1; $$;\n"
            "CREATE FUNCTION g() RETURNS int LANGUAGE c AS 'lib', 'sym';");
        CHECK(result.empty());
    }
}

TEST_CASE("parse_statement") {
    SUBCASE("empty text is an error") {
        const ParsedStatement parsed = parse_statement("  ");
        REQUIRE(parsed.error.has_value());
        CHECK(parsed.error->message == "no SQL statement in the text");
        CHECK_FALSE(parsed.statement.has_value());
    }
    SUBCASE("several statements yield the first") {
        const Statement s = parse_one("UPDATE t SET a = 1; SELECT 1");
        CHECK(s.kind == StatementKind::update);
    }
    SUBCASE("syntax error carries the parser's message and offset") {
        const ParsedStatement parsed = parse_statement("SELECT a FROM t WHERE");
        REQUIRE(parsed.error.has_value());
        CHECK(parsed.error->message == "syntax error at end of input");
        CHECK(parsed.error->offset == 21);
    }
    SUBCASE("statement kinds and node types") {
        CHECK(parse_one("INSERT INTO t VALUES (1)").kind == StatementKind::insert);
        CHECK(parse_one("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE").kind ==
              StatementKind::merge);
        CHECK(parse_one("CREATE TABLE t (a int)").kind == StatementKind::create_table);
        CHECK(parse_one("CREATE INDEX ON t (a)").kind == StatementKind::create_index);
        CHECK(parse_one("EXPLAIN SELECT 1").kind == StatementKind::explain);
        const Statement set = parse_one("SET search_path = x");
        CHECK(set.kind == StatementKind::utility);
        CHECK(set.node_type == "VariableSetStmt");
    }
}

TEST_CASE("parses") {
    CHECK(parses("SELECT 1"));
    CHECK(parses("SELECT a FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.a = t.a)"));
    CHECK_FALSE(parses("SELECT FROM WHERE"));
    CHECK_FALSE(parses(""));
    CHECK_FALSE(parses("-- just a comment"));
    CHECK_FALSE(parses(std::string_view("SELECT \0 1", 10)));
}

TEST_CASE("normalize") {
    SUBCASE("constants become parameters") {
        const auto result = normalize("SELECT a FROM t WHERE b = 42 AND c = 'x'");
        REQUIRE(result.has_value());
        CHECK(*result == "SELECT a FROM t WHERE b = $1 AND c = $2");
    }
    SUBCASE("syntax error") {
        const auto result = normalize("SELECT a FORM t");
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().message == "syntax error at or near \"t\"");
        CHECK(result.error().offset == 14);
    }
}

TEST_CASE("fingerprint") {
    SUBCASE("equal for statements that differ in constants and layout") {
        const auto a = fingerprint("SELECT a FROM t WHERE b = 1");
        const auto b = fingerprint("select a\n  from t where b = 99");
        REQUIRE(a.has_value());
        REQUIRE(b.has_value());
        CHECK(a->size() == 16);
        CHECK(*a == *b);
        const auto c = fingerprint("SELECT a FROM u WHERE b = 1");
        REQUIRE(c.has_value());
        CHECK(*a != *c);
    }
    SUBCASE("NUL byte") {
        const auto result = fingerprint(std::string_view("SELECT\0", 7));
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().message == "invalid NUL byte (0x00) in SQL text");
        CHECK(result.error().offset == 6);
    }
}

TEST_CASE("token_shape_key: one key, one token_fingerprint") {
    // The log reader groups records by the key and names statements by the fingerprint: a key
    // must never hold two fingerprints (it may split one, by the class of its literals). Every statement of the test corpora, plus texts that
    // differ only in case, literals, comments and spacing, or in one letter of a long name
    // (the key reads eight bytes at a time).
    std::vector<std::string> texts = {
        "SELECT a FROM t WHERE b = 1", "select A from T where b = 'x' -- note", "SELECT a FROM t WHERE b = 99",
        "UPDATE \"Items\" SET n = $1 WHERE id = ANY($2::int[])", "UPDATE \"items\" SET n = 5 WHERE id = ANY('{1}'::int[])",
        "", "  ", "SELECT $q$it's$q$, E'\\x41', B'101', 1e3, :var, :'var'", "SELECT 'cut",
        "SELECT very_long_column_name_number_1 FROM t", "SELECT very_long_column_name_number_2 FROM t",
        "SELECT VERY_LONG_COLUMN_NAME_NUMBER_1 FROM t", "SELECT \"VERY_LONG_COLUMN_NAME_NUMBER_1\" FROM t",
        "SELECT caf\xC3\xA9 FROM t", "SELECT CAF\xC3\xA9 FROM t", "SELECT ab FROM t", "SELECT a b FROM t"};
    for (const auto& path : std::filesystem::recursive_directory_iterator(std::filesystem::path(DBADVISE_SOURCE_DIR) / "testdata")) {
        if (path.path().extension() != ".sql") continue;
        std::ifstream in(path.path(), std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (const auto& statement : dbadvise::sqlparse::parse_script(text)) {
            const dbadvise::sqlparse::Span span =
                statement.statement ? statement.statement->span : statement.error->statement_span;
            if (span.valid()) texts.emplace_back(text.substr(static_cast<std::size_t>(span.begin), static_cast<std::size_t>(span.end - span.begin)));
        }
    }
    std::map<std::uint64_t, std::string> fingerprint_of;
    std::set<std::string> fingerprints;
    for (const std::string& sql : texts) {
        CAPTURE(sql);
        const std::string fingerprint = dbadvise::sqlparse::token_fingerprint(sql);
        const std::uint64_t key = dbadvise::sqlparse::token_shape_key(sql);
        CHECK(fingerprint_of.emplace(key, fingerprint).first->second == fingerprint);
        fingerprints.insert(fingerprint);
    }
    CHECK(texts.size() > 300);
    CHECK(fingerprint_of.size() > 200); // many shapes, not one
    CHECK(fingerprint_of.size() < fingerprints.size() * 2); // a little finer than the fingerprint
    const auto key = [](const char* sql) { return dbadvise::sqlparse::token_shape_key(sql); };
    CHECK(key("SELECT a FROM t WHERE b = 1") == key("select a\n  from t where B = 99"));
    CHECK(key("SELECT a FROM t WHERE b = 'x'") == key("SELECT a FROM t WHERE b = $$y$$"));
    CHECK(key("SELECT 1.5") == key("SELECT 10000000000")); // both numeric constants to the grammar
    CHECK(key("SELECT very_long_column_name_number_1 FROM t") != key("SELECT very_long_column_name_number_2 FROM t"));
    // What the grammar sees of a literal decides whether a statement parses: it is in the key.
    CHECK(key("SELECT 'a'::varchar(10)") != key("SELECT 'a'::varchar(10000000000)"));
    CHECK(key("SELECT 'a'::varchar(10)") != key("SELECT 'a'::varchar(1.5)"));
    CHECK(key("SELECT DATE '2025-01-01'") != key("SELECT DATE 5"));
    CHECK(key("SELECT DATE '2025-01-01'") != key("SELECT DATE $1"));
    CHECK(key("SELECT E'\\x41'") != key("SELECT E'\\u12'")); // escapes: a bad one fails
    CHECK(key("SELECT 0x1F") != key("SELECT 0x2A")); // PostgreSQL 15 reads `0 x1F`
}

TEST_CASE("parse_script on a second thread yields the same statements, whichever stage is slower") {
    // Every kind of entry: good statements of several shapes, parse errors, a NUL byte and
    // operators that libpg_query escapes in its JSON (<, >), repeated so that many batches
    // follow each other.
    std::string text;
    for (int i = 0; i < 400; ++i) {
        text += "SELECT a, count(*) FROM t" + std::to_string(i % 7) +
                " WHERE b > 1 AND c <> 'x' GROUP BY a HAVING count(*) > 0;\n";
        text += "UPDATE u SET v = v + 1 WHERE id IN (SELECT id FROM w WHERE z < 3);\n";
        text += i % 50 == 0 ? "SELEC broken;\n" : "DELETE FROM q WHERE r IS NULL;\n";
        if (i == 200) {
            static constexpr char k_nul[] = "SELECT 'a\0b';\n";
            text += std::string(k_nul, sizeof k_nul - 1);
        }
    }
    struct Seen {
        bool error = false;
        int begin = -1;
        int end = -1;
        std::string node_type;
        std::string fingerprint;
        std::size_t relations = 0;
        std::size_t predicates = 0;
        std::size_t aggregate_comparisons = 0;
        std::string first_op;
        bool operator==(const Seen&) const = default;
    };
    const auto run = [&](ParseOptions::Threading threading, int sink_work) {
        ParseOptions options;
        options.threading = threading;
        std::vector<Seen> seen;
        volatile std::uint64_t sink = 0;
        parse_script(text, options, [&](ParsedStatement&& s) {
            // A sink slower than the parser (sink_work > 0) makes the parsing thread read the
            // JSON ahead; a fast one leaves the JSON to this thread.
            for (int k = 0; k < sink_work; ++k) {
                sink = sink + static_cast<std::uint64_t>(k);
            }
            Seen entry;
            entry.error = s.error.has_value();
            if (s.statement) {
                const Statement& st = *s.statement;
                entry.begin = st.span.begin;
                entry.end = st.span.end;
                entry.node_type = st.node_type;
                entry.fingerprint = st.fingerprint;
                entry.relations = st.query.relations.size();
                entry.predicates = st.query.predicates.size();
                entry.aggregate_comparisons = st.query.aggregate_comparisons.size();
                entry.first_op = st.query.predicates.empty() ? "" : st.query.predicates.front().op;
            } else if (s.error) {
                entry.begin = s.error->offset;
            }
            seen.push_back(std::move(entry));
        });
        return seen;
    };
    const std::vector<Seen> one = run(ParseOptions::Threading::never, 0);
    REQUIRE(one.size() == 1201);
    CHECK(std::count_if(one.begin(), one.end(), [](const Seen& s) { return s.error; }) == 9);
    CHECK(run(ParseOptions::Threading::always, 0) == one);
    CHECK(run(ParseOptions::Threading::always, 20000) == one);
}
