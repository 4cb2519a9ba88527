// text_shape_key, the log reader's cheap grouping key: two texts with one key must have one
// token fingerprint. Checked on every statement of testdata/ and on demand on other SQL:
//
//   DBADVISE_SHAPE_ORACLE=/path/to/sql/dir dbadvise_unit_tests -tc='text_shape*'
//
// For each text the key vouches for, variants with other contents in its literals and
// comments must keep both the key and the fingerprint.
#include "sqlparse/lexer.hpp"
#include "sqlparse/parser.hpp"

#include "fuzz/shape_variants.hpp"
#include "sql_corpus_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

using dbadvise::sqlparse::text_shape_key;
using dbadvise::sqlparse::text_shape_spans;
using dbadvise::sqlparse::token_fingerprint;

namespace {

struct Tally {
    std::size_t texts = 0;
    std::size_t vouched = 0;
    std::size_t variants = 0;
};

// Checks `sql` and `variants` variants of it; counts into `tally`. `fingerprint_of` maps every
// key seen to its fingerprint, across texts.
void check_text(const std::string& sql, int variants, std::mt19937_64& random,
                std::map<std::uint64_t, std::string>& fingerprint_of, Tally& tally) {
    CAPTURE(sql);
    ++tally.texts;
    const std::optional<std::uint64_t> key = text_shape_key(sql);
    const auto spans = text_shape_spans(sql);
    REQUIRE(key.has_value() == spans.has_value());
    CHECK(dbadvise::test::same_spans(spans, text_shape_spans(sql, true)));
    if (!key) return;
    ++tally.vouched;
    const std::string fingerprint = token_fingerprint(sql);
    CHECK(fingerprint_of.emplace(*key, fingerprint).first->second == fingerprint);
    for (int i = 0; i < variants && !spans->empty(); ++i) {
        const std::string variant = dbadvise::test::shape_variant(sql, *spans, random);
        CAPTURE(variant);
        ++tally.variants;
        CHECK(text_shape_key(variant) == key);
        CHECK(token_fingerprint(variant) == fingerprint);
    }
}

std::vector<std::string> statements_of(const std::filesystem::path& path) {
    const std::string text = dbadvise::test::read_sql_file(path);
    std::vector<std::string> out;
    for (const auto& statement : dbadvise::sqlparse::parse_script(text)) {
        const dbadvise::sqlparse::Span span =
            statement.statement ? statement.statement->span : statement.error->statement_span;
        if (span.valid())
            out.emplace_back(text.substr(static_cast<std::size_t>(span.begin), static_cast<std::size_t>(span.end - span.begin)));
    }
    return out;
}

} // namespace

TEST_CASE("text_shape_key: one key, one token fingerprint") {
    std::mt19937_64 random(11);
    std::map<std::uint64_t, std::string> fingerprint_of;
    Tally tally;
    SUBCASE("statements of testdata/, and variants of their literals and comments") {
        for (const auto& path : dbadvise::test::sql_files(std::filesystem::path(DBADVISE_SOURCE_DIR) / "testdata")) {
            for (const std::string& sql : statements_of(path)) check_text(sql, 8, random, fingerprint_of, tally);
        }
        MESSAGE(tally.texts << " statements, " << tally.vouched << " vouched for, " << tally.variants << " variants");
        CHECK(tally.texts > 300);
        CHECK(tally.vouched * 10 > tally.texts * 6); // most statements: the key is worth having
        CHECK(tally.variants > 1000);
        CHECK(fingerprint_of.size() > 200);
    }
    SUBCASE("texts at the edges of what it reads") {
        for (const char* sql : {
                 "SELECT 1", "SELECT -1, +2.5, 3., 1 - -1", "SELECT a FROM t WHERE b = 'x''y' AND c = ''",
                 "SELECT \"it's\", \"a\"\"b\" FROM \"T\" WHERE \"x\" = 'y'", "SELECT $1, $2::int FROM t WHERE a = $10",
                 "SELECT 1 -- trailing", "-- leading\nSELECT 2", "SELECT /* a /* nested */ b */ 3",
                 "SELECT 1/2, 3*-4, a<>5, b>=-6, c||'x', d::text", "SELECT 'a'\t'b'", "SELECT 'a' 'b'",
                 "SELECT x1, y_2, z$3, caf\xC3\xA9 4 FROM orders_2024", "SELECT 1\"a\"", "SELECT a FROM t;",
                 "SELECT e FROM t WHERE e = 'x'", "SELECT 'x'::e", "SELECT a.b, t.\"c\" FROM t", "SELECT '\\', '\\'",
                 "SELECT 1--2\n, 3", "SELECT 4/*x*/5", "SELECT ARRAY[1,2][1:2]", "SELECT\x01 1"}) {
            check_text(sql, 16, random, fingerprint_of, tally);
        }
        CHECK(tally.vouched == tally.texts);
    }
    SUBCASE("on demand: DBADVISE_SHAPE_ORACLE") {
        const char* roots = std::getenv("DBADVISE_SHAPE_ORACLE");
        if (roots == nullptr) return;
        for (const auto& path : dbadvise::test::sql_files_of_list(roots)) {
            for (const std::string& sql : statements_of(path)) check_text(sql, 4, random, fingerprint_of, tally);
        }
        MESSAGE(tally.texts << " statements, " << tally.vouched << " vouched for, " << tally.variants << " variants, "
                            << fingerprint_of.size() << " keys");
    }
}

