#include "reports/format_number.hpp"

#include <cmath>
#include <fmt/format.h>

namespace dbadvise::reports {

double round3(double value) {
    if (!std::isfinite(value)) {
        return value;
    }
    const double rounded = std::round(value * 1000.0) / 1000.0;
    // -0.0 would print as "-0" in text and "-0.0" in JSON; a rounded-away tiny negative is 0.
    return rounded == 0.0 ? 0.0 : rounded;
}

std::string format_number(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "inf" : "-inf";
    }
    std::string text = fmt::format("{:.3f}", round3(value));
    while (text.back() == '0') {
        text.pop_back();
    }
    if (text.back() == '.') {
        text.pop_back();
    }
    return text;
}

std::string format_fixed(double value, int decimals) {
    if (!std::isfinite(value)) {
        return format_number(value);
    }
    std::string text = fmt::format("{:.{}f}", value, decimals);
    if (text.find_first_not_of("-0.") == std::string::npos && text.front() == '-') {
        text.erase(0, 1);
    }
    return text;
}

} // namespace dbadvise::reports
