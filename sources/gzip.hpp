// gzip in memory, with zlib: snapshots whose file name ends in .gz are compressed, and any
// snapshot that starts with gzip's magic bytes is decompressed on reading.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace dbadvise::sources {

/// True when `bytes` start with gzip's magic number (1f 8b).
bool is_gzip(std::string_view bytes);

/// `bytes` as one gzip member (zlib's default level).
std::string gzip_compress(std::string_view bytes);

/// The decompressed content of gzip `bytes` (concatenated members too, as gzip -d reads
/// them). Fails with a message ("truncated gzip data", "invalid gzip data: ...", "more than N
/// bytes decompressed") rather than return partial content; stops at `limit` bytes of output
/// so that a small corrupt or hostile file cannot exhaust memory.
std::expected<std::string, std::string> gzip_decompress(std::string_view bytes,
                                                        std::size_t limit = std::size_t{1} << 30);

} // namespace dbadvise::sources
