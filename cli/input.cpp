#include "cli/input.hpp"

#include "analyzer/rule_registry.hpp"

#include "sqlparse/source_text.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
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

analyzer::Finding located_finding(analyzer::RuleId rule, std::string_view file,
                                  std::string_view text, std::size_t offset, std::string title,
                                  std::string message) {
    analyzer::Finding f(rule);
    f.title = std::move(title);
    f.message = std::move(message);
    f.subject = std::string(file);
    const sqlparse::LineColumn at = sqlparse::SourceText(text).locate(static_cast<int>(offset));
    f.location = analyzer::Location{std::string(file), at.line, at.column,
                                    static_cast<int>(offset), {}};
    return f;
}

} // namespace

std::expected<std::unique_ptr<std::istream>, std::string> open_input_stream(const std::string& path,
                                                                           std::istream& in) {
    if (path == "-") return std::make_unique<std::istream>(in.rdbuf());
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
        return std::unexpected(cannot_read(path, EISDIR));
    auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!file->is_open()) return std::unexpected(cannot_read(path, errno != 0 ? errno : EIO));
    return file;
}

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

std::expected<std::vector<std::string>, std::string> read_file_list(const std::string& path,
                                                                    std::istream& in) {
    std::expected<std::string, std::string> text = read_input(path, in);
    if (!text) {
        return std::unexpected(text.error());
    }
    const char separator = text->find('\0') != std::string::npos ? '\0' : '\n';
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start < text->size()) {
        std::size_t end = text->find(separator, start);
        if (end == std::string::npos) {
            end = text->size();
        }
        std::string name = text->substr(start, end - start);
        if (separator == '\n' && !name.empty() && name.back() == '\r') {
            name.pop_back();
        }
        if (!name.empty()) {
            names.push_back(std::move(name));
        }
        start = end + 1;
    }
    return names;
}

bool is_missing(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

std::optional<analyzer::Finding> check_binary(std::string_view file, std::string_view text) {
    const std::size_t nul = text.find('\0');
    if (nul == std::string_view::npos) {
        return std::nullopt;
    }
    return located_finding(
        analyzer::RuleId::binary_input, file, text, nul, "Binary input: the file holds NUL bytes",
        fmt::format("'{}' holds a NUL byte at byte offset {}; it is not SQL text and was "
                    "skipped. Check the path, or decompress the file first.",
                    file, nul));
}

std::optional<analyzer::Finding> check_utf8(std::string_view file, std::string_view text) {
    const std::optional<std::size_t> bad = util::first_invalid_utf8(text);
    if (!bad) {
        return std::nullopt;
    }
    const auto byte = static_cast<unsigned char>(text[*bad]);
    return located_finding(
        analyzer::RuleId::invalid_utf8, file, text, *bad, "Input is not valid UTF-8",
        fmt::format("Byte 0x{:02x} at byte offset {} is not valid UTF-8; a UTF8 database would "
                    "reject this text. The statements were still checked; convert the file, "
                    "for example with `iconv -f LATIN1 -t UTF-8`.",
                    byte, *bad));
}

analyzer::Finding empty_input(std::string_view file, std::string_view what) {
    analyzer::Finding f(analyzer::RuleId::empty_input);
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
