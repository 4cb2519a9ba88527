#include "cli/input.hpp"

#include "analyzer/rule_registry.hpp"
#include "sources/gzip.hpp"

#include "sqlparse/source_text.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <istream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace dbadvise::cli {

namespace {

std::string cannot_read(const std::string& path, int error) {
    return fmt::format("cannot read '{}': {}", path, std::strerror(error));
}

analyzer::Finding located_finding(analyzer::RuleId rule, std::string_view file,
                                  std::int64_t offset, sqlparse::LineColumn at, std::string title,
                                  std::string message) {
    analyzer::Finding f(rule);
    f.title = std::move(title);
    f.message = std::move(message);
    f.subject = std::string(file);
    f.location = analyzer::Location{std::string(file), at.line, at.column,
                                    static_cast<int>(std::min<std::int64_t>(offset, INT_MAX)), {}};
    return f;
}

// The length a UTF-8 sequence starting with `lead` claims (1 for ASCII and for bytes that
// start no sequence, which decode_utf8 rejects anyway).
std::size_t sequence_length(unsigned char lead) {
    if (lead >= 0xC0 && lead <= 0xDF) {
        return 2;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF7) {
        return 4;
    }
    return 1;
}

// Where a UTF-8 sequence that `text` ends before its last byte starts; text.size() when the
// text does not end inside one.
std::size_t incomplete_tail(std::string_view text) {
    const std::size_t size = text.size();
    for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
        const auto byte = static_cast<unsigned char>(text[size - back]);
        if ((byte & 0xC0) == 0x80) {
            continue; // a continuation byte: its lead is further back
        }
        return sequence_length(byte) > back ? size - back : size;
    }
    return size;
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

struct InputFile::Decompressed {
    std::unique_ptr<std::istream> file; // the compressed file (not standard input)
    std::unique_ptr<sources::GzipReader> reader;
    std::unique_ptr<std::istream> text;
};

void InputFile::decompress(std::unique_ptr<std::istream> owned, std::istream& compressed) {
    m_gzip = std::make_unique<Decompressed>();
    m_gzip->file = std::move(owned);
    m_gzip->reader = std::make_unique<sources::GzipReader>(compressed);
    m_gzip->text = std::make_unique<std::istream>(m_gzip->reader.get());
    m_in = m_gzip->text.get();
    m_size_hint = 0;
}

std::expected<InputFile, std::string> InputFile::open(const std::string& path, std::istream& in, Gzip gzip) {
    if (path == "-") {
        InputFile file(path, -1, &in, 0);
        if (gzip == Gzip::decompress && in.peek() == 0x1f) {
            file.decompress(nullptr, in);
        }
        return file;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::unexpected(cannot_read(path, errno));
    }
    InputFile file(path, fd, nullptr, 0);
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        return std::unexpected(cannot_read(path, errno));
    }
    // open() succeeds on a directory; read() would fail with EISDIR. Say so up front.
    if (S_ISDIR(info.st_mode)) {
        return std::unexpected(cannot_read(path, EISDIR));
    }
    if (S_ISREG(info.st_mode) && info.st_size > 0) {
        file.m_size_hint = static_cast<std::size_t>(info.st_size);
        // A regular file can be looked at without consuming it (a pipe cannot).
        std::array<char, 2> magic{};
        if (gzip == Gzip::decompress && ::pread(fd, magic.data(), magic.size(), 0) == 2 &&
            sources::is_gzip(std::string_view(magic.data(), magic.size()))) {
            auto compressed = std::make_unique<std::ifstream>(path, std::ios::binary);
            if (!compressed->is_open()) {
                return std::unexpected(cannot_read(path, errno != 0 ? errno : EIO));
            }
            std::istream& stream = *compressed;
            file.decompress(std::move(compressed), stream);
            ::close(std::exchange(file.m_fd, -1)); // the stream reads the file from here on
        }
    }
    return file;
}

InputFile::InputFile(std::string path, int fd, std::istream* in, std::size_t size_hint)
    : m_path(std::move(path)), m_fd(fd), m_in(in), m_size_hint(size_hint) {}

