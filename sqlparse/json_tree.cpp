#include "sqlparse/json_tree_internal.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>

namespace dbadvise::sqlparse::detail {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::size_t JsonRef::size() const {
    std::size_t count = 0;
    for (JsonRef child = first_child(); child.valid(); child = child.next()) {
        ++count;
    }
    return count;
}

bool JsonDocument::parse(const char* json) {
    m_p = json;
    m_ok = true;
    clear(); // keeps the capacity of earlier batches
    parse_value({}, 0);
    skip_space();
    if (*m_p != '\0') {
        m_ok = false;
    }
    if (!m_ok) {
        m_nodes.clear();
    }
    return m_ok;
}

bool JsonDocument::parse_copy(std::string_view json) {
    if (!m_source) {
        m_source = std::make_unique<std::string>();
    }
    m_source->assign(json);
    return parse(m_source->c_str());
}

void JsonDocument::clear() {
    m_nodes.clear();
    m_unescaped.clear();
    m_block = 0;
    m_block_used = 0;
}

namespace {

// keep()'s blocks: most kept strings are names of a few bytes. A batch that parses statement
// by statement (one of them is wrong) holds a tree per statement, so blocks stay small.
constexpr std::size_t k_keep_block = 2 * 1024;

} // namespace

std::string_view JsonDocument::keep(std::string_view text) {
    if (text.size() > k_keep_block / 8) {
        return *m_unescaped.emplace_back(std::make_unique<std::string>(text));
    }
    if (m_blocks.empty() || m_block_used + text.size() > k_keep_block) {
        if (!m_blocks.empty()) {
            ++m_block;
        }
        if (m_block == m_blocks.size()) {
            m_blocks.push_back(std::make_unique_for_overwrite<char[]>(k_keep_block));
        }
        m_block_used = 0;
    }
    char* at = m_blocks[m_block].get() + m_block_used;
    std::copy(text.begin(), text.end(), at);
    m_block_used += text.size();
    return {at, text.size()};
}

namespace {

// The bytes that end the fast scan of a string: the closing quote, an escape, the NUL that
// ends the text. One table load per byte instead of three comparisons: strings are most of
// libpg_query's JSON.
constexpr auto k_string_stop = [] {
    std::array<bool, 256> table{};
    table[static_cast<unsigned char>('"')] = true;
    table[static_cast<unsigned char>('\\')] = true;
    table[0] = true;
    return table;
}();

} // namespace

bool JsonDocument::parse_string(std::string_view& out) {
    // *m_p is the opening quote.
    const char* start = ++m_p;
    const char* p = start;
    while (!k_string_stop[static_cast<unsigned char>(*p)]) {
        ++p;
    }
    if (*p == '"') {
        out = std::string_view(start, static_cast<std::size_t>(p - start));
        m_p = p + 1;
        return true;
    }
    m_p = p;
    if (*p == '\\') {
        return parse_string_slow(start, out);
    }
    return false;
}

bool JsonDocument::parse_string_slow(const char* start, std::string_view& out) {
    // The string has escapes; build an unescaped copy. m_p is at the first backslash.
    std::string value(start, static_cast<std::size_t>(m_p - start));
    while (true) {
        const char c = *m_p;
        if (c == '\0') {
            return false;
        }
        if (c == '"') {
            ++m_p;
            out = *m_unescaped.emplace_back(std::make_unique<std::string>(std::move(value)));
            return true;
        }
        if (c != '\\') {
            value.push_back(c);
            ++m_p;
            continue;
        }
        const char e = m_p[1];
        if (e == '\0') {
            return false;
        }
        m_p += 2;
        switch (e) {
        case '"': value.push_back('"'); break;
        case '\\': value.push_back('\\'); break;
        case '/': value.push_back('/'); break;
        case 'b': value.push_back('\b'); break;
        case 'f': value.push_back('\f'); break;
        case 'n': value.push_back('\n'); break;
        case 'r': value.push_back('\r'); break;
        case 't': value.push_back('\t'); break;
        case 'u': {
            auto read_hex4 = [this](std::uint32_t& code) {
                code = 0;
                for (int i = 0; i < 4; ++i) {
                    const int h = hex_value(m_p[i]); // stops at the NUL: not a hex digit
                    if (h < 0) {
                        return false;
                    }
                    code = code * 16 + static_cast<std::uint32_t>(h);
                }
                m_p += 4;
                return true;
            };
            std::uint32_t code = 0;
            if (!read_hex4(code)) {
                return false;
            }
            if (code >= 0xD800 && code < 0xDC00 && m_p[0] == '\\' && m_p[1] == 'u') {
                m_p += 2;
                std::uint32_t low = 0;
                if (!read_hex4(low) || low < 0xDC00 || low > 0xDFFF) {
                    return false;
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
            util::append_utf8(value, code);
            break;
        }
        default:
            return false;
        }
    }
}

std::int32_t JsonDocument::parse_value(std::string_view key, int depth) {
    skip_space();
    if (depth > k_max_tree_depth) {
        m_ok = false;
        return -1;
    }
    const auto index = static_cast<std::int32_t>(m_nodes.size());
    m_nodes.emplace_back().set_key(key);
    const char c = *m_p;
    if (c == '{' || c == '[') {
        const bool object = c == '{';
        const char close = object ? '}' : ']';
        m_nodes[static_cast<std::size_t>(index)].type = object ? JsonType::object : JsonType::array;
        ++m_p;
        skip_space();
        if (*m_p == close) {
            ++m_p;
            return index;
        }
        std::int32_t previous = -1;
        while (true) {
            std::string_view member_key;
            if (object) {
                skip_space();
                if (*m_p != '"' || !parse_string(member_key)) {
                    m_ok = false;
                    return -1;
                }
                skip_space();
                if (*m_p != ':') {
                    m_ok = false;
                    return -1;
                }
                ++m_p;
            }
            // An object's "location" (one member in six of libpg_query's output) is kept in
            // the object's own node, not as a child: nothing reads it as a member.
            bool linked = true;
            if (object && member_key.size() == 8 && member_key == "location") {
                skip_space();
                const char* p = m_p;
                std::int64_t value = 0;
                while (*p >= '0' && *p <= '9' && value <= INT32_MAX) {
                    value = value * 10 + (*p - '0');
                    ++p;
                }
                if (p != m_p && value <= INT32_MAX && (*p == ',' || *p == close)) {
                    m_nodes[static_cast<std::size_t>(index)].location = static_cast<std::int32_t>(value);
                    m_p = p;
                    linked = false;
                }
            }
            if (linked) {
                const std::int32_t child = parse_value(member_key, depth + 1);
                if (!m_ok) {
                    return -1;
                }
                if (previous < 0) {
                    m_nodes[static_cast<std::size_t>(index)].first_child = child;
                } else {
                    m_nodes[static_cast<std::size_t>(previous)].next = child;
                }
                previous = child;
            }
            JsonNode& self = m_nodes[static_cast<std::size_t>(index)];
            skip_space();
            if (*m_p == ',') {
                ++m_p;
                continue;
            }
            if (*m_p == close) {
                ++m_p;
                if (self.first_child >= 0) {
                    const JsonNode& first = m_nodes[static_cast<std::size_t>(self.first_child)];
                    self.wrapper = object && first.next < 0 && first.key_length > 0 &&
                                   first.key_data[0] >= 'A' && first.key_data[0] <= 'Z' &&
                                   first.type == JsonType::object;
                }
                return index;
            }
            m_ok = false;
            return -1;
        }
    }
    JsonNode& node = m_nodes[static_cast<std::size_t>(index)];
    switch (c) {
    case '"': {
        node.type = JsonType::string;
        std::string_view text;
        if (!parse_string(text)) {
            m_ok = false;
            return -1;
        }
        m_nodes[static_cast<std::size_t>(index)].set_text(text);
        return index;
    }
    case 't':
        if (m_p[1] == 'r' && m_p[2] == 'u' && m_p[3] == 'e') {
            node.type = JsonType::boolean;
            node.boolean = true;
            m_p += 4;
            return index;
        }
        break;
    case 'f':
        if (m_p[1] == 'a' && m_p[2] == 'l' && m_p[3] == 's' && m_p[4] == 'e') {
            node.type = JsonType::boolean;
            m_p += 5;
            return index;
        }
        break;
    case 'n':
        if (m_p[1] == 'u' && m_p[2] == 'l' && m_p[3] == 'l') {
            m_p += 4;
            return index;
        }
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            node.type = JsonType::number;
            const bool negative = c == '-';
            if (negative) {
                ++m_p;
            }
            // Exact over the whole int64 range; a magnitude beyond it is held at the nearest end.
            constexpr std::uint64_t k_limit = std::numeric_limits<std::uint64_t>::max() / 10;
            std::uint64_t magnitude = 0;
            bool beyond = false;
            bool any = false;
            while (*m_p >= '0' && *m_p <= '9') {
                const auto digit = static_cast<std::uint64_t>(*m_p - '0');
                if (magnitude > k_limit || magnitude * 10 > std::numeric_limits<std::uint64_t>::max() - digit) {
                    beyond = true;
                } else {
                    magnitude = magnitude * 10 + digit;
                }
                ++m_p;
                any = true;
            }
            // Fractions and exponents are not produced by libpg_query; skip them if present.
            while (*m_p == '.' || *m_p == 'e' || *m_p == 'E' || *m_p == '+' || *m_p == '-' ||
                   (*m_p >= '0' && *m_p <= '9')) {
                ++m_p;
            }
            constexpr auto k_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
            if (negative) {
                node.number = beyond || magnitude > k_max ? std::numeric_limits<std::int64_t>::min()
                                                          : -static_cast<std::int64_t>(magnitude);
            } else {
                node.number = beyond || magnitude > k_max ? std::numeric_limits<std::int64_t>::max()
                                                          : static_cast<std::int64_t>(magnitude);
            }
            if (!any) {
                m_ok = false;
                return -1;
            }
            return index;
        }
        break;
    }
    m_ok = false;
    return -1;
}

namespace {

std::string difference(JsonRef a, JsonRef b, const std::string& path) {
    if (a.valid() != b.valid()) {
        return path + ": present in one tree only";
    }
    if (!a.valid()) {
        return {};
    }
    const JsonNode& x = *a.node();
    const JsonNode& y = *b.node();
    const std::string here = path + "/" + std::string(x.key());
    if (x.key() != y.key()) {
        return here + ": key " + std::string(y.key()) + " in the other";
    }
    if (x.type != y.type) {
        return here + ": type " + std::to_string(static_cast<int>(x.type)) + ", other " +
               std::to_string(static_cast<int>(y.type));
    }
    if (x.location != y.location) {
        return here + ": location " + std::to_string(x.location) + ", other " + std::to_string(y.location);
    }
    if (x.wrapper != y.wrapper) {
        return here + ": wrapper flag differs";
    }
    switch (x.type) {
    case JsonType::boolean:
        if (x.boolean != y.boolean) {
            return here + ": boolean differs";
        }
        break;
    case JsonType::number:
        if (x.number != y.number) {
            return here + ": " + std::to_string(x.number) + ", other " + std::to_string(y.number);
        }
        break;
    case JsonType::string:
        if (x.text() != y.text()) {
            return here + ": \"" + std::string(x.text()) + "\", oracle \"" + std::string(y.text()) + "\"";
        }
        break;
    default: break;
    }
    JsonRef p = a.first_child();
    JsonRef q = b.first_child();
    while (p.valid() || q.valid()) {
        if (std::string d = difference(p, q, here); !d.empty()) {
            return d;
        }
        p = p.next();
        q = q.next();
    }
    return {};
}

} // namespace

std::string tree_difference(JsonRef a, JsonRef b) {
    return difference(a, b, "");
}

} // namespace dbadvise::sqlparse::detail
