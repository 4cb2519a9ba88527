#include "util/utf8.hpp"

namespace dbadvise::util {

std::optional<CodePoint> decode_utf8(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const unsigned char lead = bytes[0];
    if (lead < 0x80) {
        return CodePoint{lead, 1};
    }
    std::size_t length = 0;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    char32_t value = 0;
    // Ranges from RFC 3629: they exclude overlong encodings (C0, C1, E0 80..9F, F0 80..8F),
    // UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF).
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        value = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        value = lead & 0x0F;
        if (lead == 0xE0) {
            min_second = 0xA0;
        } else if (lead == 0xED) {
            max_second = 0x9F;
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        value = lead & 0x07;
        if (lead == 0xF0) {
            min_second = 0x90;
        } else if (lead == 0xF4) {
            max_second = 0x8F;
        }
    } else {
        return std::nullopt;
    }
    if (text.size() < length || bytes[1] < min_second || bytes[1] > max_second) {
        return std::nullopt;
    }
    for (std::size_t k = 1; k < length; ++k) {
        if ((bytes[k] & 0xC0) != 0x80) {
            return std::nullopt;
        }
        value = (value << 6) | (bytes[k] & 0x3F);
    }
    return CodePoint{value, length};
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::optional<CodePoint> point = decode_utf8(text.substr(i));
        if (!point) {
            return i;
        }
        i += point->length;
    }
    return std::nullopt;
}

void append_utf8(std::string& out, char32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

} // namespace dbadvise::util
