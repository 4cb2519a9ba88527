// sqlparse's lexer: PostgreSQL's lexical rules case by case, and libpg_query's own scanner
// (pg_query_scan) as an oracle over every statement of the SQL files under testdata/.
//
// The oracle also runs on demand over other SQL, for example PostgreSQL's regression tests:
//   DBADVISE_LEXER_ORACLE=/path/to/sql/dir dbadvise_unit_tests -tc='lex matches pg_query_scan'
// (several directories or files separated by ':'). It prints how many statements it compared.
//
// This test includes pg_query.h itself (sqlparse is the only product code that does): the
// oracle is libpg_query's scanner, reached through its protobuf output, whose C bindings need
// protobuf-c's headers (Debian: libprotobuf-c-dev); the functions live in libpg_query.
#include "sqlparse/lexer.hpp"
#include "sqlparse/script_reader.hpp"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "sql_corpus_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace dbadvise;
using sqlparse::TokenKind;

namespace {

struct Lexed {
    std::string text;
    TokenKind kind;
    int depth;
    bool unterminated;
};

std::vector<Lexed> lexed(std::string_view sql, sqlparse::LexOptions options = {}) {
    std::vector<Lexed> out;
    for (const sqlparse::Token& t : sqlparse::lex(sql, options)) {
        out.push_back({std::string(sqlparse::token_text(sql, t)), t.kind, t.depth, t.unterminated()});
    }
    return out;
}

std::vector<std::string> texts(std::string_view sql, sqlparse::LexOptions options = {}) {
    std::vector<std::string> out;
    for (const Lexed& t : lexed(sql, options)) {
        out.push_back(t.text);
    }
    return out;
}

std::vector<TokenKind> kinds(std::string_view sql, sqlparse::LexOptions options = {}) {
    std::vector<TokenKind> out;
    for (const Lexed& t : lexed(sql, options)) {
        out.push_back(t.kind);
    }
    return out;
}

using V = std::vector<std::string>;
using K = std::vector<TokenKind>;

} // namespace

