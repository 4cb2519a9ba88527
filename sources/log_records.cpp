#include "sources/log_records.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace dbadvise::sources {

// --- fields of a line ---

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Eight bytes of a pattern where a 'd' stands for any decimal digit and any other byte for
// itself, as masks to check eight bytes of a line at once, as every log line asks.
struct Pattern8 {
    std::uint64_t digits = 0;   // 0xFF where the pattern has a digit
    std::uint64_t expected = 0; // the pattern's other bytes, '0' (0x30) where it has a digit
};

consteval Pattern8 pattern8(const char (&pattern)[9]) {
    Pattern8 out;
    for (int i = 0; i < 8; ++i) {
        const bool digit = pattern[i] == 'd';
        out.digits |= std::uint64_t{digit ? 0xFFu : 0u} << (8 * i);
        out.expected |= std::uint64_t{static_cast<unsigned char>(digit ? '0' : pattern[i])} << (8 * i);
    }
    return out;
}

[[gnu::always_inline]] inline bool matches(const char* p, Pattern8 pattern) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, 8);
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    constexpr std::uint64_t high = 0xF0F0F0F0F0F0F0F0ULL;
    constexpr std::uint64_t six = 0x0606060606060606ULL;
    // Digits are 0x30-0x39: their high half is 3, and adding 6 to one keeps it 3 (no carry
    // out of the byte, its high half being 3 already).
    if (((word & ~pattern.digits) | (word & pattern.digits & high)) != pattern.expected) return false;
    return (((word & pattern.digits) + (six & pattern.digits)) & pattern.digits & high) ==
           (pattern.expected & pattern.digits);
}

} // namespace

bool starts_with_timestamp(std::string_view line) {
    // 2024-01-02 03:04:05 (and .123, a zone, an epoch in %n form is not detected)
    if (line.size() < 19) return false;
    static constexpr Pattern8 k_date = pattern8("dddd-dd-");
    static constexpr Pattern8 k_time = pattern8("dd dd:dd");
    return matches(line.data(), k_date) && matches(line.data() + 8, k_time) &&
           line[16] == ':' && is_digit(line[17]) && is_digit(line[18]);
}

std::optional<double> parse_log_number(std::string_view text) {
    // The usual duration, `12.345`: up to 15 digits are an exact integer and a power of ten up
    // to 10^22 an exact double, so one division gives the correctly rounded value, as
    // from_chars does (Clinger's fast path), at a fraction of its cost.
    static constexpr std::array<double, 16> k_tens = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (!text.empty() && text.size() <= 16 && is_digit(text.front()) && is_digit(text.back())) {
        std::uint64_t mantissa = 0;
        std::size_t digits = 0;
        std::size_t point = text.size(); // where the '.' is
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (is_digit(text[i])) {
                mantissa = mantissa * 10 + static_cast<std::uint64_t>(text[i] - '0');
                ++digits;
            } else if (text[i] == '.' && point == text.size()) {
                point = i;
            } else {
                digits = 0; // not the usual form: from_chars reads it
                break;
            }
        }
        if (digits > 0 && digits <= 15) {
            const std::size_t fraction = point == text.size() ? 0 : text.size() - point - 1;
            return static_cast<double>(mantissa) / k_tens[fraction];
        }
    }
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || std::signbit(value))
        return std::nullopt;
    return value;
}

std::optional<std::int64_t> parse_log_duration_ns(std::string_view text) {
    static constexpr std::array<std::int64_t, 7> k_ns_per_digit = {1000000, 100000, 10000, 1000, 100, 10, 1};
    const char* p = text.data();
    const std::size_t n = text.size();
    const auto digit = [p](std::size_t at) { return static_cast<unsigned>(static_cast<unsigned char>(p[at])) - '0'; };
    // The server's own form, `%.3f`: three digits after the point, up to twelve before it.
    if (n >= 5 && n <= 16 && p[n - 4] == '.' && digit(n - 3) < 10 && digit(n - 2) < 10 && digit(n - 1) < 10) {
        std::int64_t ms = 0;
        std::size_t k = 0;
        for (; k < n - 4 && digit(k) < 10; ++k) ms = ms * 10 + digit(k);
        if (k == n - 4) return ms * 1000000 + (digit(n - 3) * 100 + digit(n - 2) * 10 + digit(n - 1)) * 1000;
    }
    std::size_t i = 0;
    std::int64_t whole = 0;
    while (i < n && i < 13 && is_digit(p[i])) whole = whole * 10 + (p[i++] - '0');
    if (i > 0 && i <= 12) {
        if (i == n) return whole * 1000000;
        if (p[i] == '.' && n - i - 1 <= 6 && n - i - 1 > 0) {
            std::int64_t fraction = 0;
            std::size_t k = i + 1;
            for (; k < n && is_digit(p[k]); ++k) fraction = fraction * 10 + (p[k] - '0');
            if (k == n) return whole * 1000000 + fraction * k_ns_per_digit[n - i - 1];
        }
    }
    // Any other form parse_log_number reads: 1., .5, 1e3, long numbers.
    const std::optional<double> ms = parse_log_number(text);
    if (!ms) return std::nullopt;
    return ms_to_ns(*ms);
}

