// Entities for the characters HTML reads in text and attribute values, shared by the HTML
// report and the HTML elements of the Markdown report (<summary>, <details>).
#pragma once

#include <string>
#include <string_view>

namespace dbadvise::reports {

/// `text` with &, <, >, " and ' as entities; every other byte as it is (the callers make
/// control characters visible first).
std::string html_escape(std::string_view text);

} // namespace dbadvise::reports
