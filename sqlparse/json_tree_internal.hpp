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

enum class JsonType : std::uint8_t { null, boolean, number, string, array, object };

struct JsonNode {
    JsonType type = JsonType::null;
    bool boolean = false;
    bool wrapper = false;          // a libpg_query node `{"TypeName": {...}}`
    std::int32_t first_child = -1; // arrays and objects
    std::int32_t next = -1;        // next sibling in the parent
    std::int32_t location = -1;    // an object's integer "location" member, kept at hand
    std::int64_t number = 0;       // integers (libpg_query writes no fractions as numbers)
    std::string_view key;          // member name inside an object
    std::string_view text;         // string value
};

class JsonDocument;

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
/// returns an empty result, so lookups can be chained without checks.
class JsonRef {
public:
    JsonRef() = default;
    JsonRef(const JsonDocument* doc, std::int32_t index) : m_doc(doc), m_index(index) {}

    bool valid() const { return m_doc != nullptr && m_index >= 0; }
    std::int32_t index() const { return valid() ? m_index : -1; }
    explicit operator bool() const { return valid(); }
    // Accessors are inline (defined below JsonDocument): the model builder calls them for
    // every node of every statement.
    inline JsonType type() const;
    /// Member `key` of an object; missing when absent or not an object.
    inline JsonRef operator[](std::string_view key) const;
    inline JsonRef first_child() const;
    inline JsonRef next() const;
    inline std::string_view key() const;
    inline std::string_view str() const;
    inline std::int64_t integer(std::int64_t fallback = 0) const;
    inline bool boolean() const;
    std::size_t size() const;

    /// For a libpg_query node `{"TypeName": {...}}`: its type name and its body.
    std::string_view node_type() const { return first_child().key(); }
    JsonRef body() const { return first_child(); }
    /// True for a libpg_query node `{"TypeName": {...}}` (one member, an upper-case key).
    inline bool is_node() const;
    /// An object's "location" member, -1 when it has none.
    inline std::int32_t location() const;

private:
    const JsonDocument* m_doc = nullptr;
    std::int32_t m_index = -1;
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
    JsonRef root() const { return {this, m_nodes.empty() ? -1 : 0}; }
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
        while (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t') {
            ++m_p;
        }
    }

    const char* m_p = nullptr;
    bool m_ok = true;
    std::vector<JsonNode> m_nodes;
    std::vector<std::unique_ptr<std::string>> m_unescaped; // stable addresses across moves
};

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
        bool operator!=(const iterator& other) const { return m_ref.index() != other.m_ref.index(); }

    private:
        JsonRef m_ref;
    };
    iterator begin() const { return iterator(m_first); }
    iterator end() const { return iterator(JsonRef()); }

private:
    JsonRef m_first;
};

inline JsonType JsonRef::type() const { return valid() ? m_doc->node(m_index).type : JsonType::null; }

inline JsonRef JsonRef::operator[](std::string_view key) const {
    if (!valid()) {
        return {};
    }
    const JsonNode& self = m_doc->node(m_index);
    if (self.type != JsonType::object) {
        return {};
    }
    for (std::int32_t i = self.first_child; i >= 0;) {
        const JsonNode& child = m_doc->node(i);
        if (child.key.size() == key.size() && same_text(child.key, key)) {
            return {m_doc, i};
        }
        i = child.next;
    }
    return {};
}

inline JsonRef JsonRef::first_child() const {
    return valid() ? JsonRef(m_doc, m_doc->node(m_index).first_child) : JsonRef();
}

inline JsonRef JsonRef::next() const {
    return valid() ? JsonRef(m_doc, m_doc->node(m_index).next) : JsonRef();
}

inline std::string_view JsonRef::key() const {
    return valid() ? m_doc->node(m_index).key : std::string_view();
}

inline std::string_view JsonRef::str() const {
    return valid() && m_doc->node(m_index).type == JsonType::string ? m_doc->node(m_index).text
                                                                    : std::string_view();
}

inline std::int64_t JsonRef::integer(std::int64_t fallback) const {
    return valid() && m_doc->node(m_index).type == JsonType::number ? m_doc->node(m_index).number
                                                                    : fallback;
}

inline bool JsonRef::is_node() const { return valid() && m_doc->node(m_index).wrapper; }

inline std::int32_t JsonRef::location() const { return valid() ? m_doc->node(m_index).location : -1; }

inline bool JsonRef::boolean() const {
    return valid() && m_doc->node(m_index).type == JsonType::boolean && m_doc->node(m_index).boolean;
}

} // namespace dbadvise::sqlparse::detail
