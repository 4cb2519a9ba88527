#include "sources/log_records.hpp"
#include "sources/query_input.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>

#include <sstream>
#include <string>
#include <vector>

using namespace dbadvise;

namespace {

struct Line {
    std::string text;
    int number = 0;
    int next = 0; // what next_byte() gave: -1 at the end
};

std::vector<Line> read_lines(const std::string& input, std::size_t block) {
    std::istringstream in(input);
    sources::LineReader reader(in, block);
    std::vector<Line> lines;
    std::string_view line;
    while (reader.next(line)) {
        const int after = reader.next_byte(); // before the line is copied: the view stays valid
        lines.push_back(Line{std::string(line), reader.number(), after});
    }
    return lines;
}

std::vector<std::string> csv_values(std::string_view record) {
    std::vector<std::string_view> raw;
    sources::split_csv_record(record, raw);
    std::vector<std::string> values;
    std::string scratch;
    for (std::string_view field : raw) values.emplace_back(sources::csv_field_value(field, scratch));
    return values;
}

bool scan(std::string_view line, sources::JsonlogFields& fields) {
    static std::array<std::string, 4> scratch;
    return sources::scan_jsonlog_line(line, fields, scratch);
}

} // namespace

TEST_CASE("log numbers: the same value as from_chars, the usual form read without it") {
    // What from_chars gives, with the reader's rules: all of the text, finite, not negative.
    const auto reference = [](std::string_view text) -> std::optional<double> {
        double value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || std::signbit(value))
            return std::nullopt;
        return value;
    };
    // A minus sign is never a duration, not even -0 (which is not below 0).
    CHECK_FALSE(sources::parse_log_number("-0").has_value());
    CHECK_FALSE(sources::parse_log_number("-0.000").has_value());
    const auto same = [&](std::string_view text) {
        CAPTURE(text);
        const std::optional<double> got = sources::parse_log_number(text);
        const std::optional<double> want = reference(text);
        REQUIRE(got.has_value() == want.has_value());
        // Bit for bit: the sums of durations must not depend on which path read them.
        if (got) CHECK(std::bit_cast<std::uint64_t>(*got) == std::bit_cast<std::uint64_t>(*want));
    };
    for (const char* text : {"0", "0.000", "12.345", "39.381", "0.001", "1.", ".5", "5.", "1e3", "1.5e-3", "-1", "-0",
                             "+1", "inf", "nan", "", ".", "1..2", "1.2.3", "12 ", " 12", "0x10", "999999999999999",
                             "9999999999999999", "99999999999999999999", "123456789.123456", "1234567890.12345",
                             "0.1", "0.3", "2.675", "1e400", "000000000000000.5", "4503599627370497.0",
                             // 16 and 17 digits, where a division after rounding the digits to a
                             // double is off by one unit in the last place
                             "45884711310.215068", "16205804071.569983", "84.6115967955159242"})
        same(text);
    std::mt19937_64 random(7);
    for (int i = 0; i < 200000; ++i) {
        std::string text; // 1 to 19 digits: the fast path's edge is at 15
        for (std::size_t n = 1 + random() % 19; n > 0; --n) text += static_cast<char>('0' + random() % 10);
        const std::size_t point = random() % (text.size() + 2);
        if (point < text.size()) text.insert(point, ".");
        if (random() % 8 == 0) text.insert(0, std::string(random() % 6, '0'));
        same(text);
    }
}