InputFile::InputFile(InputFile&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(std::exchange(other.m_fd, -1)), m_in(other.m_in),
      m_size_hint(other.m_size_hint), m_gzip(std::move(other.m_gzip)) {}

InputFile::~InputFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::expected<std::size_t, std::string> InputFile::read(std::string& buffer, std::size_t max) {
    const std::size_t old_size = buffer.size();
    buffer.resize(old_size + max);
    char* into = buffer.data() + old_size;
    std::size_t got = 0;
    if (m_in != nullptr) {
        m_in->read(into, static_cast<std::streamsize>(max));
        got = static_cast<std::size_t>(m_in->gcount());
        if (m_in->bad()) {
            buffer.resize(old_size);
            return std::unexpected(fmt::format("cannot read '{}': error reading {}", m_path,
                                               m_path == "-" ? "standard input" : "the file"));
        }
        if (m_gzip && got < max && !m_gzip->reader->error().empty()) {
            // The content has ended, short of the compressed stream's end.
            buffer.resize(old_size);
            return std::unexpected(fmt::format("cannot read '{}': {}", m_path, m_gzip->reader->error()));
        }
    } else {
        // A pipe or terminal returns what it has: read on until `max` or the end, so that
        // every piece but the last is full.
        while (got < max) {
            const ssize_t n = ::read(m_fd, into + got, max - got);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                buffer.resize(old_size);
                return std::unexpected(cannot_read(m_path, errno));
            }
            if (n == 0) {
                break;
            }
            got += static_cast<std::size_t>(n);
        }
    }
    buffer.resize(old_size + got);
    return got;
}

std::expected<std::string, std::string> read_input(const std::string& path, std::istream& in, Gzip gzip) {
    std::expected<InputFile, std::string> file = InputFile::open(path, in, gzip);
    if (!file) {
        return std::unexpected(file.error());
    }
    std::string text;
    text.reserve(file->size_hint());
    constexpr std::size_t k_piece = std::size_t{1} << 16;
    for (;;) {
        const std::expected<std::size_t, std::string> got = file->read(text, k_piece);
        if (!got) {
            return std::unexpected(got.error());
        }
        if (*got == 0) {
            return text;
        }
    }
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

bool TextChecks::add(std::string_view piece) {
    if (const std::size_t nul = piece.find('\0'); nul != std::string_view::npos && !m_binary) {
        const std::int64_t offset = m_offset + static_cast<std::int64_t>(nul);
        m_binary = located_finding(
            analyzer::RuleId::binary_input, m_file, offset,
            sqlparse::SourceText(piece.substr(0, nul)).locate(static_cast<int>(nul), m_start),
            "Binary input: the file holds NUL bytes",
            fmt::format("'{}' holds a NUL byte at byte offset {}; it is not SQL text and was "
                        "skipped. Check the path, or decompress the file first.",
                        m_file, offset));
    }
    std::size_t i = 0;
    if (!m_pending.empty() && !m_utf8) {
        // Complete the sequence the last piece ended in.
        const std::size_t wanted = sequence_length(static_cast<unsigned char>(m_pending[0]));
        i = std::min(wanted - m_pending.size(), piece.size());
        m_pending.append(piece.substr(0, i));
        if (m_pending.size() == wanted) {
            if (!util::decode_utf8(m_pending)) {
                invalid_utf8(m_pending_offset, m_pending_at, static_cast<unsigned char>(m_pending[0]));
            }
            m_pending.clear();
        }
    }
    const sqlparse::LineColumn start = m_start;
    m_start = sqlparse::advance(m_start, piece);
    if (!m_utf8 && m_pending.empty()) {
        const std::string_view rest = piece.substr(i);
        const std::size_t whole = incomplete_tail(rest);
        if (const std::optional<std::size_t> bad = util::first_invalid_utf8(rest.substr(0, whole))) {
            const std::size_t at = i + *bad;
            invalid_utf8(m_offset + static_cast<std::int64_t>(at),
                         sqlparse::SourceText(piece.substr(0, at)).locate(static_cast<int>(at), start),
                         static_cast<unsigned char>(piece[at]));
        } else if (whole < rest.size()) {
            // The tail holds a lead byte and continuation bytes only: one character, on the
            // piece's last line.
            m_pending.assign(rest.substr(whole));
            m_pending_offset = m_offset + static_cast<std::int64_t>(i + whole);
            m_pending_at = {m_start.line, m_start.column - 1};
        }
    }
    m_offset += static_cast<std::int64_t>(piece.size());
    return !m_binary;
}

void TextChecks::finish() {
    if (!m_pending.empty() && !m_utf8) {
        invalid_utf8(m_pending_offset, m_pending_at, static_cast<unsigned char>(m_pending[0]));
    }
    m_pending.clear();
}

void TextChecks::invalid_utf8(std::int64_t offset, sqlparse::LineColumn at, unsigned char byte) {
    m_utf8 = located_finding(
        analyzer::RuleId::invalid_utf8, m_file, offset, at, "Input is not valid UTF-8",
        fmt::format("Byte 0x{:02x} at byte offset {} is not valid UTF-8; a UTF8 database would "
                    "reject this text. The statements were still checked; convert the file, "
                    "for example with `iconv -f LATIN1 -t UTF-8`.",
                    byte, offset));
}

std::optional<analyzer::Finding> check_binary(std::string_view file, std::string_view text) {
    TextChecks checks(file);
    checks.add(text);
    return checks.binary();
}

std::optional<analyzer::Finding> check_utf8(std::string_view file, std::string_view text) {
    TextChecks checks(file);
    checks.add(text);
    checks.finish();
    return checks.utf8();
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
