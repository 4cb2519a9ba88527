// regress_parse: lints SQL files (PostgreSQL's own regression scripts, through
// bench/pg_regress_lint.sh) and checks every parse error dbadvise reports against
// libpg_query's parser on the same statement text.
//
// For each file: analyzer::lint_text runs every rule (a crash ends the program with a
// signal, which the script reports); then each statement sqlparse rejects is given, as it
// stands in the file, to pg_query_parse. A rejection libpg_query does not share is a
// mismatch, printed with file:line. Statements with psql variables (`:name`) are counted
// apart: libpg_query cannot read the variable itself, so its verdict there says nothing.
//
// Usage: regress_parse FILE... (prints totals; exit status 1 when there is a mismatch)
#include "analyzer/lint.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"

#include <pg_query.h>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Totals {
    long files = 0;
    long statements = 0;
    long body_statements = 0;
    long findings = 0;
    long errors = 0;            // statement parse errors dbadvise reports
    long errors_shared = 0;     // ... that libpg_query also reports on the statement text
    long errors_variables = 0;  // ... in statements that use psql variables
    long mismatches = 0;        // ... that libpg_query accepts
    long body_errors = 0;       // function bodies that do not parse
    long unchecked = 0;         // SQL built from psql variables, unreadable PL/pgSQL
    long unknown_commands = 0;  // meta-commands psql does not know
    long too_large = 0;         // statements over the size limit, not parsed
};

bool has_variable(std::string_view sql) {
    // A colon followed by a name or a quote, outside a `::` cast: a psql variable. This is a
    // rough textual test, only used to sort the rejections into a separate count.
    for (std::size_t i = 0; i + 1 < sql.size(); ++i) {
        if (sql[i] == ':' && (i == 0 || sql[i - 1] != ':') && sql[i + 1] != ':' &&
            (sql[i + 1] == '\'' || sql[i + 1] == '"' || sql[i + 1] == '_' ||
             (sql[i + 1] >= 'a' && sql[i + 1] <= 'z') || (sql[i + 1] >= 'A' && sql[i + 1] <= 'Z'))) {
            return true;
        }
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    Totals totals;
    for (int i = 1; i < argc; ++i) {
        const std::string path = argv[i];
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            fmt::print(stderr, "cannot read {}\n", path);
            return 2;
        }
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ++totals.files;

        std::vector<dbadvise::analyzer::Finding> findings;
        dbadvise::analyzer::LintStats stats;
        dbadvise::analyzer::lint_text(path, text, nullptr, findings, stats);
        totals.statements += stats.statements;
        totals.body_statements += stats.body_statements;
        totals.findings += static_cast<long>(findings.size());

        const dbadvise::sqlparse::SourceText source(text);
        dbadvise::sqlparse::ParseOptions options;
        options.threading = dbadvise::sqlparse::ParseOptions::Threading::never;
        dbadvise::sqlparse::parse_script(text, options, [&](dbadvise::sqlparse::ParsedStatement&& entry) {
            if (!entry.error) {
                return;
            }
            using Kind = dbadvise::sqlparse::ParseError::Kind;
            const dbadvise::sqlparse::ParseError& error = *entry.error;
            switch (error.kind) {
            case Kind::function_body:
                ++totals.body_errors;
                return;
            case Kind::unchecked:
                ++totals.unchecked;
                return;
            case Kind::psql_command:
                ++totals.unknown_commands;
                return;
            case Kind::too_large:
                ++totals.too_large;
                return;
            case Kind::statement:
                break;
            }
            ++totals.errors;
            const auto span = error.statement_span;
            const std::string sql = text.substr(static_cast<std::size_t>(span.begin),
                                                static_cast<std::size_t>(span.end - span.begin));
            if (has_variable(sql)) {
                ++totals.errors_variables;
                return;
            }
            PgQueryParseResult result = pg_query_parse(sql.c_str());
            const bool rejected = result.error != nullptr;
            pg_query_free_parse_result(result);
            if (rejected) {
                ++totals.errors_shared;
                return;
            }
            ++totals.mismatches;
            const auto where = source.locate(error.offset >= 0 ? error.offset : span.begin);
            fmt::print("mismatch {}:{}:{}: dbadvise: {}; libpg_query accepts the statement\n",
                       path, where.line, where.column, error.message);
        });
    }
    fmt::print("files {}\nstatements {} (+{} in function bodies)\nfindings {}\n", totals.files,
               totals.statements, totals.body_statements, totals.findings);
    fmt::print("statement parse errors {}: libpg_query rejects the same text {}, "
               "statements with psql variables {}, libpg_query accepts (mismatch) {}\n",
               totals.errors, totals.errors_shared, totals.errors_variables, totals.mismatches);
    fmt::print("function bodies that do not parse {}, unchecked {}, unknown meta-commands {}, "
               "too large {}\n",
               totals.body_errors, totals.unchecked, totals.unknown_commands, totals.too_large);
    return totals.mismatches > 0 ? 1 : 0;
}
