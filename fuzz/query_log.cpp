// Fuzz target: analyze --queries' reader (server logs in stderr, csvlog and jsonlog format,
// and SQL files), as it reads a file. Bad input must give an error naming the file or
// findings at lines of the file; the records fingerprinted on a second thread must group
// exactly as when they are read on one thread, whatever the batch boundaries.
#include "fuzz/check.hpp"
#include "sources/query_input.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace {

dbadvise::sources::QueryInput read(std::string_view bytes, bool second_thread, bool* failed) {
    std::istringstream in{std::string(bytes)};
    dbadvise::sources::QueryInputOptions options;
    options.name = "fuzz.log";
    options.second_thread = second_thread;
    options.batch_records = 3; // many batch boundaries in a small input
    auto result = dbadvise::sources::read_query_input(in, options);
    *failed = !result.has_value();
    if (!result) {
        FUZZ_CHECK(result.error().starts_with("fuzz.log"));
        return {};
    }
    return std::move(*result);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    bool failed_one = false;
    bool failed_two = false;
    const dbadvise::sources::QueryInput one = read(bytes, false, &failed_one);
    const dbadvise::sources::QueryInput two = read(bytes, true, &failed_two);
    FUZZ_CHECK(failed_one == failed_two);
    if (failed_one) return 0;
    const std::size_t lines = static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\n')) + 1;
    FUZZ_CHECK(one.statements.size() == two.statements.size());
    for (std::size_t i = 0; i < one.statements.size(); ++i) {
        const auto& a = one.statements[i];
        const auto& b = two.statements[i];
        FUZZ_CHECK(a.text == b.text && a.queryid == b.queryid && a.calls == b.calls);
        FUZZ_CHECK(a.total_ms == b.total_ms || (a.total_ms != a.total_ms && b.total_ms != b.total_ms));
        FUZZ_CHECK(a.origin_line == b.origin_line && a.origin_column == b.origin_column);
        FUZZ_CHECK(a.calls > 0);
        FUZZ_CHECK(a.origin_line >= 1 && static_cast<std::size_t>(a.origin_line) <= lines);
    }
    FUZZ_CHECK(one.findings.size() == two.findings.size());
    for (std::size_t i = 0; i < one.findings.size(); ++i) {
        const auto& a = one.findings[i];
        const auto& b = two.findings[i];
        FUZZ_CHECK(a.rule == b.rule && a.title == b.title);
        FUZZ_CHECK(a.location.has_value() && b.location.has_value());
        FUZZ_CHECK(a.location->file == "fuzz.log" && a.location->line == b.location->line);
        FUZZ_CHECK(a.location->line >= 1 && static_cast<std::size_t>(a.location->line) <= lines);
    }
    FUZZ_CHECK(one.notes == two.notes);
    return 0;
}
