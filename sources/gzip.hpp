// gzip with zlib: snapshots whose file name ends in .gz are compressed, and any snapshot
// that starts with gzip's magic bytes is decompressed on reading (in memory); a compressed
// server log is decompressed as it is read (GzipReader), in bounded memory.
#pragma once

#include <cstddef>
#include <expected>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>
#include <string_view>

namespace dbadvise::sources {

/// True when `bytes` start with gzip's magic number (1f 8b).
bool is_gzip(std::string_view bytes);

/// `bytes` as one gzip member (zlib's default level).
std::string gzip_compress(std::string_view bytes);

/// The decompressed content of gzip `bytes`, as GzipReader gives it (concatenated members
/// too, as gzip -d reads them). Fails with GzipReader's error ("truncated gzip data: ...",
/// "invalid gzip data: ...") rather than return partial content, and with "more than N bytes
/// decompressed" past `limit` bytes of output, so that a small corrupt or hostile file cannot
/// exhaust memory.
std::expected<std::string, std::string> gzip_decompress(std::string_view bytes,
                                                        std::size_t limit = std::size_t{1} << 30);

/// The decompressed content of the gzip stream `compressed` as a stream buffer, inflated a
/// block at a time by a worker thread while the caller reads the block before (concatenated
/// members too, zero padding after a member allowed, as gzip -d reads them), in bounded
/// memory. Where the compressed stream is cut short, corrupt or followed by other bytes, the
/// content ends with what could be decompressed before, and error() says why. The worker
/// reads `compressed`, which must outlive the reader and not be touched while it lives.
class GzipReader : public std::streambuf {
public:
    explicit GzipReader(std::istream& compressed);
    ~GzipReader() override;
    GzipReader(const GzipReader&) = delete;
    GzipReader& operator=(const GzipReader&) = delete;

    /// Once the content has ended (a read gave end of file): empty when the stream read well,
    /// else "truncated gzip data: ...", "invalid gzip data: ...", "I/O error" or "cannot
    /// decompress: ..." (out of memory).
    [[nodiscard]] const std::string& error() const;
    /// Once the content has ended: whether the compressed stream itself failed to read
    /// (error() is then "I/O error"), as opposed to holding bad gzip data.
    [[nodiscard]] bool io_failed() const;

protected:
    int_type underflow() override;

private:
    struct State;
    std::unique_ptr<State> m_state;
    bool m_holding = false; // the get area is a block of the worker's ring
};

} // namespace dbadvise::sources
