// The lint driver: runs every rule over every statement of a script and locates findings.
#pragma once

#include "analyzer/finding.hpp"
#include "analyzer/schema.hpp"
#include "sqlparse/parser.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

struct LintStats {
    std::int64_t statements = 0;      // statements of the scripts
    std::int64_t parse_errors = 0;    // statements and function bodies that do not parse
    std::int64_t body_statements = 0; // statements inside function bodies, also checked
};

/// Parses `text` (the contents of `file_name`), runs all lint rules on each statement and
/// appends findings with file:line:column to `out`. A statement that does not parse becomes
/// a `parse-error` finding (category input, severity error) and the others are still checked.
/// `threading` says where the SQL parser runs (sqlparse::ParseOptions::threading): by default
/// on a second thread for large texts.
void lint_text(std::string_view file_name, std::string_view text, const Schema* schema,
               std::vector<Finding>& out, LintStats& stats,
               sqlparse::ParseOptions::Threading threading = sqlparse::ParseOptions::Threading::automatic);

} // namespace dbadvise::analyzer
