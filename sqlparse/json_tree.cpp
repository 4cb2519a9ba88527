#include "sqlparse/json_tree_internal.hpp"

#include <cstdint>

namespace dbadvise::sqlparse::detail {

namespace {

// libpg_query's trees are bounded by PostgreSQL's own stack-depth check, but a corrupt or
// unexpected text must not exhaust our stack either.
constexpr int k_max_depth = 5000;

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
}

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

bool JsonDocument::parse(std::string_view json) {
    m_json = json;
    m_pos = 0;
    m_ok = true;
    m_nodes.clear();
    // libpg_query's JSON holds roughly one node per 12 bytes.
    m_nodes.reserve(json.size() / 12 + 16);
    m_unescaped.clear();
    parse_value({}, 0);
    skip_space();
    if (m_pos != m_json.size()) {
        m_ok = false;
    }
    if (!m_ok) {
        m_nodes.clear();
    }
    return m_ok;
}

void JsonDocument::skip_space_slow() {
    while (m_pos < m_json.size()) {
        const char c = m_json[m_pos];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            return;
        }
        ++m_pos;
    }
}

bool JsonDocument::parse_string(std::string_view& out) {
    // m_json[m_pos] is the opening quote.
    const std::size_t start = ++m_pos;
    const char* data = m_json.data();
    const std::size_t size = m_json.size();
    std::size_t pos = start;
    while (pos < size) {
        const char c = data[pos];
        if (c == '"') {
            out = std::string_view(data + start, pos - start);
            m_pos = pos + 1;
            return true;
        }
        if (c == '\\') {
            m_pos = pos;
            return parse_string_slow(start, out);
        }
        ++pos;
    }
    m_pos = pos;
    return false;
}

bool JsonDocument::parse_string_slow(std::size_t start, std::string_view& out) {
    // The string has escapes; build an unescaped copy. m_pos is at the first backslash.
    std::string value(m_json.substr(start, m_pos - start));
    while (m_pos < m_json.size()) {
        const char c = m_json[m_pos];
        if (c == '"') {
            ++m_pos;
            out = m_unescaped.emplace_back(std::move(value));
            return true;
        }
        if (c != '\\') {
            value.push_back(c);
            ++m_pos;
            continue;
        }
        if (m_pos + 1 >= m_json.size()) {
            return false;
        }
        const char e = m_json[m_pos + 1];
        m_pos += 2;
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
                if (m_pos + 4 > m_json.size()) {
                    return false;
                }
                code = 0;
                for (int i = 0; i < 4; ++i) {
                    const int h = hex_value(m_json[m_pos + static_cast<std::size_t>(i)]);
                    if (h < 0) {
                        return false;
                    }
                    code = code * 16 + static_cast<std::uint32_t>(h);
                }
                m_pos += 4;
                return true;
            };
            std::uint32_t code = 0;
            if (!read_hex4(code)) {
                return false;
            }
            if (code >= 0xD800 && code < 0xDC00 && m_pos + 6 <= m_json.size() &&
                m_json[m_pos] == '\\' && m_json[m_pos + 1] == 'u') {
                m_pos += 2;
                std::uint32_t low = 0;
                if (!read_hex4(low)) {
                    return false;
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
            append_utf8(value, code);
            break;
        }
        default:
            return false;
        }
    }
    return false;
}

std::int32_t JsonDocument::parse_value(std::string_view key, int depth) {
    skip_space();
    if (m_pos >= m_json.size() || depth > k_max_depth) {
        m_ok = false;
        return -1;
    }
    const auto index = static_cast<std::int32_t>(m_nodes.size());
    m_nodes.emplace_back();
    m_nodes.back().key = key;
    const char c = m_json[m_pos];
    if (c == '{' || c == '[') {
        const bool object = c == '{';
        m_nodes[static_cast<std::size_t>(index)].type = object ? JsonType::object : JsonType::array;
        ++m_pos;
        skip_space();
        const char close = object ? '}' : ']';
        if (m_pos < m_json.size() && m_json[m_pos] == close) {
            ++m_pos;
            return index;
        }
        std::int32_t previous = -1;
        while (m_ok) {
            std::string_view member_key;
            if (object) {
                skip_space();
                if (m_pos >= m_json.size() || m_json[m_pos] != '"' || !parse_string(member_key)) {
                    m_ok = false;
                    return -1;
                }
                skip_space();
                if (m_pos >= m_json.size() || m_json[m_pos] != ':') {
                    m_ok = false;
                    return -1;
                }
                ++m_pos;
            }
            const std::int32_t child = parse_value(member_key, depth + 1);
            if (!m_ok) {
                return -1;
            }
            if (object && member_key.size() == 8 && member_key == "location") {
                const JsonNode& value = m_nodes[static_cast<std::size_t>(child)];
                if (value.type == JsonType::number && value.number >= 0 &&
                    value.number <= INT32_MAX) {
                    m_nodes[static_cast<std::size_t>(index)].location =
                        static_cast<std::int32_t>(value.number);
                }
            }
            if (previous < 0) {
                m_nodes[static_cast<std::size_t>(index)].first_child = child;
            } else {
                m_nodes[static_cast<std::size_t>(previous)].next = child;
            }
            previous = child;
            skip_space();
            if (m_pos < m_json.size() && m_json[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_json.size() && m_json[m_pos] == close) {
                ++m_pos;
                JsonNode& self = m_nodes[static_cast<std::size_t>(index)];
                const JsonNode& first = m_nodes[static_cast<std::size_t>(self.first_child)];
                self.wrapper = object && first.next < 0 && !first.key.empty() &&
                               first.key[0] >= 'A' && first.key[0] <= 'Z' &&
                               first.type == JsonType::object;
                return index;
            }
            m_ok = false;
        }
        return -1;
    }
    JsonNode& node = m_nodes[static_cast<std::size_t>(index)];
    if (c == '"') {
        node.type = JsonType::string;
        std::string_view text;
        if (!parse_string(text)) {
            m_ok = false;
            return -1;
        }
        m_nodes[static_cast<std::size_t>(index)].text = text;
        return index;
    }
    if (c == 't' && m_json.substr(m_pos, 4) == "true") {
        node.type = JsonType::boolean;
        node.boolean = true;
        m_pos += 4;
        return index;
    }
    if (c == 'f' && m_json.substr(m_pos, 5) == "false") {
        node.type = JsonType::boolean;
        m_pos += 5;
        return index;
    }
    if (c == 'n' && m_json.substr(m_pos, 4) == "null") {
        m_pos += 4;
        return index;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        node.type = JsonType::number;
        const bool negative = c == '-';
        if (negative) {
            ++m_pos;
        }
        std::int64_t value = 0;
        bool any = false;
        while (m_pos < m_json.size() && m_json[m_pos] >= '0' && m_json[m_pos] <= '9') {
            if (value < 100000000000000000) {
                value = value * 10 + (m_json[m_pos] - '0');
            }
            ++m_pos;
            any = true;
        }
        // Fractions and exponents are not produced by libpg_query; skip them if present.
        while (m_pos < m_json.size() &&
               (m_json[m_pos] == '.' || m_json[m_pos] == 'e' || m_json[m_pos] == 'E' ||
                m_json[m_pos] == '+' || m_json[m_pos] == '-' ||
                (m_json[m_pos] >= '0' && m_json[m_pos] <= '9'))) {
            ++m_pos;
        }
        node.number = negative ? -value : value;
        if (!any) {
            m_ok = false;
        }
        return index;
    }
    m_ok = false;
    return -1;
}

} // namespace dbadvise::sqlparse::detail
