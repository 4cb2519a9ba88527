#include "cli/output.hpp"

#include "cli/command.hpp"

#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <utility>

namespace dbadvise::cli {

namespace {

bool renders(const reports::FormatInfo& format, Document document) {
    return document == Document::report ? format.render_report != nullptr
                                        : format.render_rules != nullptr;
}

// "Output format: text (for people, the default) or json (for programs, schema_version 1)"
std::string format_help(Document document) {
    std::vector<std::string> parts;
    for (const reports::FormatInfo& format : reports::formats()) {
        if (renders(format, document)) {
            parts.push_back(fmt::format("{} ({})", format.name, format.description));
        }
    }
    std::string text = "Output format: ";
    for (std::size_t i = 0; i < parts.size(); ++i) {
        text += i == 0 ? "" : (i + 1 == parts.size() ? " or " : ", ");
        text += parts[i];
    }
    return text;
}

bool to_standard_output(const OutputOptions& options) {
    return options.output_file.empty() || options.output_file == "-";
}

} // namespace

void add_output_options(CLI::App& app, OutputOptions& options, Document document) {
    std::vector<std::string> names;
    for (const reports::FormatInfo& format : reports::formats()) {
        if (renders(format, document)) {
            names.emplace_back(format.name);
        }
    }
    app.add_option_function<std::string>(
           "--format",
           [&options](const std::string& value) {
               options.format = reports::find_format(value)->format;
           },
           format_help(document))
        ->type_name("FORMAT")
        ->check(CLI::IsMember(names))
        ->default_str(std::string(reports::format_info(options.format).name));
    if (document == Document::report) {
        app.add_option_function<std::string>(
               "--fail-on",
               [&options](const std::string& value) {
                   options.fail_on = analyzer::parse_severity(value);
               },
               "Exit with status 1 when a finding has this severity or a higher one")
            ->type_name("LEVEL")
            ->check(CLI::IsMember({"info", "warning", "error"}));
    }
    app.add_option("-o,--output", options.output_file,
                   "Write the output to FILE instead of standard output; it replaces FILE only "
                   "once complete")
        ->type_name("FILE")
        ->check([](const std::string& value) {
            return value.empty() ? std::string("FILE is empty") : std::string();
        });
    if (document == Document::report) {
        app.add_flag("--verbose", options.verbose,
                     "Text: list every finding of a group shown as one, and the findings in the "
                     "baseline");
        app.add_option("--baseline", options.baseline_file,
                       "Findings listed in FILE (a --write-baseline file or a JSON report) are "
                       "marked and never fail --fail-on")
            ->type_name("FILE");
        app.add_option("--write-baseline", options.write_baseline_file,
                       "Write this run's findings to FILE as a baseline")
            ->type_name("FILE");
        std::vector<std::string> report_formats;
        for (const reports::FormatInfo& format : reports::formats()) {
            if (format.render_report != nullptr) {
                report_formats.emplace_back(format.name);
            }
        }
        app.add_option_function<std::vector<std::string>>(
               "--also",
               [&options](const std::vector<std::string>& values) {
                   for (const std::string& value : values) {
                       const std::size_t colon = value.find(':');
                       options.also.push_back({reports::find_format(value.substr(0, colon))->format,
                                               value.substr(colon + 1)});
                   }
               },
               "Also write the report in FORMAT to FILE, from the same run (repeatable): "
               "--format json -o report.json --also sarif:report.sarif --also markdown:summary.md")
            ->type_name("FORMAT:FILE")
            ->allow_extra_args(false)
            ->check([report_formats](const std::string& value) {
                const std::size_t colon = value.find(':');
                if (colon == std::string::npos) {
                    return "expected FORMAT:FILE, such as sarif:report.sarif: " + value;
                }
                const std::string name = value.substr(0, colon);
                if (std::find(report_formats.begin(), report_formats.end(), name) == report_formats.end()) {
                    std::string list;
                    for (const std::string& format : report_formats) {
                        list += (list.empty() ? "" : ", ") + format;
                    }
                    return fmt::format("unknown format '{}' in {} (one of {})", name, value, list);
                }
                if (colon + 1 == value.size() || value.substr(colon + 1) == "-") {
                    return "FILE is missing or standard output in " + value +
                           ": --also writes to a file (standard output is -o's)";
                }
                return std::string();
            });
        app.add_option("--markdown-limit", options.markdown_limit,
                       "Markdown: keep the report under BYTES, leaving out the least severe "
                       "findings (65536 fits a pull-request comment; 0: no limit)")
            ->type_name("BYTES")
            ->capture_default_str()
            ->check([](const std::string& value) {
                return !value.empty() && value.find_first_not_of("0123456789") == std::string::npos
                           ? std::string()
                           : "BYTES must be a whole number, 0 or more: " + value;
            });
    }
}

int text_width(const Io& io, const OutputOptions& options) {
    if (to_standard_output(options) && io.out_is_terminal && io.out_columns > 0) {
        return std::max(io.out_columns, 40);
    }
    return io.columns_env > 0 ? std::clamp(io.columns_env, 80, 120) : 100;
}

bool use_color(const Io& io, const OutputOptions& options) {
    return reports::format_info(options.format).color && to_standard_output(options) &&
           io.out_is_terminal && !io.no_color;
}

int findings_exit_code(const std::vector<analyzer::Finding>& findings,
                       std::optional<analyzer::Severity> fail_on) {
    if (!fail_on) {
        return k_exit_ok;
    }
    for (const analyzer::Finding& f : findings) {
        if (!f.baseline && f.severity >= *fail_on) {
            return k_exit_findings;
        }
    }
    return k_exit_ok;
}

Output Output::open(Io& io, const OutputOptions& options, std::span<const std::string> inputs) {
    std::vector<std::string> all(inputs.begin(), inputs.end());
    if (!options.baseline_file.empty()) {
        all.push_back(options.baseline_file);
    }
    std::optional<OutputFile> file;
    if (!to_standard_output(options)) {
        file = OutputFile::check(options.output_file, all, io.in_fd);
    }
    std::optional<OutputFile> write_baseline;
    if (!options.write_baseline_file.empty()) {
        if (!to_standard_output(options) &&
            options.write_baseline_file == options.output_file) {
            throw RunError(fmt::format("--write-baseline and -o name the same file '{}'",
                                       options.output_file),
                           k_exit_usage);
        }
        // The baseline may be updated in place: it is read whole before it is replaced.
        write_baseline = OutputFile::check(options.write_baseline_file, inputs, io.in_fd, "the baseline");
    }
    // Every file this run writes, to refuse two outputs that are one file.
    std::vector<std::pair<std::string, std::string>> written; // path, option
    if (!to_standard_output(options)) {
        written.emplace_back(options.output_file, "-o");
    }
    if (!options.write_baseline_file.empty()) {
        written.emplace_back(options.write_baseline_file, "--write-baseline");
    }
    // A path as one file: `report.json` and `./report.json` are the same.
    const auto resolved = [](const std::string& path) {
        std::error_code error;
        const std::filesystem::path full = std::filesystem::weakly_canonical(std::filesystem::absolute(path, error), error);
        return error ? std::filesystem::path(path).lexically_normal() : full;
    };
    std::vector<std::pair<reports::Format, OutputFile>> also;
    for (const OutputOptions::Also& extra : options.also) {
        const std::string option = fmt::format("--also {}:{}", reports::format_info(extra.format).name, extra.file);
        for (const auto& [path, other] : written) {
            if (resolved(path) == resolved(extra.file)) {
                throw RunError(fmt::format("{} and {} name the same file '{}'", option, other, extra.file),
                               k_exit_usage);
            }
        }
        written.emplace_back(extra.file, option);
        also.emplace_back(extra.format, OutputFile::check(extra.file, all, io.in_fd));
    }
    Output output(io, options, std::move(file));
    output.m_write_baseline = std::move(write_baseline);
    output.m_also = std::move(also);
    if (!options.baseline_file.empty()) {
        output.m_baseline = Baseline::load(options.baseline_file);
    }
    return output;
}

reports::RenderOptions Output::render_options() const {
    return reports::RenderOptions{use_color(m_io, m_options), text_width(m_io, m_options),
                                  m_options.verbose, m_options.markdown_limit};
}

void Output::write(const std::function<void(const reports::Sink&)>& render) {
    if (m_file) {
        m_file->write(render);
        return;
    }
    // Rendered pieces go out as they come: a JSON report of many findings is never held whole
    // in memory.
    render([this](std::string_view piece) {
        m_io.out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    });
    m_io.out.flush();
    if (!m_io.out) {
        throw RunError("cannot write to standard output", k_exit_runtime);
    }
}

int Output::finish(reports::Report& report, const Outcome& outcome) {
    if (m_baseline) {
        m_baseline->apply(report);
    }
    if (m_write_baseline) {
        if (outcome.incomplete) {
            m_io.err << "dbadvise: warning: --write-baseline " << m_write_baseline->path()
                     << " not written: the run is incomplete\n";
        } else {
            const std::string text = render_baseline(report);
            m_write_baseline->write([&](const reports::Sink& sink) { sink(text); });
        }
    }
    report.incomplete = outcome.incomplete || report.partial;
    const reports::FormatInfo& format = reports::format_info(m_options.format);
    const reports::RenderOptions options = render_options();
    write([&](const reports::Sink& sink) { format.render_report(report, options, sink); });
    // The same report in each --also format: never coloured, and text at the width a file
    // gets (COLUMNS, else 100).
    for (const auto& [extra, file] : m_also) {
        OutputOptions to_file = m_options;
        to_file.format = extra;
        to_file.output_file = file.path();
        const reports::RenderOptions file_options{use_color(m_io, to_file), text_width(m_io, to_file),
                                                  m_options.verbose, m_options.markdown_limit};
        const reports::FormatInfo& also_format = reports::format_info(extra);
        file.write([&](const reports::Sink& sink) { also_format.render_report(report, file_options, sink); });
    }
    if (outcome.incomplete) {
        if (!outcome.message.empty()) {
            m_io.err << error_line(outcome.message); // escaped, like every error line
        }
        return k_exit_runtime;
    }
    return findings_exit_code(report.findings, m_options.fail_on);
}

int Output::finish(std::span<const analyzer::RuleInfo> rules) {
    const reports::FormatInfo& format = reports::format_info(m_options.format);
    const reports::RenderOptions options = render_options();
    write([&](const reports::Sink& sink) { format.render_rules(rules, options, sink); });
    return k_exit_ok;
}

} // namespace dbadvise::cli
