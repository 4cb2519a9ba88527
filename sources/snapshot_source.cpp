#include "sources/snapshot_source.hpp"

#include "analyzer/operations.hpp"
#include "analyzer/rule_registry.hpp"
#include "analyzer/snapshot_json.hpp"
#include "sources/gzip.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace dbadvise::sources {

std::expected<analyzer::Workload, std::string>
parse_snapshot(std::string_view bytes, std::string_view name, std::string_view tool_version,
               std::vector<analyzer::SnapshotProblem>* problems) {
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
    auto workload = analyzer::read_snapshot(bytes, tool_version, problems);
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

std::vector<analyzer::Finding>
snapshot_problem_findings(const std::vector<analyzer::SnapshotProblem>& problems,
                          std::string_view name) {
    using Kind = analyzer::SnapshotProblem::Kind;
    // A damaged file may have thousands: the first few say what and where, the count the rest.
    constexpr std::size_t k_listed = 5;
    std::vector<analyzer::Finding> findings;
    for (const Kind kind : {Kind::invalid_value, Kind::duplicate_statement}) {
        std::vector<const analyzer::SnapshotProblem*> of_kind;
        for (const analyzer::SnapshotProblem& problem : problems) {
            if (problem.kind == kind)
                of_kind.push_back(&problem);
        }
        if (of_kind.empty())
            continue;
        const bool invalid = kind == Kind::invalid_value;
        analyzer::Finding finding(invalid ? analyzer::RuleId::snapshot_invalid_values
                                          : analyzer::RuleId::snapshot_duplicate_statements);
        const std::size_t count = of_kind.size();
        finding.title =
            invalid ? fmt::format("{}: {} with values no server produces left out", name,
                                  count == 1 ? "1 row" : fmt::format("{} rows", count))
                    : fmt::format("{}: {} repeating a pg_stat_statements entry left out", name,
                                  count == 1 ? "1 row" : fmt::format("{} rows", count));
        std::string message;
        for (std::size_t i = 0; i < std::min(count, k_listed); ++i)
            message += fmt::format("{}{}: {}: {}", i > 0 ? "; " : "", name, of_kind[i]->where,
                                   of_kind[i]->message);
        if (count > k_listed)
            message += fmt::format("; and {} more", count - k_listed);
        message += invalid ? ". The rest of the snapshot is analyzed without them."
                           : ". The first row of each entry is kept; counting the others would "
                             "count the statement twice.";
        finding.message = std::move(message);
        finding.subject = fmt::format("{} {}", name, finding.rule_id());
        finding.evidence.emplace_back("rows", static_cast<std::int64_t>(count));
        findings.push_back(std::move(finding));
    }
    return findings;
}

SnapshotSource::SnapshotSource(std::string name, std::string bytes, std::string tool_version)
    : m_name(std::move(name)), m_bytes(std::move(bytes)), m_tool_version(std::move(tool_version)) {}

std::string SnapshotSource::describe() const {
    return "snapshot " + m_name;
}

std::expected<analyzer::Capture, analyzer::SourceError>
SnapshotSource::capture(const analyzer::StatementFilter& filter) {
    std::vector<analyzer::SnapshotProblem> problems;
    auto workload = parse_snapshot(m_bytes, m_name, m_tool_version, &problems);
    // The bytes are not needed any more; a large snapshot should not be held twice.
    std::string().swap(m_bytes);
    if (!workload) {
        return std::unexpected(
            analyzer::SourceError{analyzer::SourceError::Kind::unreadable, workload.error()});
    }
    analyzer::Capture capture;
    capture.workload = std::move(*workload);
    capture.findings = snapshot_problem_findings(problems, m_name);
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
