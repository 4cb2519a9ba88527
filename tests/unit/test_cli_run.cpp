#include "cli/command.hpp"
#include "cli/run.hpp"

#include <CLI/CLI.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace dbadvise;
using nlohmann::json;

namespace {

struct Result {
    int code;
    std::string out;
    std::string err;
};

// Runs dbadvise in-process with `args` (without the program name) and `input` as stdin.
Result run(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), "dbadvise");
    std::vector<const char*> argv;
    for (const std::string& arg : args) {
        argv.push_back(arg.c_str());
    }
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    const int code = cli::run(static_cast<int>(argv.size()), argv.data(), in, out, err);
    return {code, out.str(), err.str()};
}

std::string scratch_file(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("dbadvise-test-run-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
}

} // namespace

TEST_CASE("run: global options and usage errors") {
    SUBCASE("--version") {
        const Result r = run({"--version"});
        CHECK(r.code == 0);
        CHECK(r.out == "dbadvise " DBADVISE_TEST_VERSION "\n");
    }
    SUBCASE("--help lists the subcommands") {
        const Result r = run({"--help"});
        CHECK(r.code == 0);
        for (const char* name : {"analyze", "lint", "explain", "rules"}) {
            CHECK(r.out.find(name) != std::string::npos);
        }
    }
    SUBCASE("lint --help shows lint's options") {
        const Result r = run({"lint", "--help"});
        CHECK(r.code == 0);
        CHECK(r.out.find("--schema") != std::string::npos);
        CHECK(r.out.find("--fail-on") != std::string::npos);
    }
    SUBCASE("no subcommand is a usage error") {
        const Result r = run({});
        CHECK(r.code == 2);
        CHECK(r.err == "dbadvise: error: A subcommand is required\n"
                       "Run 'dbadvise --help' for usage.\n");
    }
    SUBCASE("an unknown subcommand is a usage error") {
        CHECK(run({"frobnicate"}).code == 2);
    }
    SUBCASE("an unknown option is a usage error") {
        const Result r = run({"lint", "--frobnicate", "-"});
        CHECK(r.code == 2);
        CHECK(r.err.starts_with("dbadvise: error: "));
    }
    SUBCASE("a bad --format value is a usage error") {
        const Result r = run({"lint", "--format", "xml", "-"});
        CHECK(r.code == 2);
        CHECK(r.err == "dbadvise: error: --format: xml not in {text,json,sql,markdown,html,sarif}\n"
                       "Run 'dbadvise lint --help' for usage.\n");
    }
    SUBCASE("a bad --fail-on value is a usage error") {
        CHECK(run({"lint", "--fail-on", "fatal", "-"}).code == 2);
    }
    SUBCASE("lint without files is a usage error") {
        const Result r = run({"lint"});
        CHECK(r.code == 2);
        CHECK(r.err.starts_with("dbadvise: error: FILE (or --files-from) is required\n"));
    }
}

