// Timestamps as PostgreSQL prints them (DateStyle ISO), read into microseconds since the
// Unix epoch so that captures can be ordered whatever the zone they were printed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dbadvise::analyzer {

/// Microseconds since 1970-01-01 00:00:00 UTC of "2025-03-01 12:34:56.789+00" and its
/// variants: a date alone, 'T' between date and time, a fraction of up to 6 digits, and a
/// zone of Z, +HH, +HHMM or +HH:MM[:SS] (no zone: UTC). nullopt for anything else.
std::optional<std::int64_t> parse_timestamp_us(std::string_view text);

} // namespace dbadvise::analyzer
