// Quality of an index set on a live workload: the estimated cost of the workload with the set
// as hypothetical indexes (HypoPG) against without, and what the advisor spent finding it.
//
//   advisor_quality DSN [--top N] [--min-workload-share X] [--without KIND,...] [--max-indexes N]...
//                   [--indexes FILE]...
//
// Reads the workload from pg_stat_statements (the --top N statements with the most total
// time, default 5000), prepares every statement as the advisor does (repaired text, parameter
// types, representative parameter values), then for each --max-indexes N runs the advisor and
// evaluates its recommendations, and for each --indexes FILE evaluates the CREATE INDEX
// statements found in FILE (one per line, as any dbadvise version prints them). The same
// evaluation serves every set, so sets from different versions compare:
//
//   relative cost = sum over statements of the planner's cost with the set
//                   / sum of the planner's cost without it
//
// (statements whose plan fails are left out of both sums and counted). --without leaves
// candidate kinds out of the advisor runs (composite, join-pair, include, partial, or-arm, brin,
// hash, gin), to measure what each kind adds: run once with and once without it. GIN
// recommendations cannot be shown to HypoPG: the evaluation leaves them out (HypoPG refuses
// them), so what they would save is not in its figures. Prints one line per
// set with its size, the relative cost, and for advisor runs the wall time, planner calls and
// describe calls it took.
#include "analyzer/advisor/advisor.hpp"
#include "analyzer/index_advisor.hpp"
#include "db/connection.hpp"
#include "db/live_planner.hpp"
#include "db/workload_reader.hpp"
#include "sqlparse/parser.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <string_view>

