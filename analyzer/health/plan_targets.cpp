// choose_plan_targets(): which statements --analyze-plans runs under EXPLAIN ANALYZE, and with
// which parameter values.
//
// EXPLAIN ANALYZE executes the statement, so only plain SELECTs qualify: no DML, no SELECT
// INTO (it creates a table), no FOR UPDATE/SHARE (row locks write to the heap). The capture
// also runs in a read-only transaction that is rolled back, so a statement that slips through
// fails instead of writing. pg_stat_statements keeps $n for the constants; the values chosen
// here come from pg_stats of the column each parameter is compared with, so the plan is the
// one a typical call gets: the histogram median (or the middle most-common value) for
// equality, the quartiles for open ranges, a central 10% slice for BETWEEN.
#include "analyzer/health.hpp"
#include "analyzer/sql_text.hpp"
#include "sqlparse/lexer.hpp"
#include "sqlparse/parser.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>

namespace dbadvise::analyzer {

namespace {

// The tokens of `text` (sqlparse's lexer) as upper-case words, each literal string as '' and
// each quoted identifier as "": enough to spot LIMIT $n, FOR UPDATE and INTO.
std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    sqlparse::Lexer lexer(text);
    sqlparse::Token token;
    while (lexer.next(token)) {
        if (sqlparse::is_string_kind(token.kind)) {
            out.emplace_back("''");
        } else if (token.kind == sqlparse::TokenKind::quoted_identifier ||
                   token.kind == sqlparse::TokenKind::unicode_identifier) {
            out.emplace_back("\"\"");
        } else {
            std::string word(sqlparse::token_text(text, token));
            for (char& c : word) {
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            out.push_back(std::move(word));
        }
    }
    return out;
}

int parameter_number(std::string_view word) {
    if (word.size() < 2 || word[0] != '$') {
        return 0;
    }
    int number = 0;
    for (const char c : word.substr(1)) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || number > 100000) {
            return 0;
        }
        number = number * 10 + (c - '0');
    }
    return number;
}

// True when the words show a row lock or SELECT INTO: statements EXPLAIN ANALYZE must not run.
bool writes_or_locks(const std::vector<std::string>& w) {
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (w[i] == "INTO") {
            return true;
        }
        if (w[i] == "FOR" && i + 1 < w.size() &&
            (w[i + 1] == "UPDATE" || w[i + 1] == "SHARE" || w[i + 1] == "NO" ||
             w[i + 1] == "KEY")) {
            return true;
        }
    }
    return false;
}

const ColumnStats* stats_for(const Workload& workload, const sqlparse::Relation& relation,
                             std::string_view column) {
    const ColumnStats* fallback = nullptr;
    for (const ColumnStats& stats : workload.column_stats) {
        if (stats.table != relation.name || stats.column != column) {
            continue;
        }
        if (!relation.schema.empty()) {
            if (stats.schema == relation.schema) {
                return &stats;
            }
            continue;
        }
        // Unqualified: the first schema of the search path that has it, else public, else any.
        for (const std::string& schema : workload.search_path) {
            if (stats.schema == schema) {
                return &stats;
            }
        }
        if (stats.schema == "public" || fallback == nullptr) {
            fallback = &stats;
        }
    }
    return fallback;
}

std::optional<std::string> quantile(const ColumnStats& stats, double q) {
    if (stats.histogram_bounds.empty()) {
        return std::nullopt;
    }
    const auto last = static_cast<double>(stats.histogram_bounds.size() - 1);
    return stats.histogram_bounds[static_cast<std::size_t>(std::lround(q * last))];
}

std::optional<std::string> typical(const ColumnStats& stats) {
    if (auto median = quantile(stats, 0.5)) {
        return median;
    }
    if (!stats.most_common_vals.empty()) {
        return stats.most_common_vals[stats.most_common_vals.size() / 2];
    }
    return std::nullopt;
}

// An array literal of one element for `col = ANY($n)`.
std::string array_of(const std::string& value) {
    std::string out = "{\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"}";
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Seconds since the epoch of a timestamp as pg_stats prints it with DateStyle ISO:
// "2025-03-01 12:34:56.789+00", "2025-03-01 12:34:56", "2025-03-01". nullopt otherwise.
std::optional<std::int64_t> epoch_seconds(std::string_view text) {
    int year = 0;
    unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int consumed = 0;
    const std::string copy(text);
    const int fields = std::sscanf(copy.c_str(), "%d-%u-%u%n %u:%u:%u%n", &year, &month, &day,
                                   &consumed, &hour, &minute, &second, &consumed);
    if ((fields != 3 && fields != 6) || month < 1 || month > 12 || day < 1 || day > 31) {
        return std::nullopt;
    }
    std::int64_t seconds =
        days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    // Skip a fraction, then apply a numeric zone offset (+HH, -HH:MM).
    std::size_t at = static_cast<std::size_t>(consumed);
    if (at < copy.size() && copy[at] == '.') {
        ++at;
        while (at < copy.size() && std::isdigit(static_cast<unsigned char>(copy[at]))) {
            ++at;
        }
    }
    if (at < copy.size() && (copy[at] == '+' || copy[at] == '-')) {
        unsigned zone_hours = 0, zone_minutes = 0;
        if (std::sscanf(copy.c_str() + at + 1, "%2u:%2u", &zone_hours, &zone_minutes) >= 1) {
            const std::int64_t offset = zone_hours * 3600 + zone_minutes * 60;
            seconds += copy[at] == '+' ? -offset : offset;
        }
    }
    return seconds;
}

// The parameter of `to_timestamp($n)`, the usual way an application passes epoch seconds
// for a timestamp column; 0 when `operand` is something else.
int to_timestamp_parameter(const sqlparse::Operand& operand) {
    const std::optional<ParameterCall> call = single_parameter_call(operand.text);
    return call && call->function == "to_timestamp" ? call->parameter : 0;
}

