// `dbadvise lint`: rewrite and anti-pattern advice on SQL files, no database needed.
//
// The files come from the command line and from --files-from (one name per line, or
// NUL-terminated as `git diff -z` writes them). An empty list from --files-from is a clean
// run with nothing to check: in CI, a change that touches no SQL file. Inputs are read one by
// one, each in pieces (cli/lint_input.hpp) so that memory does not grow with it. A file that cannot be read (missing, a directory, no permission) is reported on stderr
// as `dbadvise: error: cannot read ...`, listed in the report's notes, and the other files
// are still checked; the exit code is then 3 whatever the findings, so that CI never mistakes
// a partial check for a clean one. With --missing-ok a file that does not exist (deleted by
// the change under review) is skipped with a note instead. Content problems (binary data,
// invalid UTF-8, no statements, parse errors) are findings with a location.
#include "analyzer/lint.hpp"
#include "analyzer/schema.hpp"
#include "cli/command.hpp"
#include "cli/input.hpp"
#include "cli/lint_input.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "reports/report.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <ostream>

namespace dbadvise::cli {

namespace {

struct LintOptions {
    std::vector<std::string> schema_files;
    std::vector<std::string> files;
    std::string files_from; // empty: not given
    bool missing_ok = false;
    OutputOptions output;
};

// The files to check: those on the command line, then those --files-from lists.
std::vector<std::string> input_files(const LintOptions& options, Io& io) {
    std::vector<std::string> files = options.files;
    if (options.files_from.empty()) {
        return files;
    }
    std::expected<std::vector<std::string>, std::string> listed =
        read_file_list(options.files_from, io.in);
    if (!listed) {
        throw RunError(listed.error() + " (--files-from)", k_exit_runtime);
    }
    for (std::string& file : *listed) {
        if (file == "-" && options.files_from == "-") {
            throw RunError("--files-from -: the list names '-', but standard input is the list",
                           k_exit_usage);
        }
        files.push_back(std::move(file));
    }
    return files;
}

// Loads the CREATE TABLE statements of every --schema file. A schema file that cannot be read
// ends the run (exit 3): linting without the schema the user asked for would silently give
// different advice. Statements of it that do not parse become a note, not findings: the user
// lints their queries, not their DDL.
analyzer::Schema load_schema(const LintOptions& options, Io& io, reports::Report& report) {
    analyzer::Schema schema;
    for (const std::string& path : options.schema_files) {
        std::expected<std::string, std::string> text = read_input(path, io.in);
        if (!text) {
            throw RunError(text.error() + " (--schema)", k_exit_runtime);
        }
        if (check_binary(path, *text)) {
            throw RunError(fmt::format("'{}' is not a SQL file: it holds NUL bytes (--schema)", path),
                           k_exit_runtime);
        }
        const std::string_view sql = strip_bom(*text);
        sqlparse::ParseOptions parse_options;
        parse_options.function_bodies = false; // the tables are what --schema is for
        const std::vector<sqlparse::ParsedStatement> statements =
            sqlparse::parse_script(sql, parse_options);
        schema.add_statements(statements);
        int failed = 0;
        const sqlparse::ParseError* first = nullptr;
        for (const sqlparse::ParsedStatement& s : statements) {
            if (s.error && s.error->kind != sqlparse::ParseError::Kind::psql_command) {
                ++failed;
                first = first ? first : &*s.error;
            }
        }
        if (first) {
            const sqlparse::LineColumn at = sqlparse::SourceText(sql).locate(first->offset);
            report.notes.push_back(fmt::format(
                "--schema {}: {} statement{} could not be parsed and {} ignored (first at "
                "{}:{}:{}: {})",
                path, failed, failed == 1 ? "" : "s", failed == 1 ? "was" : "were", path, at.line,
                at.column, first->message));
        }
    }
    return schema;
}

int run_lint(const LintOptions& options, Io& io) {
    const std::vector<std::string> files = input_files(options, io);
    std::vector<std::string> inputs = files;
    inputs.insert(inputs.end(), options.schema_files.begin(), options.schema_files.end());
    if (!options.files_from.empty()) {
        inputs.push_back(options.files_from);
    }
    Output output = Output::open(io, options.output, inputs);

    reports::Report report;
    report.source.kind = "sql";
    const analyzer::Schema schema = load_schema(options, io, report);
    const analyzer::Schema* schema_ptr = options.schema_files.empty() ? nullptr : &schema;

    analyzer::LintStats stats;
    std::int64_t files_read = 0;
    std::vector<std::string> unreadable; // files that could not be read
    FindingStore findings;
    for (const std::string& path : files) {
        report.source.files.push_back(path);
        if (options.missing_ok && path != "-" && is_missing(path)) {
            report.notes.push_back(
                fmt::format("skipped '{}': it does not exist (--missing-ok)", path));
            continue;
        }
        if (std::optional<std::string> error = lint_input(path, io.in, schema_ptr, findings, stats)) {
            io.err << error_line(*error);
            report.notes.push_back(*error);
            unreadable.push_back(path);
            continue;
        }
        ++files_read;
    }
    if (files.empty()) {
        // --files-from listed nothing: in CI, a change that touches no SQL file.
        report.notes.push_back(
            fmt::format("--files-from {}: the list is empty; there was nothing to check",
                        options.files_from));
    }
    report.findings = findings.take();
    analyzer::sort_by_location(report.findings);
    report.stats = {{"files", files_read},
                    {"statements", stats.statements},
                    {"function_body_statements", stats.body_statements},
                    {"parse_errors", stats.parse_errors}};
    if (!unreadable.empty()) {
        // Said at the top of every format (and JSON's partial), not only in the notes: the
        // findings cover the other files, so the run is not a clean check.
        std::string names;
        for (const std::string& path : unreadable) names += (names.empty() ? "'" : ", '") + path + "'";
        report.partial = true;
        report.partial_reason = fmt::format("{} of {} could not be read ({}); this report covers the others",
                                            unreadable.size(), files.size() == 1 ? "1 file" : fmt::format("{} files", files.size()),
                                            names);
    }
    return output.finish(report, Outcome{!unreadable.empty(), {}});
}

} // namespace

Action configure_lint(CLI::App& subcommand) {
    auto options = std::make_shared<LintOptions>();
    subcommand.add_option("--schema", options->schema_files,
                          "DDL file with CREATE TABLE statements (pg_dump --schema-only); "
                          "used to expand SELECT *; may be repeated")
        ->type_name("FILE")
        ->allow_extra_args(false);
    subcommand
        .add_option("--files-from", options->files_from,
                    "Also check the files FILE lists, one per line or NUL-terminated (git diff "
                    "-z); - reads the list from standard input; an empty list checks nothing")
        ->type_name("FILE");
    subcommand.add_flag("--missing-ok", options->missing_ok,
                        "Skip an input file that does not exist (deleted by the change under "
                        "review) with a note, instead of exit status 3");
    add_output_options(subcommand, options->output);
    subcommand.add_option("FILE", options->files, "SQL files to check; - reads standard input")
        ->type_name("");
    // Without files there is nothing to do: a usage error, unless --files-from says which
    // (possibly none).
    subcommand.parse_complete_callback([options] {
        if (options->files.empty() && options->files_from.empty()) {
            throw CLI::RequiredError("FILE (or --files-from)");
        }
    });
    return [options](Io& io) { return run_lint(*options, io); };
}

} // namespace dbadvise::cli
