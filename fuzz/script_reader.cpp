// Fuzz target: sqlparse::ScriptReader, read whole and read as a stream. The first byte picks
// psql or plain SQL and the size of the chunks the stream arrives in; the rest is the script.
// Reading it in chunks (final = false until the end) must give exactly the items and tokens
// of reading it whole (COPY data may come in several items, joined here), every item must make progress, and spans must stay inside the text.
#include "fuzz/check.hpp"
#include "sqlparse/script_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <string_view>
#include <vector>

namespace {

using dbadvise::sqlparse::ScriptItem;
using dbadvise::sqlparse::ScriptOptions;
using dbadvise::sqlparse::ScriptReader;
using dbadvise::sqlparse::Token;

struct Read {
    std::vector<ScriptItem> items;
    std::vector<Token> tokens;
};

bool same(const ScriptItem& a, const ScriptItem& b) {
    return a.kind == b.kind && a.begin == b.begin && a.end == b.end && a.next == b.next &&
           a.nul_offset == b.nul_offset && a.variables == b.variables &&
           a.holes.size() == b.holes.size() && a.placeholders.size() == b.placeholders.size() &&
           a.quit == b.quit && a.command.begin == b.command.begin &&
           a.command.end == b.command.end && a.command.known == b.command.known;
}

bool same(const Token& a, const Token& b) {
    return a.kind == b.kind && a.begin == b.begin && a.end == b.end;
}

// Adds `item` to `read`, joining COPY data handed out in several items (a reader given part
// of the script hands out the complete lines of a block as they come) into one.
void add_item(Read& read, ScriptItem&& item) {
    if (!read.items.empty() && item.kind == ScriptItem::Kind::copy_data &&
        read.items.back().kind == ScriptItem::Kind::copy_data &&
        read.items.back().next == item.begin) {
        read.items.back().end = item.end;
        read.items.back().next = item.next;
        return;
    }
    read.items.push_back(std::move(item));
}

void check_item(const ScriptItem& item, int from, int size) {
    FUZZ_CHECK(item.next > from);
    FUZZ_CHECK(item.begin >= from && item.begin <= item.end);
    FUZZ_CHECK(item.end <= item.next && item.next <= size);
}

Read read_whole(std::string_view text, ScriptOptions options) {
    Read read;
    ScriptReader reader(options);
    int pos = 0;
    while (pos < static_cast<int>(text.size())) {
        std::optional<ScriptItem> item = reader.next(text, pos, true, &read.tokens);
        if (!item) {
            break;
        }
        check_item(*item, pos, static_cast<int>(text.size()));
        pos = item->next;
        add_item(read, std::move(*item));
    }
    return read;
}

Read read_chunks(std::string_view text, ScriptOptions options, std::size_t chunk) {
    Read read;
    ScriptReader reader(options);
    int pos = 0;
    std::size_t available = 0;
    while (true) {
        available = std::min(text.size(), available + chunk);
        const bool final = available == text.size();
        const std::string_view prefix = text.substr(0, available);
        while (pos < static_cast<int>(prefix.size())) {
            const std::size_t tokens_before = read.tokens.size();
            std::optional<ScriptItem> item = reader.next(prefix, pos, final, &read.tokens);
            if (!item) {
                // Not complete yet: the reader must leave no partial tokens behind.
                read.tokens.resize(tokens_before);
                break;
            }
            check_item(*item, pos, static_cast<int>(prefix.size()));
            pos = item->next;
            add_item(read, std::move(*item));
        }
        if (final) {
            return read;
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const ScriptOptions options{(data[0] & 1) != 0};
    const std::size_t chunk = 1 + (data[0] >> 1);
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const Read whole = read_whole(text, options);
    const Read chunks = read_chunks(text, options, chunk);
    FUZZ_CHECK(whole.items.size() == chunks.items.size());
    for (std::size_t i = 0; i < whole.items.size(); ++i) {
        FUZZ_CHECK(same(whole.items[i], chunks.items[i]));
    }
    FUZZ_CHECK(whole.tokens.size() == chunks.tokens.size());
    for (std::size_t i = 0; i < whole.tokens.size(); ++i) {
        FUZZ_CHECK(same(whole.tokens[i], chunks.tokens[i]));
    }
    return 0;
}
