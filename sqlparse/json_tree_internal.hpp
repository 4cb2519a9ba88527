// Private to sqlparse: a compact read-only JSON tree for libpg_query's parse-tree output.
// libpg_query emits well-formed, mostly escape-free JSON about ten times the size of the
// SQL; a general DOM (nlohmann::json) spends more time building maps and strings than
// libpg_query spends parsing, so this keeps every node in one reusable vector and every
// string as a view into the JSON text (unescaped copies only when the text has escapes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::sqlparse::detail {

// libpg_query's trees are bounded by PostgreSQL's own stack-depth check, but a corrupt or
// unexpected text must not exhaust our stack either: a tree nested deeper is not read.
inline constexpr int k_max_tree_depth = 5000;

enum class JsonType : std::uint8_t { null, boolean, number, string, array, object };

// 40 bytes: the producer thread writes some eight million of these for a 100k-statement
// script and the model builder reads them on the other core, so their size is memory traffic.
struct JsonNode {
    JsonType type = JsonType::null;
    bool boolean = false;
    bool wrapper = false;          // a libpg_query node `{"TypeName": {...}}`
    std::int32_t first_child = -1; // arrays and objects
    std::int32_t next = -1;        // next sibling in the parent
    std::int32_t location = -1;    // an object's integer "location" member, kept at hand
    std::uint32_t key_length = 0;
    std::uint32_t text_length = 0;
    const char* key_data = nullptr; // member name inside an object
    union {
        std::int64_t number = 0;    // integers (libpg_query writes no fractions as numbers)
        const char* text_data;      // string value
    };

    [[gnu::always_inline]] std::string_view key() const { return {key_data, key_length}; }
    std::string_view text() const { return {text_data, text_length}; }
    void set_key(std::string_view k) {
        key_data = k.data();
        key_length = static_cast<std::uint32_t>(k.size());
    }
    void set_text(std::string_view t) {
        text_data = t.data();
        text_length = static_cast<std::uint32_t>(t.size());
    }
};

