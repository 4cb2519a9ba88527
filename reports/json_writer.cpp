#include "reports/json_writer.hpp"
#include "reports/format_number.hpp"

#include "util/utf8.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace dbadvise::reports {

JsonWriter::JsonWriter(Sink sink, std::size_t chunk_bytes)
    : m_sink(std::move(sink)), m_chunk_bytes(chunk_bytes) {
    m_buffer.reserve(chunk_bytes + 4096);
}

void JsonWriter::newline_and_indent(std::size_t depth) {
    m_buffer.push_back('\n');
    m_buffer.append(depth * 2, ' ');
}

void JsonWriter::before_value() {
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (m_empty.empty()) {
        return; // the top-level value
    }
    // An array element.
    if (!m_empty.back()) {
        m_buffer.push_back(',');
    }
    m_empty.back() = false;
    newline_and_indent(m_empty.size());
}

void JsonWriter::open(char bracket) {
    before_value();
    m_buffer.push_back(bracket);
    m_empty.push_back(true);
}

void JsonWriter::close(char bracket) {
    const bool empty = m_empty.back();
    m_empty.pop_back();
    if (!empty) {
        newline_and_indent(m_empty.size());
    }
    m_buffer.push_back(bracket);
    flush_if_full();
}

void JsonWriter::begin_object() { open('{'); }
void JsonWriter::end_object() { close('}'); }
void JsonWriter::begin_array() { open('['); }
void JsonWriter::end_array() { close(']'); }

void JsonWriter::key(std::string_view name) {
    if (!m_empty.back()) {
        m_buffer.push_back(',');
    }
    m_empty.back() = false;
    newline_and_indent(m_empty.size());
    quoted(name);
    m_buffer.append(": ");
    m_after_key = true;
}

void JsonWriter::string(std::string_view value) {
    before_value();
    quoted(value);
    flush_if_full();
}

void JsonWriter::integer(std::int64_t value) {
    before_value();
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    m_buffer.append(digits, result.ptr);
}

void JsonWriter::number(double value) {
    if (!std::isfinite(value)) {
        null();
        return;
    }
    before_value();
    // Whole numbers and the shortest round-trip digits, as nlohmann prints them.
    m_buffer.append(nlohmann::json(value).dump());
}

void JsonWriter::boolean(bool value) {
    before_value();
    m_buffer.append(value ? "true" : "false");
}

void JsonWriter::null() {
    before_value();
    m_buffer.append("null");
}

namespace {

// Bytes a JSON string cannot hold as they are: control characters, the quote and the
// backslash (1); bytes of multi-byte UTF-8 sequences, which must be checked (2).
constexpr auto k_string_class = [] {
    std::array<std::uint8_t, 256> table{};
    for (int c = 0; c < 0x20; ++c) {
        table[static_cast<std::size_t>(c)] = 1;
    }
    table['"'] = 1;
    table['\\'] = 1;
    for (int c = 0x80; c < 0x100; ++c) {
        table[static_cast<std::size_t>(c)] = 2;
    }
    return table;
}();

} // namespace

void JsonWriter::quoted(std::string_view text) {
    // Most strings are plain ASCII: copy runs of ordinary bytes in one append each.
    std::uint8_t seen = 0;
    for (const char ch : text) {
        seen |= k_string_class[static_cast<unsigned char>(ch)];
    }
    if ((seen & 2) != 0 && util::first_invalid_utf8(text)) {
        m_buffer.append(nlohmann::json(std::string(text))
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return;
    }
    m_buffer.push_back('"');
    if ((seen & 1) == 0) {
        m_buffer.append(text);
        m_buffer.push_back('"');
        return;
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (k_string_class[c] != 1) {
            continue;
        }
        m_buffer.append(text.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"': m_buffer.append("\\\""); break;
        case '\\': m_buffer.append("\\\\"); break;
        case '\b': m_buffer.append("\\b"); break;
        case '\f': m_buffer.append("\\f"); break;
        case '\n': m_buffer.append("\\n"); break;
        case '\r': m_buffer.append("\\r"); break;
        case '\t': m_buffer.append("\\t"); break;
        default:
            m_buffer.append("\\u00");
            m_buffer.push_back(k_hex[c >> 4]);
            m_buffer.push_back(k_hex[c & 0xF]);
        }
    }
    m_buffer.append(text.substr(run));
    m_buffer.push_back('"');
}

void JsonWriter::flush_if_full() {
    if (m_buffer.size() >= m_chunk_bytes) {
        m_sink(m_buffer);
        m_buffer.clear();
    }
}

void JsonWriter::finish() {
    m_buffer.push_back('\n');
    m_sink(m_buffer);
    m_buffer.clear();
}

void write_rounded(JsonWriter& out, double value) {
    out.number(std::isfinite(value) ? round3(value) : value);
}

void write_evidence(JsonWriter& out, const analyzer::Evidence& evidence) {
    out.begin_object();
    for (const auto& [key, value] : evidence) {
        out.key(key);
        struct Visitor {
            JsonWriter& out;
            void operator()(std::int64_t v) const { out.integer(v); }
            void operator()(double v) const { write_rounded(out, v); }
            void operator()(const std::string& v) const { out.string(v); }
            void operator()(bool v) const { out.boolean(v); }
        };
        std::visit(Visitor{out}, value);
    }
    out.end_object();
}

} // namespace dbadvise::reports
