// Text that is safe to print on a terminal. Query texts, identifiers, server messages and
// input files can carry bytes a terminal obeys rather than shows: ESC sequences that set the
// window title, clear the screen or move the cursor, C1 controls (U+009B is a CSI on its own
// in many terminals) and bidirectional overrides that make text read differently from what
// it is (CVE-2021-42574, "Trojan Source"). Every byte of such text goes through here before
// dbadvise prints it as text; JSON output keeps strings exact (JSON escapes control
// characters itself).
#pragma once

#include <string>
#include <string_view>

namespace dbadvise::util {

struct TerminalSafeOptions {
    bool keep_newline = false; // pass '\n' through (multi-line blocks the caller lays out)
    bool keep_tab = false;     // pass '\t' through
};

/// `text` with every control character replaced by a visible escape: C0 controls and DEL as
/// `\xNN` (`\n`, `\r`, `\t` as themselves when not kept), C1 controls, the bidirectional
/// embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069), the marks
/// U+200E, U+200F and U+061C, and the line and paragraph separators U+2028/U+2029 as
/// `\u{NNNN}`; bytes that are not well-formed UTF-8 as `\xNN`. Other text, including
/// printable non-ASCII, is unchanged. Returns the text unchanged (one copy) when nothing needs
/// escaping.
std::string terminal_safe(std::string_view text, TerminalSafeOptions options = {});

/// True for a code point terminal_safe escapes: C0 controls, DEL, C1 controls and the
/// bidirectional and separator code points listed above.
bool terminal_unsafe(char32_t code_point);

/// True when terminal_safe would change `text`.
bool needs_terminal_escaping(std::string_view text, TerminalSafeOptions options = {});

} // namespace dbadvise::util
