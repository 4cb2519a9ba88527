#include "sqlparse/source_text.hpp"

#include <algorithm>

namespace dbadvise::sqlparse {

SourceText::SourceText(std::string_view text) : m_text(text) {
    m_line_starts.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            m_line_starts.push_back(static_cast<int>(i + 1));
        }
    }
}

LineColumn SourceText::locate(int offset) const {
    if (offset < 0) {
        return {};
    }
    offset = std::min(offset, static_cast<int>(m_text.size()));
    const auto it = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), offset);
    const int line_index = static_cast<int>(it - m_line_starts.begin()) - 1;
    const int line_start = m_line_starts[static_cast<std::size_t>(line_index)];
    // Columns count characters: skip UTF-8 continuation bytes (10xxxxxx).
    int column = 1;
    for (int i = line_start; i < offset; ++i) {
        const auto byte = static_cast<unsigned char>(m_text[static_cast<std::size_t>(i)]);
        if ((byte & 0xC0) != 0x80) {
            ++column;
        }
    }
    return {line_index + 1, column};
}

std::string_view SourceText::slice(int begin, int end) const {
    const int size = static_cast<int>(m_text.size());
    begin = std::clamp(begin, 0, size);
    end = std::clamp(end, begin, size);
    return m_text.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char min_second = 0x80;
        unsigned char max_second = 0xBF;
        // Ranges from RFC 3629: they exclude overlong encodings (C0, C1, E0 80..9F, F0 80..8F),
        // UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF).
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) {
                min_second = 0xA0;
            } else if (lead == 0xED) {
                max_second = 0x9F;
            }
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) {
                min_second = 0x90;
            } else if (lead == 0xF4) {
                max_second = 0x8F;
            }
        } else {
            return i;
        }
        if (i + length > size) {
            return i;
        }
        if (bytes[i + 1] < min_second || bytes[i + 1] > max_second) {
            return i;
        }
        for (std::size_t k = 2; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80) {
                return i;
            }
        }
        i += length;
    }
    return std::nullopt;
}

} // namespace dbadvise::sqlparse
