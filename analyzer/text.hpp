// Text helpers shared by every producer of findings: identifiers in the SQL dbadvise writes
// (CREATE INDEX, ANALYZE, rewrites), trimming, and statement excerpts for messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dbadvise::analyzer {

/// `name` as a PostgreSQL identifier: unchanged when it is a lower-case plain name that is not
/// a reserved keyword, else in double quotes with embedded quotes doubled. A name holding a
/// character a terminal obeys or that reorders text (util::terminal_unsafe: ESC, a line break,
/// a bidirectional override) is written as a Unicode-escaped identifier, U&"evil\001b[2J", so
/// that the SQL dbadvise prints names the same object, stays on one line and can be shown in a
/// terminal, Markdown or HTML without changing.
std::string quote_identifier(std::string_view name);

/// `text` as an SQL string literal ('...' with embedded quotes doubled; standard conforming
/// strings). Text holding a character a terminal obeys is written U&'...' escaped, as
/// quote_identifier does.
std::string quote_literal(std::string_view text);

/// `text` without ASCII white space at either end.
std::string_view trim(std::string_view text);

/// `text` on one line (runs of white space become one space), cut after `max_chars`
/// characters (never inside a UTF-8 sequence) with "..." appended when it was longer.
std::string excerpt(std::string_view text, std::size_t max_chars);

} // namespace dbadvise::analyzer
