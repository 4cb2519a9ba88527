#include "sqlparse/script_reader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace dbadvise;
using sqlparse::ScriptItem;

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& items) {
        std::string out = "{";
        for (const std::string& item : items) {
            out += (out.size() > 1 ? " | " : "") + item;
        }
        return (out + "}").c_str();
    }
};
} // namespace doctest

namespace {

// One item as text: "sql:SELECT 1", "meta:\set x 1", "copy", "meta:\q (quit)".
std::string describe(std::string_view text, const ScriptItem& item) {
    const auto slice = [&](int begin, int end) {
        return std::string(text.substr(static_cast<std::size_t>(begin),
                                       static_cast<std::size_t>(end - begin)));
    };
    switch (item.kind) {
    case ScriptItem::Kind::statement: {
        std::string out = "sql:" + slice(item.begin, item.end);
        // Show the SQL, without white space at its ends.
        const std::size_t start = out.find_first_not_of(" \n\t", 4);
        out.erase(4, start - 4);
        while (out.ends_with(' ') || out.ends_with('\n')) {
            out.pop_back();
        }
        for (const sqlparse::MetaCommand& hole : item.holes) {
            out += " [hole " + slice(hole.begin, hole.end) + "]";
        }
        return out;
    }
    case ScriptItem::Kind::meta_command:
        return "meta:" + slice(item.command.begin, item.command.end) +
               (item.command.known ? "" : " (unknown)") + (item.quit ? " (quit)" : "");
    case ScriptItem::Kind::copy_data:
        return "copy";
    }
    return "?";
}

std::vector<std::string> items(std::string_view text, sqlparse::ScriptOptions options = {}) {
    sqlparse::ScriptReader reader(options);
    std::vector<std::string> out;
    int pos = 0;
    while (std::optional<ScriptItem> item = reader.next(text, pos, true, nullptr)) {
        REQUIRE(item->next > pos);
        pos = item->next;
        out.push_back(describe(text, *item));
    }
    return out;
}

using V = std::vector<std::string>;

// Adds `item` to `items`, joining COPY data handed out in several items (a reader given part
// of the script hands out the complete lines of a block as they come) into one.
void add_item(std::vector<ScriptItem>& items, const ScriptItem& item) {
    if (!items.empty() && item.kind == ScriptItem::Kind::copy_data &&
        items.back().kind == ScriptItem::Kind::copy_data && items.back().next == item.begin) {
        items.back().end = item.end;
        items.back().next = item.next;
        return;
    }
    items.push_back(item);
}

// The items of `text` read whole, with their tokens.
std::vector<ScriptItem> whole_items(std::string_view text, std::vector<sqlparse::Token>& tokens,
                                    bool& extension_script) {
    sqlparse::ScriptReader reader;
    std::vector<ScriptItem> out;
    int pos = 0;
    while (auto item = reader.next(text, pos, true, &tokens)) {
        pos = item->next;
        add_item(out, *item);
    }
    extension_script = reader.extension_script();
    return out;
}

// Moves the offsets of `item` (into a piece that starts at `base` of the script) to the
// script's.
ScriptItem rebased(ScriptItem item, int base) {
    item.begin += base;
    item.end += base;
    item.next += base;
    if (item.nul_offset >= 0) {
        item.nul_offset += base;
    }
    for (sqlparse::MetaCommand* command : {&item.command}) {
        command->begin += base;
        command->name_end += base;
        command->end += base;
    }
    for (sqlparse::MetaCommand& hole : item.holes) {
        hole.begin += base;
        hole.name_end += base;
        hole.end += base;
    }
    for (sqlparse::Span& span : item.placeholders) {
        span.begin += base;
        span.end += base;
    }
    return item;
}

} // namespace