TEST_CASE("Lexer") {
    SUBCASE("standard strings: doubled quotes, no backslash escapes") {
        CHECK(texts(R"(SELECT 'it''s', 'C:\', 'x')") == V{"SELECT", "'it''s'", ",", R"('C:\')", ",", "'x'"});
        CHECK(kinds("'a'") == K{TokenKind::string});
    }
    SUBCASE("E strings: backslash escapes a quote") {
        CHECK(texts(R"(E'a\'b' e'\\' x)") == V{R"(E'a\'b')", R"(e'\\')", "x"});
        CHECK(kinds("E'x'") == K{TokenKind::escape_string});
    }
    SUBCASE("N, U&, B and X strings") {
        CHECK(kinds("N'x' U&'d\\0061' B'10' X'1F'") ==
              K{TokenKind::national_string, TokenKind::unicode_string, TokenKind::bit_string,
                TokenKind::hex_string});
        // Bit strings take no doubled quote: B'1''0' is B'1' followed by '0'.
        CHECK(texts("B'1''0'") == V{"B'1'", "'0'"});
        CHECK(texts("U&'x''y' UESCAPE '!'") == V{"U&'x''y'", "UESCAPE", "'!'"});
    }
    SUBCASE("a literal continues over a newline, not on the same line") {
        CHECK(texts("'a'\n  'b' 'c'") == V{"'a'\n  'b'", "'c'"});
        // libpg_query (unlike the server) does not continue across a comment.
        CHECK(texts("'a'\n-- note\n'b'") == V{"'a'", "'b'"});
        CHECK(texts("'a' /* c */\n'b'") == V{"'a'", "'b'"});
        CHECK(texts("E'a'\n'\\''") == V{"E'a'\n'\\''"});
    }
    SUBCASE("dollar quotes with tags") {
        CHECK(texts("$$a 'b' $x$ c$$ $t$ $$ $t$ $_1$x$_1$") ==
              V{"$$a 'b' $x$ c$$", "$t$ $$ $t$", "$_1$x$_1$"});
        CHECK(kinds("$$x$$") == K{TokenKind::dollar_string});
        // $1 is a parameter; $a without a closing $ is a lone $ and a name.
        CHECK(kinds("$1 $a") == K{TokenKind::parameter, TokenKind::other, TokenKind::identifier});
        // An identifier may contain $: x$$ is a name, not a dollar quote.
        CHECK(texts("x$$ a$1") == V{"x$$", "a$1"});
    }
    SUBCASE("comments nest and are skipped unless asked for") {
        CHECK(texts("a /* x /* y */ z */ b -- c\nd") == V{"a", "b", "d"});
        sqlparse::LexOptions options;
        options.comments = true;
        CHECK(kinds("a /* x /* y */ */ -- c", options) ==
              K{TokenKind::identifier, TokenKind::block_comment, TokenKind::line_comment});
    }
    SUBCASE("quoted and Unicode identifiers") {
        CHECK(texts(R"("a""b" U&"d\0061t" "x")") == V{R"("a""b")", R"(U&"d\0061t")", R"("x")"});
        CHECK(kinds(R"("a" U&"b")") == K{TokenKind::quoted_identifier, TokenKind::unicode_identifier});
        // U& not followed by a quote: the name u, then the operator &.
        CHECK(texts("u &'x'") == V{"u", "&", "'x'"});
    }
    SUBCASE("numbers, including PostgreSQL 16's underscores and bases") {
        CHECK(kinds("42 1.5 .5e3 1e10 5. 1_000 0x1F 0o17 0b101 1_000.5_5") ==
              K{TokenKind::integer, TokenKind::numeric, TokenKind::numeric, TokenKind::numeric,
                TokenKind::numeric, TokenKind::integer, TokenKind::integer, TokenKind::integer,
                TokenKind::integer, TokenKind::numeric});
        CHECK(texts("1..2 1.2.3 1e 1e+ 1__0") ==
              V{"1", "..", "2", "1.2", ".3", "1", "e", "1", "e", "+", "1", "__0"});
    }
    SUBCASE("operators: longest run, trailing + and - split off unless the run is exotic") {
        CHECK(texts("a=-1") == V{"a", "=", "-", "1"});
        CHECK(texts("a<=>b a->>'k' a@-b a?-b a!=-b a*-b") ==
              V{"a", "<=>", "b", "a", "->>", "'k'", "a", "@-", "b", "a", "?-", "b", "a", "!=-",
                "b", "a", "*", "-", "b"});
        CHECK(texts("a+--c\nb a*/*c*/b") == V{"a", "+", "b", "a", "*", "b"});
        CHECK(kinds(":: := .. . :") == K{TokenKind::typecast, TokenKind::colon_equals,
                                           TokenKind::dot_dot, TokenKind::dot, TokenKind::colon});
    }
    SUBCASE("nesting depth: a pair has one depth, its contents one more") {
        const std::vector<Lexed> t = lexed("f(a[1], (b)) )");
        std::vector<int> depths;
        for (const Lexed& l : t) {
            depths.push_back(l.depth);
        }
        // f ( a [ 1 ] , ( b ) ) )
        CHECK(depths == std::vector<int>{0, 0, 1, 1, 2, 1, 1, 1, 2, 1, 0, -1});
    }
    SUBCASE("unterminated literals, names and comments run to the end, flagged") {
        for (const char* sql : {"'abc", "E'a\\'", "\"abc", "$$abc", "/* abc", "$t$ $$"}) {
            CAPTURE(sql);
            const std::vector<Lexed> t = lexed(sql, {.comments = true});
            REQUIRE(t.size() == 1);
            CHECK(t[0].text == sql);
            CHECK(t[0].unterminated);
        }
        CHECK_FALSE(lexed("'a'")[0].unterminated);
    }
    SUBCASE("psql variables, only when asked for, and never in a slice") {
        const sqlparse::LexOptions psql{.psql = true};
        CHECK(texts("WHERE id = :id AND n = :'name' AND t = :\"tab\" AND :{?x}", psql) ==
              V{"WHERE", "id", "=", ":id", "AND", "n", "=", ":'name'", "AND", "t", "=",
                ":\"tab\"", "AND", ":{?x}"});
        CHECK(kinds(":a :'b' :\"c\" :{?d}", psql) ==
              K(4, TokenKind::psql_variable));
        CHECK(texts("a[1:n] x::int y:=1 :'' :\"", psql) ==
              V{"a", "[", "1", ":", "n", "]", "x", "::", "int", "y", ":=", "1", ":", "''", ":",
                "\""});
        CHECK(texts(":id") == V{":", "id"});
    }
    SUBCASE("standard_conforming_strings off: backslash escapes in plain strings") {
        const sqlparse::LexOptions off{.standard_conforming_strings = false};
        CHECK(texts(R"('a\'b' c)", off) == V{R"('a\'b')", "c"});
        // With it on, the quote ends the string and b' starts a bit string.
        CHECK(texts(R"('a\'b' c)") == V{R"('a\')", R"(b' c)"});
    }
    SUBCASE("bytes >= 0x80 are identifier characters; others are `other`") {
        CHECK(texts("café \xE9t\xE9 \\ { }") == V{"café", "\xE9t\xE9", "\\", "{", "}"});
        CHECK(kinds(std::string_view("a\0b", 3)) ==
              K{TokenKind::identifier, TokenKind::other, TokenKind::identifier});
    }
}

