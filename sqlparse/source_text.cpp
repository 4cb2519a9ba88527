#include "sqlparse/source_text.hpp"

#include <algorithm>
#include <cstring>

namespace dbadvise::sqlparse {

SourceText::SourceText(std::string_view text) : m_text(text) {
    m_line_starts.push_back(0);
    // memchr: lint indexes every file it reads, and lines are long next to one byte test.
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    for (const char* p = begin; p < end;) {
        const void* newline = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        if (newline == nullptr) {
            break;
        }
        p = static_cast<const char*>(newline) + 1;
        m_line_starts.push_back(static_cast<int>(p - begin));
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

LineColumn SourceText::locate(int offset, LineColumn start) const {
    LineColumn at = locate(offset);
    if (at.line == 1) {
        at.column += start.column - 1;
    }
    if (at.line > 0) {
        at.line += start.line - 1;
    }
    return at;
}

LineColumn advance(LineColumn start, std::string_view text) {
    const std::size_t last_newline = text.rfind('\n');
    std::size_t line_start = 0;
    if (last_newline != std::string_view::npos) {
        start.line += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
        start.column = 1;
        line_start = last_newline + 1;
    }
    for (std::size_t i = line_start; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            ++start.column;
        }
    }
    return start;
}

std::string_view SourceText::slice(int begin, int end) const {
    const int size = static_cast<int>(m_text.size());
    begin = std::clamp(begin, 0, size);
    end = std::clamp(end, begin, size);
    return m_text.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
}

} // namespace dbadvise::sqlparse
