// Fuzz target: the tree sqlparse builds from libpg_query's parse nodes (sqlparse/pg_tree.cpp)
// against the tree read from libpg_query's own JSON for the same text: both routes must agree
// on whether it parses, on the error, on whether the tree can be read, and node for node on
// the tree. Texts are cut at 16 kB, the size of the batches lint parses.
#include "fuzz/check.hpp"
#include "sqlparse/json_tree_internal.hpp"
#include "sqlparse/pg_tree_internal.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

using namespace dbadvise::sqlparse::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t k_max_size = 16 * 1024;
    std::string sql(reinterpret_cast<const char*>(data), size < k_max_size ? size : k_max_size);
    if (sql.find('\0') != std::string::npos) {
        return 0; // the parser reads a C string: lint refuses NUL bytes before it gets there
    }
    JsonDocument direct;
    JsonDocument through_json;
    const TreeOutcome a = parse_tree(sql.c_str(), direct, TreeRoute::nodes);
    const TreeOutcome b = parse_tree(sql.c_str(), through_json, TreeRoute::json);
    FUZZ_CHECK(a.error.has_value() == b.error.has_value());
    if (a.error) {
        FUZZ_CHECK(a.error->message == b.error->message);
        FUZZ_CHECK(a.error->cursorpos == b.error->cursorpos);
        return 0;
    }
    FUZZ_CHECK(a.readable == b.readable);
    if (a.readable) {
        const std::string difference = tree_difference(direct.root(), through_json.root());
        if (!difference.empty()) {
            std::fprintf(stderr, "trees differ: %s\n", difference.c_str());
        }
        FUZZ_CHECK(difference.empty());
    }
    return 0;
}
