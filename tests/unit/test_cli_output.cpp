#include "cli/output.hpp"
#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace dbadvise;
using analyzer::Severity;

namespace {

analyzer::Finding with_severity(Severity severity) {
    analyzer::Finding f(analyzer::RuleId::select_star);
    f.severity = severity;
    f.title = "t";
    return f;
}

} // namespace

TEST_CASE("findings_exit_code") {
    const std::vector<analyzer::Finding> warning_only = {with_severity(Severity::info),
                                                         with_severity(Severity::warning)};
    SUBCASE("without --fail-on findings never fail") {
        CHECK(cli::findings_exit_code(warning_only, std::nullopt) == cli::k_exit_ok);
    }
    SUBCASE("a finding at the threshold fails") {
        CHECK(cli::findings_exit_code(warning_only, Severity::warning) == cli::k_exit_findings);
    }
    SUBCASE("a finding above the threshold fails") {
        CHECK(cli::findings_exit_code(warning_only, Severity::info) == cli::k_exit_findings);
    }
    SUBCASE("findings below the threshold pass") {
        CHECK(cli::findings_exit_code(warning_only, Severity::error) == cli::k_exit_ok);
    }
    SUBCASE("no findings pass") {
        CHECK(cli::findings_exit_code({}, Severity::info) == cli::k_exit_ok);
    }
}

TEST_CASE("use_color") {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    cli::Io io{in, out, err, true, false};
    cli::OutputOptions options;
    SUBCASE("text to a terminal without NO_COLOR") {
        CHECK(cli::use_color(io, options));
    }
    SUBCASE("not with NO_COLOR") {
        io.no_color = true;
        CHECK_FALSE(cli::use_color(io, options));
    }
    SUBCASE("not when stdout is no terminal") {
        io.out_is_terminal = false;
        CHECK_FALSE(cli::use_color(io, options));
    }
    SUBCASE("not into a file") {
        options.output_file = "report.txt";
        CHECK_FALSE(cli::use_color(io, options));
    }
    SUBCASE("not for JSON") {
        options.format = cli::Format::json;
        CHECK_FALSE(cli::use_color(io, options));
    }
}

TEST_CASE("add_output_options") {
    CLI::App app;
    cli::OutputOptions options;
    cli::add_output_options(app, options);
    SUBCASE("defaults") {
        app.parse(std::vector<std::string>{});
        CHECK(options.format == cli::Format::text);
        CHECK_FALSE(options.fail_on.has_value());
        CHECK(options.output_file.empty());
    }
    SUBCASE("every option parsed") {
        // CLI11 takes the vector in reverse order.
        app.parse(std::vector<std::string>{"out.json", "-o", "warning", "--fail-on", "json",
                                           "--format"});
        CHECK(options.format == cli::Format::json);
        CHECK(options.fail_on == Severity::warning);
        CHECK(options.output_file == "out.json");
    }
    SUBCASE("a bad format is rejected") {
        CHECK_THROWS_AS(app.parse(std::vector<std::string>{"xml", "--format"}),
                        CLI::ValidationError);
    }
    SUBCASE("a bad severity is rejected") {
        CHECK_THROWS_AS(app.parse(std::vector<std::string>{"fatal", "--fail-on"}),
                        CLI::ValidationError);
    }
}

TEST_CASE("finish_report") {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    cli::Io io{in, out, err, false, false};
    cli::OutputOptions options;
    reports::Report report;
    report.findings = {with_severity(Severity::warning)};

    SUBCASE("writes text to stdout and returns the findings' exit code") {
        options.fail_on = Severity::warning;
        CHECK(cli::finish_report(io, options, report) == cli::k_exit_findings);
        CHECK(out.str() == reports::render_text(report, {}));
    }
    SUBCASE("writes JSON to -o FILE and nothing to stdout") {
        const auto path = std::filesystem::temp_directory_path() /
                          ("dbadvise-test-output-" + std::to_string(::getpid()) + ".json");
        options.format = cli::Format::json;
        options.output_file = path.string();
        CHECK(cli::finish_report(io, options, report) == cli::k_exit_ok);
        CHECK(out.str().empty());
        std::ifstream file(path);
        const std::string written{std::istreambuf_iterator<char>(file), {}};
        CHECK(written == reports::render_json(report));
        std::filesystem::remove(path);
    }
    SUBCASE("an unwritable -o FILE is a runtime error naming the file") {
        options.output_file = "/nonexistent-dir-dbadvise/report.txt";
        try {
            cli::finish_report(io, options, report);
            FAIL("finish_report did not throw");
        } catch (const cli::RunError& e) {
            CHECK(e.code() == cli::k_exit_runtime);
            CHECK(std::string(e.what()) ==
                  "cannot write '/nonexistent-dir-dbadvise/report.txt': No such file or directory");
        }
    }
}
