// The pieces of a server log read fast, for sources/query_input: lines handed out as views
// into large blocks of the stream (no copy per line), csvlog records split into fields
// without building a string per field, and jsonlog lines scanned for the four fields the
// reader needs without building a JSON document.
//
// A log is mostly records a reader needs a few fields of, so the general parsers (a string
// per CSV field, a JSON tree per line) cost more than everything else the reader does. The
// scanners here are exact where they answer: split_csv_record and csv_field_value give what
// a character-by-character CSV reader gives, and scan_jsonlog_line either gives what a JSON
// parser gives or declines (anything but a flat object of strings, plain numbers, booleans
// and nulls), and the caller then parses the line with a full JSON parser. The fuzz target
// fuzz/query_log.cpp checks both against the general readers.
#pragma once
#include <array>
#include <cstdint>
#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sources {

/// Whether `line` starts with a timestamp `YYYY-MM-DD HH:MM:SS` (digits checked, not dates),
/// as log_line_prefix's %m and %t and csvlog's first field do.
bool starts_with_timestamp(std::string_view line);

/// A non-negative decimal number of a log (a duration's milliseconds, a weight): what
/// std::from_chars reads, or nullopt for anything else, a negative (-0 too) or not finite number, or
/// trailing bytes. The usual `12.345` is read without from_chars, with the same result.
std::optional<double> parse_log_number(std::string_view text);

/// A duration in milliseconds as whole nanoseconds, as log readers sum them: nullopt where
/// parse_log_number gives nullopt. The usual form, up to 12 digits before the point and 6
/// after it (the server writes `12.345`), is read exactly, with integers only; any other form
/// is parse_log_number's value rounded to the nearest nanosecond (ms_to_ns), which above some
/// 10^9 ms may be off the exact value by the double's precision.
std::optional<std::int64_t> parse_log_duration_ns(std::string_view text);

/// Milliseconds (not negative) as whole nanoseconds, rounded to the nearest, at most 9e18.
std::int64_t ms_to_ns(double ms);

/// Lines of a stream, read in blocks. A line is a view into the block, valid until the next
/// call to next(); a carriage return before the newline is not part of it. The first byte
/// after the line handed out is in the block as well (or the input has ended), so that
/// next_byte() can look at it: a stderr record's continuation lines follow the record.
class LineReader {
public:
    /// Reads `in` from where it stands, at most `limit` bytes of it (a part of a file).
    explicit LineReader(std::istream& in, std::size_t block_bytes = std::size_t{1} << 20,
                        std::size_t limit = static_cast<std::size_t>(-1));

    /// The next line; false at the end of the input (or on an I/O error: see bad()).
    bool next(std::string_view& line);
    /// The first byte of the line after the one next() gave last, without taking it; -1 at
    /// the end of the input (a stderr record's continuation lines start with a tab).
    [[nodiscard]] int next_byte() const {
        return m_begin < m_end ? static_cast<unsigned char>(m_data[m_begin]) : -1;
    }
    /// The number of the line next() gave last (1 for the first line).
    [[nodiscard]] int number() const { return m_number; }
    /// The line next() gave last as it is in the stream: with its carriage return and newline,
    /// if it has them. Valid as long as that line.
    [[nodiscard]] std::string_view raw() const { return m_raw; }
    [[nodiscard]] bool bad() const { return m_in.bad(); }
    /// Appends everything not handed out yet, as it is in the stream, to `out`.
    void rest(std::string& out);

private:
    std::size_t newline_after(std::size_t from);
    bool fill();

    std::istream& m_in;
    std::size_t m_block_bytes;
    std::size_t m_left; // bytes that may still be read
    std::unique_ptr<char[]> m_data;
    std::size_t m_capacity = 0;
    std::size_t m_begin = 0; // the first byte not handed out
    std::size_t m_end = 0;   // the end of what was read
    bool m_eof = false;
    int m_number = 0;
    std::string_view m_raw;
};

/// The fields of one CSV record (its text, quoted newlines included), each as its raw bytes
/// between the separating commas, quotes and all.
void split_csv_record(std::string_view record, std::vector<std::string_view>& fields);

/// The value of a raw CSV field: quotes removed, a doubled quote inside quotes as one. A view
/// into `raw` when nothing inside needs removing, else built in `scratch`.
std::string_view csv_field_value(std::string_view raw, std::string& scratch);

/// The fields of a jsonlog record that the reader uses, as the JSON parser would give them:
/// error_severity, message and detail when they are strings; pid when it is a string, or an
/// integer (its digits, as the JSON parser writes it back).
struct JsonlogFields {
    std::optional<std::string_view> severity;
    std::optional<std::string_view> message;
    std::optional<std::string_view> detail;
    std::optional<std::string_view> pid;
};

/// Scans a jsonlog line. True with `fields` set when the line is one flat JSON object (string,
/// plain number, boolean and null values) whose four fields above are strings or absent (pid:
/// also an integer); false for anything else, valid JSON or not, which the caller hands to a
/// JSON parser. Views point into `line` or, for strings with escapes, into `scratch`.
bool scan_jsonlog_line(std::string_view line, JsonlogFields& fields, std::array<std::string, 4>& scratch);

} // namespace dbadvise::sources
