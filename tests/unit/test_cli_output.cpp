#include "cli/output.hpp"
#include "cli/output_file.hpp"
#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
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

// A scratch directory removed at the end of the test case.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir() {
        path = std::filesystem::temp_directory_path() /
               ("dbadvise-test-output-" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() {
        std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add);
        std::filesystem::remove_all(path);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name, std::ios::binary) << text;
        return file(name);
    }
    std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path),
                                                      std::filesystem::directory_iterator()));
    }
};

std::string read(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), {}};
}

// The RunError a call throws, or a failure.
template <typename F> cli::RunError error_of(F&& call) {
    try {
        call();
    } catch (const cli::RunError& e) {
        return e;
    }
    FAIL("no RunError thrown");
    return cli::RunError("", 0);
}

void write_text(const cli::OutputFile& file, const std::string& text) {
    file.write([&](const cli::OutputFile::Sink& sink) { sink(text); });
}

bool running_as_root() {
    return ::geteuid() == 0;
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
    SUBCASE("-o - is standard output") {
        options.output_file = "-";
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
    SUBCASE("not for a format without colour (json)") {
        options.format = reports::Format::json;
        CHECK_FALSE(cli::use_color(io, options));
    }
}

TEST_CASE("add_output_options") {
    CLI::App app;
    cli::OutputOptions options;
    SUBCASE("defaults") {
        cli::add_output_options(app, options);
        app.parse(std::vector<std::string>{});
        CHECK(options.format == reports::Format::text);
        CHECK_FALSE(options.fail_on.has_value());
        CHECK(options.output_file.empty());
    }
    SUBCASE("every option parsed") {
        cli::add_output_options(app, options);
        // CLI11 takes the vector in reverse order.
        app.parse(std::vector<std::string>{"out.json", "-o", "warning", "--fail-on", "json",
                                           "--format"});
        CHECK(options.format == reports::Format::json);
        CHECK(options.fail_on == Severity::warning);
        CHECK(options.output_file == "out.json");
    }
    SUBCASE("--format offers every format of the table, and only those") {
        cli::add_output_options(app, options);
        for (const reports::FormatInfo& format : reports::formats()) {
            CLI::App one;
            cli::OutputOptions parsed;
            cli::add_output_options(one, parsed);
            one.parse(std::vector<std::string>{std::string(format.name), "--format"});
            CHECK(parsed.format == format.format);
        }
        CHECK_THROWS_AS(app.parse(std::vector<std::string>{"xml", "--format"}),
                        CLI::ValidationError);
    }
    SUBCASE("a bad severity is rejected") {
        cli::add_output_options(app, options);
        CHECK_THROWS_AS(app.parse(std::vector<std::string>{"fatal", "--fail-on"}),
                        CLI::ValidationError);
    }
    SUBCASE("an empty -o is rejected") {
        cli::add_output_options(app, options);
        CHECK_THROWS_AS(app.parse(std::vector<std::string>{"", "-o"}), CLI::ValidationError);
    }
    SUBCASE("the rule catalogue has no --fail-on") {
        cli::add_output_options(app, options, cli::Document::rules);
        CHECK(app.get_option_no_throw("--fail-on") == nullptr);
        CHECK(app.get_option_no_throw("--format") != nullptr);
        CHECK(app.get_option_no_throw("--output") != nullptr);
    }
}

TEST_CASE("Output::finish") {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    cli::Io io{in, out, err, false, false};
    cli::OutputOptions options;
    reports::Report report;
    report.findings = {with_severity(Severity::warning)};
    const ScratchDir dir;

    SUBCASE("writes text to stdout and returns the findings' exit code") {
        options.fail_on = Severity::warning;
        CHECK(cli::Output::open(io, options, {}).finish(report) == cli::k_exit_findings);
        CHECK(out.str() == reports::render_text(report, {}));
    }
    SUBCASE("writes JSON to -o FILE and nothing to stdout") {
        options.format = reports::Format::json;
        options.output_file = dir.file("report.json");
        CHECK(cli::Output::open(io, options, {}).finish(report) == cli::k_exit_ok);
        CHECK(out.str().empty());
        CHECK(read(options.output_file) == reports::render_json(report));
        CHECK(dir.entries() == 1);
    }
    SUBCASE("an incomplete run exits 3 after writing, with its message") {
        CHECK(cli::Output::open(io, options, {}).finish(report, {true, "stopped early"}) ==
              cli::k_exit_runtime);
        CHECK(out.str() == reports::render_text(report, {}));
        CHECK(err.str() == "dbadvise: error: stopped early\n");
    }
    SUBCASE("the rule catalogue") {
        options.format = reports::Format::json;
        CHECK(cli::Output::open(io, options, {}).finish(analyzer::rule_registry()) ==
              cli::k_exit_ok);
        CHECK(out.str().starts_with("{\n  \"schema_version\": 1,\n  \"rules\": [\n"));
    }
    SUBCASE("an unwritable -o FILE fails before any work, naming the file") {
        options.output_file = "/nonexistent-dir-dbadvise/report.txt";
        const cli::RunError e = error_of([&] { cli::Output::open(io, options, {}); });
        CHECK(e.code() == cli::k_exit_runtime);
        CHECK(std::string(e.what()) ==
              "cannot write '/nonexistent-dir-dbadvise/report.txt': No such file or directory");
    }
}

TEST_CASE("OutputFile::check") {
    const ScratchDir dir;
    const std::string input = dir.write("q.sql", "SELECT 1;\n");

    SUBCASE("a new file in an existing directory") {
        CHECK(cli::OutputFile::check(dir.file("new.txt"), {}, -1).path() == dir.file("new.txt"));
    }
    SUBCASE("a missing directory") {
        const cli::RunError e =
            error_of([&] { cli::OutputFile::check(dir.file("no/x.txt"), {}, -1); });
        CHECK(e.code() == cli::k_exit_runtime);
        CHECK(std::string(e.what()) ==
              "cannot write '" + dir.file("no/x.txt") + "': No such file or directory");
    }
    SUBCASE("a directory") {
        const cli::RunError e = error_of([&] { cli::OutputFile::check(dir.path, {}, -1); });
        CHECK(e.code() == cli::k_exit_runtime);
        CHECK(std::string(e.what()) == "cannot write '" + dir.path.string() + "': Is a directory");
    }
    SUBCASE("a file below a file") {
        const cli::RunError e = error_of([&] { cli::OutputFile::check(input + "/x.txt", {}, -1); });
        CHECK(std::string(e.what()) == "cannot write '" + input + "/x.txt': Not a directory");
    }
    SUBCASE("a directory without write permission") {
        if (running_as_root()) {
            return; // root writes whatever the mode
        }
        std::filesystem::create_directory(dir.path / "ro");
        std::filesystem::permissions(dir.path / "ro", std::filesystem::perms::owner_read |
                                                          std::filesystem::perms::owner_exec);
        const cli::RunError e =
            error_of([&] { cli::OutputFile::check(dir.file("ro/x.txt"), {}, -1); });
        CHECK(e.code() == cli::k_exit_runtime);
        CHECK(std::string(e.what()).starts_with("cannot write '" + dir.file("ro/x.txt") +
                                                "': Permission denied"));
        std::filesystem::permissions(dir.path / "ro", std::filesystem::perms::owner_all);
    }
    SUBCASE("the same path as an input") {
        const cli::RunError e =
            error_of([&] { cli::OutputFile::check(input, std::vector{input}, -1); });
        CHECK(e.code() == cli::k_exit_usage);
        CHECK(std::string(e.what()) ==
              "refusing to write the report to '" + input + "': it is also an input");
    }
    SUBCASE("a symlink to an input") {
        std::filesystem::create_symlink(input, dir.path / "link.sql");
        const cli::RunError e = error_of(
            [&] { cli::OutputFile::check(dir.file("link.sql"), std::vector{input}, -1); });
        CHECK(e.code() == cli::k_exit_usage);
        CHECK(std::string(e.what()) == "refusing to write the report to '" + dir.file("link.sql") +
                                           "': it is also an input ('" + input +
                                           "' is the same file)");
    }
    SUBCASE("a hard link to an input") {
        std::filesystem::create_hard_link(input, dir.path / "hard.sql");
        const cli::RunError e = error_of(
            [&] { cli::OutputFile::check(dir.file("hard.sql"), std::vector{input}, -1); });
        CHECK(e.code() == cli::k_exit_usage);
    }
    SUBCASE("the file standard input reads") {
        const int fd = ::open(input.c_str(), O_RDONLY);
        REQUIRE(fd >= 0);
        const cli::RunError e =
            error_of([&] { cli::OutputFile::check(input, std::vector<std::string>{"-"}, fd); });
        ::close(fd);
        CHECK(e.code() == cli::k_exit_usage);
    }
    SUBCASE("another file is fine") {
        const std::string other = dir.write("other.txt", "old");
        CHECK_NOTHROW(cli::OutputFile::check(other, std::vector{input}, -1));
    }
}

TEST_CASE("OutputFile::write") {
    const ScratchDir dir;

    SUBCASE("replaces the file, keeps its mode, leaves no temporary file") {
        const std::string path = dir.write("report.txt", "old report\n");
        REQUIRE(::chmod(path.c_str(), 0640) == 0);
        write_text(cli::OutputFile::check(path, {}, -1), "new report\n");
        CHECK(read(path) == "new report\n");
        struct stat info {};
        REQUIRE(::stat(path.c_str(), &info) == 0);
        CHECK((info.st_mode & 07777) == 0640);
        CHECK(dir.entries() == 1);
    }
    SUBCASE("a failure while rendering leaves the old report and no temporary file") {
        const std::string path = dir.write("report.txt", "old report\n");
        const cli::OutputFile file = cli::OutputFile::check(path, {}, -1);
        CHECK_THROWS_AS(file.write([](const cli::OutputFile::Sink& sink) {
            sink("half a rep");
            throw std::runtime_error("render failed");
        }),
                        std::runtime_error);
        CHECK(read(path) == "old report\n");
        CHECK(dir.entries() == 1);
    }
    SUBCASE("a symlink keeps pointing at the replaced file") {
        const std::string target = dir.write("real.txt", "old\n");
        std::filesystem::create_symlink("real.txt", dir.path / "link.txt");
        write_text(cli::OutputFile::check(dir.file("link.txt"), {}, -1), "new\n");
        CHECK(std::filesystem::is_symlink(dir.path / "link.txt"));
        CHECK(read(target) == "new\n");
    }
    SUBCASE("a device is written in place") {
        write_text(cli::OutputFile::check("/dev/null", {}, -1), "discarded\n");
        CHECK(std::filesystem::is_character_file("/dev/null"));
    }
}
