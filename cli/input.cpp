#include "cli/input.hpp"

#include "sqlparse/source_text.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <istream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

namespace dbadvise::cli {

namespace {

std::string cannot_read(const std::string& path, int error) {
    return fmt::format("cannot read '{}': {}", path, std::strerror(error));
}

// Closes a POSIX file descriptor on every path out of read_input.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    int get() const { return m_fd; }

private:
    int m_fd;
};

analyzer::Finding located_finding(const InputCheck& check, std::string_view file,
                                  std::string_view text, std::size_t offset, std::string title,
                                  std::string message) {
    analyzer::Finding f;
    f.rule = std::string(check.id);
    f.category = check.category;
    f.severity = check.severity;
    f.title = std::move(title);
    f.message = std::move(message);
    f.subject = std::string(file);
    const sqlparse::LineColumn at = sqlparse::SourceText(text).locate(static_cast<int>(offset));
    f.location = analyzer::Location{std::string(file), at.line, at.column,
                                    static_cast<int>(offset), {}};
    return f;
}

const InputCheck& check_named(std::string_view id) {
    for (const InputCheck& check : input_checks()) {
        if (check.id == id) {
            return check;
        }
    }
    return input_checks().front();
}

} // namespace

std::expected<std::string, std::string> read_input(const std::string& path, std::istream& in) {
    if (path == "-") {
        std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (in.bad()) {
            return std::unexpected(std::string("cannot read '-': error reading standard input"));
        }
        return text;
    }
    const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        return std::unexpected(cannot_read(path, errno));
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        return std::unexpected(cannot_read(path, errno));
    }
    // open() succeeds on a directory; read() would fail with EISDIR. Say so up front.
    if (S_ISDIR(info.st_mode)) {
        return std::unexpected(cannot_read(path, EISDIR));
    }
    std::string text;
    if (S_ISREG(info.st_mode) && info.st_size > 0) {
        text.reserve(static_cast<std::size_t>(info.st_size));
    }
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return std::unexpected(cannot_read(path, errno));
        }
        if (n == 0) {
            break;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

std::span<const InputCheck> input_checks() {
    using analyzer::Category;
    using analyzer::Severity;
    static const InputCheck k_checks[] = {
        {"binary-input", Category::input, Severity::error,
         "The input holds NUL bytes: it is binary, not SQL or plan text",
         "No SQL script or EXPLAIN output contains a NUL byte, and the parser stops reading at "
         "one; the file is skipped so that a wrong path or a compressed dump is noticed."},
        {"empty-input", Category::input, Severity::info,
         "The input holds no statement (empty, or whitespace and comments only)",
         "An empty file in a list of inputs is usually a wrong path or a failed export; it is "
         "reported so that a check that found nothing is not mistaken for a clean result."},
        {"invalid-utf8", Category::input, Severity::warning,
         "The input holds bytes that are not valid UTF-8",
         "A UTF8 database rejects such bytes with `invalid byte sequence for encoding \"UTF8\"`; "
         "the statements are still checked, but columns on the affected line may be off."},
        {"parse-error", Category::input, Severity::error,
         "A statement the PostgreSQL 15 parser rejects",
         "The statement would fail on the server (or uses syntax newer than PostgreSQL 15); it "
         "is reported with the parser's message and position, and the other statements are "
         "still checked."},
        {"body-parse-error", Category::input, Severity::error,
         "A function body (PL/pgSQL, or SQL in a string) the PostgreSQL 15 parsers reject",
         "CREATE FUNCTION checks the body when it runs (check_function_bodies is on by "
         "default), so the script would fail there; the body is reported with the parser's "
         "message at its location, and the rest of the file is still checked."},
        {"not-checked", Category::input, Severity::info,
         "SQL lint cannot check, though PostgreSQL may accept it",
         "A statement built from psql variables that hold SQL (`:query;`, `EXPLAIN :q`) "
         "does not parse with a placeholder in their place; a PL/pgSQL body stops libpg_query's "
         "PL/pgSQL parser, which compiles without a database and so knows no variable types "
         "(cursors, fields of row and record variables, RETURNS TABLE columns, ALIAS FOR $n). "
         "Such SQL is not checked, and this says so instead of staying silent."},
        {"psql-unknown-command", Category::input, Severity::warning,
         "A backslash command psql does not know",
         "psql answers `invalid command` and skips the rest of the line (and stops there with "
         "ON_ERROR_STOP); usually a typo such as \\gst for \\gset. The rest of the file is "
         "still checked."},
    };
    return k_checks;
}

std::optional<analyzer::Finding> check_binary(std::string_view file, std::string_view text) {
    const std::size_t nul = text.find('\0');
    if (nul == std::string_view::npos) {
        return std::nullopt;
    }
    return located_finding(
        check_named("binary-input"), file, text, nul, "Binary input: the file holds NUL bytes",
        fmt::format("'{}' holds a NUL byte at byte offset {}; it is not SQL text and was "
                    "skipped. Check the path, or decompress the file first.",
                    file, nul));
}

std::optional<analyzer::Finding> check_utf8(std::string_view file, std::string_view text) {
    const std::optional<std::size_t> bad = sqlparse::first_invalid_utf8(text);
    if (!bad) {
        return std::nullopt;
    }
    const auto byte = static_cast<unsigned char>(text[*bad]);
    return located_finding(
        check_named("invalid-utf8"), file, text, *bad, "Input is not valid UTF-8",
        fmt::format("Byte 0x{:02x} at byte offset {} is not valid UTF-8; a UTF8 database would "
                    "reject this text. The statements were still checked; convert the file, "
                    "for example with `iconv -f LATIN1 -t UTF-8`.",
                    byte, *bad));
}

analyzer::Finding empty_input(std::string_view file, std::string_view what) {
    const InputCheck& check = check_named("empty-input");
    analyzer::Finding f;
    f.rule = std::string(check.id);
    f.category = check.category;
    f.severity = check.severity;
    f.title = fmt::format("No {} in the input", what);
    f.message = fmt::format("'{}' holds no {}: it is empty or holds only whitespace and "
                            "comments. Check the path.",
                            file, what);
    f.subject = std::string(file);
    f.location = analyzer::Location{std::string(file), 0, 0, -1, {}};
    return f;
}

std::string_view strip_bom(std::string_view text) {
    constexpr std::string_view k_bom = "\xEF\xBB\xBF";
    if (text.starts_with(k_bom)) {
        text.remove_prefix(k_bom.size());
    }
    return text;
}

} // namespace dbadvise::cli
