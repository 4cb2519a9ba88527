// The one output path of every command: --format, --fail-on and -o/--output, the colour
// decision, where the output goes and the exit code.
//
// Usage in a subcommand's configure function (see cli/lint_command.cpp):
//
//     auto options = std::make_shared<OutputOptions>();
//     add_output_options(subcommand, *options);
//     return [options](Io& io) {
//         Output output = Output::open(io, *options, inputs); // checks -o before any work
//         reports::Report report = ...;
//         return output.finish(report);                      // renders, writes, exit code
//     };
//
// The formats come from reports/format.hpp: a new format is one row there and appears in
// --format of every command whose document it renders.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/rule_registry.hpp"
#include "cli/baseline.hpp"
#include "cli/command.hpp"
#include "cli/output_file.hpp"
#include "reports/format.hpp"
#include "reports/report.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace dbadvise::cli {

/// What a command writes: a findings report (lint, explain, analyze) or the rule catalogue
/// (rules). It decides which formats --format offers and whether --fail-on exists.
enum class Document { report, rules };

struct OutputOptions {
    reports::Format format = reports::Format::text;
    std::optional<analyzer::Severity> fail_on; // unset: findings never change the exit code
    std::string output_file;                   // empty or "-": standard output
    bool verbose = false;                      // text: every finding of a collapsed group
    std::string baseline_file;                 // --baseline: accepted findings; empty: none
    std::string write_baseline_file;           // --write-baseline: empty: none
    std::size_t markdown_limit = 65536;        // --markdown-limit: bytes; 0: no limit
    /// --also FORMAT:FILE, in the order given: the same report written again in another format
    /// to another file, from the same run (findings, baseline marks and all).
    struct Also {
        reports::Format format;
        std::string file;
    };
    std::vector<Also> also;
};

/// Adds `--format FORMAT` (the formats that render `document`), `-o,--output FILE` and, for
/// reports, `--fail-on LEVEL`, `--verbose`, `--baseline FILE`, `--write-baseline FILE`,
/// `--also FORMAT:FILE` (repeatable) and `--markdown-limit BYTES` to
/// `app`. Values are checked by CLI11 (a bad value is a usage
/// error, exit 2) and stored in `options`, which must outlive parsing (keep it in a shared_ptr
/// captured by the action).
void add_output_options(CLI::App& app, OutputOptions& options, Document document = Document::report);

/// True when output may use ANSI colour: the format allows it, it goes to standard output,
/// that is a terminal, and NO_COLOR is unset or empty.
bool use_color(const Io& io, const OutputOptions& options);

/// The width text output wraps at: the terminal's when standard output is one and its width
/// is known, otherwise COLUMNS clamped to 80..120, otherwise 100.
int text_width(const Io& io, const OutputOptions& options);

/// k_exit_findings (1) when `fail_on` is set and some finding not in the baseline has a
/// severity at or above it, otherwise k_exit_ok (0).
int findings_exit_code(const std::vector<analyzer::Finding>& findings,
                       std::optional<analyzer::Severity> fail_on);

/// How a run that still produced a report ended.
struct Outcome {
    /// Some input could not be read, or the run stopped early: the exit code is 3 whatever
    /// the findings, so that CI never mistakes a partial check for a clean one.
    bool incomplete = false;
    /// Printed as `dbadvise: error: <message>` after the report, when not empty.
    std::string message;
};

/// Where a command's output goes: standard output or the -o file, checked before any work.
class Output {
public:
    /// Checks -o, every --also file and --write-baseline (see OutputFile::check) against
    /// `inputs`, the files the command will read ("-" for standard input), and reads
    /// --baseline. Throws RunError: exit 2 when an output names an input (--write-baseline may
    /// name the --baseline file, to update it) or two outputs name the same file, exit 3 when
    /// one cannot be written or the baseline cannot be read.
    static Output open(Io& io, const OutputOptions& options, std::span<const std::string> inputs);

    /// Marks the findings the baseline lists, writes --write-baseline (not for an incomplete
    /// run: its findings are not all there), renders `report` in the chosen format, writes it,
    /// then writes each --also file, and returns the exit code: 3 when `outcome` is
    /// incomplete, else findings_exit_code.
    /// Throws RunError (exit 3) when an output cannot be written.
    int finish(reports::Report& report, const Outcome& outcome = {});

    /// Renders the rule catalogue and writes it; returns 0. Throws as finish() does.
    int finish(std::span<const analyzer::RuleInfo> rules);

private:
    Output(Io& io, const OutputOptions& options, std::optional<OutputFile> file)
        : m_io(io), m_options(options), m_file(std::move(file)) {}

    void write(const std::function<void(const reports::Sink&)>& render);
    reports::RenderOptions render_options() const;

    Io& m_io;
    OutputOptions m_options;
    std::optional<OutputFile> m_file; // empty: standard output
    std::optional<Baseline> m_baseline;
    std::optional<OutputFile> m_write_baseline;
    std::vector<std::pair<reports::Format, OutputFile>> m_also;
};

} // namespace dbadvise::cli
