// SessionTable: a value per session of a server log, for the log reader (query_input.cpp).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sources {

// Up to the first eight bytes of a session, read without a loop: with its length, the
// session itself when it is no longer (the usual pid).
inline std::uint64_t session_head(std::string_view text) {
    const char* bytes = text.data();
    const std::size_t size = text.size();
    if (size >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, bytes, 8);
        return word;
    }
    if (size >= 4) { // two reads that overlap cover every byte
        std::uint32_t low = 0;
        std::uint32_t high = 0;
        std::memcpy(&low, bytes, 4);
        std::memcpy(&high, bytes + size - 4, 4);
        return low | (static_cast<std::uint64_t>(high) << 32);
    }
    const auto byte = [bytes](std::size_t at) { return static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at])); };
    return size == 0 ? 0 : byte(0) | (byte(size / 2) << 8) | (byte(size - 1) << 16);
}

// A hash of the session, whose session_head is `head`.
inline std::uint64_t session_hash(std::string_view text, std::uint64_t head) {
    std::uint64_t hash = (head ^ text.size()) * 0xff51afd7ed558ccdULL;
    for (std::size_t at = 8; at < text.size(); at += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, text.data() + at, std::min<std::size_t>(8, text.size() - at));
        hash = (hash ^ word) * 0xff51afd7ed558ccdULL;
    }
    return hash ^ (hash >> 32);
}

// A value per session (the server process that wrote a record: a pid, a few bytes), looked
// up for nearly every record of a log_statement log: open addressing on a cheap hash. A
// removed entry keeps its place, and its value, for the session's next statement (the caller
// frees what it must not keep); removed entries are dropped once they outnumber the live ones
// by 1,024 (a log of many short connections), so that the entries follow the live ones. A node-based map (an allocation per
// statement, a string hash per lookup) cost a sixth of such a log's read.
template <typename Value>
class SessionTable {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // The live entry of `session`, or npos.
    [[nodiscard]] std::size_t find(std::string_view session) const {
        if (m_live == 0) return npos;
        const std::uint64_t head = session_head(session);
        const std::size_t index = lookup(session, head, session_hash(session, head));
        return index != npos && m_entries[index].live ? index : npos;
    }
    // Makes `session`'s entry live and returns it, its value as it was left when the session
    // had one (else a new value).
    std::size_t insert(std::string_view session) {
        const std::uint64_t head = session_head(session);
        const std::uint64_t hash = session_hash(session, head);
        std::size_t index = lookup(session, head, hash);
        if (index == npos) {
            if (m_entries.size() >= 2 * m_live + k_kept) compact();
            index = m_entries.size();
            m_entries.push_back(Entry{std::string(session), head, hash, Value{}, false});
            if (2 * m_entries.size() > m_slots.size()) {
                rehash(std::max<std::size_t>(64, 4 * m_entries.size()));
            } else {
                place(index);
            }
        }
        if (!m_entries[index].live) {
            m_entries[index].live = true;
            ++m_live;
        }
        return index;
    }
    void remove(std::size_t index) {
        m_entries[index].live = false;
        --m_live;
    }
    Value& operator[](std::size_t index) { return m_entries[index].value; }
    [[nodiscard]] std::size_t size() const { return m_live; }
    // Entries held, live and removed (what its memory follows).
    [[nodiscard]] std::size_t entries() const { return m_entries.size(); }
    [[nodiscard]] bool empty() const { return m_live == 0; }
    // f(session, value) for each live entry.
    template <typename F>
    void for_each(F&& f) {
        for (Entry& entry : m_entries) {
            if (entry.live) f(std::string_view(entry.session), entry.value);
        }
    }
    void clear() {
        for (Entry& entry : m_entries) entry.live = false;
        m_live = 0;
    }

private:
    static constexpr std::size_t k_kept = 1024; // removed entries kept at least
    struct Entry {
        std::string session;
        std::uint64_t head = 0; // session_head(session)
        std::uint64_t hash = 0;
        Value value;
        bool live = false;
    };

    [[nodiscard]] std::size_t slot(std::uint64_t hash) const {
        return static_cast<std::size_t>((hash * 0x9E3779B97F4A7C15ULL) >> m_shift);
    }
    // The entry of `session`, live or not, or npos.
    [[nodiscard]] std::size_t lookup(std::string_view session, std::uint64_t head, std::uint64_t hash) const {
        if (m_slots.empty()) return npos;
        for (std::size_t at = slot(hash);; at = (at + 1) & (m_slots.size() - 1)) {
            const std::uint32_t index = m_slots[at];
            if (index == 0) return npos;
            const Entry& entry = m_entries[index - 1];
            if (entry.head == head && entry.session.size() == session.size() &&
                (session.size() <= 8 || (entry.hash == hash && entry.session == session)))
                return index - 1;
        }
    }
    void place(std::size_t index) {
        std::size_t at = slot(m_entries[index].hash);
        while (m_slots[at] != 0) at = (at + 1) & (m_slots.size() - 1);
        m_slots[at] = static_cast<std::uint32_t>(index + 1);
    }
    void rehash(std::size_t slots) {
        m_slots.assign(std::bit_ceil(slots), 0);
        m_shift = 64 - std::countr_zero(m_slots.size());
        for (std::size_t index = 0; index < m_entries.size(); ++index) place(index);
    }
    // Drops the removed entries.
    void compact() {
        std::erase_if(m_entries, [](const Entry& entry) { return !entry.live; });
        rehash(std::max<std::size_t>(64, 4 * m_entries.size()));
    }

    std::vector<Entry> m_entries;
    std::vector<std::uint32_t> m_slots; // entry index + 1, 0 for none; at most half full
    std::size_t m_live = 0;
    int m_shift = 64;
};

} // namespace dbadvise::sources
