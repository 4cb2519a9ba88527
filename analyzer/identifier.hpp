// Identifiers in the SQL dbadvise writes (CREATE INDEX, ANALYZE, rewrites, messages): one
// quoting rule for every producer.
#pragma once

#include <string>
#include <string_view>

namespace dbadvise::analyzer {

/// `name` as a PostgreSQL identifier: unchanged when it is a lower-case plain name that is not
/// a reserved keyword, else in double quotes with embedded quotes doubled.
std::string quote_identifier(std::string_view name);

} // namespace dbadvise::analyzer