TEST_CASE("identifier_value") {
    const auto value = [](std::string_view sql) {
        const std::vector<sqlparse::Token> tokens = sqlparse::lex(sql);
        REQUIRE(!tokens.empty());
        return sqlparse::identifier_value(sql, tokens[0], sqlparse::unicode_escape(sql, tokens, 0));
    };
    CHECK(value("Orders") == "orders");
    CHECK(value("CAFÉ") == "cafÉ"); // only ASCII folds, as in a UTF8 database
    CHECK(value("\"Order \"\"Items\"\"\"") == "Order \"Items\"");
    CHECK(value("U&\"d\\0061t\\+000061\"") == "data");
    CHECK(value("U&\"d!0061t\" UESCAPE '!'") == "dat");
    CHECK(value("U&\"\\00e9\"") == "\xC3\xA9");
    CHECK(value("'string'").empty());
}

TEST_CASE("parameter_number") {
    const std::string sql = "$1 $42 $99999999999 x";
    const std::vector<sqlparse::Token> tokens = sqlparse::lex(sql);
    CHECK(sqlparse::parameter_number(sql, tokens[0]) == 1);
    CHECK(sqlparse::parameter_number(sql, tokens[1]) == 42);
    CHECK(sqlparse::parameter_number(sql, tokens[2]) == 0);
    CHECK(sqlparse::parameter_number(sql, tokens[3]) == 0);
}

// --- libpg_query's scanner as the oracle -------------------------------------------------

