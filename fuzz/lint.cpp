// Fuzz target: the whole of `dbadvise lint` on one text: the psql script reader, the
// statement splitter, libpg_query, the model builder, function bodies and every lint rule.
// Findings must point inside the text.
#include "analyzer/lint.hpp"
#include "fuzz/check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<dbadvise::analyzer::Finding> findings;
    dbadvise::analyzer::LintStats stats;
    // One thread: the fuzzer runs many small inputs, and a second thread per input would
    // only make runs slower and less repeatable.
    dbadvise::analyzer::lint_text("fuzz.sql", text, nullptr, findings, stats,
                                  dbadvise::sqlparse::ParseOptions::Threading::never);
    for (const auto& finding : findings) {
        if (finding.location && finding.location->offset >= 0) {
            FUZZ_CHECK(static_cast<std::size_t>(finding.location->offset) <= size);
            FUZZ_CHECK(finding.location->line >= 1 && finding.location->column >= 1);
        }
    }
    return 0;
}