TEST_CASE("log durations: whole nanoseconds, the usual form exact, any other as the number rounds") {
    // Exact: digits times a power of ten, whatever a double would make of them.
    CHECK(sources::parse_log_duration_ns("12.345") == 12345000);
    CHECK(sources::parse_log_duration_ns("0.001") == 1000);
    CHECK(sources::parse_log_duration_ns("0") == 0);
    CHECK(sources::parse_log_duration_ns("7") == 7000000);
    CHECK(sources::parse_log_duration_ns("1.5") == 1500000);
    CHECK(sources::parse_log_duration_ns("0.000001") == 1);
    CHECK(sources::parse_log_duration_ns("999999999999.999999") == 999999999999999999);
    CHECK(sources::parse_log_duration_ns("123456789012.123456") == 123456789012123456);
    // Not numbers, or not ones a duration can be.
    for (const char* text : {"", ".", "-1", "-0.5", "-0", "-0.0", "+1", "abc", "1.2.3", "12 ", " 12", "1..2", "nan", "inf", "1e400", "12.3a"}) {
        CAPTURE(text);
        CHECK_FALSE(sources::parse_log_duration_ns(text).has_value());
    }
    // Other forms go through parse_log_number: the same nanoseconds as its value, rounded.
    for (const char* text : {"1.", ".5", "1e3", "2.5e-3", "0.0000005", "0.00000049", "1234567890123.5", "0000000000000.1"}) {
        CAPTURE(text);
        const std::optional<double> ms = sources::parse_log_number(text);
        REQUIRE(ms.has_value());
        CHECK(sources::parse_log_duration_ns(text) == sources::ms_to_ns(*ms));
    }
    CHECK(sources::parse_log_duration_ns("1e20") == std::int64_t{9000000000000000000});
    CHECK(sources::ms_to_ns(1e300) == std::int64_t{9000000000000000000});
    // Where a double holds the milliseconds within a fraction of a nanosecond (below 10^9 ms),
    // the exact reading is what rounding the double gives: the two paths agree.
    std::mt19937_64 random(11);
    for (int i = 0; i < 200000; ++i) {
        std::string text;
        for (std::size_t n = 1 + random() % 9; n > 0; --n) text += static_cast<char>('0' + random() % 10);
        if (const std::size_t fraction = random() % 7; fraction > 0) {
            text += '.';
            for (std::size_t n = fraction; n > 0; --n) text += static_cast<char>('0' + random() % 10);
        }
        CAPTURE(text);
        const std::optional<double> ms = sources::parse_log_number(text);
        REQUIRE(ms.has_value());
        CHECK(sources::parse_log_duration_ns(text) == std::llround(*ms * 1e6));
    }
}

TEST_CASE("log timestamps: digits and separators where %m and %t put them") {
    // One byte at a time, as the check read before it took eight bytes at once.
    const auto reference = [](std::string_view line) {
        if (line.size() < 19) return false;
        for (std::size_t i = 0; i < 19; ++i) {
            const char want = "dddd-dd-dd dd:dd:dd"[i];
            if (want == 'd' ? !(line[i] >= '0' && line[i] <= '9') : line[i] != want) return false;
        }
        return true;
    };
    const std::string good = "2025-03-01 12:00:00.000 UTC [4000] LOG:  x";
    CHECK(sources::starts_with_timestamp(good));
    CHECK_FALSE(sources::starts_with_timestamp(good.substr(0, 18)));
    CHECK(sources::starts_with_timestamp(good.substr(0, 19)));
    // Every byte of the timestamp replaced by every other byte.
    for (std::size_t at = 0; at < 19; ++at) {
        for (int byte = 0; byte < 256; ++byte) {
            std::string line = good;
            line[at] = static_cast<char>(byte);
            CAPTURE(at);
            CAPTURE(byte);
            CHECK(sources::starts_with_timestamp(line) == reference(line));
        }
    }
}

