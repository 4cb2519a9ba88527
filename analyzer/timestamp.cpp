#include "analyzer/timestamp.hpp"

#include <cctype>

namespace dbadvise::analyzer {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

class Cursor {
public:
    explicit Cursor(std::string_view text) : m_text(text) {}
    bool done() const { return m_at >= m_text.size(); }
    char peek() const { return done() ? '\0' : m_text[m_at]; }
    bool take(char c) {
        if (peek() != c)
            return false;
        ++m_at;
        return true;
    }
    // Exactly `digits` decimal digits.
    std::optional<int> number(int digits) {
        int value = 0;
        for (int i = 0; i < digits; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(peek())))
                return std::nullopt;
            value = value * 10 + (m_text[m_at++] - '0');
        }
        return value;
    }
    bool digit() const { return std::isdigit(static_cast<unsigned char>(peek())) != 0; }

private:
    std::string_view m_text;
    std::size_t m_at = 0;
};

} // namespace

std::optional<std::int64_t> parse_timestamp_us(std::string_view text) {
    Cursor in(text);
    const auto year = in.number(4);
    if (!year || !in.take('-'))
        return std::nullopt;
    const auto month = in.number(2);
    if (!month || !in.take('-'))
        return std::nullopt;
    const auto day = in.number(2);
    if (!day || *month < 1 || *month > 12 || *day < 1 || *day > 31)
        return std::nullopt;
    std::int64_t seconds =
        days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400;
    std::int64_t micros = 0;
    if (in.take(' ') || in.take('T')) {
        const auto hour = in.number(2);
        if (!hour || !in.take(':'))
            return std::nullopt;
        const auto minute = in.number(2);
        if (!minute || !in.take(':'))
            return std::nullopt;
        const auto second = in.number(2);
        if (!second || *hour > 24 || *minute > 59 || *second > 60)
            return std::nullopt;
        seconds += *hour * 3600 + *minute * 60 + *second;
        if (in.take('.')) {
            int digits = 0;
            while (in.digit()) {
                const int d = *in.number(1);
                if (digits < 6)
                    micros = micros * 10 + d;
                ++digits;
            }
            if (digits == 0)
                return std::nullopt;
            for (int i = digits; i < 6; ++i)
                micros *= 10;
        }
    }
    if (in.take('Z')) {
        // UTC
    } else if (in.peek() == '+' || in.peek() == '-') {
        const bool ahead = in.take('+');
        if (!ahead)
            in.take('-');
        const auto hours = in.number(2);
        if (!hours)
            return std::nullopt;
        int minutes = 0;
        int secs = 0;
        const bool colon = in.take(':');
        if (colon || in.digit()) {
            const auto m = in.number(2);
            if (!m)
                return std::nullopt;
            minutes = *m;
            if (in.take(':')) {
                const auto s = in.number(2);
                if (!s)
                    return std::nullopt;
                secs = *s;
            }
        }
        const std::int64_t offset = *hours * 3600 + minutes * 60 + secs;
        seconds += ahead ? -offset : offset;
    }
    if (!in.done())
        return std::nullopt;
    return seconds * 1'000'000 + micros;
}

} // namespace dbadvise::analyzer