std::int64_t ms_to_ns(double ms) {
    constexpr double k_most = 9.0e18; // some 290 years
    const double ns = ms * 1e6;
    return ns >= k_most ? static_cast<std::int64_t>(k_most) : std::llround(ns);
}


// --- lines ---

LineReader::LineReader(std::istream& in, std::size_t block_bytes, std::size_t limit)
    : m_in(in), m_block_bytes(std::max<std::size_t>(block_bytes, 1)), m_left(limit),
      m_data(new char[2 * m_block_bytes]), m_capacity(2 * m_block_bytes) {}

// Reads one more block after m_end, first moving what is not handed out yet ([m_begin, m_end))
// to the front, and growing the buffer when a block does not fit after it (a line longer than
// a block). False when the stream has nothing more.
bool LineReader::fill() {
    if (m_eof) return false;
    const std::size_t kept = m_end - m_begin;
    if (m_begin > 0) {
        if (kept > 0) std::memmove(m_data.get(), m_data.get() + m_begin, kept);
        m_begin = 0;
        m_end = kept;
    }
    if (m_capacity - m_end < m_block_bytes) {
        const std::size_t capacity = std::max(2 * m_capacity, m_end + m_block_bytes);
        std::unique_ptr<char[]> data(new char[capacity]);
        if (m_end > 0) std::memcpy(data.get(), m_data.get(), m_end);
        m_data = std::move(data);
        m_capacity = capacity;
    }
    const std::size_t wanted = std::min(m_block_bytes, m_left);
    if (wanted == 0) {
        m_eof = true;
        return false;
    }
    m_in.read(m_data.get() + m_end, static_cast<std::streamsize>(wanted));
    const auto got = static_cast<std::size_t>(m_in.gcount());
    m_end += got;
    m_left -= got;
    if (got < wanted) m_eof = true; // a short read: the end, or an I/O error (bad())
    return got > 0;
}

// The offset (from m_begin) of the first newline at or after `from` (also from m_begin),
// reading on until there is one; npos when the stream ends first.
std::size_t LineReader::newline_after(std::size_t from) {
    for (;;) {
        const std::size_t available = m_end - m_begin;
        if (from < available) {
            const char* start = m_data.get() + m_begin;
            const void* found = std::memchr(start + from, '\n', available - from);
            if (found != nullptr) return static_cast<std::size_t>(static_cast<const char*>(found) - start);
        }
        from = std::max(from, available);
        if (!fill()) return std::string_view::npos;
    }
}

bool LineReader::next(std::string_view& line) {
    const std::size_t end = newline_after(0);
    if (end == std::string_view::npos && m_begin == m_end) return false;
    const std::size_t after = end == std::string_view::npos ? m_end - m_begin : end + 1;
    // The next line's first byte, for next_byte(), read before the view is taken (reading may
    // move the block).
    if (end != std::string_view::npos && m_begin + after == m_end) fill();
    m_raw = std::string_view(m_data.get() + m_begin, after);
    line = std::string_view(m_data.get() + m_begin, end == std::string_view::npos ? m_end - m_begin : end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    m_begin += after;
    ++m_number;
    return true;
}

void LineReader::rest(std::string& out) {
    out.append(m_data.get() + m_begin, m_end - m_begin);
    m_begin = m_end;
    while (fill()) {
        out.append(m_data.get() + m_begin, m_end - m_begin);
        m_begin = m_end;
    }
}

// --- csvlog ---

void split_csv_record(std::string_view record, std::vector<std::string_view>& fields) {
    fields.clear();
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < record.size()) {
        const char c = record[i];
        if (c == ',') {
            fields.push_back(record.substr(start, i - start));
            start = ++i;
        } else if (c == '"') {
            // A quoted stretch: up to the quote that is not doubled (or the end).
            for (++i;; i += 2) {
                i = record.find('"', i);
                if (i == std::string_view::npos) {
                    i = record.size();
                    break;
                }
                if (i + 1 >= record.size() || record[i + 1] != '"') {
                    ++i;
                    break;
                }
            }
        } else {
            ++i;
        }
    }
    fields.push_back(record.substr(start));
}

