#include "sources/gzip.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <limits>
#include <memory>
#include <zlib.h>

namespace dbadvise::sources {

namespace {

// zlib counts in uInt; feed it at most this much at a time.
constexpr std::size_t k_chunk = std::size_t{1} << 20;

} // namespace

bool is_gzip(std::string_view bytes) {
    return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
           static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string gzip_compress(std::string_view bytes) {
    z_stream stream{};
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        throw std::bad_alloc();
    const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, deflateEnd);
    std::string out;
    out.resize(
        deflateBound(&stream, static_cast<uLong>(std::min<std::size_t>(bytes.size(), k_chunk))) +
        64);
    std::size_t consumed = 0;
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        const std::size_t piece = std::min(bytes.size() - consumed, k_chunk);
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + consumed));
        stream.avail_in = static_cast<uInt>(piece);
        const int flush = consumed + piece == bytes.size() ? Z_FINISH : Z_NO_FLUSH;
        do {
            const std::size_t used = stream.total_out;
            if (out.size() - used < k_chunk / 4)
                out.resize(out.size() + k_chunk);
            stream.next_out = reinterpret_cast<Bytef*>(out.data() + used);
            stream.avail_out = static_cast<uInt>(std::min(out.size() - used, k_chunk));
            status = deflate(&stream, flush);
        } while (stream.avail_in > 0 || (flush == Z_FINISH && status != Z_STREAM_END));
        consumed += piece;
    }
    out.resize(stream.total_out);
    return out;
}

std::expected<std::string, std::string> gzip_decompress(std::string_view bytes, std::size_t limit) {
    std::string out;
    std::size_t at = 0;
    // One member after the other: `cat a.gz b.gz` is a valid gzip file.
    while (at < bytes.size()) {
        z_stream stream{};
        // windowBits 15 + 16: gzip only (zlib or raw deflate would be someone else's file).
        if (inflateInit2(&stream, 15 + 16) != Z_OK)
            return std::unexpected(std::string("out of memory"));
        const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
        int status = Z_OK;
        while (status != Z_STREAM_END) {
            const std::size_t piece = std::min(bytes.size() - at, k_chunk);
            if (piece == 0)
                return std::unexpected(std::string(
                    "truncated gzip data: the file ends before the compressed stream does"));
            stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + at));
            stream.avail_in = static_cast<uInt>(piece);
            do {
                const std::size_t used = out.size();
                const std::size_t room = std::min(k_chunk, limit - std::min(limit, used));
                if (room == 0)
                    return std::unexpected(
                        fmt::format("more than {} bytes decompressed: not a snapshot", limit));
                out.resize(used + room);
                stream.next_out = reinterpret_cast<Bytef*>(out.data() + used);
                stream.avail_out = static_cast<uInt>(room);
                status = inflate(&stream, Z_NO_FLUSH);
                out.resize(used + room - stream.avail_out);
                if (status == Z_NEED_DICT || status == Z_DATA_ERROR || status == Z_MEM_ERROR) {
                    return std::unexpected(fmt::format("invalid gzip data: {}",
                                                       stream.msg ? stream.msg : "corrupt stream"));
                }
                if (status == Z_BUF_ERROR) {
                    if (stream.avail_in == 0)
                        break; // needs more input
                    return std::unexpected(std::string("invalid gzip data: corrupt stream"));
                }
            } while (status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0));
            at += piece - stream.avail_in;
        }
        // Trailing zero bytes after a member are padding some tools write; anything else
        // must be another member.
        while (at < bytes.size() && bytes[at] == '\0')
            ++at;
        if (at < bytes.size() && !is_gzip(bytes.substr(at)))
            return std::unexpected(
                std::string("invalid gzip data: unexpected bytes after the compressed stream"));
    }
    return out;
}

} // namespace dbadvise::sources
