// Fuzz target: sqlparse's JSON tree reader (the reader of libpg_query's parse-tree output),
// with nlohmann::json as an oracle: when both accept a text, both must see the same tree
// (types, member names and order, strings after unescaping, integers). The reader never
// reads past the terminating NUL and never overflows its stack on deep nesting.
#include "fuzz/check.hpp"
#include "sqlparse/json_tree_internal.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace {

using dbadvise::sqlparse::detail::JsonDocument;
using dbadvise::sqlparse::detail::JsonRef;
using dbadvise::sqlparse::detail::JsonType;

bool has_duplicate_keys(JsonRef object) {
    std::set<std::string_view> keys;
    for (JsonRef child = object.first_child(); child.valid(); child = child.next()) {
        if (!keys.insert(child.key()).second) {
            return true;
        }
    }
    return false;
}

bool has_key(JsonRef object, std::string_view key) {
    for (JsonRef child = object.first_child(); child.valid(); child = child.next()) {
        if (child.key() == key) {
            return true;
        }
    }
    return false;
}

void compare(JsonRef node, const nlohmann::ordered_json& oracle) {
    switch (oracle.type()) {
    case nlohmann::json::value_t::null:
        FUZZ_CHECK(node.type() == JsonType::null);
        break;
    case nlohmann::json::value_t::boolean:
        FUZZ_CHECK(node.type() == JsonType::boolean);
        FUZZ_CHECK(node.boolean() == oracle.get<bool>());
        break;
    case nlohmann::json::value_t::number_integer:
        FUZZ_CHECK(node.type() == JsonType::number);
        FUZZ_CHECK(node.integer() == oracle.get<std::int64_t>());
        break;
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
        // The reader keeps integers only (libpg_query writes no others as numbers).
        FUZZ_CHECK(node.type() == JsonType::number);
        break;
    case nlohmann::json::value_t::string:
        FUZZ_CHECK(node.type() == JsonType::string);
        FUZZ_CHECK(node.str() == oracle.get_ref<const std::string&>());
        break;
    case nlohmann::json::value_t::array: {
        FUZZ_CHECK(node.type() == JsonType::array);
        JsonRef child = node.first_child();
        for (const auto& element : oracle) {
            FUZZ_CHECK(child.valid());
            compare(child, element);
            child = child.next();
        }
        FUZZ_CHECK(!child.valid());
        break;
    }
    case nlohmann::json::value_t::object: {
        FUZZ_CHECK(node.type() == JsonType::object);
        // The reader keeps an object's "location" in the object's own node, not as a member,
        // when its value is plain digits (libpg_query writes one in many of its nodes).
        const bool hidden_location = node.location() >= 0;
        if (has_duplicate_keys(node) || (hidden_location && oracle.count("location") == 1 && has_key(node, "location"))) {
            // nlohmann keeps one value per key, the reader all of them: nothing to compare.
            break;
        }
        JsonRef child = node.first_child();
        for (const auto& [key, value] : oracle.items()) {
            if (hidden_location && key == "location") {
                FUZZ_CHECK(value.is_number_integer() && value.get<std::int64_t>() == node.location());
                continue;
            }
            FUZZ_CHECK(child.valid());
            FUZZ_CHECK(child.key() == key);
            compare(child, value);
            child = child.next();
        }
        FUZZ_CHECK(!child.valid());
        break;
    }
    default:
        break;
    }
}

int depth_of(const std::string& text) {
    int depth = 0;
    int deepest = 0;
    for (const char c : text) {
        depth += (c == '[' || c == '{') ? 1 : (c == ']' || c == '}') ? -1 : 0;
        deepest = std::max(deepest, depth);
    }
    return deepest;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The reader takes a NUL-terminated text (libpg_query's output); a std::string gives one.
    const std::string text(reinterpret_cast<const char*>(data), size);
    JsonDocument document;
    const bool accepted = document.parse(text.c_str());
    if (!accepted || text.find('\0') != std::string::npos || depth_of(text) > 200) {
        // nlohmann recurses too: keep the oracle to depths where it is safe under ASan.
        return 0;
    }
    nlohmann::ordered_json oracle;
    try {
        oracle = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::exception&) {
        return 0; // the reader may be more lenient than the JSON grammar; only trees compare
    }
    compare(document.root(), oracle);
    return 0;
}