std::string_view csv_field_value(std::string_view raw, std::string& scratch) {
    if (raw.find('"') == std::string_view::npos) return raw;
    if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"' &&
        raw.substr(1, raw.size() - 2).find('"') == std::string_view::npos)
        return raw.substr(1, raw.size() - 2);
    scratch.clear();
    bool quoted = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c != '"') {
            scratch += c;
        } else if (!quoted) {
            quoted = true;
        } else if (i + 1 < raw.size() && raw[i + 1] == '"') {
            scratch += '"';
            ++i;
        } else {
            quoted = false;
        }
    }
    return scratch;
}

// --- jsonlog ---

namespace {

// A JSON text scanned from `at`: every function returns false for anything it does not read
// exactly as a JSON parser does (the caller declines the line then).
class JsonScanner {
public:
    explicit JsonScanner(std::string_view text) : m_text(text) {}

    void skip_space() {
        while (m_at < m_text.size() &&
               (m_text[m_at] == ' ' || m_text[m_at] == '\t' || m_text[m_at] == '\n' || m_text[m_at] == '\r'))
            ++m_at;
    }
    bool take(char c) {
        skip_space();
        if (m_at >= m_text.size() || m_text[m_at] != c) return false;
        ++m_at;
        return true;
    }
    [[nodiscard]] bool at_end() {
        skip_space();
        return m_at == m_text.size();
    }
    [[nodiscard]] char peek() {
        skip_space();
        return m_at < m_text.size() ? m_text[m_at] : '\0';
    }

    // A string; its value in `value`: a view into the text, or into `scratch` when it has
    // escapes (with `scratch` null, the raw text between the quotes).
    bool string(std::string_view& value, std::string* scratch) {
        if (!take('"')) return false;
        const std::size_t begin = m_at;
        bool escaped = false;
        for (;;) {
            skip_plain();
            if (m_at >= m_text.size()) return false;
            const auto c = static_cast<unsigned char>(m_text[m_at]);
            if (c == '"') break;
            if (c < 0x20) return false; // control characters must be escaped
            if (c == '\\') {
                escaped = true;
                if (!skip_escape()) return false;
            } else if (c >= 0x80) {
                if (!skip_utf8()) return false;
            } else {
                ++m_at;
            }
        }
        const std::string_view raw = m_text.substr(begin, m_at - begin);
        ++m_at; // the closing quote
        if (!escaped || scratch == nullptr) {
            value = raw; // (escapes left as they are when there is nowhere to decode them)
            return true;
        }
        decode(raw, *scratch);
        value = *scratch;
        return true;
    }

    // A number as JSON writes it, without an exponent (a JSON parser may refuse one that
    // overflows) and with at most 18 digits before the point (it stays an integer).
    bool number(std::string_view& text, bool& integer) {
        skip_space();
        const std::size_t begin = m_at;
        if (m_at < m_text.size() && m_text[m_at] == '-') ++m_at;
        const std::size_t digits = m_at;
        while (m_at < m_text.size() && is_digit(m_text[m_at])) ++m_at;
        const std::size_t count = m_at - digits;
        if (count == 0 || count > 18 || (count > 1 && m_text[digits] == '0')) return false;
        integer = true;
        if (m_at < m_text.size() && m_text[m_at] == '.') {
            integer = false;
            const std::size_t fraction = ++m_at;
            while (m_at < m_text.size() && is_digit(m_text[m_at])) ++m_at;
            if (m_at == fraction) return false;
        }
        if (m_at < m_text.size() && (m_text[m_at] == 'e' || m_text[m_at] == 'E')) return false;
        text = m_text.substr(begin, m_at - begin);
        return true;
    }

    bool word(std::string_view word) {
        skip_space();
        if (m_text.substr(m_at, word.size()) != word) return false;
        m_at += word.size();
        return true;
    }

private:
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    // Skips the bytes of a string that need no look, eight at a time: printable ASCII other
    // than a quote or a backslash (most of a log's text).
    void skip_plain() {
        constexpr std::uint64_t ones = 0x0101010101010101ULL;
        constexpr std::uint64_t highs = 0x8080808080808080ULL;
        const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
        while (m_at + 8 <= m_text.size()) {
            std::uint64_t v = 0;
            std::memcpy(&v, m_text.data() + m_at, 8);
            const std::uint64_t special = (v & highs) | ((v - ones * 0x20) & ~v & highs) |
                                          has_zero(v ^ (ones * '"')) | has_zero(v ^ (ones * '\\'));
            if (special != 0) return;
            m_at += 8;
        }
    }

    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    // Four hex digits at `at`, or -1.
    [[nodiscard]] long code_unit(std::size_t at) const {
        if (at + 4 > m_text.size()) return -1;
        long value = 0;
        for (std::size_t i = at; i < at + 4; ++i) {
            const int digit = hex(m_text[i]);
            if (digit < 0) return -1;
            value = value * 16 + digit;
        }
        return value;
    }