TEST_CASE("text_shape_key: what it groups and what it leaves to token_shape_key") {
    const auto key = [](const char* sql) { return text_shape_key(sql); };
    SUBCASE("texts that differ in literal values and comments share a key") {
        CHECK(key("SELECT a FROM t WHERE b = 1 AND c = 'x'") == key("SELECT a FROM t WHERE b = 2500 AND c = 'it''s'"));
        CHECK(key("SELECT a FROM t WHERE b = 1.5") == key("SELECT a FROM t WHERE b = 72.25"));
        CHECK(key("SELECT a FROM t WHERE b = 10000000000") == key("SELECT a FROM t WHERE b = 0.5"));
        CHECK(key("/* trace=1 */ SELECT 1") == key("/* trace=2 */ SELECT 3"));
        CHECK(key("SELECT 1 -- a") == key("SELECT 2 -- b"));
        CHECK(key("SELECT 'a'") == key("SELECT ''"));
    }
    SUBCASE("names, numbers in names and everything else are the text's own") {
        CHECK(key("SELECT a FROM orders_1") != key("SELECT a FROM orders_2"));
        CHECK(key("SELECT a FROM t WHERE b = $1") != key("SELECT a FROM t WHERE b = $2"));
        CHECK(key("SELECT \"a1\" FROM t") != key("SELECT \"a2\" FROM t"));
        CHECK(key("SELECT 1, 2") != key("SELECT 1"));
        CHECK(key("SELECT 'a' 'b'") != key("SELECT 'a'"));
        CHECK(key("SELECT 1 -- a") != key("SELECT 1"));
        // What the grammar sees of a literal: a string, an integer of 32 bits, a numeric.
        CHECK(key("SELECT a FROM t WHERE b = 1.5") != key("SELECT a FROM t WHERE b = 7"));
        CHECK(key("SELECT a FROM t WHERE b = 7") != key("SELECT a FROM t WHERE b = 2147483648"));
        CHECK(key("SELECT a FROM t WHERE b = 2147483647") == key("SELECT a FROM t WHERE b = 0000000000001"));
        CHECK(key("SELECT DATE '2025-01-01'") != key("SELECT DATE 5"));
        // Finer than the fingerprint: spacing and case give other keys (each normalized once).
        CHECK(key("SELECT a FROM t") != key("select a  from t"));
        CHECK(token_fingerprint("SELECT a FROM t") == token_fingerprint("select a  from t"));
    }
    SUBCASE("texts whose literals need more of the lexer are left to token_shape_key") {
        for (const char* sql : {"SELECT E'a\\'b'", "SELECT e'x'", "SELECT B'101'", "SELECT X'1F'", "SELECT N'x'",
                                "SELECT U&'d\\0061t'", "SELECT U&\"a\"", "SELECT 'a'\n'b'", "SELECT 'a' \n\t 'b'",
                                "SELECT $$x$$", "SELECT $q$x$q$", "SELECT $", "SELECT 1.5e3", "SELECT 1e3", "SELECT 0x1F",
                                "SELECT 1_000", "SELECT 1..2", "SELECT .5", "SELECT t.5", "SELECT 12abc", "SELECT 1$",
                                "SELECT 'open", "SELECT \"open", "SELECT /* open", "SELECT /* a /* b */",
                                "SELECT $1$q$ x $q$", "SELECT $1'x'"}) {
            CAPTURE(sql);
            CHECK_FALSE(key(sql).has_value());
            CHECK_FALSE(text_shape_spans(sql).has_value());
        }
    }
    SUBCASE("sixteen bytes at a time, as one at a time: every event at every place") {
        // The events the scan stops at, and bytes around them that decide whether they are.
        using namespace std::string_view_literals;
        const std::vector<std::string_view> events = {
            "'s'"sv, "\"n\""sv, "a\0b"sv, "'\0'"sv, "42"sv, "4.5"sv, "$1"sv, "$1$2"sv, "--c\n"sv, "/*c*/"sv, ".5"sv,
            "&'x'"sv, "x'y'"sv, "1'y'"sv, "$$"sv, "\xC3\xA9" "5"sv, "_5"sv, "a$5"sv, "1e5"sv, "-"sv, "/"sv, "."sv, "&"sv};
        for (const std::string_view event : events) {
            for (std::size_t before = 0; before <= 40; ++before) {
                for (const std::size_t after : {0, 1, 15, 16, 17, 33}) {
                    const std::string sql = std::string(before, 'a').append(before % 3 == 0 ? " " : "").append(event) +
                                            std::string(after, ' ') + std::string(after % 2, 'b');
                    CAPTURE(sql);
                    CHECK(dbadvise::test::same_spans(text_shape_spans(sql), text_shape_spans(sql, true)));
                }
            }
        }
    }
    SUBCASE("the spans it leaves out") {
        const auto spans = text_shape_spans("SELECT 'a', 42 /* c */ FROM t -- d");
        REQUIRE(spans.has_value());
        REQUIRE(spans->size() == 4);
        CHECK((*spans)[0].begin == 7);
        CHECK((*spans)[0].end == 10);
        CHECK((*spans)[1].begin == 12);
        CHECK((*spans)[1].end == 14);
        CHECK((*spans)[2].comment);
        CHECK((*spans)[2].begin == 15);
        CHECK((*spans)[2].end == 22);
        CHECK((*spans)[3].comment);
        CHECK((*spans)[3].begin == 30);
        CHECK((*spans)[3].end == 34);
    }
}