namespace {

using namespace dbadvise;

// `... ON schema.table [USING m] (keys) [INCLUDE (cols)] [WHERE pred];` -> IndexSpec.
std::optional<analyzer::IndexSpec> spec_from_create(const std::string& line) {
    const auto on = line.find(" ON ");
    if (line.find("CREATE INDEX") == std::string::npos || on == std::string::npos) {
        return std::nullopt;
    }
    std::string rest = line.substr(on + 4);
    while (!rest.empty() && (rest.back() == ';' || rest.back() == ' ' || rest.back() == '\n')) {
        rest.pop_back();
    }
    if (const auto comment = rest.find("  -- "); comment != std::string::npos) {
        rest = rest.substr(0, comment);
        while (!rest.empty() && (rest.back() == ';' || rest.back() == ' ')) {
            rest.pop_back();
        }
    }
    analyzer::IndexSpec spec;
    const auto open = rest.find(" (");
    if (open == std::string::npos) {
        return std::nullopt;
    }
    std::string head = rest.substr(0, open);
    if (const auto using_at = head.find(" USING "); using_at != std::string::npos) {
        spec.method = head.substr(using_at + 7);
        head = head.substr(0, using_at);
    }
    if (const auto dot = head.find('.'); dot != std::string::npos && head.front() != '"') {
        spec.table_schema = head.substr(0, dot);
        spec.table = head.substr(dot + 1);
    } else {
        spec.table = head;
    }
    // The key list: balanced parentheses, split at top-level commas.
    auto list = [&](std::size_t from, std::size_t& end) {
        std::vector<std::string> items;
        int depth = 0;
        std::string item;
        for (std::size_t i = from; i < rest.size(); ++i) {
            const char c = rest[i];
            if (c == '(' && depth++ == 0) {
                continue;
            }
            if (c == ')' && --depth == 0) {
                end = i + 1;
                break;
            }
            if (c == ',' && depth == 1) {
                items.push_back(item);
                item.clear();
                continue;
            }
            if (!(item.empty() && c == ' ')) {
                item += c;
            }
        }
        if (!item.empty()) {
            items.push_back(item);
        }
        return items;
    };
    std::size_t end = rest.size();
    spec.keys = list(open + 1, end);
    std::string tail = rest.substr(end);
    if (const auto include = tail.find(" INCLUDE ("); include != std::string::npos) {
        std::size_t include_end = 0;
        const std::string saved = rest;
        rest = tail;
        spec.include = list(include + 9, include_end);
        tail = rest.substr(include_end);
        rest = saved;
    }
    if (const auto where = tail.find(" WHERE "); where != std::string::npos) {
        spec.predicate = tail.substr(where + 7);
    }
    return spec;
}

struct Prepared {
    std::vector<analyzer::ParsedWorkloadStatement> parsed;
    std::vector<analyzer::advisor::StatementSetup> setups;
    int failed = 0;
};

struct Evaluation {
    double without = 0;
    double with = 0;
    int statements = 0;
    int failed = 0;
};

Evaluation evaluate(analyzer::advisor::PlannerCostModel& model, const Prepared& prepared,
                    const std::vector<analyzer::IndexSpec>& set) {
    Evaluation out;
    for (const auto& setup : prepared.setups) {
        std::vector<analyzer::IndexSpec> config;
        for (const analyzer::IndexSpec& spec : set) {
            const bool reads = std::any_of(setup.tables.begin(), setup.tables.end(), [&](const auto& use) {
                return use.table->name == spec.table && use.table->schema == spec.table_schema;
            });
            if (reads) {
                config.push_back(spec);
            }
        }
        auto before = model.cost(setup, {});
        auto after = model.cost(setup, config);
        if (!before || !after) {
            ++out.failed;
            continue;
        }
        out.without += before->planner_cost;
        out.with += after->planner_cost;
        ++out.statements;
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr, "usage: advisor_quality DSN [--top N] [--min-workload-share X] [--without KIND,...] "
                           "[--max-indexes N]... [--indexes FILE]...\n");
        return 2;
    }
    const std::string dsn = argv[1];
    int top = 5000;
    double min_share = -1;
    std::vector<int> limits;
    std::vector<std::string> files;
    std::vector<std::string> without;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        if (flag == "--top") {
            top = std::atoi(argv[i + 1]);
        } else if (flag == "--max-indexes") {
            limits.push_back(std::atoi(argv[i + 1]));
        } else if (flag == "--min-workload-share") {
            min_share = std::atof(argv[i + 1]);
        } else if (flag == "--without") {
            const std::string_view list = argv[i + 1];
            for (std::size_t start = 0; start <= list.size();) {
                const std::size_t comma = std::min(list.find(',', start), list.size());
                if (comma > start) {
                    without.emplace_back(list.substr(start, comma - start));
                }
                start = comma + 1;
            }
        } else if (flag == "--indexes") {
            files.emplace_back(argv[i + 1]);
        } else {
            fmt::print(stderr, "advisor_quality: unknown option {}\n", flag);
            return 2;
        }
    }
    auto connection = db::Connection::open(dsn);
    if (!connection) {
        fmt::print(stderr, "advisor_quality: {}\n", connection.error().message);
        return 3;
    }
    db::ReadOptions read;
    read.top = top;
    auto workload = db::read_workload(*connection, read);
    if (!workload) {
        fmt::print(stderr, "advisor_quality: {}\n", workload.error().message);
        return 3;
    }
    db::LivePlanner planner(*connection);
    if (!planner.supports_hypothetical()) {
        fmt::print(stderr, "advisor_quality: HypoPG is not created in this database\n");
        return 3;
    }

    // The statements every set is judged on.
    Prepared prepared;
    for (const analyzer::WorkloadStatement& statement : workload->statements) {
        prepared.parsed.push_back({&statement, sqlparse::parse_statement(statement.text)});
    }
    analyzer::advisor::TypeMemory memory;
    for (std::size_t i = 0; i < prepared.parsed.size(); ++i) {
        const auto& parsed = prepared.parsed[i];
        if (!parsed.parsed.statement || parsed.parsed.statement->kind == sqlparse::StatementKind::utility ||
            parsed.source->truncated) {
            continue;
        }
        auto setup = analyzer::advisor::setup_statement(*workload, parsed, static_cast<int>(i));
        auto types = analyzer::advisor::prepare_types(planner, setup, memory);
        if (!types) {
            ++prepared.failed;
            continue;
        }
        setup.param_sets = analyzer::advisor::representative_params(*workload, setup, *types);
        prepared.setups.push_back(std::move(setup));
    }
    analyzer::advisor::PlannerCostModel model(planner);
    fmt::print("workload: {} statements read, {} evaluated, {} could not be prepared\n", workload->statements.size(),
               prepared.setups.size(), prepared.failed);

    auto report = [&](const std::string& label, const std::vector<analyzer::IndexSpec>& set, const std::string& extra) {
        const Evaluation e = evaluate(model, prepared, set);
        fmt::print("{}: {} indexes, relative estimated workload cost {:.3f} ({:.0f} -> {:.0f} over {} statements, "
                   "{} not costed){}\n",
                   label, set.size(), e.without > 0 ? e.with / e.without : 1.0, e.without, e.with, e.statements,
                   e.failed, extra);
    };
    for (const int limit : limits) {
        analyzer::AnalyzeOptions options;
        options.max_indexes = limit;
        options.without_candidate_kinds = without;
        if (min_share >= 0) {
            options.min_workload_share = min_share;
        }
        // A session of its own: each planner tracks which hypothetical indexes its session shows.
        auto own = db::Connection::open(dsn);
        if (!own) {
            fmt::print(stderr, "advisor_quality: {}\n", own.error().message);
            return 3;
        }
        db::LivePlanner fresh(*own);
        const auto start = std::chrono::steady_clock::now();
        const analyzer::AdvisorResult result = analyzer::advise_indexes(*workload, prepared.parsed, &fresh, options);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        report(fmt::format("--max-indexes {}", limit), result.recommended,
               fmt::format("; advisor: {} planned, {} not, {:.1f} s, {} planner calls, {} describes",
                           result.statements_planned, result.statements_failed, seconds, fresh.planner_calls(),
                           fresh.describe_calls()));
    }
    for (const std::string& file : files) {
        std::ifstream in(file);
        if (!in) {
            fmt::print(stderr, "advisor_quality: cannot read {}\n", file);
            return 3;
        }
        std::vector<analyzer::IndexSpec> set;
        for (std::string line; std::getline(in, line);) {
            if (auto spec = spec_from_create(line)) {
                set.push_back(std::move(*spec));
            }
        }
        report(file, set, "");
    }
    return 0;
}