TEST_CASE("run: lint") {
    SUBCASE("reads standard input") {
        const Result r = run({"lint", "--format", "json", "-"}, "SELECT 1;\n");
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        const json doc = json::parse(r.out);
        CHECK(doc["source"]["files"] == json::array({"-"}));
        CHECK(doc["stats"]["statements"] == 1);
        CHECK(doc["stats"]["parse_errors"] == 0);
    }
    SUBCASE("a parse error is a located finding; the run goes on") {
        const Result r = run({"lint", "--format", "json", "-"}, "SELECT 1;\nSELECT * FORM t;\n");
        CHECK(r.code == 0);
        const json doc = json::parse(r.out);
        CHECK(doc["stats"]["statements"].get<int>() >= 1);
        CHECK(doc["stats"]["parse_errors"] == 1);
        json parse_error;
        for (const json& f : doc["findings"]) {
            if (f["rule"] == "parse-error") {
                parse_error = f;
            }
        }
        REQUIRE(parse_error.is_object());
        CHECK(parse_error["severity"] == "error");
        CHECK(parse_error["location"] == json{{"file", "-"}, {"line", 2}, {"column", 10}});
        CHECK(parse_error["message"].get<std::string>().find("syntax error at or near \"FORM\"") !=
              std::string::npos);
    }
    SUBCASE("--fail-on decides whether findings fail the run") {
        const std::string bad = "SELECT * FORM t;\n";
        CHECK(run({"lint", "--fail-on", "error", "-"}, bad).code == 1);
        CHECK(run({"lint", "--fail-on", "warning", "-"}, bad).code == 1);
        CHECK(run({"lint", "-"}, bad).code == 0);
        const std::string empty = "-- nothing here\n";
        CHECK(run({"lint", "--fail-on", "info", "-"}, empty).code == 1);
        CHECK(run({"lint", "--fail-on", "warning", "-"}, empty).code == 0);
    }
    SUBCASE("a missing file: error on stderr, exit 3, the other files still checked") {
        const std::string good = scratch_file("good.sql", "SELECT * FORM t;\n");
        const Result r = run({"lint", "--format", "json", "no-such-file.sql", good});
        CHECK(r.code == 3);
        CHECK(r.err == "dbadvise: error: cannot read 'no-such-file.sql': No such file or "
                       "directory\n");
        const json doc = json::parse(r.out);
        CHECK(doc["stats"]["files"] == 1);
        CHECK(doc["findings"].size() == 1);
        CHECK(doc["notes"] ==
              json::array({"cannot read 'no-such-file.sql': No such file or directory"}));
    }
    SUBCASE("a directory: exit 3") {
        const std::string dir = std::filesystem::temp_directory_path().string();
        const Result r = run({"lint", dir});
        CHECK(r.code == 3);
        CHECK(r.err == "dbadvise: error: cannot read '" + dir + "': Is a directory\n");
    }
    SUBCASE("an empty input is an info finding, not an error") {
        const Result r = run({"lint", "-"}, "");
        CHECK(r.code == 0);
        CHECK(r.out.find("-: info: No SQL statement in the input [empty-input]") !=
              std::string::npos);
    }
    SUBCASE("binary input is an error finding and is not parsed") {
        // The start of a zip archive (gzip's magic number would be decompressed).
        const Result r = run({"lint", "--format", "json", "-"}, std::string("PK\x03\x04\0\0", 6));
        CHECK(r.code == 0);
        const json doc = json::parse(r.out);
        REQUIRE(doc["findings"].size() == 1);
        CHECK(doc["findings"][0]["rule"] == "binary-input");
        CHECK(doc["stats"]["statements"] == 0);
    }
    SUBCASE("gzip's magic number on standard input is decompressed: cut short, it cannot be read") {
        const Result r = run({"lint", "--format", "json", "-"}, std::string("\x1f\x8b\0\0", 4));
        CHECK(r.code == 3);
        CHECK(r.err.starts_with("dbadvise: error: cannot read '-': "));
        CHECK(r.err.find("gzip data") != std::string::npos);
    }
    SUBCASE("invalid UTF-8 is reported and the statements are still checked") {
        const Result r = run({"lint", "--format", "json", "-"}, "SELECT 'caf\xe9';\n");
        const json doc = json::parse(r.out);
        REQUIRE(doc["findings"].size() >= 1);
        CHECK(doc["findings"][0]["rule"] == "invalid-utf8");
        CHECK(doc["findings"][0]["location"] == json{{"file", "-"}, {"line", 1}, {"column", 12}});
        CHECK(doc["stats"]["statements"] == 1);
    }
    SUBCASE("a byte order mark is skipped, columns count from after it") {
        const Result r = run({"lint", "--format", "json", "-"}, "\xEF\xBB\xBFSELECT * FORM t;");
        const json doc = json::parse(r.out);
        REQUIRE(doc["findings"].size() == 1);
        CHECK(doc["findings"][0]["location"]["column"] == 10);
    }
    SUBCASE("-o writes the report to a file") {
        const std::string path = scratch_file("report.json", "");
        const Result r = run({"lint", "--format", "json", "-o", path, "-"}, "SELECT 1;\n");
        CHECK(r.code == 0);
        CHECK(r.out.empty());
        std::ifstream file(path);
        const json doc = json::parse(file);
        CHECK(doc["stats"]["statements"] == 1);
    }
    SUBCASE("a missing --schema file ends the run with exit 3") {
        const Result r = run({"lint", "--schema", "no-schema.sql", "-"}, "SELECT 1;\n");
        CHECK(r.code == 3);
        CHECK(r.err == "dbadvise: error: cannot read 'no-schema.sql': No such file or directory "
                       "(--schema)\n");
        CHECK(r.out.empty());
    }
    SUBCASE("--schema takes one file per occurrence; the rest are inputs") {
        const std::string schema = scratch_file("schema.sql", "CREATE TABLE t (a int);\n");
        const std::string query = scratch_file("query.sql", "SELECT a FROM t;\n");
        const Result r = run({"lint", "--format", "json", "--schema", schema, "--schema", schema,
                              query});
        CHECK(r.code == 0);
        const json doc = json::parse(r.out);
        CHECK(doc["source"]["files"] == json::array({query}));
        CHECK_FALSE(doc.contains("notes"));
    }
    SUBCASE("statements of a --schema file that do not parse become a note") {
        const std::string schema =
            scratch_file("broken_schema.sql", "CREATE TABLE t (a int);\nCREATE TABEL u (b int);\n");
        const Result r = run({"lint", "--format", "json", "--schema", schema, "-"}, "SELECT 1;\n");
        CHECK(r.code == 0);
        const json doc = json::parse(r.out);
        REQUIRE(doc["notes"].size() == 1);
        CHECK(doc["notes"][0] == "--schema " + schema +
                                     ": 1 statement could not be parsed and was ignored (first at " +
                                     schema + ":2:8: syntax error at or near \"TABEL\")");
    }
    SUBCASE("text output to a string stream has no colour") {
        const Result r = run({"lint", "-"}, "SELECT * FORM t;\n");
        CHECK(r.out.find('\x1b') == std::string::npos);
    }
}

