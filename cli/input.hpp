// Reading input files for the subcommands, and the checks every text input passes before it
// is analyzed: binary content, invalid UTF-8, emptiness. The checks produce findings of
// category `input` so that they appear in the report with a location, like parse errors.
#pragma once

#include "analyzer/finding.hpp"
#include "sqlparse/source_text.hpp"

#include <cstdint>
#include <expected>
#include <istream>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::cli {

/// Whether an input compressed with gzip is read as the text it holds.
enum class Gzip { decompress, keep };

/// An input file, or standard input for "-", read a piece at a time. A regular file or
/// standard input compressed with gzip (a file whose first bytes are gzip's magic number 1f 8b,
/// standard input whose first byte is 1f, which starts no text) is read as the text it holds,
/// decompressed as it is read, unless `gzip` is Gzip::keep. A named pipe is read as it is.
class InputFile {
public:
    /// Opens `path` ("-": `in`, not owned). Fails as read_input does.
    static std::expected<InputFile, std::string> open(const std::string& path, std::istream& in,
                                                      Gzip gzip = Gzip::decompress);

    InputFile(InputFile&& other) noexcept;
    InputFile& operator=(InputFile&&) = delete;
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    ~InputFile();

    /// Appends up to `max` bytes (at least one, fewer only at the end) to `buffer`; 0 at the
    /// end of the input. Fails with `cannot read '<path>': <reason>` (a compressed input cut
    /// short or corrupt: `cannot read '<path>': truncated gzip data: ...`).
    std::expected<std::size_t, std::string> read(std::string& buffer, std::size_t max);
    /// The size of a regular file (a hint for a reader that wants it whole), or 0.
    std::size_t size_hint() const { return m_size_hint; }

private:
    InputFile(std::string path, int fd, std::istream* in, std::size_t size_hint);
    // Reads the input through a gzip decompressor from here on: `compressed` is the file
    // (owned) or standard input.
    void decompress(std::unique_ptr<std::istream> owned, std::istream& compressed);

    std::string m_path;
    int m_fd = -1;              // a file
    std::istream* m_in = nullptr; // standard input, or the decompressed content
    std::size_t m_size_hint = 0;
    struct Decompressed;
    std::unique_ptr<Decompressed> m_gzip; // a compressed input
};

/// The checks every text input passes (binary content, invalid UTF-8), run over the input as
/// it is read, so that they need not hold it: add() each piece in order, then finish(). The
/// findings are located in the whole input (line, column, byte offset), whatever the pieces;
/// a UTF-8 sequence split between two pieces is read as one.
class TextChecks {
public:
    explicit TextChecks(std::string_view file) : m_file(file) {}
    /// Checks the input's next bytes. False once the input has held a NUL byte: it is binary
    /// (binary() says where) and the rest need not be read.
    bool add(std::string_view piece);
    /// At the end of the input: an incomplete UTF-8 sequence at the end is invalid.
    void finish();
    /// The `binary-input` finding at the first NUL byte, once add() returned false.
    const std::optional<analyzer::Finding>& binary() const { return m_binary; }
    /// The `invalid-utf8` finding at the first invalid byte, if any (complete after finish()).
    const std::optional<analyzer::Finding>& utf8() const { return m_utf8; }

private:
    void invalid_utf8(std::int64_t offset, sqlparse::LineColumn at, unsigned char byte);

    std::string m_file;
    std::int64_t m_offset = 0;         // of the next piece
    sqlparse::LineColumn m_start{1, 1}; // of the next piece
    std::string m_pending;             // an incomplete UTF-8 sequence at the last piece's end
    std::int64_t m_pending_offset = 0;
    sqlparse::LineColumn m_pending_at;
    std::optional<analyzer::Finding> m_binary;
    std::optional<analyzer::Finding> m_utf8;
};

/// Reads all of `path`, or all of `in` when `path` is "-" (a gzip-compressed one decompressed,
/// as InputFile reads it, unless `gzip` is Gzip::keep). On failure returns the message
/// `cannot read '<path>': <reason>` (reason from the system: "No such file or directory",
/// "Is a directory", "Permission denied", ...).
std::expected<std::string, std::string> read_input(const std::string& path, std::istream& in,
                                                   Gzip gzip = Gzip::decompress);

/// A stream that reads `path` ("-": `in`, not owned) as it goes, for inputs too large to hold
/// (server logs). Fails as read_input does when the file cannot be opened or is a directory.
std::expected<std::unique_ptr<std::istream>, std::string> open_input_stream(const std::string& path,
                                                                           std::istream& in);

/// The file names listed in `path` ("-": `in`), for --files-from: NUL-terminated when the list
/// holds a NUL byte (`git diff -z`, `find -print0`), otherwise one per line (a trailing CR is
/// dropped). Empty names are skipped, so an empty list gives no names. Fails as read_input.
std::expected<std::vector<std::string>, std::string> read_file_list(const std::string& path,
                                                                    std::istream& in);

/// True when `path` does not exist (also through a dangling symlink or a component that is
/// no longer a directory): what --missing-ok skips.
bool is_missing(const std::string& path);

/// The `binary-input` finding when `text` holds a NUL byte (no SQL or plan text does, and the
/// parser would stop reading at it), located at that byte; nullopt otherwise.
std::optional<analyzer::Finding> check_binary(std::string_view file, std::string_view text);

/// The `invalid-utf8` finding located at the first invalid byte; nullopt for valid UTF-8.
std::optional<analyzer::Finding> check_utf8(std::string_view file, std::string_view text);

/// The `empty-input` finding for a file that holds no statement (nothing, whitespace or
/// comments only), located at the file.
analyzer::Finding empty_input(std::string_view file, std::string_view what);

/// `text` without a leading UTF-8 byte order mark; editors do not count the mark as a column,
/// and the parser would reject it.
std::string_view strip_bom(std::string_view text);

} // namespace dbadvise::cli
