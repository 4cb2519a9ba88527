#include "cli/output.hpp"

#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>

namespace dbadvise::cli {

void add_output_options(CLI::App& app, OutputOptions& options) {
    app.add_option_function<std::string>(
           "--format",
           [&options](const std::string& value) {
               options.format = value == "json" ? Format::json : Format::text;
           },
           "Output format: text (for people, the default) or json (schema_version 1)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option_function<std::string>(
           "--fail-on",
           [&options](const std::string& value) { options.fail_on = analyzer::parse_severity(value); },
           "Exit with status 1 when a finding has this severity or a higher one")
        ->type_name("LEVEL")
        ->check(CLI::IsMember({"info", "warning", "error"}));
    app.add_option("-o,--output", options.output_file,
                   "Write the report to FILE instead of standard output")
        ->type_name("FILE");
}

bool use_color(const Io& io, const OutputOptions& options) {
    return options.format == Format::text && options.output_file.empty() && io.out_is_terminal &&
           !io.no_color;
}

int findings_exit_code(const std::vector<analyzer::Finding>& findings,
                       std::optional<analyzer::Severity> fail_on) {
    if (!fail_on) {
        return k_exit_ok;
    }
    const std::optional<analyzer::Severity> worst = analyzer::max_severity(findings);
    return worst && *worst >= *fail_on ? k_exit_findings : k_exit_ok;
}

std::string render_report(const Io& io, const OutputOptions& options,
                          const reports::Report& report) {
    if (options.format == Format::json) {
        return reports::render_json(report);
    }
    return reports::render_text(report, reports::TextOptions{use_color(io, options)});
}

void write_file(const std::string& path, std::string_view text) {
    struct Closer {
        void operator()(std::FILE* file) const { std::fclose(file); }
    };
    std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "wb"));
    if (!file) {
        throw RunError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)),
                       k_exit_runtime);
    }
    if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() ||
        std::fflush(file.get()) != 0) {
        throw RunError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)),
                       k_exit_runtime);
    }
    // fclose reports errors of the final flush (a full disk on NFS shows up only here).
    if (std::fclose(file.release()) != 0) {
        throw RunError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)),
                       k_exit_runtime);
    }
}

int finish_report(Io& io, const OutputOptions& options, const reports::Report& report) {
    const std::string text = render_report(io, options, report);
    if (options.output_file.empty()) {
        io.out << text;
        io.out.flush();
        if (!io.out) {
            throw RunError("cannot write the report to standard output", k_exit_runtime);
        }
    } else {
        write_file(options.output_file, text);
    }
    return findings_exit_code(report.findings, options.fail_on);
}

} // namespace dbadvise::cli
