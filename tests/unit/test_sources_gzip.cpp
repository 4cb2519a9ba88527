#include "sources/gzip.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <istream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

using namespace dbadvise::sources;

namespace {

std::string sample(std::size_t size) {
    std::string text;
    for (std::size_t i = 0; text.size() < size; ++i)
        text += "row " + std::to_string(i * 7919 % 1000) + ",";
    text.resize(size);
    return text;
}

} // namespace

TEST_CASE("gzip_compress and gzip_decompress") {
    SUBCASE("round trips, empty and larger than one chunk") {
        for (const std::size_t size : {std::size_t{0}, std::size_t{10}, std::size_t{3} << 20}) {
            const std::string text = sample(size);
            const std::string packed = gzip_compress(text);
            CHECK(is_gzip(packed));
            const auto unpacked = gzip_decompress(packed);
            REQUIRE(unpacked.has_value());
            CHECK(*unpacked == text);
        }
        CHECK(gzip_compress(sample(1 << 20)).size() < (1 << 18));
    }
    SUBCASE("concatenated members, as gzip -d reads them") {
        const auto unpacked = gzip_decompress(gzip_compress("abc") + gzip_compress("def"));
        REQUIRE(unpacked.has_value());
        CHECK(*unpacked == "abcdef");
    }
    SUBCASE("truncated") {
        const std::string packed = gzip_compress(sample(100000));
        const auto unpacked =
            gzip_decompress(std::string_view(packed).substr(0, packed.size() / 2));
        REQUIRE_FALSE(unpacked.has_value());
        CHECK(unpacked.error() ==
              "truncated gzip data: the file ends before the compressed stream does");
    }
    SUBCASE("corrupt") {
        std::string packed = gzip_compress(sample(100000));
        for (std::size_t i = 20; i < 60; ++i)
            packed[i] = static_cast<char>(packed[i] ^ 0x5a);
        const auto unpacked = gzip_decompress(packed);
        REQUIRE_FALSE(unpacked.has_value());
        CHECK(unpacked.error().starts_with("invalid gzip data: "));
    }
    SUBCASE("trailing garbage") {
        const auto unpacked = gzip_decompress(gzip_compress("abc") + "xyz");
        REQUIRE_FALSE(unpacked.has_value());
        CHECK(unpacked.error() ==
              "invalid gzip data: unexpected bytes after the compressed stream");
    }
    SUBCASE("more output than the limit") {
        const auto unpacked = gzip_decompress(gzip_compress(std::string(5000, 'x')), 1000);
        REQUIRE_FALSE(unpacked.has_value());
        CHECK(unpacked.error() == "more than 1000 bytes decompressed: not a snapshot");
    }
    SUBCASE("is_gzip looks at the magic bytes only") {
        CHECK_FALSE(is_gzip("{\"snapshot_version\": 1}"));
        CHECK_FALSE(is_gzip("\x1f"));
        CHECK(is_gzip("\x1f\x8b"));
    }
}

namespace {

// Everything a GzipReader gives, read through an istream, and its error.
std::pair<std::string, std::string> read_through(const std::string& packed) {
    std::istringstream compressed(packed);
    GzipReader gzip(compressed);
    std::istream in(&gzip);
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {out, gzip.error()};
}

} // namespace

TEST_CASE("GzipReader: what gzip_decompress gives, a block at a time, and what came before an error") {
    const std::string text = sample(std::size_t{3} << 20); // more than one output block
    const std::string packed = gzip_compress(text);
    SUBCASE("whole, empty, concatenated members, zero padding") {
        CHECK(read_through(packed) == std::pair<std::string, std::string>{text, ""});
        CHECK(read_through(gzip_compress("")) == std::pair<std::string, std::string>{"", ""});
        CHECK(read_through(gzip_compress("abc") + gzip_compress("") + gzip_compress("def")) ==
              std::pair<std::string, std::string>{"abcdef", ""});
        CHECK(read_through(gzip_compress("abc") + std::string(5, '\0') + gzip_compress("def") + std::string(3, '\0')) ==
              std::pair<std::string, std::string>{"abcdef", ""});
    }
    SUBCASE("cut anywhere: a prefix of the content, and the message gzip_decompress gives") {
        for (std::size_t cut = 1; cut < packed.size(); cut += 1 + cut / 3) {
            CAPTURE(cut);
            const std::string part = packed.substr(0, cut);
            const auto [content, error] = read_through(part);
            CHECK(text.starts_with(content));
            const auto whole = gzip_decompress(part);
            REQUIRE_FALSE(whole.has_value());
            CHECK(error == whole.error());
        }
    }
    SUBCASE("corrupt, other bytes after a member, not gzip at all") {
        std::string corrupt = packed;
        for (std::size_t i = 20; i < 60; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
        auto [content, error] = read_through(corrupt);
        CHECK(error == gzip_decompress(corrupt).error());
        CHECK(error.starts_with("invalid gzip data: "));
        std::tie(content, error) = read_through(gzip_compress("abc") + "xyz");
        CHECK(content == "abc");
        CHECK(error == "invalid gzip data: unexpected bytes after the compressed stream");
        std::tie(content, error) = read_through(gzip_compress("abc") + "\x1f");
        CHECK(content == "abc");
        CHECK(error == "invalid gzip data: unexpected bytes after the compressed stream");
        std::tie(content, error) = read_through("\x1f not gzip");
        CHECK(content.empty());
        CHECK(error == "invalid gzip data: incorrect header check");
    }
}

TEST_CASE("GzipReader: left before the end, its worker stops (an input that fails on its first line)") {
    const std::string packed = gzip_compress(sample(std::size_t{8} << 20)); // more blocks than the ring holds
    for (const std::size_t read : {std::size_t{0}, std::size_t{10}, std::size_t{3} << 20}) {
        CAPTURE(read);
        std::istringstream compressed(packed);
        {
            GzipReader gzip(compressed);
            std::istream in(&gzip);
            std::string head(read, '\0');
            in.read(head.data(), static_cast<std::streamsize>(read));
            CHECK(static_cast<std::size_t>(in.gcount()) == read);
            CHECK(head == sample(read));
        } // the destructor stops the worker, which may wait for a free block or be inflating
    }
}

TEST_CASE("GzipReader: a stream that throws ends the content with an error, not the process") {
    // A stream set to throw on a failed read (exceptions(badbit)), whose buffer fails after
    // its first 300 KB: the worker thread meets the exception.
    struct Failing : std::streambuf {
        std::string bytes;
        std::size_t at = 0;
        int_type underflow() override {
            if (at >= (std::size_t{300} << 10)) throw std::runtime_error("disk error");
            const std::size_t n = std::min<std::size_t>(bytes.size() - at, 4096);
            if (n == 0) return traits_type::eof();
            setg(bytes.data() + at, bytes.data() + at, bytes.data() + at + n);
            at += n;
            return traits_type::to_int_type(bytes[at - n]);
        }
    };
    std::string text;
    for (unsigned i = 0; text.size() < (std::size_t{8} << 20); ++i) text += std::to_string(i * 2654435761U) + ",";
    Failing buffer;
    buffer.bytes = gzip_compress(text);
    REQUIRE(buffer.bytes.size() > (std::size_t{300} << 10));
    std::istream compressed(&buffer);
    compressed.exceptions(std::ios::badbit);
    GzipReader gzip(compressed);
    std::istream in(&gzip);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.starts_with(content));
    CHECK(content.size() < text.size());
    CHECK(gzip.error().starts_with("cannot decompress: "));
}
