#include "cli/output.hpp"

#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>
#include <utility>

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

namespace {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

[[noreturn]] void cannot_write(const std::string& path) {
    throw RunError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)), k_exit_runtime);
}

FilePtr open_for_writing(const std::string& path) {
    FilePtr file(std::fopen(path.c_str(), "wb"));
    if (!file) {
        cannot_write(path);
    }
    return file;
}

void write_piece(std::FILE* file, const std::string& path, std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), file) != text.size()) {
        cannot_write(path);
    }
}

void close_written(FilePtr file, const std::string& path) {
    if (std::fflush(file.get()) != 0) {
        cannot_write(path);
    }
    // fclose reports errors of the final flush (a full disk on NFS shows up only here).
    if (std::fclose(file.release()) != 0) {
        cannot_write(path);
    }
}

void check_stdout(const Io& io) {
    if (!io.out) {
        throw RunError("cannot write the report to standard output", k_exit_runtime);
    }
}

} // namespace

void write_file(const std::string& path, std::string_view text) {
    FilePtr file = open_for_writing(path);
    write_piece(file.get(), path, text);
    close_written(std::move(file), path);
}

int finish_report(Io& io, const OutputOptions& options, const reports::Report& report) {
    if (options.format == Format::json) {
        // JSON is streamed as it is rendered: a lint report of many findings is never held
        // whole in memory.
        if (options.output_file.empty()) {
            reports::render_json(report, [&io](std::string_view piece) {
                io.out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
            });
            io.out.flush();
            check_stdout(io);
        } else {
            FilePtr file = open_for_writing(options.output_file);
            reports::render_json(report, [&](std::string_view piece) {
                write_piece(file.get(), options.output_file, piece);
            });
            close_written(std::move(file), options.output_file);
        }
        return findings_exit_code(report.findings, options.fail_on);
    }
    const std::string text = render_report(io, options, report);
    if (options.output_file.empty()) {
        io.out << text;
        io.out.flush();
        check_stdout(io);
    } else {
        write_file(options.output_file, text);
    }
    return findings_exit_code(report.findings, options.fail_on);
}

} // namespace dbadvise::cli
