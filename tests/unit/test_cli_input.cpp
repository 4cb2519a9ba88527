#include "cli/input.hpp"
#include "cli/lint_input.hpp"
#include "sources/gzip.hpp"
#include "sqlparse/source_text.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <expected>
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

TEST_CASE("InputFile reads a gzip-compressed file or standard input as the text it holds") {
    ScratchDir dir;
    std::istringstream no_stdin;
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "SELECT " + std::to_string(i) + " FROM t WHERE a = 'x';\n";
    const std::string packed = sources::gzip_compress(text);
    // Read in pieces of every size from 1 to 70,000 bytes (a few), as lint reads.
    const auto read_all = [](cli::InputFile& file, std::size_t piece) -> std::expected<std::string, std::string> {
        std::string buffer;
        for (;;) {
            const auto got = file.read(buffer, piece);
            if (!got) return std::unexpected(got.error());
            if (*got == 0) return buffer;
        }
    };
    const std::string path = dir.write("q.sql.gz", packed);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{4096}, std::size_t{70000}}) {
        CAPTURE(piece);
        auto file = cli::InputFile::open(path, no_stdin);
        REQUIRE(file.has_value());
        CHECK(file->size_hint() == 0); // the text's size is not the file's
        const auto read = read_all(*file, piece);
        REQUIRE(read.has_value());
        CHECK(*read == text);
    }
    std::istringstream in(packed);
    const auto from_stdin = cli::read_input("-", in);
    REQUIRE(from_stdin.has_value());
    CHECK(*from_stdin == text);
    // Kept compressed when asked (a snapshot's reader decompresses it itself), and a file
    // that only starts like gzip is read as it is.
    const auto kept = cli::read_input(path, no_stdin, cli::Gzip::keep);
    REQUIRE(kept.has_value());
    CHECK(*kept == packed);
    const auto one_byte = cli::read_input(dir.write("x.sql", "\x1f"), no_stdin);
    REQUIRE(one_byte.has_value());
    CHECK(*one_byte == "\x1f");
    // Cut short: an error naming the file and zlib's reason, not a part of the text.
    const std::string cut = dir.write("cut.sql.gz", packed.substr(0, packed.size() / 2));
    const auto truncated = cli::read_input(cut, no_stdin);
    REQUIRE_FALSE(truncated.has_value());
    CHECK(truncated.error().starts_with("cannot read '" + cut + "': truncated gzip data"));
    const auto corrupt = cli::read_input(dir.write("bad.sql.gz", std::string("\x1f\x8b\x08\x00garbage", 11)), no_stdin);
    REQUIRE_FALSE(corrupt.has_value());
    CHECK(corrupt.error().find("gzip data") != std::string::npos);
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

TEST_CASE("TextChecks read in pieces finds what one read of the whole text finds") {
    // Multi-byte characters (2, 3 and 4 bytes) split at every byte, an invalid sequence,
    // a truncated one at the end, CRLF line ends, a late NUL byte.
    const std::vector<std::string> texts = {
        "SELECT '\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80';\r\nSELECT 1;\n",
        "SELECT 1;\r\nSELECT '\xc3\xa9x\xe9y';\n",
        "-- \xe2\x82\xac\nSELECT '\xe2\x82' || 'x';\n",
        "SELECT '\xed\xa0\x80';",
        "SELECT 1; -- \xf0\x9f\x98",
        std::string("SELECT '\xc3\xa9';\nSELECT 1;\n\0x", 25),
    };
    for (const std::string& text : texts) {
        CAPTURE(text);
        cli::TextChecks whole("w.sql");
        const bool whole_text = whole.add(text);
        whole.finish();
        for (std::size_t piece = 1; piece <= text.size(); ++piece) {
            CAPTURE(piece);
            cli::TextChecks checks("w.sql");
            bool is_text = true;
            for (std::size_t at = 0; at < text.size() && is_text; at += piece) {
                is_text = checks.add(std::string_view(text).substr(at, piece));
            }
            checks.finish();
            CHECK(is_text == whole_text);
            for (const auto* pair : {&checks.utf8(), &checks.binary()}) {
                const auto& other = pair == &checks.utf8() ? whole.utf8() : whole.binary();
                REQUIRE(pair->has_value() == other.has_value());
                if (other) {
                    CHECK((*pair)->location->line == other->location->line);
                    CHECK((*pair)->location->column == other->location->column);
                    CHECK((*pair)->location->offset == other->location->offset);
                    CHECK((*pair)->message == other->message);
                }
            }
        }
    }
    // And the whole-text answers are those of first_invalid_utf8 and the NUL's position.
    const auto bad = cli::check_utf8("a.sql", texts[1]);
    REQUIRE(bad);
    CHECK(bad->location->line == 2);
    CHECK(bad->location->column == 11);
    CHECK(bad->location->offset == 22);
    const auto cut = cli::check_utf8("a.sql", texts[4]);
    REQUIRE(cut);
    CHECK(cut->location->offset == 13);
    CHECK(cut->location->column == 14);
    CHECK(cli::check_binary("a.sql", texts[5])->location->line == 3);
}

