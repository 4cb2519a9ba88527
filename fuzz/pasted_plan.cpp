// Fuzz target: the unwrapper of plans pasted from psql tables, psql CSV, pgAdmin and DBeaver,
// then `dbadvise explain`'s whole pipeline (analyze_plan: unwrap, parse, rules). Every line
// of the unwrapped plan must map back to a line of the input.
#include "analyzer/plan/pasted_plan.hpp"
#include "fuzz/plan_common.hpp"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto pasted = dbadvise::analyzer::plan::unwrap_pasted_plan(text)) {
        const auto lines = static_cast<std::size_t>(
            std::count(pasted->text.begin(), pasted->text.end(), '\n') + 1);
        FUZZ_CHECK(pasted->source_lines.size() >= lines - 1);
        FUZZ_CHECK(pasted->source_lines.size() <= lines);
        FUZZ_CHECK(pasted->source_columns.size() == pasted->source_lines.size());
        const auto input_lines = std::count(text.begin(), text.end(), '\n') + 1;
        for (const int line : pasted->source_lines) {
            FUZZ_CHECK(line >= 1 && line <= input_lines);
        }
        for (const int column : pasted->source_columns) {
            FUZZ_CHECK(column >= 0 && static_cast<std::size_t>(column) <= size);
        }
    }
    const auto analysis = dbadvise::analyzer::plan::analyze_plan(text, "fuzz.plan");
    if (!analysis) {
        dbadvise::fuzz::check_error(text, analysis.error());
    }
    return 0;
}