struct Chosen {
    std::optional<std::string> value;
    std::string source;
};

void assign(std::vector<Chosen>& chosen, int number, std::optional<std::string> value,
            std::string source) {
    if (number < 1 || static_cast<std::size_t>(number) > chosen.size() || !value) {
        return;
    }
    Chosen& slot = chosen[static_cast<std::size_t>(number - 1)];
    if (!slot.value) {
        slot.value = std::move(value);
        slot.source = std::move(source);
    }
}

// A bound of a comparison: the parameter itself, or to_timestamp($n) given epoch seconds.
void assign_bound(std::vector<Chosen>& chosen, const sqlparse::Operand& operand,
                  std::optional<std::string> value, const std::string& source) {
    if (operand.kind == sqlparse::OperandKind::parameter) {
        assign(chosen, operand.param_number, std::move(value), source);
        return;
    }
    if (const int number = to_timestamp_parameter(operand); number > 0 && value) {
        if (const auto seconds = epoch_seconds(*value)) {
            assign(chosen, number, std::to_string(*seconds), source + " as epoch seconds");
        }
    }
}

void from_predicates(const Workload& workload, const sqlparse::Query& query,
                     std::vector<Chosen>& chosen) {
    for (const sqlparse::Predicate& predicate : query.predicates) {
        const auto relation = predicate.column.relation;
        if (relation < 0 || static_cast<std::size_t>(relation) >= query.relations.size() ||
            predicate.wrap != sqlparse::WrapKind::none) {
            continue;
        }
        const sqlparse::Relation& table = query.relations[static_cast<std::size_t>(relation)];
        if (table.kind != sqlparse::RelationKind::table) {
            continue;
        }
        const ColumnStats* stats = stats_for(workload, table, predicate.column.name);
        if (stats == nullptr) {
            continue;
        }
        const std::string column = table.name + "." + predicate.column.name;
        const std::string& op = predicate.op;
        const auto param = predicate.operand.kind == sqlparse::OperandKind::parameter
                               ? predicate.operand.param_number
                               : 0;
        if (op == "=" || op == "<>" || op == "IN" || op == "NOT IN") {
            assign(chosen, param, typical(*stats), column + " typical value");
        } else if (op == "= ANY" || op == "<> ALL") {
            if (auto value = typical(*stats)) {
                assign(chosen, param, array_of(*value), column + " typical value");
            }
        } else if (op == ">" || op == ">=") {
            assign_bound(chosen, predicate.operand, quantile(*stats, 0.75),
                         column + " upper quartile");
        } else if (op == "<" || op == "<=") {
            assign_bound(chosen, predicate.operand, quantile(*stats, 0.25),
                         column + " lower quartile");
        } else if (op == "BETWEEN" || op == "NOT BETWEEN") {
            assign_bound(chosen, predicate.operand, quantile(*stats, 0.45),
                         column + " 45th percentile");
            if (predicate.operand2) {
                assign_bound(chosen, *predicate.operand2, quantile(*stats, 0.55),
                             column + " 55th percentile");
            }
        }
    }
    for (const sqlparse::Query& subquery : query.subqueries) {
        from_predicates(workload, subquery, chosen);
    }
}

} // namespace

std::vector<PlanTarget> choose_plan_targets(const Workload& workload, std::size_t limit) {
    std::vector<const WorkloadStatement*> ordered;
    for (const WorkloadStatement& statement : workload.statements) {
        ordered.push_back(&statement);
    }
    // Most total time first, whatever order the reader delivered; query id breaks ties.
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const WorkloadStatement* a, const WorkloadStatement* b) {
                         if (a->total_ms != b->total_ms) {
                             return a->total_ms > b->total_ms;
                         }
                         return a->queryid < b->queryid;
                     });

    std::vector<PlanTarget> targets;
    for (const WorkloadStatement* statement : ordered) {
        if (targets.size() >= limit) {
            break;
        }
        if (!statement->toplevel || statement->truncated) {
            continue;
        }
        const auto w = words(statement->text);
        if (w.empty() || (w.front() != "SELECT" && w.front() != "WITH" && w.front() != "(") ||
            writes_or_locks(w)) {
            continue;
        }
        const sqlparse::ParsedStatement parsed = sqlparse::parse_statement(statement->text);
        if (!parsed.statement || parsed.statement->kind != sqlparse::StatementKind::select) {
            continue;
        }
        // A data-modifying WITH is a SELECT at the top: reject any DML keyword in the text.
        if (std::any_of(w.begin(), w.end(), [](const std::string& word) {
                return word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "MERGE";
            })) {
            continue;
        }
        int parameters = 0;
        for (const std::string& word : w) {
            parameters = std::max(parameters, parameter_number(word));
        }
        std::vector<Chosen> chosen(static_cast<std::size_t>(parameters));
        from_predicates(workload, parsed.statement->query, chosen);
        for (std::size_t i = 0; i + 1 < w.size(); ++i) {
            if (w[i] == "LIMIT" || w[i] == "FETCH") {
                assign(chosen, parameter_number(w[i + 1]), "10", "LIMIT");
            } else if (w[i] == "OFFSET") {
                assign(chosen, parameter_number(w[i + 1]), "0", "OFFSET");
            }
        }
        PlanTarget target;
        target.queryid = statement->queryid;
        target.sql = statement->text;
        for (Chosen& slot : chosen) {
            target.params.push_back(std::move(slot.value));
            target.param_sources.push_back(slot.source.empty() ? "unknown (NULL)" : slot.source);
        }
        targets.push_back(std::move(target));
    }
    return targets;
}

} // namespace dbadvise::analyzer