namespace {

struct OracleToken {
    int begin;
    int end; // -1 when libpg_query 15-4.0 reports a wrong end (U&"..." and U&'...')
    TokenKind kind;
};

// What pg_query_scan's token stands for in sqlparse's kinds.
TokenKind oracle_kind(std::string_view sql, const PgQuery__ScanToken& token) {
    const std::string_view text = sql.substr(static_cast<std::size_t>(token.start),
                                             static_cast<std::size_t>(token.end - token.start));
    switch (token.token) {
    case PG_QUERY__TOKEN__IDENT:
        return text.starts_with('"') ? TokenKind::quoted_identifier : TokenKind::identifier;
    case PG_QUERY__TOKEN__UIDENT:
        return TokenKind::unicode_identifier;
    case PG_QUERY__TOKEN__SCONST:
        return text.starts_with('$')                               ? TokenKind::dollar_string
               : text.starts_with('e') || text.starts_with('E') ? TokenKind::escape_string
                                                                 : TokenKind::string;
    case PG_QUERY__TOKEN__USCONST:
        return TokenKind::unicode_string;
    case PG_QUERY__TOKEN__BCONST:
        return TokenKind::bit_string;
    case PG_QUERY__TOKEN__XCONST:
        return TokenKind::hex_string;
    case PG_QUERY__TOKEN__ICONST:
        return TokenKind::integer;
    case PG_QUERY__TOKEN__FCONST:
        // PostgreSQL makes an integer too large for int4 a float constant.
        return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })
                   ? TokenKind::integer
                   : TokenKind::numeric;
    case PG_QUERY__TOKEN__PARAM:
        return TokenKind::parameter;
    case PG_QUERY__TOKEN__Op:
    case PG_QUERY__TOKEN__LESS_EQUALS:
    case PG_QUERY__TOKEN__GREATER_EQUALS:
    case PG_QUERY__TOKEN__NOT_EQUALS:
    case PG_QUERY__TOKEN__EQUALS_GREATER:
        return TokenKind::op;
    case PG_QUERY__TOKEN__TYPECAST:
        return TokenKind::typecast;
    case PG_QUERY__TOKEN__DOT_DOT:
        return TokenKind::dot_dot;
    case PG_QUERY__TOKEN__COLON_EQUALS:
        return TokenKind::colon_equals;
    case PG_QUERY__TOKEN__SQL_COMMENT:
        return TokenKind::line_comment;
    case PG_QUERY__TOKEN__C_COMMENT:
        return TokenKind::block_comment;
    default:
        break;
    }
    if (token.keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD) {
        return TokenKind::identifier;
    }
    if (token.token < 256) {
        switch (static_cast<char>(token.token)) {
        case '(':
            return TokenKind::open_paren;
        case ')':
            return TokenKind::close_paren;
        case '[':
            return TokenKind::open_bracket;
        case ']':
            return TokenKind::close_bracket;
        case ',':
            return TokenKind::comma;
        case ';':
            return TokenKind::semicolon;
        case ':':
            return TokenKind::colon;
        case '.':
            return TokenKind::dot;
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
        case '^':
        case '<':
        case '>':
        case '=':
            return TokenKind::op;
        default:
            return TokenKind::other;
        }
    }
    return TokenKind::identifier;
}

// libpg_query's tokens of `sql`; nullopt when its scanner reports an error (PostgreSQL 15
// rejects 1_000, 0x1F, unterminated literals, ...).
std::optional<std::vector<OracleToken>> oracle_scan(const std::string& sql,
                                                     std::string* error = nullptr) {
    PgQueryScanResult result = pg_query_scan(sql.c_str());
    if (result.error != nullptr) {
        if (error != nullptr) {
            *error = result.error->message;
        }
        pg_query_free_scan_result(result);
        return std::nullopt;
    }
    PgQuery__ScanResult* scan = pg_query__scan_result__unpack(
        nullptr, result.pbuf.len, reinterpret_cast<const uint8_t*>(result.pbuf.data));
    std::vector<OracleToken> out;
    for (std::size_t i = 0; scan != nullptr && i < scan->n_tokens; ++i) {
        const PgQuery__ScanToken& t = *scan->tokens[i];
        OracleToken token{t.start, t.end, oracle_kind(sql, t)};
        // N'...' is the keyword NCHAR followed by a string constant.
        if (t.token == PG_QUERY__TOKEN__NCHAR && t.end - t.start == 1 && i + 1 < scan->n_tokens &&
            scan->tokens[i + 1]->token == PG_QUERY__TOKEN__SCONST &&
            scan->tokens[i + 1]->start == t.end) {
            token.kind = TokenKind::national_string;
            token.end = scan->tokens[++i]->end;
        }
        // libpg_query 15-4.0 reports the decoded length as the end of these two (fixed in
        // libpg_query 2024); only their starts can be compared.
        if (t.token == PG_QUERY__TOKEN__UIDENT || t.token == PG_QUERY__TOKEN__USCONST) {
            token.end = -1;
        }
        out.push_back(token);
    }
    pg_query__scan_result__free_unpacked(scan, nullptr);
    pg_query_free_scan_result(result);
    return out;
}

