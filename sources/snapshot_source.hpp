// The snapshot source: a workload captured earlier by `dbadvise snapshot`, from the bytes of
// its file (plain JSON, or gzip: detected by its magic bytes, not by the file name). The CLI
// reads the file; decoding is here, and parse_snapshot is the one function from untrusted
// bytes to a Workload (the snapshot reader's fuzz target calls it).
#pragma once

#include "analyzer/snapshot_json.hpp"
#include "analyzer/workload_source.hpp"

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sources {

/// Decompresses (gzip) and reads a snapshot. The error names `name` and where in the
/// document: `shop.json:12:5: invalid JSON: ...`, `shop.json.gz: invalid gzip data: ...`,
/// `shop.json: /tables/3/name: expected a string, got an integer`, or a newer format's
/// `shop.json: written by dbadvise 0.4.0 in snapshot format 2; this dbadvise 0.1.0 reads ...`.
/// A position inside a gzip file is one in the decompressed document, and says so. Rows left
/// out for their values (analyzer::read_snapshot) are added to `problems` when given.
std::expected<analyzer::Workload, std::string>
parse_snapshot(std::string_view bytes, std::string_view name, std::string_view tool_version,
               std::vector<analyzer::SnapshotProblem>* problems = nullptr);

/// One finding per kind of problem (snapshot-invalid-values, snapshot-duplicate-statements),
/// each naming the file, how many rows were left out, and the first of them with their JSON
/// pointer and what is wrong. Empty when there are none.
std::vector<analyzer::Finding>
snapshot_problem_findings(const std::vector<analyzer::SnapshotProblem>& problems,
                          std::string_view name);

class SnapshotSource final : public analyzer::WorkloadSource {
public:
    /// `name` is the file as the user gave it, for messages; `bytes` its content.
    SnapshotSource(std::string name, std::string bytes, std::string tool_version);

    /// `snapshot shop.json.gz`.
    std::string describe() const override;
    /// The snapshot's workload, its statements filtered, with snapshot_problem_findings for
    /// the rows left out. Fails (kind unreadable) as parse_snapshot does.
    std::expected<analyzer::Capture, analyzer::SourceError>
    capture(const analyzer::StatementFilter& filter) override;

private:
    std::string m_name;
    std::string m_bytes;
    std::string m_tool_version;
};

} // namespace dbadvise::sources
