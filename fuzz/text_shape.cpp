// Fuzz target: sqlparse::text_shape_key, the log reader's cheap grouping key. It must vouch
// for a text exactly when text_shape_spans does, which finds the same spans sixteen bytes at a
// time as one at a time; a text it vouches for must keep its key and
// its token fingerprint when its literals and comments get other contents (variants drawn
// from a generator seeded by the input); and among the input's lines, two with one key must
// have one fingerprint.
#include "fuzz/check.hpp"
#include "fuzz/shape_variants.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/parser.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

void check_text(std::string_view text, std::mt19937_64& random) {
    const std::optional<std::uint64_t> key = dbadvise::sqlparse::text_shape_key(text);
    const auto spans = dbadvise::sqlparse::text_shape_spans(text);
    FUZZ_CHECK(key.has_value() == spans.has_value());
    FUZZ_CHECK(dbadvise::test::same_spans(spans, dbadvise::sqlparse::text_shape_spans(text, true)));
    if (!key) return;
    std::size_t at = 0;
    for (const auto& span : *spans) {
        FUZZ_CHECK(span.begin >= at && span.begin < span.end && span.end <= text.size());
        at = span.end;
    }
    if (spans->empty()) return;
    const std::string fingerprint = dbadvise::sqlparse::token_fingerprint(text);
    for (int i = 0; i < 4; ++i) {
        const std::string variant = dbadvise::test::shape_variant(text, *spans, random);
        FUZZ_CHECK(dbadvise::sqlparse::text_shape_key(variant) == key);
        FUZZ_CHECK(dbadvise::sqlparse::token_fingerprint(variant) == fingerprint);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t k_max_size = 16 * 1024;
    const std::string_view bytes(reinterpret_cast<const char*>(data), std::min(size, k_max_size));
    std::mt19937_64 random(std::hash<std::string_view>{}(bytes));
    check_text(bytes, random);
    std::vector<std::pair<std::uint64_t, std::string>> shapes; // of the first lines
    for (std::size_t begin = 0; begin <= bytes.size() && shapes.size() < 32;) {
        const std::size_t end = std::min(bytes.find('\n', begin), bytes.size());
        const std::string_view line = bytes.substr(begin, end - begin);
        check_text(line, random);
        if (const auto key = dbadvise::sqlparse::text_shape_key(line)) {
            const std::string fingerprint = dbadvise::sqlparse::token_fingerprint(line);
            for (const auto& [other_key, other_fingerprint] : shapes)
                FUZZ_CHECK(*key != other_key || fingerprint == other_fingerprint);
            shapes.emplace_back(*key, fingerprint);
        }
        begin = end + 1;
    }
    return 0;
}
