// The lint driver: every rule over every statement, parse errors as findings, locations as
// file:line:column, sorted output; and the testdata/lint files used by the golden tests.
#include "analyzer/lint.hpp"
#include "analyzer/psql_variables.hpp"
#include "analyzer/rule_registry.hpp"

#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

using namespace dbadvise;

namespace {

std::string read_testdata(const std::string& name) {
    const std::string path = std::string(DBADVISE_SOURCE_DIR) + "/testdata/lint/" + name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<analyzer::Finding> lint(std::string_view text, const analyzer::Schema* schema,
                                    analyzer::LintStats& stats) {
    std::vector<analyzer::Finding> out;
    analyzer::lint_text("test.sql", text, schema, out, stats);
    return out;
}

// `text` fed to a ScriptLint `piece` bytes at a time, as the CLI feeds a file or standard
// input, dropping what each feed consumed.
std::vector<analyzer::Finding> lint_in_pieces(std::string_view file, const std::string& text, std::size_t piece,
                                              analyzer::LintStats& stats) {
    std::vector<analyzer::Finding> found;
    analyzer::ScriptLint lint(file, nullptr, stats);
    std::string buffer;
    std::size_t fed = 0;
    bool final = false;
    while (!final) {
        buffer += text.substr(fed, piece);
        fed = std::min(text.size(), fed + piece);
        final = fed == text.size();
        buffer.erase(0, lint.feed(buffer, final, found));
    }
    return found;
}

} // namespace

TEST_CASE("lint_text rewrites keep literals and bytes as written") {
    // Latin-1 bytes (not UTF-8), escapes and every quoting form survive each rewrite unchanged.
    const std::string literals = "'caf\xe9', E'\\x41\\'', $q$it's$q$, U&'d\\0061t', B'101', X'1F', 1e3";
    const analyzer::Schema schema = [] {
        analyzer::Schema s;
        s.add_statements(sqlparse::parse_script(
            "CREATE TABLE t (id int PRIMARY KEY, na\xefve text NOT NULL, note text, at timestamptz NOT NULL);"));
        return s;
    }();
    const std::string text =
        "SELECT id FROM t WHERE note = NULL AND na\xefve IN (" + literals + ");\n"
        "SELECT * FROM t WHERE na\xefve = 'd\xe9j\xe0';\n"
        "SELECT id FROM t WHERE id IN (SELECT t_id FROM s WHERE note IN (" + literals + "));\n"
        "SELECT id FROM t WHERE na\xefve <> 'd\xe9j\xe0' ORDER BY at LIMIT 10 OFFSET 5000;\n"
        "SELECT id FROM t WHERE at::date = '2024-01-0\xe9' AND note = 'caf\xe9';\n";
    analyzer::LintStats stats;
    std::vector<analyzer::Finding> out;
    analyzer::lint_text("latin1.sql", text, &schema, out, stats);
    std::map<std::string, std::string> rewrites;
    for (const analyzer::Finding& f : out) {
        if (!f.suggestion.rewritten_query.empty()) {
            rewrites[std::string(analyzer::to_string(f.rule))] = f.suggestion.rewritten_query;
        }
    }
    CHECK(rewrites["null-comparison"] ==
          "SELECT id FROM t WHERE note IS NULL AND na\xefve IN (" + literals + ")");
    CHECK(rewrites["select-star"] == "SELECT id, \"na\xefve\", note, at FROM t WHERE na\xefve = 'd\xe9j\xe0'");
    CHECK(rewrites["in-subquery"].find("note IN (" + literals + ")") != std::string::npos);
    CHECK(rewrites["deep-offset"] ==
          "SELECT id, at FROM t WHERE na\xefve <> 'd\xe9j\xe0' AND (at, id) > ($1, $2) ORDER BY at, id LIMIT 10");
    CHECK(rewrites["non-sargable-predicate"] ==
          "SELECT id FROM t WHERE at >= '2024-01-0\xe9'::date AND at < '2024-01-0\xe9'::date + 1 AND note = 'caf\xe9'");
}

TEST_CASE("lint_text") {
    analyzer::LintStats stats;
    SUBCASE("a parse error is a finding and the other statements are still checked") {
        const std::string text = "SELECT 1;\nSELEC id FROM users;\nSELECT id FROM users WHERE "
                                 "deleted_at = NULL;\n";
        const auto found = lint(text, nullptr, stats);
        CHECK(stats.statements == 3);
        CHECK(stats.parse_errors == 1);
        REQUIRE(found.size() == 2);
        CHECK(found[0].rule_id() == "parse-error");
        CHECK(found[0].category() == analyzer::Category::input);
        CHECK(found[0].severity == analyzer::Severity::error);
        CHECK(found[0].message == "syntax error at or near \"SELEC\"");
        CHECK(found[0].location->file == "test.sql");
        CHECK(found[0].location->line == 2);
        CHECK(found[0].location->column == 1);
        CHECK(found[1].rule_id() == "null-comparison");
        CHECK(found[1].location->line == 3);
        CHECK(found[1].location->column == 39);
    }
    SUBCASE("findings are located and sorted by line and column") {
        const std::string text = "DELETE FROM sessions;\n"
                                 "SELECT * FROM users u, orders o ORDER BY random();\n";
        const auto found = lint(text, nullptr, stats);
        std::vector<std::tuple<std::string, int, int>> got;
        for (const auto& f : found) {
            got.emplace_back(f.rule_id(), f.location->line, f.location->column);
        }
        CHECK(got == std::vector<std::tuple<std::string, int, int>>{
                         {"unfiltered-write", 1, 1},
                         {"select-star", 2, 8},
                         {"cartesian-product", 2, 24},
                         {"missing-limit", 2, 42},
                         {"order-by-random", 2, 42},
                     });
    }
    SUBCASE("columns count characters, not bytes") {
        const std::string text = "SELECT 'é' AS x, id FROM users WHERE name = NULL";
        const auto found = lint(text, nullptr, stats);
        REQUIRE(found.size() == 1);
        CHECK(found[0].location->column == 43);
    }
    SUBCASE("the same finding in two statements gets two stable ids") {
        const std::string text = "DELETE FROM sessions;\nDELETE FROM sessions WHERE true;\n"
                                 "UPDATE sessions SET id = id;\n";
        const auto found = lint(text, nullptr, stats);
        REQUIRE(found.size() == 2);
        CHECK(found[0].id() != found[1].id());
        std::vector<analyzer::Finding> again;
        analyzer::lint_text("test.sql", text, nullptr, again, stats);
        CHECK(again[0].id() == found[0].id());
    }
    SUBCASE("a statement over the size limit is reported, not parsed, and the rest checked") {
        // An IN list of 200,000 values, 1.6 MB: over the 1 MiB limit.
        std::string text = "SELECT 1;\nSELECT id FROM t WHERE id IN (1";
        for (int i = 0; i < 200000; ++i) {
            text += ",1234567";
        }
        text += ");\nDELETE FROM sessions;\n";
        const auto found = lint(text, nullptr, stats);
        CHECK(stats.statements == 3);
        CHECK(stats.parse_errors == 0);
        REQUIRE(found.size() == 2);
        CHECK(found[0].rule_id() == "statement-too-large");
        CHECK(found[0].category() == analyzer::Category::input);
        CHECK(found[0].severity == analyzer::Severity::warning);
        CHECK(found[0].message == "statement of 1.5 MiB not checked: longer than the 1.0 MiB limit");
        CHECK(found[0].location->line == 2);
        CHECK(found[0].location->column == 1);
        CHECK(found[1].rule_id() == "unfiltered-write");
        CHECK(found[1].location->line == 3);
    }
    SUBCASE("an empty text has no statements and no findings") {
        CHECK(lint("", nullptr, stats).empty());
        CHECK(lint("-- only a comment\n", nullptr, stats).empty());
        CHECK(stats.parse_errors == 0);
    }
}

TEST_CASE("lint_text on testdata/lint/all_rules.sql") {
    const std::string text = read_testdata("all_rules.sql");
    analyzer::Schema schema;
    schema.add_statements(sqlparse::parse_script(read_testdata("schema.sql")));
    analyzer::LintStats stats;
    std::vector<analyzer::Finding> found;
    analyzer::lint_text("all_rules.sql", text, &schema, found, stats);
    CHECK(stats.statements == 16);
    CHECK(stats.parse_errors == 0);
    std::vector<std::tuple<std::string, int, int>> got;
    for (const auto& f : found) {
        got.emplace_back(f.rule_id(), f.location->line, f.location->column);
    }
    const std::vector<std::tuple<std::string, int, int>> expected = {
        {"cartesian-product", 7, 16},
        {"count-for-existence", 11, 17},
        {"deep-offset", 16, 17},
        {"in-subquery", 20, 12},
        {"leading-wildcard-like", 23, 45},
        {"long-in-list", 26, 40},
        {"missing-limit", 34, 66},
        {"non-sargable-predicate", 37, 36},
        {"not-in-subquery", 41, 12},
        {"null-comparison", 44, 49},
        {"or-across-columns", 47, 38},
        {"order-by-random", 50, 40},
        {"scalar-subquery-in-select", 54, 8},
        {"select-star", 59, 8},
        {"unfiltered-write", 62, 1},
        {"union-vs-union-all", 66, 1},
    };
    CHECK(got == expected);
    for (const auto& f : found) {
        CAPTURE(f.rule_id());
        if (!f.suggestion.rewritten_query.empty()) {
            CHECK(sqlparse::parses(f.suggestion.rewritten_query));
        }
    }
}

TEST_CASE("lint_text on testdata/lint/clean.sql") {
    const std::string text = read_testdata("clean.sql");
    analyzer::Schema schema;
    schema.add_statements(sqlparse::parse_script(read_testdata("schema.sql")));
    analyzer::LintStats stats;
    std::vector<analyzer::Finding> found;
    analyzer::lint_text("clean.sql", text, &schema, found, stats);
    CHECK(stats.parse_errors == 0);
    CHECK(stats.statements >= 25);
    for (const auto& f : found) {
        CAPTURE(f.rule_id());
        CAPTURE(f.location->line);
        CHECK(f.severity == analyzer::Severity::info);
    }
    CHECK(found.empty());
}

// Rewrites look for clause keywords after an offset; scanning to the end of the file from
// every statement made lint quadratic in the file size (minutes for a few MB).
TEST_CASE("lint_text stays linear on a large file" * doctest::timeout(60)) {
    std::string text;
    for (int i = 0; i < 20000; ++i) {
        text += "SELECT o.id FROM orders o, customers c WHERE o.total > " + std::to_string(i) +
                " AND o.id IN (SELECT order_id FROM items WHERE qty > 1);\n";
    }
    analyzer::LintStats stats;
    std::vector<analyzer::Finding> found;
    analyzer::lint_text("big.sql", text, nullptr, found, stats);
    CHECK(stats.statements == 20000);
    CHECK(found.size() == 40000);
    CHECK(found.back().location->line == 20000);
}

TEST_CASE("lint_text gives the same findings with the parser on a second thread") {
    // A script of a few thousand statements: every rule's test file, parse errors, a NUL
    // byte and clean statements, repeated so that the batches fill and follow each other.
    const std::string unit = read_testdata("all_rules.sql") + "\n;SELEC broken FROM t;\n" +
                             read_testdata("clean.sql") + "\n;SELECT 1 FROM t WHERE a = NULL;\n";
    std::string text;
    for (int i = 0; i < 60; ++i) {
        text += unit;
        if (i == 30) {
            static constexpr char k_nul[] = "SELECT 'nul\0byte';\n";
            text += std::string(k_nul, sizeof k_nul - 1);
        }
    }
    const auto run = [&](sqlparse::ParseOptions::Threading threading) {
        analyzer::LintStats stats;
        std::vector<analyzer::Finding> out;
        analyzer::lint_text("big.sql", text, nullptr, out, stats, threading);
        return std::make_tuple(out, stats.statements, stats.parse_errors);
    };
    const auto [one, one_statements, one_errors] = run(sqlparse::ParseOptions::Threading::never);
    const auto [two, two_statements, two_errors] = run(sqlparse::ParseOptions::Threading::always);
    CHECK(one_statements > 1000);
    CHECK(one_errors >= 61);
    CHECK(two_statements == one_statements);
    CHECK(two_errors == one_errors);
    REQUIRE(two.size() == one.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
        CAPTURE(i);
        CHECK(two[i].rule_id() == one[i].rule_id());
        CHECK(two[i].location->line == one[i].location->line);
        CHECK(two[i].location->column == one[i].location->column);
        CHECK(two[i].message == one[i].message);
        CHECK(two[i].suggestion.rewritten_query == one[i].suggestion.rewritten_query);
    }
}

TEST_CASE("comments before a statement do not count toward the size limit, nor are held whole") {
    // A 2 MiB line comment, an 80,000-line block comment and comments before a DO block: the
    // statements after them are checked (each DELETE is an unfiltered-write), whether the
    // text is read whole or in pieces, and a reader in pieces holds little more than a piece.
    std::string text = "-- " + std::string(2 * 1024 * 1024, 'x') + "\nDELETE FROM a;\n/*\n";
    for (int i = 0; i < 80000; ++i) {
        text += "  * line of a long header /* nested */ -- not a line comment here\n";
    }
    text += "*/\nDELETE FROM b;\n-- " + std::string(1536 * 1024, 'y') + "\n/* " +
            std::string(1536 * 1024, 'z') + " */\nDO $$ BEGIN DELETE FROM c; END $$;\n";
    // A statement over the limit is still refused, and the size given is its own (not 2.5).
    text += "-- " + std::string(1024 * 1024, 'w') + "\nSELECT '" + std::string(1536 * 1024, 'v') + "';\n";
    const auto check = [&](const std::vector<analyzer::Finding>& found) {
        REQUIRE(found.size() == 4);
        CHECK(found[0].rule_id() == "unfiltered-write");
        CHECK(found[0].location->line == 2);
        CHECK(found[1].rule_id() == "unfiltered-write");
        CHECK(found[1].location->line == 80005);
        CHECK(found[2].rule_id() == "unfiltered-write");
        CHECK(found[2].location->line == 80008);
        CHECK(found[3].rule_id() == "statement-too-large");
        CHECK(found[3].message == "statement of 1.5 MiB not checked: longer than the 1.0 MiB limit");
        CHECK(found[3].location->line == 80010);
        CHECK(found[3].location->column == 1);
    };
    analyzer::LintStats whole_stats;
    std::vector<analyzer::Finding> whole;
    analyzer::lint_text("c.sql", text, nullptr, whole, whole_stats);
    check(whole);
    CHECK(whole_stats.statements == 4);
    for (const std::size_t piece : {std::size_t{4093}, std::size_t{65536}, std::size_t{4} << 20}) {
        CAPTURE(piece);
        analyzer::LintStats stats;
        std::vector<analyzer::Finding> found;
        analyzer::ScriptLint lint("c.sql", nullptr, stats);
        std::string buffer;
        std::size_t fed = 0;
        std::size_t held = 0; // the most text kept unread between two pieces
        std::size_t want = piece;
        bool final = false;
        while (!final) {
            buffer += text.substr(fed, want);
            fed = std::min(text.size(), fed + want);
            final = fed == text.size();
            const std::size_t used = lint.feed(buffer, final, found);
            buffer.erase(0, used);
            // As lint_input does: a statement longer than a piece is read in larger pieces.
            want = used == 0 ? std::max(piece, buffer.size()) : piece;
            if (fed < text.size() - 1600 * 1024) { // before the statement over the limit
                held = std::max(held, buffer.size());
            }
        }
        analyzer::sort_by_location(found);
        check(found);
        CHECK(stats.statements == whole_stats.statements);
        CHECK(held < 64);
    }
}

TEST_CASE("ScriptLint fed in pieces gives the findings of lint_text on the whole text") {
    // Every cut of the script, by pieces of every size, must give the same findings at the
    // same file positions: statements, function bodies, rewrites spliced from the text,
    // psql meta-commands, COPY data, \quit, CRLF line ends and multi-byte characters before
    // a finding on its line.
    const std::string text =
        "\xEF\xBB\xBF-- \xc3\xa9t\xc3\xa9\r\nSELECT * FROM t WHERE a = NULL;\r\n"
        "\\set ON_ERROR_STOP on\n"
        "SELECT 'caf\xc3\xa9', x FROM t WHERE b = NULL; SELECT * FROM u ORDER BY random();\n"
        "DO $$ BEGIN DELETE FROM audit; END $$;\n"
        "/* lead /* nested */ *\xc3\xa9/ -- */ SELECT * FROM t WHERE d = NULL;\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC UPDATE t SET a = 1; END;\n"
        "COPY t FROM stdin;\n1\t2\n\\.\n"
        "SELECT id FROM t WHERE id IN (SELECT id FROM u);\n"
        "SELEC broken;\n\\unknown\n"
        "SELECT * FROM t WHERE c = NULL \\g\n"
        "\\quit\nSELECT * FROM never WHERE x = NULL;\n";
    analyzer::LintStats whole_stats;
    std::vector<analyzer::Finding> whole;
    analyzer::lint_text("p.sql", text, nullptr, whole, whole_stats);
    REQUIRE(whole.size() >= 8);
    const auto key = [](const analyzer::Finding& f) {
        return std::make_tuple(std::string(f.rule_id()), f.location->line, f.location->column,
                               f.location->offset, f.message, f.subject,
                               f.suggestion.rewritten_query, f.fingerprint);
    };
    for (std::size_t piece = 1; piece <= text.size(); ++piece) {
        CAPTURE(piece);
        analyzer::LintStats stats;
        std::vector<analyzer::Finding> found = lint_in_pieces("p.sql", text, piece, stats);
        analyzer::sort_by_location(found);
        CHECK(stats.statements == whole_stats.statements);
        CHECK(stats.parse_errors == whole_stats.parse_errors);
        CHECK(stats.body_statements == whole_stats.body_statements);
        REQUIRE(found.size() == whole.size());
        for (std::size_t i = 0; i < found.size(); ++i) {
            CHECK(key(found[i]) == key(whole[i]));
        }
    }
}

TEST_CASE("a /* comment never closed is an error where it begins, whole or fed in pieces") {
    // psql sends the comment and everything after it; the server answers "unterminated /*
    // comment". The DELETE after it was silently never checked before.
    const std::string text = "SELECT 1;\n-- fine\n  /* never closed /* nested */\nDELETE FROM x;\n";
    analyzer::LintStats whole_stats;
    std::vector<analyzer::Finding> whole;
    analyzer::lint_text("c.sql", text, nullptr, whole, whole_stats);
    REQUIRE(whole.size() == 1);
    CHECK(whole[0].rule_id() == "parse-error");
    CHECK(whole[0].severity == analyzer::Severity::error);
    CHECK(whole[0].message.find("unterminated /* comment") != std::string::npos);
    CHECK(whole[0].location->line == 3);
    CHECK(whole[0].location->column == 3);
    CHECK(whole[0].location->offset == static_cast<int>(text.find("/*")));
    CHECK(whole_stats.parse_errors == 1);
    for (std::size_t piece = 1; piece <= text.size(); ++piece) {
        CAPTURE(piece);
        analyzer::LintStats stats;
        std::vector<analyzer::Finding> found = lint_in_pieces("c.sql", text, piece, stats);
        REQUIRE(found.size() == 1);
        CHECK(found[0].location->line == 3);
        CHECK(found[0].location->column == 3);
        CHECK(found[0].location->offset == whole[0].location->offset);
        CHECK(found[0].message == whole[0].message);
    }
    // Closed at the very end, or a line comment without a newline: nothing to report.
    for (const std::string closed : {"SELECT 1;\n/* closed */", "SELECT 1;\n-- no newline"}) {
        analyzer::LintStats stats;
        std::vector<analyzer::Finding> found;
        analyzer::lint_text("c.sql", closed, nullptr, found, stats);
        CHECK(found.empty());
    }
}

TEST_CASE("finding ids: the file is normalised lexically, and each file keeps its own ids") {
    // Finding::id keeps the normalised path of the last file it saw; changing files between
    // calls must not carry one file's path into another's id.
    analyzer::Finding finding(analyzer::RuleId::unfiltered_write);
    finding.subject = "sessions";
    finding.fingerprint = "0123456789abcdef";
    const auto id_in = [&finding](std::string file) {
        finding.location = analyzer::Location{};
        finding.location->file = std::move(file);
        return finding.id();
    };
    const std::string a = id_in("migrations/a.sql");
    const std::string b = id_in("migrations/b.sql");
    // FNV-1a of "unfiltered-write", "migrations/a.sql", "sessions", the fingerprint, each
    // followed by 0xff: the value users' baselines hold.
    CHECK(a == "50462cd5145e309f");
    CHECK(a != b);
    CHECK(id_in("./migrations/a.sql") == a);
    CHECK(id_in("migrations/b.sql") == b);
    CHECK(id_in("migrations/x/../a.sql") == a);
    CHECK(id_in("migrations/a.sql") == a);
    finding.location.reset();
    CHECK(finding.id() != a);
    const std::vector<analyzer::Finding> twice{finding, finding};
    const std::vector<std::string> ids = analyzer::finding_ids(twice);
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] == finding.id());
    CHECK(ids[1] != ids[0]);
    CHECK(ids[1].size() == 16);
}