TEST_CASE("LineReader: the same lines and look-ahead from blocks of any size") {
    const std::string long_line(100, 'x');
    const std::string input = "first\r\n\nthird\n" + long_line + "\n\tcontinued\nlast without newline";
    const std::vector<Line> expected = {
        {"first", 1, '\n'},
        {"", 2, 't'},
        {"third", 3, 'x'},
        {long_line, 4, '\t'},
        {"\tcontinued", 5, 'l'},
        {"last without newline", 6, -1},
    };
    for (std::size_t block : {1, 2, 3, 7, 64, 1 << 20}) {
        CAPTURE(block);
        const std::vector<Line> lines = read_lines(input, block);
        REQUIRE(lines.size() == expected.size());
        for (std::size_t i = 0; i < lines.size(); ++i) {
            CHECK(lines[i].text == expected[i].text);
            CHECK(lines[i].number == expected[i].number);
            CHECK(lines[i].next == expected[i].next);
        }
    }
    CHECK(read_lines("", 4).empty());
    CHECK(read_lines("\n", 4).size() == 1);
    CHECK(read_lines("a\n", 1).size() == 1); // a final newline ends the last line, no empty line after it
}

TEST_CASE("LineReader: rest() gives what was not handed out, as it is") {
    std::istringstream in("one\r\ntwo\r\nthree\r\n");
    sources::LineReader reader(in, 3);
    std::string_view line;
    REQUIRE(reader.next(line));
    CHECK(line == "one");
    CHECK(reader.raw() == "one\r\n");
    std::string rest;
    reader.rest(rest);
    CHECK(rest == "two\r\nthree\r\n");
    CHECK_FALSE(reader.next(line));
}

TEST_CASE("csvlog fields: quoted, doubled quotes, empty, newlines, quotes in the middle") {
    CHECK(csv_values("a,\"b,c\",,\"say \"\"hi\"\"\"") == std::vector<std::string>{"a", "b,c", "", "say \"hi\""});
    CHECK(csv_values("\"line\nbreak\",x") == std::vector<std::string>{"line\nbreak", "x"});
    CHECK(csv_values("") == std::vector<std::string>{""});
    CHECK(csv_values(",") == std::vector<std::string>{"", ""});
    CHECK(csv_values("ab\"c,d\"e,f") == std::vector<std::string>{"abc,de", "f"});
    CHECK(csv_values("\"open, never closed") == std::vector<std::string>{"open, never closed"});
    CHECK(csv_values("\"\"") == std::vector<std::string>{""});
}

TEST_CASE("jsonlog scanner: the fields the JSON parser gives") {
    sources::JsonlogFields fields;
    REQUIRE(scan(R"({"timestamp":"2025-03-01 12:00:00.000 UTC","pid":4242,"error_severity":"LOG",)"
                 R"("message":"duration: 1.5 ms  statement: SELECT 'a\"b\\c\n' \u00e9 \ud83d\ude00","backend_type":"client backend","leader_pid":null,"query_id":-12,"ok":true,"ratio":0.25})",
                 fields));
    CHECK(fields.severity == "LOG");
    CHECK(fields.pid == "4242");
    CHECK(fields.message == "duration: 1.5 ms  statement: SELECT 'a\"b\\c\n' \xC3\xA9 \xF0\x9F\x98\x80");
    CHECK_FALSE(fields.detail.has_value());

    REQUIRE(scan(R"( {"pid":"77","message":"first","message":"second","error_severity":"LOG","detail":"params: $1 = 'x'"} )",
                 fields));
    CHECK(fields.pid == "77");
    CHECK(fields.message == "second"); // a key given twice: the last value, as the parser keeps
    CHECK(fields.detail == "params: $1 = 'x'");
    CHECK(scan("{}", fields));
    CHECK_FALSE(fields.message.has_value());
    CHECK(scan("{\"message\":\"caf\xC3\xA9\"}", fields));
    CHECK(fields.message == "caf\xC3\xA9");
}

