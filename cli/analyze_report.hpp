// How `dbadvise analyze` turns the analyzer's result into a report: shared by the command and
// the golden tests of the analyze report (tests/unit/test_reports_analyze_golden.cpp).
#pragma once

#include "analyzer/analyze.hpp"
#include "reports/report.hpp"

namespace dbadvise::cli {

/// Moves `result` into `report`: findings, stats, sections, notes, the partial flag and the
/// overview (statements by time, cache counters). The source and the elapsed time are the
/// command's business.
void add_analysis(reports::Report& report, analyzer::AnalyzeResult&& result);

} // namespace dbadvise::cli
