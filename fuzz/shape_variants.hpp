// Shared by the text_shape_key unit test and its fuzz target: a text with other contents in
// the literals and comments sqlparse::text_shape_spans found, to hold the key to its promise
// (same key, same token fingerprint).
#pragma once

#include "sqlparse/lexer.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::test {

/// `text` with each span given new contents of its kind: a number other digits (with or
/// without a fraction), a string other characters (quotes doubled, backslashes, newlines,
/// comment and dollar-quote starts inside), a comment other words.
inline std::string shape_variant(std::string_view text, const std::vector<sqlparse::ShapeSpan>& spans,
                                 std::mt19937_64& random) {
    const auto pick = [&random](std::string_view from) { return from[random() % from.size()]; };
    const auto count = [&random](std::size_t most) { return static_cast<std::size_t>(random() % (most + 1)); };
    std::string out;
    std::size_t at = 0;
    for (const sqlparse::ShapeSpan& span : spans) {
        out.append(text.substr(at, span.begin - at));
        const std::string_view old = text.substr(span.begin, span.end - span.begin);
        if (span.comment && old.starts_with("--")) {
            out += "--";
            for (std::size_t i = count(12); i > 0; --i) out += pick("ab 'x\"$1;()-/*\t");
        } else if (span.comment) {
            out += "/*";
            for (std::size_t i = count(12); i > 0; --i) out += pick("ab 'x\"$1;()-\n\t");
            out += "*/";
        } else if (old.front() == '\'') {
            out += '\'';
            for (std::size_t i = count(12); i > 0; --i) {
                const char c = pick("ab Z9\\\"-/*$;()\n\t'");
                out += c == '\'' ? "''" : std::string(1, c);
            }
            out += '\'';
        } else {
            out += pick("123456789");
            for (std::size_t i = count(6); i > 0; --i) out += pick("0123456789");
            if (random() % 3 == 0) {
                out += '.';
                for (std::size_t i = count(3); i > 0; --i) out += pick("0123456789");
            }
        }
        at = span.end;
    }
    out.append(text.substr(at));
    return out;
}

} // namespace dbadvise::test
