// Fuzz target: analyze --queries' reader (server logs in stderr, csvlog and jsonlog format,
// and SQL files, plain or gzip-compressed), as it reads a file. Bad input must give an error
// naming the file or findings at lines of the file; the input read in parts
// (read_query_parts, cut at places drawn from the input) must give exactly what one read
// gives, statements, findings, notes and counts, and lines read from blocks of 7 bytes
// exactly as from blocks of a megabyte.
//
// The fast record readers are checked against the general ones on every line (and on the
// whole input): csvlog fields against a character-by-character CSV reader, and a jsonlog line
// the scanner reads against nlohmann's parser. Records are grouped by text_shape_key (its own
// target, fuzz/text_shape.cpp) or token_shape_key: two lines with the same token_shape_key
// have the same token fingerprint.
#include "fuzz/check.hpp"
#include "sources/gzip.hpp"
#include "sources/log_records.hpp"
#include "sources/query_input.hpp"
#include "sqlparse/parser.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <istream>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>
#include <vector>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace {

dbadvise::sources::QueryInput read(std::string_view bytes, bool in_parts, bool* failed) {
    dbadvise::sources::QueryInputOptions options;
    options.name = "fuzz.log";
    std::expected<dbadvise::sources::QueryInput, std::string> result;
    if (in_parts) {
        // Cuts at places drawn from the input: a third, a half, and two more.
        const std::size_t hash = std::hash<std::string_view>{}(bytes);
        const std::size_t size = std::max<std::size_t>(bytes.size(), 1);
        options.cuts = {size / 3, size / 2, hash % size, (hash >> 20) % size};
        std::ranges::sort(options.cuts);
        const std::string text(bytes);
        const auto open = [&text]() -> std::unique_ptr<std::istream> { return std::make_unique<std::istringstream>(text); };
        result = dbadvise::sources::read_query_parts(open, text.size(), options);
    } else {
        options.block_bytes = 7; // lines cut by the block at every place
        std::istringstream in{std::string(bytes)};
        result = dbadvise::sources::read_query_input(in, options);
    }
    *failed = !result.has_value();
    if (!result) {
        FUZZ_CHECK(result.error().starts_with("fuzz.log"));
        return {};
    }
    return std::move(*result);
}

// A CSV record's field values, read one character at a time.
std::vector<std::string> reference_csv(std::string_view record) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < record.size(); ++i) {
        const char c = record[i];
        if (quoted) {
            if (c != '"') {
                field += c;
            } else if (i + 1 < record.size() && record[i + 1] == '"') {
                field += '"';
                ++i;
            } else {
                quoted = false;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
        } else {
            field += c;
        }
    }
    fields.push_back(std::move(field));
    return fields;
}

void check_csv(std::string_view record) {
    std::vector<std::string_view> raw;
    dbadvise::sources::split_csv_record(record, raw);
    const std::vector<std::string> expected = reference_csv(record);
    FUZZ_CHECK(raw.size() == expected.size());
    std::string scratch;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        FUZZ_CHECK(dbadvise::sources::csv_field_value(raw[i], scratch) == expected[i]);
    }
}

// A string field as nlohmann gives it, or nullopt when absent or not a string.
std::optional<std::string> json_string(const nlohmann::json& record, const char* key) {
    const auto found = record.find(key);
    if (found == record.end() || !found->is_string()) return std::nullopt;
    return found->get<std::string>();
}

