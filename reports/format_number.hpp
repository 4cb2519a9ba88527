// Number formatting shared by the report formats, so every format rounds the same way and
// output stays byte-for-byte stable across runs and machines.
#pragma once

#include <string>

namespace dbadvise::reports {

/// `value` rounded half away from zero to 3 decimals (the JSON report's fixed precision).
/// Non-finite values are returned unchanged.
double round3(double value);

/// `value` with at most 3 decimals and no trailing zeros: 12.5, 0.001, 42. "NaN" / "inf" for
/// non-finite values.
std::string format_number(double value);

/// `value` with exactly `decimals` decimals (for aligned columns).
std::string format_fixed(double value, int decimals);

} // namespace dbadvise::reports