TEST_CASE("jsonlog scanner: declines what it does not read exactly, and the parser decides") {
    sources::JsonlogFields fields;
    const std::vector<std::string> declined = {
        "",
        "[1]",
        R"({"message":"cut in the midd)",
        R"({"message":"x"} trailing)",
        R"({"message":"x",})",
        R"({"message":{"nested":1}})",
        R"({"other":[1,2]})",
        R"({"message":5})",               // not a string: the parser's caller reports it
        R"({"pid":1.5,"message":"x"})",    // a pid that is not an integer: written back as the parser writes it
        R"({"pid":-0,"message":"x"})",
        R"({"n":1e3,"message":"x"})",      // exponents: a parser may refuse an overflow
        R"({"n":0123})",
        R"({"message":"\ud800 lone high surrogate"})",
        R"({"message":"\udc00 lone low surrogate"})",
        R"({"message":"\x"})",
        "{\"message\":\"tab\there\"}",       // a raw control character
        "{\"message\":\"caf\xE9\"}",         // Latin-1, not UTF-8
        "{\"message\":\"\xED\xA0\x80\"}",    // a surrogate written in UTF-8
        "{\"message\":\"\xC0\xAF\"}",        // an overlong form
        R"({"mess\u0061ge":"x"})",         // an escaped key
    };
    for (const std::string& line : declined) {
        CAPTURE(line);
        CHECK_FALSE(scan(line, fields));
    }
    // What the scanner declines, the reader hands to the JSON parser: a valid line it declines
    // is still read.
    std::istringstream in(R"({"timestamp":"2025-03-01 12:00:00","pid":1.5e0,"error_severity":"LOG","message":"duration: 2 ms  statement: SELECT 1","extra":{"a":[1]}})"
                          "\n");
    sources::QueryInputOptions options;
    options.name = "app.json";
    const auto input = sources::read_query_input(in, options);
    REQUIRE(input.has_value());
    REQUIRE(input->statements.size() == 1);
    CHECK(input->statements[0].total_ms == 2);
    CHECK(input->findings.empty());
}

TEST_CASE("log reader: the same workload from blocks of every size, records across block boundaries") {
    const std::string log =
        "2025-03-01 12:00:00.001 UTC [11] LOG:  duration: 1.000 ms  statement: SELECT *\n"
        "\tFROM orders WHERE id = 1\n"
        "2025-03-01 12:00:00.002 UTC [12] LOG:  duration: 2.000 ms  statement: SELECT * FROM orders WHERE id = 2\n"
        "\n"
        "2025-03-01 12:00:00.003 UTC [13] LOG:  duration: 4.000 ms  execute S_1: SELECT name FROM items WHERE sku = $1\n"
        "2025-03-01 12:00:00.003 UTC [13] DETAIL:  parameters: $1 = 'a'\n"
        "2025-03-01 12:00:00.004 UTC [14] LOG:  duration: 8.000 ms  statement: SELECT name\n"
        "\tFROM items\n"
        "\tWHERE sku = 'b'";
    for (std::size_t block : {1, 5, 13, 1 << 20}) {
        CAPTURE(block);
        std::istringstream in(log);
        sources::QueryInputOptions options;
        options.name = "app.log";
        options.block_bytes = block;
        const auto input = sources::read_query_input(in, options);
        REQUIRE(input.has_value());
        CHECK(input->findings.empty());
        REQUIRE(input->statements.size() == 2);
        double orders = 0;
        double items = 0;
        for (const auto& statement : input->statements) {
            (statement.text.find("orders") != std::string::npos ? orders : items) = statement.total_ms;
            CHECK(statement.calls == 2);
        }
        CHECK(orders == 3);
        CHECK(items == 12);
    }
}

TEST_CASE("SQL file read as it is: a parse error at the end of a file with no final newline is on its last line") {
    for (std::string text : {"((", "SELECT 1;\r\n\r\n((", "\n\nSELECT (("}) {
        CAPTURE(text);
        std::istringstream in(text);
        sources::QueryInputOptions options;
        options.name = "q.sql";
        options.format = sources::QueryFormat::sql;
        const auto input = sources::read_query_input(in, options);
        REQUIRE(input.has_value());
        REQUIRE(input->findings.size() == 1);
        REQUIRE(input->findings[0].location.has_value());
        CHECK(input->findings[0].location->line == 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n')));
    }
}