    bool skip_escape() {
        if (m_at + 1 >= m_text.size()) return false;
        const char kind = m_text[m_at + 1];
        if (kind != 'u') {
            if (std::string_view("\"\\/bfnrt").find(kind) == std::string_view::npos) return false;
            m_at += 2;
            return true;
        }
        const long unit = code_unit(m_at + 2);
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return false; // a lone low surrogate
        m_at += 6;
        if (unit >= 0xD800 && unit <= 0xDBFF) { // a high surrogate: its low one must follow
            if (m_at + 1 >= m_text.size() || m_text[m_at] != '\\' || m_text[m_at + 1] != 'u') return false;
            const long low = code_unit(m_at + 2);
            if (low < 0xDC00 || low > 0xDFFF) return false;
            m_at += 6;
        }
        return true;
    }

    // One well-formed UTF-8 sequence (util::decode_utf8: no overlong forms, no surrogates,
    // nothing above U+10FFFF, as the JSON parser requires).
    bool skip_utf8() {
        const std::optional<util::CodePoint> code = util::decode_utf8(m_text.substr(m_at));
        if (!code) return false;
        m_at += code->length;
        return true;
    }

    // A checked string's raw bytes with their escapes decoded.
    static void decode(std::string_view raw, std::string& out) {
        out.clear();
        const auto unit = [&raw](std::size_t at) {
            unsigned long value = 0;
            for (std::size_t i = at; i < at + 4; ++i) value = value * 16 + static_cast<unsigned long>(hex(raw[i]));
            return value;
        };
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '\\') {
                out += raw[i];
                continue;
            }
            const char kind = raw[++i];
            switch (kind) {
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned long code = unit(i + 1);
                i += 4;
                if (code >= 0xD800 && code <= 0xDBFF) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (unit(i + 3) - 0xDC00);
                    i += 6;
                }
                util::append_utf8(out, static_cast<char32_t>(code));
                break;
            }
            default: out += kind; break; // " \ /
            }
        }
    }

    std::string_view m_text;
    std::size_t m_at = 0;
};

} // namespace

bool scan_jsonlog_line(std::string_view line, JsonlogFields& fields, std::array<std::string, 4>& scratch) {
    fields = {};
    JsonScanner json(line);
    if (!json.take('{')) return false;
    if (json.peek() == '}') {
        json.take('}');
        return json.at_end();
    }
    for (;;) {
        std::string_view key;
        if (!json.string(key, nullptr)) return false;
        if (key.find('\\') != std::string_view::npos) return false; // (a raw view: escapes undecoded)
        if (!json.take(':')) return false;
        std::optional<std::string_view>* wanted = nullptr;
        std::string* into = nullptr;
        if (key == "error_severity") {
            wanted = &fields.severity;
            into = &scratch[0];
        } else if (key == "message") {
            wanted = &fields.message;
            into = &scratch[1];
        } else if (key == "detail") {
            wanted = &fields.detail;
            into = &scratch[2];
        } else if (key == "pid") {
            wanted = &fields.pid;
            into = &scratch[3];
        }
        const char first = json.peek();
        if (first == '"') {
            std::string_view value;
            // A key given twice: the parser keeps the last value, and so does this.
            if (!json.string(value, into)) return false;
            if (wanted != nullptr) *wanted = value;
        } else if (first == '-' || (first >= '0' && first <= '9')) {
            std::string_view number;
            bool integer = false;
            if (!json.number(number, integer)) return false;
            if (wanted == &fields.pid && integer && number != "-0") {
                fields.pid = number;
            } else if (wanted != nullptr) {
                return false; // not a string where one is expected: the parser reports it
            }
        } else if (json.word("true") || json.word("false") || json.word("null")) {
            if (wanted != nullptr) return false;
        } else {
            return false; // an object, an array, or not JSON
        }
        if (json.take(',')) continue;
        if (!json.take('}')) return false;
        return json.at_end();
    }
}

} // namespace dbadvise::sources
