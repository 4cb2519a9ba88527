// Shared by the text_shape_key unit test and its fuzz target: a text with other contents in
// the literals and comments sqlparse::text_shape_spans found, to hold the key to its promise
// (same key, same token fingerprint).
#pragma once

#include "sqlparse/lexer.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::test {

/// Decimal digits PostgreSQL reads as an integer constant (32 bits), not a numeric one.
inline bool fits_int32(std::string_view digits) {
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    if (digits.size() > 10) return false;
    unsigned long long value = 0;
    for (const char c : digits) value = value * 10 + static_cast<unsigned long long>(c - '0');
    return value <= 2147483647ULL;
}

/// Whether two results of text_shape_spans agree: both nullopt, or the same spans.
inline bool same_spans(const std::optional<std::vector<sqlparse::ShapeSpan>>& a,
                       const std::optional<std::vector<sqlparse::ShapeSpan>>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    if (a->size() != b->size()) return false;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const sqlparse::ShapeSpan& x = (*a)[i];
        const sqlparse::ShapeSpan& y = (*b)[i];
        if (x.begin != y.begin || x.end != y.end || x.comment != y.comment) return false;
    }
    return true;
}

/// `text` with each span given new contents of its kind: a number other digits of its class
/// (an integer of 32 bits another such, a decimal or larger number another such), a string
/// other characters (quotes doubled, backslashes, newlines, comment and dollar-quote starts
/// inside), a comment other words.
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
        } else if (old.find('.') == std::string_view::npos) {
            // An integer: other digits of the same class, 32 bits or beyond (else as it was).
            std::string digits;
            for (std::size_t i = 1 + count(old.size() + 2); i > 0; --i) digits += pick("0123456789");
            out += fits_int32(digits) == fits_int32(old) ? digits : std::string(old);
        } else {
            for (std::size_t i = 1 + count(5); i > 0; --i) out += pick("0123456789");
            out += '.';
            for (std::size_t i = count(3); i > 0; --i) out += pick("0123456789");
        }
        at = span.end;
    }
    out.append(text.substr(at));
    return out;
}

} // namespace dbadvise::test
