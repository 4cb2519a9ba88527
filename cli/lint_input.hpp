// Linting one input of `dbadvise lint` as it is read: the file (or standard input) arrives in
// pieces, the input checks and the lint driver see each piece once, and only the statement in
// progress is held, so memory is bounded by the largest statement and the findings, not by
// the file.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/lint.hpp"
#include "analyzer/schema.hpp"

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace dbadvise::cli {

/// The size of the pieces lint reads: large enough that the parser's two threads stay busy
/// across a piece (it drains at each piece's end), small next to any memory budget.
inline constexpr std::size_t k_lint_piece_bytes = std::size_t{4} << 20;

/// Findings gathered over a lint run, in blocks of a fixed size: a vector that doubles holds
/// the old and the new copy at once, which at a million findings (some 650 bytes each) was a
/// gigabyte. take() hands them over in one vector of the exact size, freeing each block as it
/// is moved (blocks are large enough that the allocator returns them to the system).
class FindingStore {
public:
    void push_back(analyzer::Finding&& finding);
    std::size_t size() const { return m_size; }
    /// Drops the findings after the first `size`.
    void truncate(std::size_t size);
    /// All the findings, in the order added; the store is empty after.
    std::vector<analyzer::Finding> take();

private:
    static constexpr std::size_t k_block = 8192;
    std::vector<std::vector<analyzer::Finding>> m_blocks;
    std::size_t m_size = 0;
};

/// Lints `path` ("-": `in`) read in pieces of `piece_bytes`: appends its findings (located
/// in the whole file) to `out` and counts its statements in `stats`. A file with a NUL byte
/// gives the `binary-input` finding alone; invalid UTF-8 gives `invalid-utf8` besides the
/// statements' findings; a file with no statement gives `empty-input`. Returns the message
/// `cannot read ...` when the file cannot be opened or read, having added nothing.
std::optional<std::string> lint_input(const std::string& path, std::istream& in,
                                      const analyzer::Schema* schema,
                                      FindingStore& out,
                                      analyzer::LintStats& stats,
                                      std::size_t piece_bytes = k_lint_piece_bytes);

} // namespace dbadvise::cli