TEST_CASE("ScriptReader") {
    SUBCASE("semicolons end statements outside parentheses, like psql") {
        CHECK(items("SELECT 1; SELECT (2;\n3);\n-- done\n") == V{"sql:SELECT 1", "sql:SELECT (2;\n3)"});
        CHECK(items("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
                    "DELETE FROM b); SELECT 1") ==
              V{"sql:CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
                "DELETE FROM b)",
                "sql:SELECT 1"});
        CHECK(items(";;  ;\n") == V{});
        CHECK(items("SELECT ';', \"a;b\", $$;$$, E'\\';' -- ;\n/* ; */;") ==
              V{"sql:SELECT ';', \"a;b\", $$;$$, E'\\';' -- ;\n/* ; */"});
    }
    SUBCASE("BEGIN ATOMIC bodies of CREATE FUNCTION and PROCEDURE stay one statement") {
        const std::string body = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n"
                                 "BEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 END;\nEND";
        CHECK(items(body + ";\nSELECT 2;") == V{"sql:" + body, "sql:SELECT 2"});
        CHECK(items("CREATE PROCEDURE p() BEGIN ATOMIC DELETE FROM t; END; BEGIN; COMMIT;") ==
              V{"sql:CREATE PROCEDURE p() BEGIN ATOMIC DELETE FROM t; END", "sql:BEGIN",
                "sql:COMMIT"});
        // BEGIN outside a routine is a transaction.
        CHECK(items("BEGIN; SELECT 1; END;") == V{"sql:BEGIN", "sql:SELECT 1", "sql:END"});
    }
    SUBCASE("meta-commands end at the end of their line and are not SQL") {
        CHECK(items("\\set ON_ERROR_STOP on\nDELETE FROM t;\n\\echo done; really\nSELECT 1;") ==
              V{"meta:\\set ON_ERROR_STOP on", "sql:DELETE FROM t", "meta:\\echo done; really",
                "sql:SELECT 1"});
        // `\\` ends the arguments and SQL goes on on the same line.
        CHECK(items("\\echo a \\\\ SELECT 1;") == V{"meta:\\echo a", "sql:SELECT 1"});
        // An unquoted backslash starts the next command; a quoted one does not.
        CHECK(items("\\echo 'a \\ b' \\echo c\n") == V{"meta:\\echo 'a \\ b'", "meta:\\echo c"});
        // Whole-line commands keep their backslashes.
        CHECK(items("\\copy t to 'C:\\out.csv' csv\nSELECT 1;") ==
              V{"meta:\\copy t to 'C:\\out.csv' csv", "sql:SELECT 1"});
        CHECK(items("\\restrict Abc123\nCREATE TABLE t (a int);\n\\unrestrict Abc123\n") ==
              V{"meta:\\restrict Abc123", "sql:CREATE TABLE t (a int)", "meta:\\unrestrict Abc123"});
    }
    SUBCASE("\\g and friends end the statement typed so far") {
        CHECK(items("SELECT 1 AS a \\gset\nSELECT :a;") ==
              V{"sql:SELECT 1 AS a", "meta:\\gset", "sql:SELECT :a"});
        CHECK(items("SELECT 1\n\\gx\nSELECT 2 \\g out.txt\n") ==
              V{"sql:SELECT 1", "meta:\\gx", "sql:SELECT 2", "meta:\\g out.txt"});
        CHECK(items("SELECT format('SELECT %s', 1) \\gexec") ==
              V{"sql:SELECT format('SELECT %s', 1)", "meta:\\gexec"});
    }
    SUBCASE("other commands inside a statement leave it open; \\r discards it") {
        CHECK(items("SELECT 1\n\\echo hi\n, 2;") == V{"sql:SELECT 1\n\\echo hi\n, 2 [hole \\echo hi]"});
        CHECK(items("SELECT oops\n\\r\nSELECT 2;") == V{"sql:SELECT 2"});
    }
    SUBCASE("\\; is a semicolon psql passes on: two statements for the server") {
        CHECK(items("SELECT 1 \\; SELECT 2;") == V{"sql:SELECT 1", "sql:SELECT 2"});
        CHECK(items("SELECT a[1\\:2];").size() == 1);
    }
    SUBCASE("\\quit ends the script, except in an extension script's guard line") {
        CHECK(items("SELECT 1;\n\\q\nSELECT broken(;") == V{"sql:SELECT 1", "meta:\\q (quit)"});
        CHECK(items("SELECT 1\n\\quit\n") == V{"meta:\\quit (quit)"});
        CHECK(items("\\echo Use \"CREATE EXTENSION x\" to load this file. \\quit\nSELECT 1;") ==
              V{"meta:\\echo Use \"CREATE EXTENSION x\" to load this file.", "meta:\\quit",
                "sql:SELECT 1"});
    }
    SUBCASE("COPY FROM STDIN data is skipped up to \\.") {
        CHECK(items("COPY t (a, b) FROM stdin;\n1\tit's; DROP TABLE x;\n2\t\\N\n\\.\nSELECT 1;") ==
              V{"sql:COPY t (a, b) FROM stdin", "copy", "sql:SELECT 1"});
        CHECK(items("\\copy t from stdin with csv\n\"a\";b\n\\.\nSELECT 1;") ==
              V{"meta:\\copy t from stdin with csv", "copy", "sql:SELECT 1"});
        CHECK(items("\\copy t from 'data.csv'\nSELECT 1;") ==
              V{"meta:\\copy t from 'data.csv'", "sql:SELECT 1"});
        CHECK(items("COPY t TO stdout;\nSELECT 1;") == V{"sql:COPY t TO stdout", "sql:SELECT 1"});
        // Several COPYs sent from one line read one block each, after that line.
        CHECK(items("select 0\\; copy a from stdin\\; copy b from stdin\\; select 1; -- 0 1\n"
                    "1\n\\.\n2\n\\.\nselect 2;") ==
              V{"sql:select 0", "sql:copy a from stdin", "sql:copy b from stdin", "sql:select 1",
                "copy", "sql:select 2"});
        CHECK(items("COPY a FROM stdin; SELECT 'same line';\n1\n\\.\nSELECT 2;") ==
              V{"sql:COPY a FROM stdin", "sql:SELECT 'same line'", "copy", "sql:SELECT 2"});
        // FROM STDOUT is FROM STDIN to the server and to \copy (PostgreSQL's insert.sql).
        CHECK(items("copy t from stdout;\n1\tbaz\n\\.\nselect 1;") ==
              V{"sql:copy t from stdout", "copy", "sql:select 1"});
        CHECK(items("\\copy t from stdout\n1\n\\.\nselect 1;") ==
              V{"meta:\\copy t from stdout", "copy", "sql:select 1"});
        // COPY (query) FROM STDIN is a syntax error: the server refuses it, psql reads no data
        // and the next lines are SQL (PostgreSQL's copyselect.sql).
        CHECK(items("copy (select * from t) from stdin;\nselect 1;\n") ==
              V{"sql:copy (select * from t) from stdin", "sql:select 1"});
        CHECK(items("\\copy (select 1) from stdin\nselect 1;\n") ==
              V{"meta:\\copy (select 1) from stdin", "sql:select 1"});
        // Data without its end marker runs to the end of the file.
        CHECK(items("COPY t FROM STDIN;\n1\n2\n") == V{"sql:COPY t FROM STDIN", "copy"});
    }
    SUBCASE("unknown commands are reported and their line skipped") {
        CHECK(items("\\gst x \\echo y\nSELECT 1;") == V{"meta:\\gst x \\echo y (unknown)", "sql:SELECT 1"});
        CHECK(items("\\dt+ public.*\n\\lo_import 'f'\n\\dconfig\n") ==
              V{"meta:\\dt+ public.*", "meta:\\lo_import 'f'", "meta:\\dconfig"});
    }
    SUBCASE("psql variables are marked on the statement") {
        sqlparse::ScriptReader reader;
        const std::string text = "SELECT * FROM t WHERE a = :v AND b = :'s';";
        const auto item = reader.next(text, 0, true, nullptr);
        REQUIRE(item);
        CHECK(item->variables);
    }
    SUBCASE("SET standard_conforming_strings = off changes how quotes are read") {
        CHECK(items("SET standard_conforming_strings = off;\nSELECT 'a\\'; b';\n"
                    "SET standard_conforming_strings TO 'on';\nSELECT 'c\\';") ==
              V{"sql:SET standard_conforming_strings = off", "sql:SELECT 'a\\'; b'",
                "sql:SET standard_conforming_strings TO 'on'", "sql:SELECT 'c\\'"});
    }
    SUBCASE("plain SQL: no meta-commands, no variables") {
        sqlparse::ScriptReader reader(sqlparse::ScriptOptions{false});
        const std::string text = "SELECT 1 \\g x; SELECT :v;";
        const auto item = reader.next(text, 0, true, nullptr);
        REQUIRE(item);
        CHECK(item->end == 13);
        CHECK_FALSE(item->variables);
    }
    SUBCASE("CREATE EXTENSION placeholders are one name") {
        sqlparse::ScriptReader reader;
        const std::string text = "ALTER LANGUAGE plpgsql OWNER TO @extowner@; "
                                 "CREATE FUNCTION @extschema:other@.f() RETURNS int;";
        std::vector<sqlparse::Token> tokens;
        const auto first = reader.next(text, 0, true, &tokens);
        REQUIRE(first);
        REQUIRE(first->placeholders.size() == 1);
        CHECK(first->placeholders[0].begin == 32);
        CHECK(first->placeholders[0].end == 42);
        CHECK(sqlparse::token_text(text, tokens.back()) == "@extowner@");
        const auto second = reader.next(text, first->next, true, &tokens);
        REQUIRE(second);
        REQUIRE(second->placeholders.size() == 1);
        CHECK(text.substr(static_cast<std::size_t>(second->placeholders[0].begin),
                          static_cast<std::size_t>(second->placeholders[0].end -
                                                   second->placeholders[0].begin)) ==
              "@extschema:other@");
    }
}

