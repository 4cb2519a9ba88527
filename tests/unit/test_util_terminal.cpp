#include "util/terminal.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;

TEST_CASE("terminal_safe") {
    SUBCASE("plain and printable non-ASCII text is unchanged") {
        CHECK(util::terminal_safe("SELECT 'Zürich', '東京', '😀' FROM t") ==
              "SELECT 'Zürich', '東京', '😀' FROM t");
        CHECK(util::terminal_safe("") == "");
        CHECK_FALSE(util::needs_terminal_escaping("a\\x1b is only text"));
    }
    SUBCASE("ESC sequences that set the title and clear the screen") {
        CHECK(util::terminal_safe("/* \x1b]0;title\a \x1b[2J */ SELECT 1") ==
              "/* \\x1b]0;title\\x07 \\x1b[2J */ SELECT 1");
    }
    SUBCASE("every C0 control, DEL and NUL") {
        CHECK(util::terminal_safe(std::string_view("a\0b", 3)) == "a\\x00b");
        CHECK(util::terminal_safe("\x01\x08\x0b\x0c\x1f\x7f") == "\\x01\\x08\\x0b\\x0c\\x1f\\x7f");
        CHECK(util::terminal_safe("a\rb") == "a\\rb");
    }
    SUBCASE("newline and tab only when the layout keeps them") {
        CHECK(util::terminal_safe("a\nb\tc") == "a\\nb\\tc");
        CHECK(util::terminal_safe("a\nb\tc", {.keep_newline = true}) == "a\nb\\tc");
        CHECK(util::terminal_safe("a\nb\tc", {.keep_newline = true, .keep_tab = true}) == "a\nb\tc");
    }
    SUBCASE("C1 controls as code points (U+009B is a CSI by itself)") {
        CHECK(util::terminal_safe("x\xc2\x9b" "2Jy") == "x\\u{009b}2Jy");
        CHECK(util::terminal_safe("\xc2\x80\xc2\x9f\xc2\xa0") == "\\u{0080}\\u{009f}\xc2\xa0");
    }
    SUBCASE("bidirectional controls (Trojan Source) and marks") {
        CHECK(util::terminal_safe("a\u202eb\u202cc") == "a\\u{202e}b\\u{202c}c");
        CHECK(util::terminal_safe("\u202a\u202b\u202d") == "\\u{202a}\\u{202b}\\u{202d}");
        CHECK(util::terminal_safe("\u2066\u2067\u2068\u2069") ==
              "\\u{2066}\\u{2067}\\u{2068}\\u{2069}");
        CHECK(util::terminal_safe("\u200e\u200f\u061c") == "\\u{200e}\\u{200f}\\u{061c}");
        CHECK(util::terminal_safe("a\u2028b") == "a\\u{2028}b");
    }
    SUBCASE("bytes that are not UTF-8, including a raw 8-bit CSI") {
        CHECK(util::terminal_safe("Z\xfcrich") == "Z\\xfcrich");
        CHECK(util::terminal_safe("\x9b" "2J") == "\\x9b2J");
        CHECK(util::terminal_safe("ab\xe6\x9d") == "ab\\xe6\\x9d");
    }
}