TEST_CASE("findings show psql variables as written, never their parse placeholders") {
    // Each variable is replaced for the parser by a placeholder (`:vschema` by `_vschema`,
    // `:"vtbl"` by `"vtbl"`, `:'vval'` by `'vval'`): none of them may reach a title, message,
    // subject, evidence or suggestion, where it would name something the script does not.
    const analyzer::Schema schema = [] {
        analyzer::Schema s;
        s.add_statements(sqlparse::parse_script(
            "CREATE TABLE orders (id int PRIMARY KEY, a int, x int, email text, created timestamptz);"
            "CREATE TABLE vtbl (id int PRIMARY KEY, x int, note text, created timestamptz);"));
        return s;
    }();
    const std::string text =
        "SELECT * FROM :\"vtbl\" WHERE x NOT IN (SELECT y FROM z);\n"
        "SELECT * FROM :vschema.orders WHERE id IN (SELECT order_id FROM :\"vtbl\");\n"
        "SELECT * FROM :vschema.orders o WHERE o.x NOT IN (SELECT y FROM z);\n"
        "SELECT id FROM orders WHERE :vcol = NULL;\n"
        "SELECT id FROM :vschema.orders WHERE lower(email) = :'vval';\n"
        "SELECT id FROM :\"vtbl\" WHERE note LIKE '%x' ORDER BY random();\n"
        "SELECT id FROM :vschema.orders, :\"vtbl\";\n"
        "DELETE FROM :\"vtbl\";\n"
        "UPDATE :vschema.orders SET a = 1;\n"
        "SELECT id FROM :\"vtbl\" ORDER BY id LIMIT 10 OFFSET 100000;\n"
        "SELECT id FROM :\"vtbl\" WHERE x = 1 OR note = 'a';\n"
        "SELECT id FROM :\"vtbl\" UNION SELECT id FROM :vschema.orders;\n"
        "SELECT (SELECT max(y) FROM z WHERE z.x = :\"vtbl\".x) FROM :\"vtbl\";\n"
        "SELECT * FROM :\"vtbl\" WHERE created::date = '2024-01-01';\n"
        "SELECT * FROM :vschema.orders WHERE created::date = '2024-01-01';\n"
        "SELECT count(*) FROM :\"vtbl\" WHERE EXISTS (SELECT 1 FROM :vschema.orders);\n"
        "SELECT id FROM :vtbl WHERE lower(email) = 'x' AND upper(:vcol) = 'Y';\n"
        "SELECT * FROM :vtbl WHERE x NOT IN (SELECT y FROM z);\n"
        // SQL from variables is not checked; the parser's message names the variable.
        ":vqq;\n"
        "SELECT :'vaa' :'vbb';\n"
        "SELECT id FROM :\"vtbl\" WHERE id IN (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
        "21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,"
        "51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,"
        "81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,"
        "108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,"
        "131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,"
        "154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,"
        "177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,"
        "200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,"
        "223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,"
        "246,247,248,249,250,251,252,253,254,255,256,257,258,259,260,261,262,263,264,265,266,267,268,"
        "269,270,271,272,273,274,275,276,277,278,279,280,281,282,283,284,285,286,287,288,289,290,291,"
        "292,293,294,295,296,297,298,299,300,301,302,303,304,305,306,307,308,309,310,311,312,313,314);\n";
    // What is left of a text once the variables as written are taken out: no placeholder
    // (`_vschema`), and no variable's name as a word of its own (`vtbl.x`, `'vval'`). A name
    // made from a variable's name (the index `vtbl_lower_email_idx`) is a name, not a leak.
    const auto leaks = [](std::string field) {
        for (const std::string_view written :
             {":vschema", ":\"vtbl\"", ":vtbl", ":'vval'", ":vcol", ":vqq", ":'vaa'", ":'vbb'"}) {
            for (std::size_t at; (at = field.find(written)) != std::string::npos;) {
                field.erase(at, written.size());
            }
        }
        const auto word_byte = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        for (const std::string_view name : {"vschema", "vtbl", "vval", "vcol", "vqq", "vaa", "vbb"}) {
            for (std::size_t at = field.find(name); at != std::string::npos; at = field.find(name, at + 1)) {
                const std::size_t end = at + name.size();
                const bool alone = (at == 0 || !word_byte(field[at - 1])) &&
                                   (end == field.size() || !word_byte(field[end]));
                if (alone || (at > 0 && field[at - 1] == '_')) {
                    return true;
                }
            }
        }
        return false;
    };
    for (const analyzer::Schema* with : {static_cast<const analyzer::Schema*>(nullptr), &schema}) {
        CAPTURE(with != nullptr);
        analyzer::LintStats stats;
        std::vector<analyzer::Finding> out;
        analyzer::lint_text("vars.sql", text, with, out, stats);
        CHECK(stats.parse_errors == 0);
        CHECK(out.size() >= 15);
        std::map<std::string, std::string> rewrites;
        for (const analyzer::Finding& f : out) {
            CAPTURE(f.rule_id());
            CAPTURE(f.location->line);
            CHECK_MESSAGE(!leaks(f.title), f.title);
            CHECK_MESSAGE(!leaks(f.message), f.message);
            CHECK_MESSAGE(!leaks(f.subject), f.subject);
            CHECK_MESSAGE(!leaks(f.suggestion.sql), f.suggestion.sql);
            CHECK_MESSAGE(!leaks(f.suggestion.rewritten_query), f.suggestion.rewritten_query);
            for (const auto& [key, value] : f.evidence) {
                if (const auto* s = std::get_if<std::string>(&value)) {
                    CHECK_MESSAGE(!leaks(*s), key << ": " << *s);
                }
            }
            if (f.location->line == 1 && !f.suggestion.rewritten_query.empty()) {
                rewrites[std::string(f.rule_id())] = f.suggestion.rewritten_query;
            }
        }
        // The correlation names the variable, as psql will substitute it.
        CHECK(rewrites["not-in-subquery"] ==
              "SELECT * FROM :\"vtbl\" WHERE NOT EXISTS (SELECT 1 FROM z WHERE y = :\"vtbl\".x)");
    }
}