TEST_CASE("ScriptReader reads a growing buffer as it reads the whole text") {
    // What a reader that gets the script in chunks sees: at every cut, the items it may
    // hand out are those of the whole text, and it hands out nothing that could still grow.
    const std::string text =
        "\\set x 1\nSELECT 'a;b' AS s, $$;$$ \\gset\nCOPY t FROM stdin;\n1;2\n\\.\n"
        "CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END;\n/* c */ SELECT :x;\n\\echo end\nSELECT 2";
    std::vector<ScriptItem> whole;
    {
        sqlparse::ScriptReader reader;
        int pos = 0;
        while (auto item = reader.next(text, pos, true, nullptr)) {
            pos = item->next;
            whole.push_back(*item);
        }
    }
    REQUIRE(whole.size() == 9);
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        CAPTURE(cut);
        sqlparse::ScriptReader reader;
        const std::string_view prefix = std::string_view(text).substr(0, cut);
        int pos = 0;
        std::vector<ScriptItem> read;
        while (auto item = reader.next(prefix, pos, false, nullptr)) {
            pos = item->next;
            add_item(read, *item);
        }
        // Only COPY data may stop inside an item of the whole text (after a complete line).
        REQUIRE(read.size() <= whole.size());
        for (std::size_t i = 0; i < read.size(); ++i) {
            CHECK(read[i].kind == whole[i].kind);
            CHECK(read[i].begin == whole[i].begin);
            if (read[i].kind != ScriptItem::Kind::copy_data) {
                CHECK(read[i].end == whole[i].end);
                CHECK(read[i].next == whole[i].next);
            }
        }
        // Then the rest, read with the whole text, continues where the prefix stopped.
        while (auto item = reader.next(text, pos, true, nullptr)) {
            pos = item->next;
            add_item(read, *item);
        }
        REQUIRE(read.size() == whole.size());
        for (std::size_t i = 0; i < read.size(); ++i) {
            CHECK(read[i].kind == whole[i].kind);
            CHECK(read[i].begin == whole[i].begin);
            CHECK(read[i].end == whole[i].end);
            CHECK(read[i].next == whole[i].next);
        }
    }
}