void check_json(std::string_view line) {
    dbadvise::sources::JsonlogFields fields;
    std::array<std::string, 4> scratch;
    if (!dbadvise::sources::scan_jsonlog_line(line, fields, scratch)) return;
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    FUZZ_CHECK(!record.is_discarded() && record.is_object());
    const auto same = [](const std::optional<std::string_view>& scanned, const std::optional<std::string>& parsed) {
        return scanned.has_value() == parsed.has_value() && (!scanned || *scanned == *parsed);
    };
    FUZZ_CHECK(same(fields.severity, json_string(record, "error_severity")));
    FUZZ_CHECK(same(fields.message, json_string(record, "message")));
    FUZZ_CHECK(same(fields.detail, json_string(record, "detail")));
    const auto pid = record.find("pid");
    if (!fields.pid) {
        FUZZ_CHECK(pid == record.end());
    } else {
        FUZZ_CHECK(pid != record.end());
        FUZZ_CHECK(*fields.pid == (pid->is_string() ? pid->get<std::string>() : pid->dump()));
    }
    // The scanner reads only flat objects whose four fields are strings (pid: or an integer).
    for (const auto& [key, value] : record.items()) FUZZ_CHECK(!value.is_structured());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    check_csv(bytes);
    std::vector<std::pair<std::uint64_t, std::string>> shapes; // of the first lines
    for (std::size_t begin = 0; begin <= bytes.size();) {
        const std::size_t end = std::min(bytes.find('\n', begin), bytes.size());
        const std::string_view line = bytes.substr(begin, end - begin);
        check_csv(line);
        check_json(line);
        if (shapes.size() < 32) {
            const std::uint64_t key = dbadvise::sqlparse::token_shape_key(line);
            const std::string fingerprint = dbadvise::sqlparse::token_fingerprint(line);
            for (const auto& [other_key, other_fingerprint] : shapes)
                FUZZ_CHECK(key != other_key || fingerprint == other_fingerprint);
            shapes.emplace_back(key, fingerprint);
        }
        begin = end + 1;
    }
    bool failed_one = false;
    bool failed_two = false;
    const dbadvise::sources::QueryInput one = read(bytes, false, &failed_one);
    const dbadvise::sources::QueryInput two = read(bytes, true, &failed_two);
    FUZZ_CHECK(failed_one == failed_two);
    if (failed_one) return 0;
    // Lines of what was read: of the content, for a gzip-compressed input (what decompresses,
    // up to where the stream stops).
    std::string content(bytes);
    if (!bytes.empty() && static_cast<unsigned char>(bytes.front()) == 0x1f) {
        std::istringstream compressed(content);
        dbadvise::sources::GzipReader gzip(compressed);
        std::istream inflated(&gzip);
        content.assign(std::istreambuf_iterator<char>(inflated), std::istreambuf_iterator<char>());
    }
    const std::size_t lines = static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')) + 1;
    FUZZ_CHECK(one.statements.size() == two.statements.size());
    for (std::size_t i = 0; i < one.statements.size(); ++i) {
        const auto& a = one.statements[i];
        const auto& b = two.statements[i];
        FUZZ_CHECK(a.text == b.text && a.queryid == b.queryid && a.calls == b.calls);
        FUZZ_CHECK(a.total_ms == b.total_ms && a.mean_ms == b.mean_ms);
        FUZZ_CHECK(a.origin_line == b.origin_line && a.origin_column == b.origin_column);
        FUZZ_CHECK(a.calls > 0);
        FUZZ_CHECK(a.origin_line >= 1 && static_cast<std::size_t>(a.origin_line) <= lines);
    }
    FUZZ_CHECK(one.findings.size() == two.findings.size());
    for (std::size_t i = 0; i < one.findings.size(); ++i) {
        const auto& a = one.findings[i];
        const auto& b = two.findings[i];
        FUZZ_CHECK(a.rule == b.rule && a.title == b.title && a.message == b.message && a.subject == b.subject);
        FUZZ_CHECK(a.location.has_value() && b.location.has_value());
        FUZZ_CHECK(a.location->file == "fuzz.log" && a.location->line == b.location->line);
        FUZZ_CHECK(a.location->line >= 1 && static_cast<std::size_t>(a.location->line) <= lines);
    }
    FUZZ_CHECK(one.notes == two.notes);
    FUZZ_CHECK(one.stats == two.stats);
    return 0;
}
