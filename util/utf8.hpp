// UTF-8 checks and decoding, for code that must not trust its input to be well formed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dbadvise::util {

/// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629:
/// no overlong forms, no surrogates, nothing above U+10FFFF); nullopt for valid UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

/// One code point decoded from the start of `text`.
struct CodePoint {
    char32_t value = 0;
    std::size_t length = 0; // bytes it takes, 1..4
};

/// The code point at the start of `text` (non-empty); nullopt when the bytes there are not a
/// well-formed UTF-8 sequence by the rules of first_invalid_utf8.
std::optional<CodePoint> decode_utf8(std::string_view text);

/// Appends the UTF-8 encoding of `code` (at most U+10FFFF) to `out`.
void append_utf8(std::string& out, char32_t code);

} // namespace dbadvise::util
