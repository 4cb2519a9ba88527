// Fuzz target: the snapshot reader (gzip or JSON, as `analyze --snapshot` reads a file).
// Bad input must give an error naming the file; a snapshot it accepts must write back to a
// document that reads again and writes the same bytes (the writer is deterministic and
// everything it writes the reader takes).
#include "analyzer/snapshot_json.hpp"
#include "fuzz/check.hpp"
#include "sources/snapshot_source.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::string_view k_version = "0.1.0";
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto workload = dbadvise::sources::parse_snapshot(bytes, "fuzz.json", k_version);
    if (!workload) {
        FUZZ_CHECK(workload.error().starts_with("fuzz.json"));
        return 0;
    }
    const std::string written = dbadvise::analyzer::write_snapshot(*workload, k_version);
    auto again = dbadvise::analyzer::read_snapshot(written, k_version);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(dbadvise::analyzer::write_snapshot(*again, k_version) == written);
    return 0;
}