TEST_CASE("lint_input reads standard input in pieces of any size with the same findings") {
    const std::string text =
        "\xEF\xBB\xBFSELECT * FROM t WHERE a = NULL;\r\n\\echo hi\n"
        "SELECT '\xc3\xa9\xe9', b FROM t WHERE c = NULL;\nCOPY t FROM stdin;\n1\n\\.\n"
        "DO $$ BEGIN DELETE FROM audit; END $$;\nSELEC x;\n";
    const auto run = [&](std::size_t piece, analyzer::LintStats& stats) {
        std::istringstream in(text);
        cli::FindingStore store;
        REQUIRE_FALSE(cli::lint_input("-", in, nullptr, store, stats, piece).has_value());
        std::vector<analyzer::Finding> found = store.take();
        analyzer::sort_by_location(found);
        return found;
    };
    analyzer::LintStats whole_stats;
    const std::vector<analyzer::Finding> whole = run(1 << 20, whole_stats);
    // select-star, two null-comparisons, the DELETE in the DO block, the parse error and
    // the invalid byte.
    std::vector<std::string> rules;
    for (const analyzer::Finding& f : whole) {
        rules.emplace_back(f.rule_id());
    }
    CHECK(std::count(rules.begin(), rules.end(), "invalid-utf8") == 1);
    CHECK(std::count(rules.begin(), rules.end(), "parse-error") == 1);
    CHECK(std::count(rules.begin(), rules.end(), "null-comparison") == 2);
    CHECK(whole_stats.statements == 5);
    for (std::size_t piece = 1; piece <= text.size(); ++piece) {
        CAPTURE(piece);
        analyzer::LintStats stats;
        const std::vector<analyzer::Finding> found = run(piece, stats);
        CHECK(stats.statements == whole_stats.statements);
        CHECK(stats.body_statements == whole_stats.body_statements);
        REQUIRE(found.size() == whole.size());
        for (std::size_t i = 0; i < found.size(); ++i) {
            CHECK(found[i].rule_id() == whole[i].rule_id());
            CHECK(found[i].location->file == "-");
            CHECK(found[i].location->line == whole[i].location->line);
            CHECK(found[i].location->column == whole[i].location->column);
            CHECK(found[i].message == whole[i].message);
            CHECK(found[i].suggestion.rewritten_query == whole[i].suggestion.rewritten_query);
        }
    }
}

TEST_CASE("lint_input: long comments before statements on standard input are not part of them") {
    // Over the 1 MiB statement limit only with the comments before them: both statements
    // are checked, whatever the piece size.
    std::string text = "-- " + std::string(2 * 1024 * 1024, 'x') + "\nDELETE FROM t;\n/*\n";
    for (int i = 0; i < 80000; ++i) {
        text += "  * a line of a long header comment\n";
    }
    text += "*/\nDO $$ BEGIN DELETE FROM audit; END $$;\n";
    for (const std::size_t piece : std::vector<std::size_t>{65536, std::size_t{4} << 20}) {
        CAPTURE(piece);
        std::istringstream in(text);
        cli::FindingStore store;
        analyzer::LintStats stats;
        REQUIRE_FALSE(cli::lint_input("-", in, nullptr, store, stats, piece).has_value());
        std::vector<analyzer::Finding> found = store.take();
        analyzer::sort_by_location(found);
        CHECK(stats.statements == 2);
        REQUIRE(found.size() == 2);
        CHECK(found[0].rule_id() == "unfiltered-write");
        CHECK(found[0].location->line == 2);
        CHECK(found[1].rule_id() == "unfiltered-write");
        CHECK(found[1].location->line == 80005);
    }
}

TEST_CASE("lint_input: a NUL byte after the first pieces leaves the binary-input finding alone") {
    std::string text;
    for (int i = 0; i < 200; ++i) {
        text += "SELECT * FROM t WHERE a = NULL;\n";
    }
    text += std::string("x\0y", 3);
    std::istringstream in(text);
    cli::FindingStore store;
    store.push_back(cli::empty_input("earlier.sql", "SQL statement")); // another file's
    analyzer::LintStats stats;
    REQUIRE_FALSE(cli::lint_input("-", in, nullptr, store, stats, 64).has_value());
    const std::vector<analyzer::Finding> found = store.take();
    REQUIRE(found.size() == 2);
    CHECK(found[0].location->file == "earlier.sql");
    CHECK(found[1].rule_id() == "binary-input");
    CHECK(found[1].location->line == 201);
    CHECK(found[1].location->column == 2);
    CHECK(stats.statements == 0);
}
