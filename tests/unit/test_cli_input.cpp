#include "cli/input.hpp"
#include "sqlparse/source_text.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace dbadvise;

namespace {

// A scratch directory removed at the end of the test case.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir() {
        path = std::filesystem::temp_directory_path() /
               ("dbadvise-test-input-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        const auto file = path / name;
        std::ofstream(file, std::ios::binary) << text;
        return file.string();
    }
};

} // namespace

TEST_CASE("read_input") {
    ScratchDir dir;
    std::istringstream no_stdin;

    SUBCASE("reads a file completely, bytes as they are") {
        const std::string text("SELECT 1;\n\0\xff", 12);
        const auto result = cli::read_input(dir.write("a.sql", text), no_stdin);
        REQUIRE(result.has_value());
        CHECK(*result == text);
    }

    SUBCASE("- reads standard input") {
        std::istringstream in("SELECT 2;\n");
        const auto result = cli::read_input("-", in);
        REQUIRE(result.has_value());
        CHECK(*result == "SELECT 2;\n");
    }

    SUBCASE("a missing file names the file and the reason") {
        const std::string missing = (dir.path / "missing.sql").string();
        const auto result = cli::read_input(missing, no_stdin);
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error() == "cannot read '" + missing + "': No such file or directory");
    }

    SUBCASE("a directory is refused") {
        const auto result = cli::read_input(dir.path.string(), no_stdin);
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error() == "cannot read '" + dir.path.string() + "': Is a directory");
    }

    SUBCASE("an empty file is empty text, not an error") {
        const auto result = cli::read_input(dir.write("empty.sql", ""), no_stdin);
        REQUIRE(result.has_value());
        CHECK(result->empty());
    }
}

TEST_CASE("check_binary") {
    SUBCASE("text without NUL passes") {
        CHECK_FALSE(cli::check_binary("a.sql", "SELECT 1;\n").has_value());
    }
    SUBCASE("a NUL byte makes the input binary, located at that byte") {
        const std::string text("SELECT 1;\nab\0cd", 15);
        const auto finding = cli::check_binary("a.bin", text);
        REQUIRE(finding.has_value());
        CHECK(finding->rule_id() == "binary-input");
        CHECK(finding->severity == analyzer::Severity::error);
        CHECK(finding->category() == analyzer::Category::input);
        REQUIRE(finding->location.has_value());
        CHECK(finding->location->file == "a.bin");
        CHECK(finding->location->line == 2);
        CHECK(finding->location->column == 3);
        CHECK(finding->message == "'a.bin' holds a NUL byte at byte offset 12; it is not SQL text "
                                  "and was skipped. Check the path, or decompress the file first.");
    }
}

TEST_CASE("check_utf8") {
    SUBCASE("valid UTF-8 passes") {
        CHECK_FALSE(cli::check_utf8("a.sql", "SELECT 'ü';").has_value());
    }
    SUBCASE("the first invalid byte is located by line and character column") {
        const auto finding = cli::check_utf8("a.sql", "SELECT 1;\nSELECT 'ü\xe9';");
        REQUIRE(finding.has_value());
        CHECK(finding->rule_id() == "invalid-utf8");
        CHECK(finding->severity == analyzer::Severity::warning);
        CHECK(finding->location->line == 2);
        CHECK(finding->location->column == 10);
        CHECK(finding->message.starts_with("Byte 0xe9 at byte offset 20 is not valid UTF-8"));
    }
}

TEST_CASE("empty_input") {
    const analyzer::Finding f = cli::empty_input("e.sql", "SQL statement");
    CHECK(f.rule_id() == "empty-input");
    CHECK(f.severity == analyzer::Severity::info);
    CHECK(f.location->file == "e.sql");
    CHECK(f.title == "No SQL statement in the input");
}

TEST_CASE("strip_bom") {
    CHECK(cli::strip_bom("\xEF\xBB\xBFSELECT 1;") == "SELECT 1;");
    CHECK(cli::strip_bom("SELECT 1;") == "SELECT 1;");
    CHECK(cli::strip_bom("") == "");
}

TEST_CASE("read_file_list") {
    std::istringstream none;
    SUBCASE("one name per line; CR and blank lines dropped") {
        std::istringstream in("a.sql\r\n\nsub dir/b.sql\n");
        const auto names = cli::read_file_list("-", in);
        REQUIRE(names.has_value());
        CHECK(*names == std::vector<std::string>{"a.sql", "sub dir/b.sql"});
    }
    SUBCASE("NUL-terminated names keep newlines and spaces") {
        std::istringstream in(std::string("a.sql\0odd\nname.sql\0", 20));
        const auto names = cli::read_file_list("-", in);
        REQUIRE(names.has_value());
        CHECK(*names == std::vector<std::string>{"a.sql", "odd\nname.sql"});
    }
    SUBCASE("an empty list gives no names") {
        std::istringstream in("");
        const auto names = cli::read_file_list("-", in);
        REQUIRE(names.has_value());
        CHECK(names->empty());
    }
    SUBCASE("an unreadable list fails as read_input does") {
        const auto names = cli::read_file_list("/nonexistent-dbadvise/list.txt", none);
        REQUIRE_FALSE(names.has_value());
        CHECK(names.error() ==
              "cannot read '/nonexistent-dbadvise/list.txt': No such file or directory");
    }
}

TEST_CASE("is_missing") {
    const ScratchDir dir;
    const std::string file = dir.write("present.sql", "SELECT 1;");
    CHECK_FALSE(cli::is_missing(file));
    CHECK(cli::is_missing((dir.path / "absent.sql").string()));
    SUBCASE("a path below a file") {
        CHECK(cli::is_missing(file + "/below.sql"));
    }
    SUBCASE("a dangling symlink") {
        std::filesystem::create_symlink(dir.path / "absent.sql", dir.path / "link.sql");
        CHECK(cli::is_missing((dir.path / "link.sql").string()));
    }
}