TEST_CASE("ScriptReader fed in pieces that it discards reads as it reads the whole text") {
    // A reader of a large file keeps only the item in progress: after each piece the text it
    // has read is dropped (discard()) and the next piece is appended to the rest. Cut into
    // pieces of every size from 1 byte to the whole script, so that every construct is split
    // at every byte, the items (with offsets in the script) and tokens must be those of one
    // read of the whole text.
    const std::string text =
        "\\echo Use \"CREATE EXTENSION x\" to load this file. \\quit\r\n"
        "SELECT 'a;b' AS s, $$;$$ \\gset\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;\r\n"
        "/* a comment; with a semicolon */ SELECT 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80' AS w; -- done;\n"
        "\\set x 1\nSELECT :x,\n\\echo inside\n 2;\n"
        "COPY t FROM stdin;\n1\tone;\n2\ttwo\r\n\\.\n"
        "COPY a FROM stdin\\; COPY b FROM stdin;\nx\n\\.\ny\n\\.\n"
        "SET standard_conforming_strings = off;\nSELECT 'it\\'s';\n"
        "CREATE FUNCTION g() BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
        "\\unknowncmd arg\nSELECT @extschema@.h();\nSELECT 3";
    std::vector<sqlparse::Token> whole_tokens;
    bool whole_extension = false;
    const std::vector<ScriptItem> whole = whole_items(text, whole_tokens, whole_extension);
    REQUIRE(whole.size() == 19);
    CHECK(whole_extension);
    // Text is dropped after each piece, or (each_item) after every item handed out.
    for (const bool each_item : {false, true})
    for (std::size_t piece = 1; piece <= text.size(); ++piece) {
        CAPTURE(each_item);
        CAPTURE(piece);
        sqlparse::ScriptReader reader;
        std::string buffer;
        int base = 0; // the script offset of buffer[0]
        std::size_t fed = 0;
        std::vector<ScriptItem> read;
        std::vector<sqlparse::Token> tokens;
        bool final = false;
        while (!final) {
            buffer += text.substr(fed, piece);
            fed = std::min(text.size(), fed + piece);
            final = fed == text.size();
            int pos = 0;
            std::vector<sqlparse::Token> piece_tokens;
            const auto keep_tokens = [&] {
                for (sqlparse::Token token : piece_tokens) {
                    token.begin += base;
                    token.end += base;
                    tokens.push_back(token);
                }
                piece_tokens.clear();
            };
            while (auto item = reader.next(buffer, pos, final, &piece_tokens)) {
                REQUIRE(item->next > pos);
                pos = item->next;
                add_item(read, rebased(*item, base));
                if (each_item) {
                    keep_tokens();
                    reader.discard(buffer, pos);
                    buffer.erase(0, static_cast<std::size_t>(pos));
                    base += pos;
                    pos = 0;
                }
            }
            keep_tokens();
            reader.discard(buffer, pos);
            buffer.erase(0, static_cast<std::size_t>(pos));
            base += pos;
        }
        CHECK(reader.extension_script() == whole_extension);
        REQUIRE(read.size() == whole.size());
        for (std::size_t i = 0; i < whole.size(); ++i) {
            CAPTURE(i);
            CHECK(describe(text, read[i]) == describe(text, whole[i]));
            CHECK(read[i].begin == whole[i].begin);
            CHECK(read[i].end == whole[i].end);
            CHECK(read[i].next == whole[i].next);
            CHECK(read[i].variables == whole[i].variables);
            CHECK(read[i].quit == whole[i].quit);
            CHECK(read[i].placeholders.size() == whole[i].placeholders.size());
        }
        REQUIRE(tokens.size() == whole_tokens.size());
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            CHECK(tokens[i].begin == whole_tokens[i].begin);
            CHECK(tokens[i].end == whole_tokens[i].end);
            CHECK(tokens[i].kind == whole_tokens[i].kind);
        }
    }
}

