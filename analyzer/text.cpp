#include "analyzer/text.hpp"

#include "util/terminal.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace dbadvise::analyzer {

namespace {

// Keywords PostgreSQL reserves (RESERVED_KEYWORD and TYPE_FUNC_NAME_KEYWORD in kwlist.h): as
// bare identifiers they are syntax errors or change meaning, so they must be quoted. Sorted
// for binary search.
constexpr std::array<std::string_view, 101> k_reserved = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group",
    "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join",
    "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural",
    "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps",
    "placing", "primary", "references", "returning", "right", "select", "session_user",
    "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when",
    "where", "window", "with",
};

bool is_plain_identifier(std::string_view name) {
    if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
        if (!ok) {
            return false;
        }
    }
    return !std::binary_search(k_reserved.begin(), k_reserved.end(), name);
}

// U&"..." (quote '"', an identifier) or U&'...' (quote '\'', a string): PostgreSQL's Unicode
// escapes (\XXXX, \+XXXXXX) for the code points a terminal obeys, a backslash doubled, the
// quote doubled; everything else as it is.
std::string unicode_escaped(std::string_view name, char quote) {
    std::string out = "U&";
    out += quote;
    std::size_t i = 0;
    while (i < name.size()) {
        const std::optional<util::CodePoint> point = util::decode_utf8(name.substr(i));
        if (!point) {
            // Not UTF-8 (a server in another encoding): the byte as it is, as plain quoting does.
            out += name[i++];
            continue;
        }
        if (util::terminal_unsafe(point->value)) {
            out += point->value <= 0xFFFF ? fmt::format("\\{:04X}", static_cast<std::uint32_t>(point->value))
                                          : fmt::format("\\+{:06X}", static_cast<std::uint32_t>(point->value));
        } else if (point->value == '\\') {
            out += "\\\\";
        } else if (point->value == static_cast<char32_t>(quote)) {
            out += quote;
            out += quote;
        } else {
            out.append(name.substr(i, point->length));
        }
        i += point->length;
    }
    out += quote;
    return out;
}

// A code point a terminal obeys (C0, DEL, C1, bidirectional overrides). Bytes that are not
// UTF-8 do not count: quoting keeps them as written (a server in another encoding).
bool has_terminal_control(std::string_view name) {
    std::size_t i = 0;
    while (i < name.size()) {
        const std::optional<util::CodePoint> point = util::decode_utf8(name.substr(i));
        if (!point) {
            ++i;
            continue;
        }
        if (util::terminal_unsafe(point->value)) return true;
        i += point->length;
    }
    return false;
}

} // namespace

std::string quote_identifier(std::string_view name) {
    if (is_plain_identifier(name)) {
        return std::string(name);
    }
    if (has_terminal_control(name)) {
        return unicode_escaped(name, '"');
    }
    std::string out = "\"";
    for (const char c : name) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    out += '"';
    return out;
}

std::string quote_literal(std::string_view text) {
    if (has_terminal_control(text)) return unicode_escaped(text, '\'');
    std::string out = "'";
    for (const char c : text) {
        out += c;
        if (c == '\'') out += '\'';
    }
    return out + "'";
}

std::string_view trim(std::string_view text) {
    const auto space = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (!text.empty() && space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string excerpt(std::string_view text, std::size_t max_chars) {
    std::string flat;
    bool space = false;
    for (const char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = !flat.empty();
            continue;
        }
        if (space) {
            flat += ' ';
            space = false;
        }
        flat += c;
    }
    // Cut on a character boundary: never inside a UTF-8 sequence.
    std::size_t chars = 0;
    for (std::size_t i = 0; i < flat.size(); ++i) {
        if ((static_cast<unsigned char>(flat[i]) & 0xC0) != 0x80) {
            if (chars == max_chars) {
                return flat.substr(0, i) + "...";
            }
            ++chars;
        }
    }
    return flat;
}

} // namespace dbadvise::analyzer
