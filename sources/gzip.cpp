#include "sources/gzip.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <spanstream>
#include <thread>

namespace dbadvise::sources {

namespace {

// zlib counts in uInt: at most this much at a time (and gzip_decompress's reads).
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

// GzipReader read whole: one inflate loop, one set of rules and messages for snapshots and
// logs.
std::expected<std::string, std::string> gzip_decompress(std::string_view bytes, std::size_t limit) {
    if (bytes.empty()) return std::string();
    std::ispanstream compressed(std::span<const char>(bytes.data(), bytes.size()));
    GzipReader gzip(compressed);
    std::string out;
    for (;;) {
        const std::size_t used = out.size();
        out.resize(used + k_chunk);
        const auto got = static_cast<std::size_t>(gzip.sgetn(out.data() + used, static_cast<std::streamsize>(k_chunk)));
        out.resize(used + got);
        if (out.size() > limit) return std::unexpected(fmt::format("more than {} bytes decompressed: not a snapshot", limit));
        if (got < k_chunk) break; // the end of the content
    }
    if (!gzip.error().empty()) return std::unexpected(gzip.error());
    return out;
}

// --- GzipReader ---
// A worker thread inflates the stream into blocks while the caller reads the block before:
// inflating a log and reading it take about as long each (zlib gives some 750 MB/s of log on
// the build machine, the log reader reads some 1 GB/s), so the two at once take the time of
// the slower instead of the sum.

struct GzipReader::State {
    static constexpr std::size_t k_input_bytes = std::size_t{256} << 10;
    static constexpr std::size_t k_blocks = 3;
    static constexpr std::size_t k_block_bytes = std::size_t{1} << 20;

    explicit State(std::istream& compressed) : in(compressed) {}

    // --- the worker's (and, once `finished` is seen, the reader's) ---
    std::istream& in;
    z_stream stream{};
    bool ready = false;       // inflateInit2 succeeded
    bool member_done = false; // the member being read has ended (Z_STREAM_END)
    bool ended = false;       // nothing more will be decompressed
    std::unique_ptr<unsigned char[]> input{new unsigned char[k_input_bytes]};
    std::string error;
    bool io_failed = false;

    // --- shared, under `mutex`: a ring of blocks, block n at n % k_blocks ---
    std::array<std::unique_ptr<char[]>, k_blocks> blocks;
    std::array<std::size_t, k_blocks> sizes{};
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t filled = 0;  // blocks the worker has filled
    std::size_t released = 0; // blocks the reader is done with; it reads block `released`
    bool finished = false;   // the worker has filled its last block
    bool stop = false;       // the reader goes away: the worker stops
    std::thread worker;

