#include "util/utf8.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;

TEST_CASE("first_invalid_utf8") {
    SUBCASE("valid text, ASCII and multi-byte") {
        CHECK_FALSE(util::first_invalid_utf8("SELECT 'Zürich', '東京', '😀';").has_value());
        CHECK_FALSE(util::first_invalid_utf8("").has_value());
    }
    SUBCASE("a Latin-1 byte") {
        CHECK(util::first_invalid_utf8("SELECT 'Z\xfcrich';") == std::optional<std::size_t>(9));
    }
    SUBCASE("a sequence cut off at the end") {
        CHECK(util::first_invalid_utf8("ab\xe6\x9d") == std::optional<std::size_t>(2));
    }
    SUBCASE("overlong encodings, surrogates and code points past U+10FFFF") {
        CHECK(util::first_invalid_utf8("\xc0\xaf") == std::optional<std::size_t>(0));
        CHECK(util::first_invalid_utf8("\xe0\x80\xaf") == std::optional<std::size_t>(0));
        CHECK(util::first_invalid_utf8("x\xed\xa0\x80") == std::optional<std::size_t>(1));
        CHECK(util::first_invalid_utf8("\xf4\x90\x80\x80") == std::optional<std::size_t>(0));
        CHECK(util::first_invalid_utf8("\xf5\x80\x80\x80") == std::optional<std::size_t>(0));
    }
    SUBCASE("a continuation byte without a lead byte") {
        CHECK(util::first_invalid_utf8("a\x80") == std::optional<std::size_t>(1));
    }
}

TEST_CASE("decode_utf8") {
    SUBCASE("ASCII, two, three and four bytes") {
        CHECK(util::decode_utf8("a")->value == U'a');
        CHECK(util::decode_utf8("\xc3\xbc")->value == U'\u00fc');
        CHECK(util::decode_utf8("\xe2\x80\xae")->value == U'\u202e');
        CHECK(util::decode_utf8("\xe2\x80\xae")->length == 3);
        CHECK(util::decode_utf8("\xf0\x9f\x98\x80x")->value == U'\U0001f600');
        CHECK(util::decode_utf8("\xf0\x9f\x98\x80x")->length == 4);
    }
    SUBCASE("malformed or empty") {
        CHECK_FALSE(util::decode_utf8("").has_value());
        CHECK_FALSE(util::decode_utf8("\x9b").has_value());
        CHECK_FALSE(util::decode_utf8("\xc2").has_value());
        CHECK_FALSE(util::decode_utf8("\xc0\x80").has_value());
    }
}
