// Sums of counters that come from outside (a server's statistics, a snapshot file, a pasted
// plan): a sum past the int64 range is held at its end instead of overflowing, which is
// undefined behaviour (UBSan found it in a plan's buffer counts: 9e18 + 9e18).
#pragma once

#include <cstdint>
#include <limits>

namespace dbadvise::util {

constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return a > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    }
    return sum;
}

template <class... Rest>
constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b, Rest... rest) {
    return saturating_add(saturating_add(a, b), static_cast<std::int64_t>(rest)...);
}

} // namespace dbadvise::util
