// Shared by the plan fuzz targets: what every parse result must satisfy.
#pragma once

#include "analyzer/plan/plan_analysis.hpp"
#include "analyzer/plan/plan_model.hpp"
#include "fuzz/check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string_view>

namespace dbadvise::fuzz {

inline void check_error(std::string_view text, const analyzer::plan::PlanError& error) {
    FUZZ_CHECK(!error.message.empty());
    const auto lines = std::count(text.begin(), text.end(), '\n') + 1;
    FUZZ_CHECK(error.line >= 0 && error.line <= lines);
    FUZZ_CHECK(error.column >= 0 && static_cast<std::size_t>(error.column) <= text.size() + 1);
}

inline void check_plan_result(std::string_view text,
                              const std::expected<analyzer::plan::Plan, analyzer::plan::PlanError>& plan) {
    if (!plan) {
        check_error(text, plan.error());
        return;
    }
    // The rules and the hottest nodes read every figure the parser produced.
    const auto findings = analyzer::plan::check_plan(*plan, "fuzz.plan");
    (void)findings;
    const auto hot = analyzer::plan::hot_nodes(*plan, 5);
    FUZZ_CHECK(hot.size() <= 5);
}

} // namespace dbadvise::fuzz