    bool read_more();
    bool next_member();
    std::size_t inflate_into(char* out, std::size_t capacity);
    void run();
    void fill_blocks();
};

// Moves the compressed bytes not inflated yet to the front of the input buffer and reads more
// after them; false when nothing more could be read.
bool GzipReader::State::read_more() {
    const std::size_t kept = stream.avail_in;
    if (kept > 0 && stream.next_in != input.get()) std::memmove(input.get(), stream.next_in, kept);
    stream.next_in = input.get();
    if (kept == k_input_bytes || !in) return false;
    in.read(reinterpret_cast<char*>(input.get() + kept), static_cast<std::streamsize>(k_input_bytes - kept));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (in.bad()) {
        error = "I/O error";
        io_failed = true;
    }
    stream.avail_in = static_cast<uInt>(kept + got);
    return got > 0;
}

// After a member's end: skips zero padding; true when another member follows (started
// again), false at the end of the input or, with `error` set, before other bytes.
bool GzipReader::State::next_member() {
    for (;;) {
        while (stream.avail_in > 0 && *stream.next_in == 0) { // padding
            ++stream.next_in;
            --stream.avail_in;
        }
        if (stream.avail_in >= 2) break;
        if (!read_more()) {
            if (stream.avail_in == 0) return false; // the end of the input
            break;                                  // one byte left: not a member
        }
    }
    const std::string_view head(reinterpret_cast<const char*>(stream.next_in), stream.avail_in);
    if (!is_gzip(head)) {
        error = "invalid gzip data: unexpected bytes after the compressed stream";
        return false;
    }
    inflateReset(&stream);
    member_done = false;
    return true;
}

// Inflates into `out` until it is full or nothing more comes (`ended`); the bytes written.
std::size_t GzipReader::State::inflate_into(char* out, std::size_t capacity) {
    std::size_t written = 0;
    while (written < capacity && !ended) {
        if (member_done && !next_member()) {
            ended = true;
            break;
        }
        if (stream.avail_in == 0 && !read_more()) {
            if (error.empty()) error = "truncated gzip data: the file ends before the compressed stream does";
            ended = true;
            break;
        }
        stream.next_out = reinterpret_cast<Bytef*>(out + written);
        stream.avail_out = static_cast<uInt>(capacity - written);
        const int status = inflate(&stream, Z_NO_FLUSH);
        const std::size_t produced = capacity - written - stream.avail_out;
        written += produced;
        if (status == Z_STREAM_END) {
            member_done = true;
        } else if (status == Z_MEM_ERROR) {
            error = "cannot decompress: out of memory";
            ended = true;
        } else if (status != Z_OK && !(status == Z_BUF_ERROR && (stream.avail_in == 0 || produced > 0))) {
            // Z_NEED_DICT, Z_DATA_ERROR, Z_STREAM_ERROR, or no progress with input left
            error = fmt::format("invalid gzip data: {}", stream.msg != nullptr ? stream.msg : "corrupt stream");
            ended = true;
        }
    }
    return written;
}

// The worker: fills the ring's free blocks until the stream ends or the reader goes away. An
// exception (out of memory, or a stream set to throw) ends the content with an error rather
// than the process.
void GzipReader::State::run() {
    try {
        fill_blocks();
    } catch (const std::exception& failure) {
        {
            const std::lock_guard lock(mutex);
            if (error.empty()) error = fmt::format("cannot decompress: {}", failure.what());
            ended = true;
            finished = true;
        }
        changed.notify_all();
    }
}

void GzipReader::State::fill_blocks() {
    for (;;) {
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [this] { return stop || filled < released + k_blocks; });
            if (stop) return;
        }
        // Block `filled` is neither the one being read nor one waiting to be: written unlocked.
        const std::size_t index = filled % k_blocks;
        const std::size_t size = inflate_into(blocks[index].get(), k_block_bytes);
        {
            const std::lock_guard lock(mutex);
            if (size > 0) {
                sizes[index] = size;
                ++filled;
            }
            finished = ended;
        }
        changed.notify_all();
        if (ended) return;
    }
}

GzipReader::GzipReader(std::istream& compressed) : m_state(std::make_unique<State>(compressed)) {
    State& state = *m_state;
    for (auto& block : state.blocks) block.reset(new char[State::k_block_bytes]);
    // windowBits 15 + 16: gzip only (zlib or raw deflate would be someone else's file).
    state.ready = inflateInit2(&state.stream, 15 + 16) == Z_OK;
    state.stream.next_in = state.input.get();
    state.stream.avail_in = 0;
    if (!state.ready) {
        state.error = "out of memory";
        state.finished = true;
        return;
    }
    try {
        state.worker = std::thread([&state] { state.run(); });
    } catch (...) { // no thread to be had: ~GzipReader does not run, so end zlib's state here
        inflateEnd(&state.stream);
        throw;
    }
}

GzipReader::~GzipReader() {
    State& state = *m_state;
    {
        const std::lock_guard lock(state.mutex);
        state.stop = true;
    }
    state.changed.notify_all();
    if (state.worker.joinable()) state.worker.join();
    if (state.ready) inflateEnd(&state.stream);
}

const std::string& GzipReader::error() const { return m_state->error; }

bool GzipReader::io_failed() const { return m_state->io_failed; }

GzipReader::int_type GzipReader::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    State& state = *m_state;
    std::unique_lock lock(state.mutex);
    if (m_holding) { // the block just read goes back to the worker
        ++state.released;
        m_holding = false;
        state.changed.notify_all();
    }
    state.changed.wait(lock, [&state] { return state.filled > state.released || state.finished; });
    if (state.filled == state.released) {
        setg(nullptr, nullptr, nullptr);
        return traits_type::eof();
    }
    const std::size_t index = state.released % State::k_blocks;
    char* block = state.blocks[index].get();
    setg(block, block, block + state.sizes[index]);
    m_holding = true;
    return traits_type::to_int_type(*block);
}

} // namespace dbadvise::sources