TEST_CASE("ScriptReader reads the comments before a statement as they come") {
    // A caller that discards up to read_to() when no item is complete keeps only a byte or
    // two of a long comment, wherever the pieces are cut (also between the two bytes of
    // `--`, `/*` or `*/`), and reads the items of the whole text; a statement starts at its
    // first token.
    std::string block = "/* head /* nested */ *";
    for (int i = 0; i < 200; ++i) {
        block += "* / x/ *x /* in */ -- /*/ x */ "; // lone `*` and `/`, nested comments
    }
    block += "/ */";
    const std::vector<std::pair<std::string, V>> cases = {
        {"-- " + std::string(3000, 'x') + "\nDELETE FROM t;\n", V{"sql:DELETE FROM t"}},
        {"\n\t" + block + "\n  SELECT 1; " + block + " -" + "- done\n", V{"sql:SELECT 1"}},
        {"-- header\n" + block + "\n-- " + std::string(2000, 'y') + "\nDO $$BEGIN PERFORM 1; END$$;",
         V{"sql:DO $$BEGIN PERFORM 1; END$$"}},
        {"SELECT 1;\n" + block, V{"sql:SELECT 1"}},
        {"/* unterminated " + std::string(3000, 'z'), V{}},
    };
    for (const auto& [text, expected] : cases) {
        CAPTURE(text.substr(0, 40));
        REQUIRE(items(text) == expected);
        std::vector<sqlparse::Token> whole_tokens;
        bool extension = false;
        const std::vector<ScriptItem> whole = whole_items(text, whole_tokens, extension);
        for (const ScriptItem& item : whole) {
            CHECK(text.substr(static_cast<std::size_t>(item.begin), 3) != "-- ");
            CHECK(text[static_cast<std::size_t>(item.begin)] != '/');
        }
        for (const std::size_t piece : std::vector<std::size_t>{1, 2, 3, 5, 7, 64, 1000}) {
            CAPTURE(piece);
            sqlparse::ScriptReader reader;
            std::string buffer;
            int base = 0;
            std::size_t fed = 0;
            std::size_t held = 0;
            std::vector<ScriptItem> read;
            bool final = false;
            while (!final) {
                buffer += text.substr(fed, piece);
                fed = std::min(text.size(), fed + piece);
                final = fed == text.size();
                int pos = 0;
                while (auto item = reader.next(buffer, pos, final, nullptr)) {
                    pos = item->next;
                    add_item(read, rebased(*item, base));
                }
                if (!final) {
                    REQUIRE(reader.read_to() >= pos);
                    pos = reader.read_to();
                }
                reader.discard(buffer, pos);
                buffer.erase(0, static_cast<std::size_t>(pos));
                base += pos;
                if (!final) {
                    held = std::max(held, buffer.size());
                }
            }
            REQUIRE(read.size() == whole.size());
            for (std::size_t i = 0; i < whole.size(); ++i) {
                CHECK(describe(text, read[i]) == describe(text, whole[i]));
                CHECK(read[i].begin == whole[i].begin);
                CHECK(read[i].end == whole[i].end);
                CHECK(read[i].next == whole[i].next);
            }
            // A comment is never kept; a statement in progress is (here at most 29 bytes).
            CHECK(held < 32);
        }
    }
}

