// Maps byte offsets in a source text to 1-based line and column numbers.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse {

struct LineColumn {
    int line = 0;   // 1-based; 0 when unknown
    int column = 0; // 1-based, counted in characters (UTF-8 code points) as PostgreSQL does
};

/// The position just past `text` for a text that starts at `start`: how a reader that drops
/// the text it has consumed keeps counting lines and columns exactly as locate() would over
/// the whole text. `start` {1, 1} is the beginning of a text.
LineColumn advance(LineColumn start, std::string_view text);

/// Index of line starts in a text, built once, queried per finding. Keeps a view: the text
/// must outlive the index.
class SourceText {
public:
    explicit SourceText(std::string_view text);
    /// Line and column of byte `offset`; offsets past the end map to the end; a negative
    /// offset gives {0, 0}.
    LineColumn locate(int offset) const;
    /// locate() for a text that starts at `start` of a larger one (a piece of a file read in
    /// chunks): lines and columns in the larger text.
    LineColumn locate(int offset, LineColumn start) const;
    std::string_view text() const { return m_text; }
    /// The source text of `[begin, end)`, clamped to the text.
    std::string_view slice(int begin, int end) const;

private:
    std::string_view m_text;
    std::vector<int> m_line_starts;
};

} // namespace dbadvise::sqlparse
