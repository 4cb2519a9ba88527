#include "sources/gzip.hpp"

#include <algorithm>
#include <cstring>
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

// --- GzipReader ---

struct GzipReader::State {
    z_stream stream{};
    bool ready = false;       // inflateInit2 succeeded
    bool member_done = false; // the member being read has ended (Z_STREAM_END)
    bool done = false;        // nothing more will be decompressed
    std::unique_ptr<unsigned char[]> input;
    std::unique_ptr<char[]> output;
    static constexpr std::size_t k_input_bytes = std::size_t{256} << 10;
    static constexpr std::size_t k_output_bytes = std::size_t{1} << 20;
};

GzipReader::GzipReader(std::istream& compressed) : m_in(compressed), m_state(std::make_unique<State>()) {
    State& state = *m_state;
    state.input.reset(new unsigned char[State::k_input_bytes]);
    state.output.reset(new char[State::k_output_bytes]);
    // windowBits 15 + 16: gzip only (zlib or raw deflate would be someone else's file).
    state.ready = inflateInit2(&state.stream, 15 + 16) == Z_OK;
    if (!state.ready) {
        m_error = "out of memory";
        state.done = true;
    }
    state.stream.next_in = state.input.get();
    state.stream.avail_in = 0;
}

GzipReader::~GzipReader() {
    if (m_state->ready) inflateEnd(&m_state->stream);
}

bool GzipReader::read_more() {
    State& state = *m_state;
    const std::size_t kept = state.stream.avail_in;
    if (kept > 0 && state.stream.next_in != state.input.get())
        std::memmove(state.input.get(), state.stream.next_in, kept);
    state.stream.next_in = state.input.get();
    if (kept == State::k_input_bytes || !m_in) return false;
    m_in.read(reinterpret_cast<char*>(state.input.get() + kept), static_cast<std::streamsize>(State::k_input_bytes - kept));
    const auto got = static_cast<std::size_t>(m_in.gcount());
    if (m_in.bad()) {
        m_error = "I/O error";
        m_io_failed = true;
    }
    state.stream.avail_in = static_cast<uInt>(kept + got);
    return got > 0;
}

bool GzipReader::next_member() {
    State& state = *m_state;
    for (;;) {
        while (state.stream.avail_in > 0 && *state.stream.next_in == 0) { // padding
            ++state.stream.next_in;
            --state.stream.avail_in;
        }
        if (state.stream.avail_in >= 2) break;
        if (!read_more()) {
            if (state.stream.avail_in == 0) return false; // the end of the input
            break;                                        // one byte left: not a member
        }
    }
    const std::string_view head(reinterpret_cast<const char*>(state.stream.next_in), state.stream.avail_in);
    if (!is_gzip(head)) {
        m_error = "invalid gzip data: unexpected bytes after the compressed stream";
        return false;
    }
    inflateReset(&state.stream);
    state.member_done = false;
    return true;
}

GzipReader::int_type GzipReader::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    State& state = *m_state;
    while (!state.done) {
        if (state.member_done && !next_member()) {
            state.done = true;
            break;
        }
        if (state.stream.avail_in == 0 && !read_more()) {
            if (m_error.empty())
                m_error = "truncated gzip data: the file ends before the compressed stream does";
            state.done = true;
            break;
        }
        char* out = state.output.get();
        state.stream.next_out = reinterpret_cast<Bytef*>(out);
        state.stream.avail_out = static_cast<uInt>(State::k_output_bytes);
        const int status = inflate(&state.stream, Z_NO_FLUSH);
        const std::size_t produced = State::k_output_bytes - state.stream.avail_out;
        if (status == Z_STREAM_END) {
            state.member_done = true;
        } else if (status == Z_NEED_DICT || status == Z_DATA_ERROR || status == Z_MEM_ERROR ||
                   (status == Z_BUF_ERROR && state.stream.avail_in > 0 && produced == 0)) {
            m_error = fmt::format("invalid gzip data: {}", state.stream.msg != nullptr ? state.stream.msg : "corrupt stream");
            state.done = true;
        }
        if (produced > 0) {
            setg(out, out, out + produced);
            return traits_type::to_int_type(*out);
        }
    }
    return traits_type::eof();
}

} // namespace dbadvise::sources
