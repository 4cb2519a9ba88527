// ASCII case folding, as PostgreSQL folds unquoted identifiers and keywords in UTF-8
// databases: A-Z only, every other byte (multi-byte UTF-8 included) kept.
#pragma once

#include <string>
#include <string_view>

namespace dbadvise::util {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// `text` with A-Z folded to a-z.
inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

} // namespace dbadvise::util