TEST_CASE("show_psql_variables maps placeholders back, or gives no SQL psql could not run") {
    const std::string text = "SELECT * FROM :vschema.orders JOIN :\"Vt\" ON true WHERE a = :'vval';";
    const std::vector<sqlparse::ParsedStatement> parsed = sqlparse::parse_script(text);
    REQUIRE(parsed.size() == 1);
    REQUIRE(parsed[0].statement);
    analyzer::Finding f(analyzer::RuleId::select_star);
    f.title = "columns of _vschema.orders and \"Vt\"";
    f.message = "Vt, _VSCHEMA, 'vval', vval and :vschema as they were";
    f.subject = "_vschema.orders";
    f.evidence.emplace_back("table", std::string("Vt"));
    f.suggestion.rewritten_query = "SELECT Vt.x, \"Vt\".y FROM _vschema.orders WHERE a = 'vval' AND b = \"_vschema\".c";
    f.suggestion.sql = "CREATE INDEX _vschema_orders_a_idx ON _vschema.orders (a);";
    analyzer::Finding quoted = f;
    quoted.suggestion.sql = "SELECT '_vschema.orders'::regclass;";
    std::vector<analyzer::Finding> findings = {f, quoted};
    analyzer::show_psql_variables(*parsed[0].statement, text, findings);
    CHECK(findings[0].title == "columns of :vschema.orders and :\"Vt\"");
    // Quoted names are case-sensitive (Vt is not vt); unquoted ones fold; a string's value
    // counts only quoted; the variable as written is kept.
    CHECK(findings[0].message == ":\"Vt\", :vschema, :'vval', vval and :vschema as they were");
    CHECK(findings[0].subject == ":vschema.orders");
    CHECK(std::get<std::string>(findings[0].evidence[0].second) == ":\"Vt\"");
    // Vt unquoted folds to vt: another name than "Vt".
    CHECK(findings[0].suggestion.rewritten_query ==
          "SELECT Vt.x, :\"Vt\".y FROM :vschema.orders WHERE a = :'vval' AND b = :vschema.c");
    CHECK(findings[0].suggestion.sql == "CREATE INDEX vschema_orders_a_idx ON :vschema.orders (a);");
    // psql substitutes nothing inside a string: no SQL, and the message says why.
    CHECK(findings[1].suggestion.sql.empty());
    CHECK(findings[1].suggestion.rewritten_query == findings[0].suggestion.rewritten_query);
    CHECK(findings[1].message.find("No SQL is suggested") != std::string::npos);
}

