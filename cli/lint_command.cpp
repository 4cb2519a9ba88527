// `dbadvise lint`: rewrite and anti-pattern advice on SQL files, no database needed.
//
// Inputs are read one by one. A file that cannot be read (missing, a directory, no
// permission) is reported on stderr as `dbadvise: error: cannot read ...`, listed in the
// report's notes, and the other files are still checked; the exit code is then 3 whatever
// the findings, so that CI never mistakes a partial check for a clean one. Content problems
// (binary data, invalid UTF-8, no statements, parse errors) are findings with a location.
#include "analyzer/lint.hpp"
#include "analyzer/schema.hpp"
#include "cli/command.hpp"
#include "cli/input.hpp"
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
    OutputOptions output;
};

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
    reports::Report report;
    report.source.kind = "sql";
    const analyzer::Schema schema = load_schema(options, io, report);
    const analyzer::Schema* schema_ptr = options.schema_files.empty() ? nullptr : &schema;

    analyzer::LintStats stats;
    std::int64_t files_read = 0;
    bool unreadable = false;
    std::vector<analyzer::Finding>& findings = report.findings;
    for (const std::string& path : options.files) {
        report.source.files.push_back(path);
        std::expected<std::string, std::string> text = read_input(path, io.in);
        if (!text) {
            io.err << "dbadvise: error: " << text.error() << '\n';
            report.notes.push_back(text.error());
            unreadable = true;
            continue;
        }
        ++files_read;
        if (std::optional<analyzer::Finding> binary = check_binary(path, *text)) {
            findings.push_back(std::move(*binary));
            continue;
        }
        if (std::optional<analyzer::Finding> utf8 = check_utf8(path, *text)) {
            findings.push_back(std::move(*utf8));
        }
        const std::int64_t before = stats.statements + stats.parse_errors;
        analyzer::lint_text(path, strip_bom(*text), schema_ptr, findings, stats);
        if (stats.statements + stats.parse_errors == before) {
            findings.push_back(empty_input(path, "SQL statement"));
        }
    }
    analyzer::sort_by_location(findings);
    report.stats = {{"files", files_read},
                    {"statements", stats.statements},
                    {"function_body_statements", stats.body_statements},
                    {"parse_errors", stats.parse_errors}};
    const int code = finish_report(io, options.output, report);
    return unreadable ? static_cast<int>(k_exit_runtime) : code;
}

} // namespace

Action configure_lint(CLI::App& subcommand) {
    auto options = std::make_shared<LintOptions>();
    subcommand.add_option("--schema", options->schema_files,
                          "DDL file with CREATE TABLE statements (pg_dump --schema-only); "
                          "used to expand SELECT *; may be repeated")
        ->type_name("FILE")
        ->allow_extra_args(false);
    add_output_options(subcommand, options->output);
    subcommand.add_option("files", options->files, "SQL files to check; - reads standard input")
        ->type_name("FILE")
        ->required();
    return [options](Io& io) { return run_lint(*options, io); };
}

} // namespace dbadvise::cli
