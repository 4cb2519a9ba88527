#include "util/terminal.hpp"

#include "util/utf8.hpp"

#include <cstdio>

namespace dbadvise::util {

namespace {

bool unsafe_code_point(char32_t c) {
    return (c >= 0x80 && c <= 0x9F) ||        // C1 controls
           c == 0x061C ||                     // ARABIC LETTER MARK
           c == 0x200E || c == 0x200F ||      // LEFT-TO-RIGHT / RIGHT-TO-LEFT MARK
           (c >= 0x202A && c <= 0x202E) ||    // embeddings and overrides
           (c >= 0x2066 && c <= 0x2069) ||    // isolates
           c == 0x2028 || c == 0x2029;        // line and paragraph separators
}

bool kept(unsigned char c, const TerminalSafeOptions& options) {
    return (c == '\n' && options.keep_newline) || (c == '\t' && options.keep_tab);
}

void escape_byte(std::string& out, unsigned char c) {
    switch (c) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
    }
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
    out += buffer;
}

// Calls `on_unsafe(position, length, code point or -1 for a bad byte)` for each piece that must
// be escaped; returns false as soon as it returns false.
template <typename F> void scan(std::string_view text, const TerminalSafeOptions& options, F&& on_piece) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            const bool control = (c < 0x20 || c == 0x7F) && !kept(c, options);
            if (!on_piece(i, 1, control ? static_cast<long>(c) : -2)) {
                return;
            }
            ++i;
            continue;
        }
        const std::optional<CodePoint> point = decode_utf8(text.substr(i));
        if (!point) {
            if (!on_piece(i, 1, -1)) {
                return;
            }
            ++i;
            continue;
        }
        if (!on_piece(i, point->length, unsafe_code_point(point->value) ? static_cast<long>(point->value) : -2)) {
            return;
        }
        i += point->length;
    }
}

} // namespace

bool terminal_unsafe(char32_t code_point) {
    return code_point < 0x20 || code_point == 0x7F || unsafe_code_point(code_point);
}

bool needs_terminal_escaping(std::string_view text, TerminalSafeOptions options) {
    bool found = false;
    scan(text, options, [&](std::size_t, std::size_t, long kind) {
        found = kind != -2;
        return !found;
    });
    return found;
}

std::string terminal_safe(std::string_view text, TerminalSafeOptions options) {
    if (!needs_terminal_escaping(text, options)) {
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size() + 16);
    scan(text, options, [&](std::size_t at, std::size_t length, long kind) {
        if (kind == -2) {
            out.append(text.substr(at, length));
        } else if (kind == -1 || kind < 0x80) {
            escape_byte(out, static_cast<unsigned char>(text[at]));
        } else {
            char buffer[16];
            std::snprintf(buffer, sizeof buffer, "\\u{%04lx}", static_cast<unsigned long>(kind));
            out += buffer;
        }
        return true;
    });
    return out;
}

} // namespace dbadvise::util