TEST_CASE("a table named by a psql variable is not looked up in the schema") {
    // The parser sees `:"tbl"` as the name "tbl" and `:tbl` as `_tbl`; the schema holds
    // tables of those names, so a lookup by name would expand `*` to their columns and read
    // their keys, about a table psql never reads.
    analyzer::Schema schema;
    schema.add_statements(sqlparse::parse_script(
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text);"
        "CREATE TABLE tbl (id bigint PRIMARY KEY, x int);"
        "CREATE TABLE _tbl (id bigint PRIMARY KEY, x int);"
        "CREATE TABLE _sch.orders (id bigint PRIMARY KEY, y int);"));
    const auto finding = [](const std::vector<analyzer::Finding>& found, std::string_view rule,
                            int line) -> const analyzer::Finding& {
        const auto it = std::find_if(found.begin(), found.end(), [&](const analyzer::Finding& f) {
            return f.rule_id() == rule && f.location && f.location->line == line;
        });
        REQUIRE_MESSAGE(it != found.end(), "no " << rule << " finding on line " << line);
        return *it;
    };
    SUBCASE("the variable's table is unknown, in every form") {
        analyzer::LintStats stats;
        const std::vector<analyzer::Finding> found = lint(
            "SELECT * FROM :\"tbl\" WHERE customer_id = 1;\n"
            "SELECT * FROM :tbl;\n"
            "SELECT * FROM :sch.orders;\n"
            "SELECT * FROM public.:\"tbl\";\n"
            "SELECT id FROM :\"tbl\" ORDER BY id LIMIT 10 OFFSET 100000;\n"
            "SELECT * FROM tbl;\n",
            &schema, stats);
        CHECK(stats.parse_errors == 0);
        for (const int line : {1, 2, 3, 4}) {
            CAPTURE(line);
            const analyzer::Finding& star = finding(found, "select-star", line);
            CHECK(star.suggestion.rewritten_query.empty());
            CHECK(star.message.find("a FROM item is a psql variable: which table psql puts there is "
                                    "not known") != std::string::npos);
        }
        const analyzer::Finding& offset = finding(found, "deep-offset", 5);
        CHECK(offset.suggestion.rewritten_query.empty());
        CHECK(offset.message.find(":\"tbl\" is a psql variable, so which table it reads (and its "
                                  "keys) is not known") != std::string::npos);
        // The table of that name, written as a name, is still the schema's.
        CHECK(finding(found, "select-star", 6).suggestion.rewritten_query == "SELECT id, x FROM tbl");
    }
    SUBCASE("a value set with \\set earlier is not substituted either") {
        // psql would read orders here; lint does not interpret \set, so the table stays
        // unknown rather than being taken for `tbl`.
        analyzer::LintStats stats;
        const std::vector<analyzer::Finding> found =
            lint("\\set tbl orders\nSELECT * FROM :\"tbl\";\nSELECT * FROM :tbl;\n", &schema, stats);
        CHECK(stats.parse_errors == 0);
        for (const int line : {2, 3}) {
            CAPTURE(line);
            const analyzer::Finding& star = finding(found, "select-star", line);
            CHECK(star.suggestion.rewritten_query.empty());
            CHECK(star.message.find("psql variable") != std::string::npos);
        }
    }
}