TEST_CASE("run: rules") {
    SUBCASE("text lists every rule with its category and severity") {
        const Result r = run({"rules"});
        CHECK(r.code == 0);
        const auto start = r.out.find("\nparse-error ");
        REQUIRE(start != std::string::npos);
        const std::string line = r.out.substr(start + 1, r.out.find('\n', start + 1) - start - 1);
        std::istringstream words(line);
        std::string id, category, severity;
        words >> id >> category >> severity;
        CHECK(id == "parse-error");
        CHECK(category == "input");
        CHECK(severity == "error");
        CHECK(line.ends_with("  A statement the PostgreSQL 15 parser rejects"));
        CHECK(r.out.ends_with(" rules\n"));
    }
    SUBCASE("json is parseable and sorted by id") {
        const Result r = run({"rules", "--format", "json"});
        CHECK(r.code == 0);
        const json doc = json::parse(r.out);
        CHECK(doc["schema_version"] == 1);
        std::vector<std::string> ids;
        for (const json& rule : doc["rules"]) {
            ids.push_back(rule["id"]);
            CHECK(rule.contains("rationale"));
        }
        CHECK(std::is_sorted(ids.begin(), ids.end()));
        CHECK(std::find(ids.begin(), ids.end(), "binary-input") != ids.end());
    }
    SUBCASE("a bad format is a usage error") {
        CHECK(run({"rules", "--format", "yaml"}).code == 2);
    }
}

TEST_CASE("commands: every option's help follows one style") {
    // Metavariables are upper-case words (N, MS, FILE, FORMAT, ...), descriptions start with a
    // capital and end without a period, and defaults come from CLI11 as =VALUE, never in prose.
    for (const cli::Command& command : cli::commands()) {
        CLI::App app;
        CLI::App* sub = app.add_subcommand(std::string(command.name), std::string(command.summary));
        command.configure(*sub);
        CAPTURE(command.name);
        CHECK(std::isupper(static_cast<unsigned char>(command.summary.front())));
        for (const CLI::Option* option : sub->get_options()) {
            const std::string& description = option->get_description();
            CAPTURE(option->get_name());
            REQUIRE_FALSE(description.empty());
            CHECK(std::isupper(static_cast<unsigned char>(description.front())));
            CHECK(description.back() != '.');
            CHECK(description.find("default") == std::string::npos);
            if (option->get_items_expected_max() == 0) {
                continue; // flags take no value
            }
            // The metavariable, without the choices CLI11 appends (":{text,json}").
            const std::string full = option->get_type_name();
            const std::string type = full.substr(0, full.find(':'));
            if (option->get_positional() && type.empty()) {
                continue; // positionals are named by their metavariable already
            }
            REQUIRE_FALSE(type.empty());
            CHECK(std::all_of(type.begin(), type.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
        }
    }
}
