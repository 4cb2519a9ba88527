// How the index advisor scales with the number of statements in pg_stat_statements.
//
//   advisor_scale DSN [--statements N] [--sizes 500,1000,2000,5000]
//
// DSN names a throwaway database that holds tables with rows (the shop workload, say): the
// benchmark resets pg_stat_statements for that database. It generates N (default 5000)
// distinct statements over the database's tables from their columns (filters, ranges, IN
// lists, joins on equal column names, ORDER BY, LIMIT, GROUP BY), runs each once in a scratch
// schema of empty copies of the tables (so that running them is instant; the text that
// pg_stat_statements keeps names the tables unqualified), then for each size runs the advisor
// as `dbadvise analyze --top SIZE` would, against the real tables, and prints the wall time,
// the planner calls (total and per statement), describe calls, and the process's peak RSS.
// pg_stat_statements.max must be above N (the server keeps at most that many entries).
#include "analyzer/index_advisor.hpp"
#include "db/connection.hpp"
#include "db/live_planner.hpp"
#include "db/workload_reader.hpp"
#include "sqlparse/parser.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <set>
#include <sstream>

namespace {

using namespace dbadvise;

double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

std::string literal_for(const std::string& type, std::mt19937& random) {
    const int n = static_cast<int>(random() % 1000);
    if (type.starts_with("timestamp") || type == "date") {
        return fmt::format("'2025-01-{:02d}'", 1 + n % 28);
    }
    if (type == "text" || type.starts_with("character")) {
        return fmt::format("'v{}'", n);
    }
    if (type == "boolean") {
        return n % 2 ? "true" : "false";
    }
    return std::to_string(n);
}

struct Column {
    std::string name;
    std::string type;
};

struct Table {
    std::string name;
    std::vector<Column> columns;
};

// Distinct statements after normalization (constants as $n, as pg_stat_statements keeps
// them): two shapes that normalize alike (a grouped statement names only the first column of
// its list) count once, so that `count` statements make `count` entries.
std::vector<std::string> generate(const std::vector<Table>& tables, std::size_t count) {
    std::mt19937 random(20240501);
    std::set<std::string> shapes;
    std::set<std::string> normalized;
    std::vector<std::string> out;
    const std::vector<std::string> ops = {"=", ">", "<", "IN", "BETWEEN"};
    for (std::size_t attempt = 0; out.size() < count && attempt < count * 50; ++attempt) {
        const Table& table = tables[random() % tables.size()];
        if (table.columns.size() < 2) {
            continue;
        }
        const std::size_t width = table.columns.size();
        // Select list: a subset of columns (bit mask), never empty.
        const std::uint32_t mask = 1 + static_cast<std::uint32_t>(random() % ((1u << std::min<std::size_t>(width, 8)) - 1));
        std::vector<std::string> list;
        for (std::size_t c = 0; c < width && c < 8; ++c) {
            if (mask & (1u << c)) {
                list.push_back(table.columns[c].name);
            }
        }
        const Column& filter = table.columns[random() % width];
        const std::string& op = ops[random() % ops.size()];
        const Column& second = table.columns[random() % width];
        const bool two = random() % 3 == 0 && second.name != filter.name;
        const int order = static_cast<int>(random() % (width + 1)) - 1; // -1: none
        const bool limit = random() % 2 == 0;
        const bool grouped = !limit && order < 0 && random() % 4 == 0;
        // A join with another table sharing a column name, now and then.
        const Table* other = nullptr;
        std::string on;
        if (random() % 5 == 0) {
            const Table& candidate = tables[random() % tables.size()];
            for (const Column& a : table.columns) {
                for (const Column& b : candidate.columns) {
                    if (&candidate != &table && (b.name == table.name.substr(0, table.name.size() - 1) + "_id" ||
                                                 a.name == candidate.name.substr(0, candidate.name.size() - 1) + "_id") &&
                        on.empty()) {
                        on = a.name == candidate.name.substr(0, candidate.name.size() - 1) + "_id"
                                 ? fmt::format("t.{} = o.id", a.name)
                                 : fmt::format("o.{} = t.id", b.name);
                        other = &candidate;
                    }
                }
            }
        }
        const std::string shape = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", table.name, mask, filter.name, op,
                                              two ? second.name : "", order, limit, grouped,
                                              other ? other->name : "", on);
        if (!shapes.insert(shape).second) {
            continue;
        }
        std::string where;
        if (op == "IN") {
            where = fmt::format("t.{} IN ({}, {}, {})", filter.name, literal_for(filter.type, random),
                                literal_for(filter.type, random), literal_for(filter.type, random));
        } else if (op == "BETWEEN") {
            where = fmt::format("t.{} BETWEEN {} AND {}", filter.name, literal_for(filter.type, random),
                                literal_for(filter.type, random));
        } else {
            where = fmt::format("t.{} {} {}", filter.name, op, literal_for(filter.type, random));
        }
        if (two) {
            where += fmt::format(" AND t.{} = {}", second.name, literal_for(second.type, random));
        }
        std::string select;
        for (const std::string& column : list) {
            select += (select.empty() ? "t." : ", t.") + column;
        }
        std::string sql;
        if (grouped) {
            sql = fmt::format("SELECT t.{0}, count(*) FROM {1} t WHERE {2} GROUP BY t.{0}", list.front(), table.name, where);
        } else {
            sql = fmt::format("SELECT {} FROM {} t{} WHERE {}", select, table.name,
                              other ? fmt::format(" JOIN {} o ON {}", other->name, on) : std::string(), where);
            if (order >= 0) {
                sql += fmt::format(" ORDER BY t.{}", table.columns[static_cast<std::size_t>(order)].name);
            }
            if (limit) {
                sql += " LIMIT 10";
            }
        }
        if (!normalized.insert(sqlparse::token_fingerprint(sql)).second) {
            continue;
        }
        out.push_back(std::move(sql));
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr, "usage: advisor_scale DSN [--statements N] [--sizes 500,1000,2000,5000]\n");
        return 2;
    }
    const std::string dsn = argv[1];
    std::size_t count = 5000;
    std::vector<int> sizes = {500, 1000, 2000, 5000};
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        if (flag == "--statements") {
            count = static_cast<std::size_t>(std::atol(argv[i + 1]));
        } else if (flag == "--sizes") {
            sizes.clear();
            std::stringstream list(argv[i + 1]);
            for (std::string item; std::getline(list, item, ',');) {
                sizes.push_back(std::atoi(item.c_str()));
            }
        } else {
            fmt::print(stderr, "advisor_scale: unknown option {}\n", flag);
            return 2;
        }
    }
    auto connection = db::Connection::open(dsn);
    if (!connection) {
        fmt::print(stderr, "advisor_scale: {}\n", connection.error().message);
        return 3;
    }
    auto max = connection->query("SELECT current_setting('pg_stat_statements.max')::int AS max", {},
                                 "pg_stat_statements.max");
    if (!max || max->int64(0, "max") < static_cast<std::int64_t>(count) + 100) {
        fmt::print(stderr, "advisor_scale: pg_stat_statements.max must be above {} (ALTER SYSTEM SET "
                           "pg_stat_statements.max = {}; and restart the server)\n",
                   count + 100, count + 1000);
        return 3;
    }

    // The tables to write statements for: the user tables with rows, and their columns.
    auto columns = connection->query(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.reltuples > 1000 AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY c.relname, a.attnum",
        {}, "tables");
    if (!columns) {
        fmt::print(stderr, "advisor_scale: {}\n", columns.error().message);
        return 3;
    }
    std::vector<Table> tables;
    for (int row = 0; row < columns->rows(); ++row) {
        const std::string name(columns->text(row, 0));
        if (tables.empty() || tables.back().name != name) {
            tables.push_back({name, {}});
        }
        tables.back().columns.push_back({std::string(columns->text(row, 1)), std::string(columns->text(row, 2))});
    }
    if (tables.empty()) {
        fmt::print(stderr, "advisor_scale: no table with more than 1000 rows in schema public\n");
        return 3;
    }
    const std::vector<std::string> statements = generate(tables, count);

    // Empty copies in a scratch schema; the statements run there, instantly. dbadvise's own
    // sessions are read-only and mark their statements (the workload reader skips those), so
    // the workload is run by psql, as an application would.
    const auto generated = std::chrono::steady_clock::now();
    const char* tmpdir = std::getenv("TMPDIR");
    std::string path_text = fmt::format("{}/advisor_scale_XXXXXX.sql", tmpdir && *tmpdir ? tmpdir : P_tmpdir);
    std::vector<char> path(path_text.begin(), path_text.end());
    path.push_back('\0');
    const int fd = mkstemps(path.data(), 4);
    if (fd < 0) {
        fmt::print(stderr, "advisor_scale: cannot create a temporary file\n");
        return 3;
    }
    {
        std::string script = "\\set ON_ERROR_STOP off\nDROP SCHEMA IF EXISTS dbadvise_scale CASCADE;\nCREATE SCHEMA dbadvise_scale;\n";
        for (const Table& table : tables) {
            script += fmt::format("CREATE TABLE dbadvise_scale.{0} (LIKE public.{0});\n", table.name);
        }
        script += "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);\n"
                  "SET search_path = dbadvise_scale;\n";
        for (const std::string& sql : statements) {
            script += sql + ";\n";
        }
        script += "RESET search_path;\n";
        if (write(fd, script.data(), script.size()) != static_cast<ssize_t>(script.size())) {
            fmt::print(stderr, "advisor_scale: cannot write {}\n", path.data());
            return 3;
        }
        close(fd);
    }
    std::string quoted;
    for (const char c : dsn) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    const std::string psql = access("/usr/lib/postgresql/15/bin/psql", X_OK) == 0 ? "/usr/lib/postgresql/15/bin/psql" : "psql";
    const int status = std::system(fmt::format("{} -X -q -d '{}' -f {} >/dev/null 2>&1", psql, quoted, path.data()).c_str());
    unlink(path.data());
    if (status != 0) {
        fmt::print(stderr, "advisor_scale: psql failed running the generated workload\n");
        return 3;
    }
    const double ran = std::chrono::duration<double>(std::chrono::steady_clock::now() - generated).count();
    fmt::print("generated and ran {} distinct statements over {} tables in {:.1f} s\n", statements.size(), tables.size(),
               ran);

    for (const int size : sizes) {
        auto session = db::Connection::open(dsn);
        if (!session) {
            fmt::print(stderr, "advisor_scale: {}\n", session.error().message);
            return 3;
        }
        const auto start = std::chrono::steady_clock::now();
        db::ReadOptions read;
        read.top = size;
        auto workload = db::read_workload(*session, read);
        if (!workload) {
            fmt::print(stderr, "advisor_scale: {}\n", workload.error().message);
            return 3;
        }
        std::vector<analyzer::ParsedWorkloadStatement> parsed;
        for (const analyzer::WorkloadStatement& statement : workload->statements) {
            parsed.push_back({&statement, sqlparse::parse_statement(statement.text)});
        }
        db::LivePlanner planner(*session);
        const analyzer::AdvisorResult result = analyzer::advise_indexes(*workload, parsed, &planner, {});
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double analyzed = std::max(1, result.statements_planned + result.statements_failed);
        fmt::print("--top {}: {} statements analyzed ({} not planned), {} recommended, wall {:.1f} s, planner calls "
                   "{} ({:.1f} per statement), describe calls {} ({:.1f} per statement), peak RSS {:.0f} MB\n",
                   size, result.statements_planned, result.statements_failed, result.recommended.size(), seconds,
                   planner.planner_calls(), planner.planner_calls() / analyzed, planner.describe_calls(),
                   planner.describe_calls() / analyzed, peak_rss_mb());
    }
    if (std::system(fmt::format("{} -X -q -d '{}' -c 'DROP SCHEMA dbadvise_scale CASCADE' >/dev/null 2>&1", psql, quoted)
                        .c_str()) != 0) {
        fmt::print(stderr, "advisor_scale: could not drop the scratch schema dbadvise_scale\n");
    }
    return 0;
}