struct OracleStats {
    int files = 0;
    int statements = 0;
    int tokens = 0;
    int rejected = 0; // statements libpg_query's scanner rejects
    std::vector<std::string> rejections; // its messages, for the on-demand report
};

// Compares the lexer with the oracle on every statement of `path` (cut as psql would).
void compare_file(const std::filesystem::path& path, OracleStats& stats) {
    const std::string text = test::read_sql_file(path);
    ++stats.files;
    sqlparse::ScriptReader reader;
    int pos = 0;
    while (std::optional<sqlparse::ScriptItem> item = reader.next(text, pos, true, nullptr)) {
        pos = item->next;
        if (item->kind != sqlparse::ScriptItem::Kind::statement || !item->holes.empty() ||
            item->nul_offset >= 0) {
            continue;
        }
        const std::string sql = text.substr(static_cast<std::size_t>(item->begin),
                                            static_cast<std::size_t>(item->end - item->begin));
        std::string error;
        const std::optional<std::vector<OracleToken>> expected = oracle_scan(sql, &error);
        if (!expected) {
            ++stats.rejected;
            stats.rejections.push_back(path.filename().string() + ": " + error);
            continue;
        }
        ++stats.statements;
        const std::vector<sqlparse::Token> actual = sqlparse::lex(sql, {.comments = true});
        CAPTURE(path.string());
        CAPTURE(sql);
        REQUIRE(actual.size() == expected->size());
        for (std::size_t i = 0; i < actual.size(); ++i) {
            const OracleToken& want = (*expected)[i];
            CAPTURE(i);
            CAPTURE(std::string(sqlparse::token_text(sql, actual[i])));
            CHECK(actual[i].begin == want.begin);
            if (want.end >= 0) {
                CHECK(actual[i].end == want.end);
            }
            CHECK(static_cast<int>(actual[i].kind) == static_cast<int>(want.kind));
        }
        stats.tokens += static_cast<int>(actual.size());
    }
}

} // namespace

TEST_CASE("lex matches pg_query_scan") {
    SUBCASE("testdata") {
        OracleStats stats;
        for (const auto& path : test::sql_files(std::filesystem::path(DBADVISE_SOURCE_DIR) / "testdata")) {
            compare_file(path, stats);
        }
        MESSAGE("oracle: " << stats.files << " files, " << stats.statements << " statements, "
                           << stats.tokens << " tokens compared; " << stats.rejected
                           << " statements rejected by libpg_query's scanner");
        CHECK(stats.files > 20);
        CHECK(stats.statements > 200);
    }
    SUBCASE("on demand: DBADVISE_LEXER_ORACLE") {
        const char* roots = std::getenv("DBADVISE_LEXER_ORACLE");
        if (roots == nullptr) {
            return;
        }
        OracleStats stats;
        for (const auto& path : test::sql_files_of_list(roots)) {
            compare_file(path, stats);
        }
        MESSAGE("oracle: " << stats.files << " files, " << stats.statements << " statements, "
                           << stats.tokens << " tokens compared; " << stats.rejected
                           << " statements rejected by libpg_query's scanner");
        std::sort(stats.rejections.begin(), stats.rejections.end());
        for (const std::string& rejection : stats.rejections) {
            MESSAGE("rejected: " << rejection);
        }
        CHECK(stats.files > 0);
    }
}