TEST_CASE("ScriptReader hands out a large COPY block a line at a time when it may discard") {
    sqlparse::ScriptReader reader;
    const std::string head = "COPY t FROM stdin;\n1\n2\n3";
    int pos = 0;
    auto copy = reader.next(head, pos, false, nullptr);
    REQUIRE(copy);
    CHECK(copy->kind == ScriptItem::Kind::statement);
    pos = copy->next;
    auto data = reader.next(head, pos, false, nullptr);
    REQUIRE(data);
    CHECK(data->kind == ScriptItem::Kind::copy_data);
    CHECK(head.substr(static_cast<std::size_t>(data->begin),
                      static_cast<std::size_t>(data->end - data->begin)) == "1\n2\n");
    pos = data->next;
    CHECK_FALSE(reader.next(head, pos, false, nullptr)); // "3" may go on
    reader.discard(head, pos);
    const std::string rest = "3\n\\.\nSELECT 1;";
    auto end = reader.next(rest, 0, true, nullptr);
    REQUIRE(end);
    CHECK(end->kind == ScriptItem::Kind::copy_data);
    CHECK(end->next == 5);
    auto select = reader.next(rest, end->next, true, nullptr);
    REQUIRE(select);
    CHECK(describe(rest, *select) == "sql:SELECT 1");
}
