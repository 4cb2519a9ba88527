// Options and endings shared by the reporting subcommands (lint, analyze, explain):
// --format, --fail-on and -o/--output, the colour decision, and the exit code for findings.
//
// Usage in a subcommand's configure function (see cli/lint_command.cpp):
//
//     auto output = std::make_shared<OutputOptions>();
//     add_output_options(subcommand, *output);
//     return [output](Io& io) {
//         reports::Report report = ...;
//         return finish_report(io, *output, report); // renders, writes, returns 0 or 1
//     };
//
// Errors while writing throw RunError with k_exit_runtime; cli::run prints them.
#pragma once

#include "analyzer/finding.hpp"
#include "cli/command.hpp"
#include "reports/report.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace dbadvise::cli {

enum class Format { text, json };

struct OutputOptions {
    Format format = Format::text;
    std::optional<analyzer::Severity> fail_on; // unset: findings never change the exit code
    std::string output_file;                   // empty: standard output
};

/// Adds `--format text|json`, `--fail-on info|warning|error` and `-o,--output FILE` to `app`.
/// Values are checked by CLI11 (a bad value is a usage error, exit 2) and stored in `options`,
/// which must outlive parsing (keep it in a shared_ptr captured by the action).
void add_output_options(CLI::App& app, OutputOptions& options);

/// True when the text report may use ANSI colour: it goes to standard output, that is a
/// terminal, and NO_COLOR is unset or empty. Never for -o files or JSON.
bool use_color(const Io& io, const OutputOptions& options);

/// k_exit_findings (1) when `fail_on` is set and some finding's severity is at or above it,
/// otherwise k_exit_ok (0).
int findings_exit_code(const std::vector<analyzer::Finding>& findings,
                       std::optional<analyzer::Severity> fail_on);

/// The report in the chosen format (text with colour as use_color decides).
std::string render_report(const Io& io, const OutputOptions& options,
                          const reports::Report& report);

/// Writes `text` to `path`, replacing the file. Throws RunError (exit 3) naming the file and
/// the system's reason when it cannot be written.
void write_file(const std::string& path, std::string_view text);

/// Renders `report`, writes it to -o FILE or io.out, and returns findings_exit_code. Throws
/// RunError (exit 3) when the output file cannot be written.
int finish_report(Io& io, const OutputOptions& options, const reports::Report& report);

} // namespace dbadvise::cli
