// psql variables in findings. The parser saw each variable as a placeholder of the same size
// (`:name` as the name `_name`, `:"name"` as the quoted name "name", `:'name'` as the string
// 'name'; sqlparse's write_variable_placeholder), so names the rules take from the model can
// be placeholders, which name nothing once psql substitutes the variable. This maps them back.
#pragma once

#include "analyzer/finding.hpp"
#include "sqlparse/query_model.hpp"

#include <span>
#include <string_view>

namespace dbadvise::analyzer {

/// Rewrites the findings of `statement` (a script statement whose offsets point into `text`)
/// so that none shows a placeholder: in the title, message, subject and string evidence, a
/// placeholder name (as a word, or quoted) becomes the variable as written; in the suggested
/// SQL (lexed), a placeholder name, quoted name or string becomes the variable, which psql
/// substitutes there (`:"tbl".x`), and a name built from one (an index name) drops the
/// placeholder's underscore. SQL that would need a variable inside a longer quoted name or
/// string is removed and the message says why. Variables whose placeholder the statement
/// also uses as a real name are left alone, as are function bodies (psql substitutes nothing
/// inside quotes).
void show_psql_variables(const sqlparse::Statement& statement, std::string_view text,
                         std::span<Finding> findings);

} // namespace dbadvise::analyzer
