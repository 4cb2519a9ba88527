#include "cli/lint_input.hpp"

#include "cli/input.hpp"

#include <algorithm>
#include <iterator>
#include <cstddef>
#include <string_view>

namespace dbadvise::cli {

void FindingStore::push_back(analyzer::Finding&& finding) {
    if (m_blocks.empty() || m_blocks.back().size() == k_block) {
        m_blocks.emplace_back().reserve(k_block);
    }
    m_blocks.back().push_back(std::move(finding));
    ++m_size;
}

void FindingStore::truncate(std::size_t size) {
    while (m_size > size) {
        std::vector<analyzer::Finding>& last = m_blocks.back();
        const std::size_t drop = std::min(last.size(), m_size - size);
        last.erase(last.end() - static_cast<std::ptrdiff_t>(drop), last.end());
        m_size -= drop;
        if (last.empty()) {
            m_blocks.pop_back();
        }
    }
}

std::vector<analyzer::Finding> FindingStore::take() {
    std::vector<analyzer::Finding> all;
    all.reserve(m_size);
    for (std::vector<analyzer::Finding>& block : m_blocks) {
        std::move(block.begin(), block.end(), std::back_inserter(all));
        std::vector<analyzer::Finding>().swap(block);
    }
    m_blocks.clear();
    m_size = 0;
    return all;
}

std::optional<std::string> lint_input(const std::string& path, std::istream& in,
                                      const analyzer::Schema* schema,
                                      FindingStore& out, analyzer::LintStats& stats,
                                      std::size_t piece_bytes) {
    std::expected<InputFile, std::string> file = InputFile::open(path, in);
    if (!file) {
        return file.error();
    }
    piece_bytes = std::max<std::size_t>(piece_bytes, 1);
    const std::size_t first_finding = out.size();
    const analyzer::LintStats stats_before = stats;
    // A file that turns out to be binary, or cannot be read to its end, keeps none of the
    // findings of its first pieces.
    const auto undo = [&] {
        out.truncate(first_finding);
        stats = stats_before;
    };
    TextChecks checks(path);
    analyzer::ScriptLint lint(path, schema, stats);
    std::vector<analyzer::Finding> found; // one piece's
    std::string buffer; // the text not read yet by `lint`, then the new piece
    bool started = false;
    std::size_t want = piece_bytes;
    for (;;) {
        const std::size_t old_size = buffer.size();
        const std::expected<std::size_t, std::string> got = file->read(buffer, want);
        if (!got) {
            undo();
            return got.error();
        }
        const bool final = *got == 0;
        if (!checks.add(std::string_view(buffer).substr(old_size))) {
            undo();
            out.push_back(analyzer::Finding(*checks.binary()));
            return std::nullopt;
        }
        if (!started) {
            // Editors do not count a UTF-8 byte order mark as a column, and the parser would
            // reject it: lines and columns start after it.
            constexpr std::string_view k_bom = "\xEF\xBB\xBF";
            if (!final && buffer.size() < k_bom.size() && k_bom.starts_with(buffer)) {
                continue;
            }
            if (std::string_view(buffer).starts_with(k_bom)) {
                buffer.erase(0, k_bom.size());
            }
            started = true;
        }
        const std::size_t used = lint.feed(buffer, final, found);
        for (analyzer::Finding& f : found) {
            out.push_back(std::move(f));
        }
        found.clear();
        if (final) {
            break;
        }
        buffer.erase(0, used);
        // A statement longer than a piece is read again from its start with each piece: grow
        // the pieces with it, so that reading it stays linear in its size.
        want = used == 0 ? std::max(piece_bytes, buffer.size()) : piece_bytes;
    }
    checks.finish();
    if (checks.utf8()) {
        out.push_back(analyzer::Finding(*checks.utf8()));
    }
    if (stats.statements + stats.parse_errors == stats_before.statements + stats_before.parse_errors) {
        out.push_back(empty_input(path, "SQL statement"));
    }
    return std::nullopt;
}

} // namespace dbadvise::cli
