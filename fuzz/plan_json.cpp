// Fuzz target: the EXPLAIN (FORMAT JSON) parser, then the derived figures and every plan
// rule over what it read. Errors must carry a position inside the text.
#include "fuzz/plan_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    dbadvise::fuzz::check_plan_result(text, dbadvise::analyzer::plan::parse_json_plan(text));
    return 0;
}
