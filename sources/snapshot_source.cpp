#include "sources/snapshot_source.hpp"

#include "analyzer/operations.hpp"
#include "analyzer/snapshot_json.hpp"
#include "sources/gzip.hpp"

#include <fmt/format.h>

namespace dbadvise::sources {

std::expected<analyzer::Workload, std::string>
parse_snapshot(std::string_view bytes, std::string_view name, std::string_view tool_version) {
    std::string decompressed;
    const bool compressed = is_gzip(bytes);
    if (compressed) {
        auto inflated = gzip_decompress(bytes);
        if (!inflated)
            return std::unexpected(fmt::format("{}: {}", name, inflated.error()));
        decompressed = std::move(*inflated);
        bytes = decompressed;
    }
    if (bytes.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return std::unexpected(
            fmt::format("{}: empty file: expected a snapshot (dbadvise snapshot -o FILE)", name));
    auto workload = analyzer::read_snapshot(bytes, tool_version);
    if (!workload) {
        const analyzer::SnapshotError& error = workload.error();
        if (error.line > 0) {
            return std::unexpected(
                fmt::format("{}:{}:{}: {}{}", name, error.line, error.column, error.message,
                            compressed ? " (line and column of the decompressed document)" : ""));
        }
        return std::unexpected(fmt::format("{}: {}", name, error.message));
    }
    return std::move(*workload);
}

SnapshotSource::SnapshotSource(std::string name, std::string bytes, std::string tool_version)
    : m_name(std::move(name)), m_bytes(std::move(bytes)), m_tool_version(std::move(tool_version)) {}

std::string SnapshotSource::describe() const {
    return "snapshot " + m_name;
}

std::expected<analyzer::Capture, analyzer::SourceError>
SnapshotSource::capture(const analyzer::StatementFilter& filter) {
    auto workload = parse_snapshot(m_bytes, m_name, m_tool_version);
    // The bytes are not needed any more; a large snapshot should not be held twice.
    std::string().swap(m_bytes);
    if (!workload) {
        return std::unexpected(
            analyzer::SourceError{analyzer::SourceError::Kind::unreadable, workload.error()});
    }
    analyzer::Capture capture;
    capture.workload = std::move(*workload);
    analyzer::select_statements(capture.workload, filter);
    if (!capture.workload.activity) {
        capture.notes.push_back(analyzer::activity_missing_note(fmt::format(
            "snapshot {} (written before snapshots recorded it)", m_name)));
    }
    capture.description.kind = "snapshot";
    capture.description.files.push_back(m_name);
    return capture;
}

} // namespace dbadvise::sources
