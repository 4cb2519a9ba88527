// Workload statements from text: a file of SQL queries with literal values, or a PostgreSQL
// server log (stderr, csvlog, jsonlog) with `duration: ... statement:` / `execute` lines and
// auto_explain plans. Statements are grouped by fingerprint and normalized (constants to $n,
// by libpg_query) into WorkloadStatements like pg_stat_statements' entries, with the logged
// durations (or the file's `-- calls:` / `-- ms:` annotations) as weights. Reads a log in
// blocks, line by line: memory grows with the number of distinct statements, not with the
// input. A large log file is read in parts on all CPUs at once (read_query_parts).
// Pure: the stream is opened by the CLI. docs/workloads.md describes the formats.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/workload.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sources {

enum class QueryFormat { automatic, sql, stderr_log, csvlog, jsonlog };

/// "auto", "sql", "stderr", "csvlog", "jsonlog"; nullopt for anything else.
std::optional<QueryFormat> parse_query_format(std::string_view name);
std::string_view to_string(QueryFormat format);

/// The format of an input from its first non-blank line: a JSON object is jsonlog, a line
/// that starts with a timestamp and a comma is csvlog, a line with a severity marker
/// (`LOG:  `, `ERROR:  `, ...) after any log_line_prefix is stderr, anything else SQL.
QueryFormat detect_query_format(std::string_view first_line);

struct QueryInputOptions {
    std::string name; // the file as the user gave it ("-" for standard input), for messages
    QueryFormat format = QueryFormat::automatic;
    /// Findings for bad lines beyond this many are only counted (stats), so that a log full
    /// of garbage cannot fill memory with findings.
    std::size_t max_findings = 100;
    /// A record (a CSV record, a JSON line, a stderr message with its continuation lines)
    /// longer than this is reported and skipped.
    std::size_t max_record_bytes = std::size_t{64} << 20;
    /// read_query_parts: the parts a log may be cut into, read at once, one thread each
    /// (0: one per CPU; at most 16). The result is the same for any number.
    unsigned threads = 0;
    /// read_query_parts: a log is cut only into parts of at least this many bytes.
    std::size_t part_bytes = std::size_t{16} << 20;
    /// read_query_parts, for tests and fuzzing: where parts should begin (each moved on to the
    /// next line a part may begin with) instead of at equal shares of the input, whatever its
    /// size and `threads`.
    std::vector<std::size_t> cuts;
    /// The input is read in blocks of this many bytes and its lines handed out from the block
    /// (tests and fuzzing use tiny blocks to cut lines at every place).
    std::size_t block_bytes = std::size_t{1} << 20;
};

struct QueryInput {
    QueryFormat format = QueryFormat::sql; // the format read (detected or given)
    /// Grouped by fingerprint; queryid is the normalized text's token fingerprint, text the normalized
    /// statement; calls, total_ms and mean_ms the sums of the group. Unordered.
    std::vector<analyzer::WorkloadStatement> statements;
    /// Bad input, category input: lines that are not log records, records cut short,
    /// statements that do not parse (parse-error), each at file:line.
    std::vector<analyzer::Finding> findings;
    std::vector<std::string> notes;
    analyzer::Evidence stats; // "queries_lines": N, "queries_executions": N, ...
};

/// Reads `in` to its end. Fails only when the input cannot be read at all (an I/O error, or
/// a format named by --queries-format that the first record is plainly not); every bad line
/// or statement is a finding and the rest is read. An input compressed with gzip (its first
/// byte 0x1f, which starts no text) is decompressed as it is read; where the compressed
/// stream stops early (cut short, corrupt), the lines before are read and a finding says so.
std::expected<QueryInput, std::string> read_query_input(std::istream& in,
                                                        const QueryInputOptions& options);

/// A new stream on the input read_query_parts reads, at its start (the file opened again);
/// nullptr when it cannot be opened. Called from several threads at once.
using StreamOpener = std::function<std::unique_ptr<std::istream>()>;

/// Reads an input of `size` bytes that can be opened again and read from any offset (a
/// regular file), with the result read_query_input gives. A log of at least twice
/// options.part_bytes is cut into up to options.threads parts, each beginning with a line that
/// starts a record of its own (stderr: a LOG record; csvlog: a record's first line; jsonlog:
/// any line), and the parts are read at once, one thread each, then put together in file
/// order. Statements logged by log_statement still waiting for their duration at a part's end
/// are handed on to the next part: what its records do to them is kept while it is read and
/// done when the parts are put together. Where a part cannot be put together so (a csvlog
/// record still open, 10,000 open statements, a statement's process met past the 10,000 a
/// part keeps events for), it is read again after the one before, on one thread. SQL files, small inputs and gzip-compressed
/// ones (which cannot be read from the middle) are read with read_query_input.
std::expected<QueryInput, std::string> read_query_parts(const StreamOpener& open, std::size_t size,
                                                        const QueryInputOptions& options);

/// read_query_parts on the file at `path`; read_query_input when it is not a regular file (a
/// named pipe). The caller has checked that it can be opened.
std::expected<QueryInput, std::string> read_query_file(const std::string& path, const QueryInputOptions& options);

} // namespace dbadvise::sources