// Keys are short; a byte loop beats a call to memcmp here.
inline bool same_text(std::string_view a, std::string_view b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

/// A cheap handle to one node; a default handle is "missing" and every accessor on it
/// returns an empty result, so lookups can be chained without checks. It holds the node's
/// address and the document's first node (for the links, which are indices): the model
/// builder follows millions of these, and one pointer test is all a lookup costs.
class JsonRef {
public:
    JsonRef() = default;
    JsonRef(const JsonNode* base, const JsonNode* node) : m_base(base), m_node(node) {}

    [[gnu::always_inline]] bool valid() const { return m_node != nullptr; }
    [[gnu::always_inline]] std::int32_t index() const { return m_node != nullptr ? static_cast<std::int32_t>(m_node - m_base) : -1; }
    explicit operator bool() const { return valid(); }
    /// The node itself and the document's first node (hot loops walk the links directly);
    /// null for a missing handle.
    const JsonNode* node() const { return m_node; }
    const JsonNode* base() const { return m_base; }
    /// Same node (or both missing).
    bool operator==(const JsonRef& other) const { return m_node == other.m_node; }
    [[gnu::always_inline]] JsonType type() const { return m_node != nullptr ? m_node->type : JsonType::null; }
    /// Member `key` of an object; missing when absent or not an object.
    JsonRef operator[](std::string_view key) const {
        if (m_node == nullptr || m_node->type != JsonType::object) {
            return {};
        }
        for (std::int32_t i = m_node->first_child; i >= 0;) {
            const JsonNode& child = m_base[i];
            if (child.key_length == key.size() && same_text(child.key(), key)) {
                return {m_base, &child};
            }
            i = child.next;
        }
        return {};
    }
    [[gnu::always_inline]] JsonRef first_child() const { return m_node != nullptr ? at(m_node->first_child) : JsonRef(); }
    [[gnu::always_inline]] JsonRef next() const { return m_node != nullptr ? at(m_node->next) : JsonRef(); }
    [[gnu::always_inline]] std::string_view key() const { return m_node != nullptr ? m_node->key() : std::string_view(); }
    [[gnu::always_inline]] std::string_view str() const {
        return m_node != nullptr && m_node->type == JsonType::string ? m_node->text() : std::string_view();
    }
    [[gnu::always_inline]] std::int64_t integer(std::int64_t fallback = 0) const {
        return m_node != nullptr && m_node->type == JsonType::number ? m_node->number : fallback;
    }
    [[gnu::always_inline]] bool boolean() const {
        return m_node != nullptr && m_node->type == JsonType::boolean && m_node->boolean;
    }
    std::size_t size() const;

    /// For a libpg_query node `{"TypeName": {...}}`: its type name and its body.
    [[gnu::always_inline]] std::string_view node_type() const { return first_child().key(); }
    [[gnu::always_inline]] JsonRef body() const { return first_child(); }
    /// True for a libpg_query node `{"TypeName": {...}}` (one member, an upper-case key).
    [[gnu::always_inline]] bool is_node() const { return m_node != nullptr && m_node->wrapper; }
    /// An object's "location" member, -1 when it has none.
    [[gnu::always_inline]] std::int32_t location() const { return m_node != nullptr ? m_node->location : -1; }

private:
    [[gnu::always_inline]] JsonRef at(std::int32_t index) const { return index >= 0 ? JsonRef(m_base, m_base + index) : JsonRef(); }

    const JsonNode* m_base = nullptr;
    const JsonNode* m_node = nullptr;
};

class JsonDocument {
public:
    JsonDocument() = default;
    // Nodes hold views into the unescaped strings: a copy would point into the original.
    // Moves keep every string where it is (each is a heap object of its own).
    JsonDocument(const JsonDocument&) = delete;
    JsonDocument& operator=(const JsonDocument&) = delete;
    JsonDocument(JsonDocument&&) noexcept = default;
    JsonDocument& operator=(JsonDocument&&) noexcept = default;

    /// Parses the NUL-terminated `json` (which must outlive the document); false on
    /// malformed input. Reuses the storage of an earlier parse.
    bool parse(const char* json);
    /// Same, on a copy of `json` that the document keeps.
    bool parse_copy(std::string_view json);
    /// Empties the document for a tree built node by node (pg_tree.cpp's TreeBuilder, which
    /// fills it straight from libpg_query's parse nodes), keeping the storage.
    void clear();
    /// A copy of `text` that lives as long as the document's tree (until the next parse or
    /// clear): strings of a tree built from parse nodes, whose memory libpg_query frees.
    std::string_view keep(std::string_view text);
    JsonRef root() const {
        return m_nodes.empty() ? JsonRef() : JsonRef(m_nodes.data(), m_nodes.data());
    }
    std::size_t node_count() const { return m_nodes.size(); }
    const JsonNode& node(std::int32_t index) const {
        return m_nodes[static_cast<std::size_t>(index)];
    }

private:
    // The parser walks a pointer over the text and relies on its terminating NUL instead of
    // bounds checks: libpg_query's JSON is about ten times the SQL, and this reader is on the
    // hot path of every statement.
    std::int32_t parse_value(std::string_view key, int depth);
    bool parse_string(std::string_view& out);
    bool parse_string_slow(const char* start, std::string_view& out);
    void skip_space() {
        // libpg_query writes no white space: one test settles the usual case.
        if (static_cast<unsigned char>(*m_p) > ' ') {
            return;
        }
        while (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t') {
            ++m_p;
        }
    }

    friend class TreeBuilder;

    const char* m_p = nullptr;
    bool m_ok = true;
    std::vector<JsonNode> m_nodes;
    std::vector<std::unique_ptr<std::string>> m_unescaped; // stable addresses across moves
    std::unique_ptr<std::string> m_source;                  // parse_copy's text
    // keep()'s storage: blocks reused from tree to tree, `m_block` the one being filled.
    std::vector<std::unique_ptr<char[]>> m_blocks;
    std::size_t m_block = 0;
    std::size_t m_block_used = 0;
};

/// The first difference between two trees (keys, types, values, locations, members in
/// order), as a path and what differs; empty when they are the same.
std::string tree_difference(JsonRef a, JsonRef b);

/// Iterates the elements of a JSON array (or the members of an object).
class JsonChildren {
public:
    explicit JsonChildren(JsonRef parent) : m_first(parent.first_child()) {}
    class iterator {
    public:
        explicit iterator(JsonRef ref) : m_ref(ref) {}
        JsonRef operator*() const { return m_ref; }
        iterator& operator++() {
            m_ref = m_ref.next();
            return *this;
        }
        bool operator!=(const iterator& other) const { return !(m_ref == other.m_ref); }

    private:
        JsonRef m_ref;
    };
    iterator begin() const { return iterator(m_first); }
    iterator end() const { return iterator(JsonRef()); }

private:
    JsonRef m_first;
};

} // namespace dbadvise::sqlparse::detail
