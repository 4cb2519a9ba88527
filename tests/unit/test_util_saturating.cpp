// Counter sums from outside input hold at the int64 range's ends instead of overflowing.
#include "util/saturating.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

using dbadvise::util::saturating_add;

TEST_CASE("saturating_add") {
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    CHECK(saturating_add(2, 3) == 5);
    CHECK(saturating_add(-2, 3) == 1);
    CHECK(saturating_add(9'000'000'000'000'000'000, 9'000'000'000'000'000'000) == max);
    CHECK(saturating_add(max, 1) == max);
    CHECK(saturating_add(min, -1) == min);
    CHECK(saturating_add(max, min) == -1);
    // Several terms: held once past the end, and a later negative term starts from there.
    CHECK(saturating_add(1, 2, 3, 4) == 10);
    CHECK(saturating_add(max, max, max, 0) == max);
    CHECK(saturating_add(max, 1, -1) == max - 1);
    static_assert(saturating_add(max, max) == max);
}
