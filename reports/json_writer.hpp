// A streaming JSON writer for the reports: it writes the text straight into a buffer that is
// handed to a sink in pieces, instead of building a document tree first. A lint run over a
// large script has tens of thousands of findings; a tree of them cost more memory than the
// findings themselves and more time than all the lint rules together.
//
// The layout is the one nlohmann::json::dump(2) gives (two-space indent, `"key": value`,
// empty containers as {} and []), and strings and numbers are spelled as nlohmann spells
// them, so the output is byte-for-byte what the report always was. Bytes that are not UTF-8
// become U+FFFD, as with nlohmann's error_handler_t::replace.
#pragma once

#include "analyzer/finding.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::reports {

class JsonWriter {
public:
    using Sink = std::function<void(std::string_view)>;

    /// `sink` receives the text in pieces of about `chunk_bytes`, in order; the last piece
    /// comes from finish().
    explicit JsonWriter(Sink sink, std::size_t chunk_bytes = 64 * 1024);

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    /// The next member's name; the member's value follows with one value call or a begin_*.
    void key(std::string_view name);

    void string(std::string_view value);
    void integer(std::int64_t value);
    /// A finite double as nlohmann spells it (shortest round-trip form, "1.0" for whole
    /// numbers); null for NaN and infinity, which JSON cannot spell.
    void number(double value);
    void boolean(bool value);
    void null();

    /// Shorthands for a member: key(name) then the value.
    void member(std::string_view name, std::string_view value) { key(name); string(value); }
    void member(std::string_view name, const char* value) { key(name); string(value); }
    void member(std::string_view name, std::int64_t value) { key(name); integer(value); }
    void member(std::string_view name, int value) { key(name); integer(value); }
    void member(std::string_view name, bool value) { key(name); boolean(value); }

    /// Ends the text with a newline and hands the rest of the buffer to the sink.
    void finish();

private:
    void before_value();
    void open(char bracket);
    void close(char bracket);
    void newline_and_indent(std::size_t depth);
    void quoted(std::string_view text);
    void flush_if_full();

    Sink m_sink;
    std::size_t m_chunk_bytes;
    std::string m_buffer;
    std::vector<bool> m_empty; // per open container: nothing written into it yet
    bool m_after_key = false;
};

/// A measured value, rounded to 3 decimals as every report prints them.
void write_rounded(JsonWriter& out, double value);

/// A finding's evidence (or a run's statistics) as one JSON object, in its order; numbers
/// rounded as write_rounded does. The JSON report and SARIF's property bags share it.
void write_evidence(JsonWriter& out, const analyzer::Evidence& evidence);

} // namespace dbadvise::reports
