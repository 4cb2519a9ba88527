// Snapshots, measured with the dbadvise binary as a user runs it, each run a child process
// whose wall time and peak RSS (wait4) are printed:
//
//   snapshot_bench DBADVISE [--statements N] [--dsn DSN] [--keep DIR]
//
// 1. Generates a snapshot of N statements (default 20,000) over 200 tables with pg_stats for
//    every column, writes it plain and gzip to a temporary directory, and times
//    `dbadvise analyze --snapshot FILE` on it: the default --top 50, and every statement
//    (--top N). Target: under 30 s and 200 MB.
// 2. With --dsn (the shop database of tests/pg/cluster): times `dbadvise snapshot` plain and
//    .gz, with and without --no-values, and prints each file's size.
// --keep DIR writes the files to DIR and leaves them there (to profile a run by hand).
#include "analyzer/snapshot_json.hpp"
#include "sources/gzip.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace dbadvise;

struct Outcome {
    int status = -1;
    double seconds = 0;     // wall
    double cpu_seconds = 0; // user + system of the child
    long peak_kb = 0;
};

// Runs `argv` with standard output and error to /dev/null; its wall time and peak RSS.
Outcome run(const std::vector<std::string>& argv) {
    // The child's freopen would flush what the parent has buffered a second time.
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> args;
        for (const std::string& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        if (std::freopen("/dev/null", "w", stdout) == nullptr ||
            std::freopen("/dev/null", "w", stderr) == nullptr)
            _exit(126);
        execv(args[0], args.data());
        _exit(127);
    }
    Outcome outcome;
    int status = 0;
    rusage usage{};
    if (pid > 0 && wait4(pid, &status, 0, &usage) == pid) {
        outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        outcome.peak_kb = usage.ru_maxrss;
        const auto seconds = [](const timeval& t) {
            return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
        };
        outcome.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    }
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome;
}

// A workload of `count` statements over 200 tables: lookups, ranges, joins, ORDER BY ... LIMIT,
// IN lists, aggregates, writes; all distinct.
analyzer::Workload generate(int count) {
    analyzer::Workload w;
    w.server_version = "15.10";
    w.server_version_num = 150010;
    w.database = "generated";
    w.search_path = {"public"};
    w.capture.captured_at = "2025-03-01 12:00:00+00";
    w.capture.system_identifier = "7400000000000000000";
    w.capture.database_oid = 16384;
    w.capture.statements_version = "1.10";
    w.capture.statements_dealloc = 0;
    w.settings = {{"shared_buffers", "1GB", "8kB", "131072"},
                  {"work_mem", "4MB", "kB", "4096"},
                  {"track_activity_query_size", "4kB", "B", "4096"},
                  {"random_page_cost", "4", "", "4"},
                  {"track_io_timing", "on", "", "on"}};
    constexpr int k_tables = 200;
    const std::vector<std::pair<std::string, std::string>> columns = {
        {"id", "bigint"},
        {"account_id", "bigint"},
        {"status", "text"},
        {"created_at", "timestamp with time zone"},
        {"amount", "numeric(12,2)"},
        {"note", "text"}};
    for (int t = 0; t < k_tables; ++t) {
        analyzer::CatalogTable table;
        table.schema = "public";
        table.name = fmt::format("t{}", t);
        table.reltuples = 100000.0 * (1 + t % 20);
        table.relpages = static_cast<std::int64_t>(table.reltuples / 60);
        table.size_bytes = table.relpages * 8192;
        table.n_live_tup = static_cast<std::int64_t>(table.reltuples);
        table.ever_analyzed = true;
        table.heap_blks_hit = 1000000;
        table.heap_blks_read = 1000;
        int attnum = 0;
        for (const auto& [name, type] : columns) {
            table.columns.push_back({name, type, ++attnum, name == "id"});
            analyzer::ColumnStats stats;
            stats.schema = "public";
            stats.table = table.name;
            stats.column = name;
            stats.n_distinct = name == "id" ? -1 : name == "status" ? 5 : -0.2;
            stats.avg_width = name == "note" ? 40 : 8;
            stats.correlation = name == "created_at" || name == "id" ? 0.99 : 0.01;
            if (name == "status") {
                stats.most_common_vals = {"delivered", "shipped", "open", "cancelled", "returned"};
                stats.most_common_freqs = {0.8, 0.1, 0.05, 0.03, 0.02};
            } else {
                for (int b = 0; b <= 100; ++b)
                    stats.histogram_bounds.push_back(std::to_string(b * 1000 + t));
            }
            stats.histogram_count = static_cast<int>(stats.histogram_bounds.size());
            w.column_stats.push_back(std::move(stats));
        }
        w.tables.push_back(std::move(table));
        analyzer::CatalogIndex pkey;
        pkey.schema = pkey.table_schema = "public";
        pkey.table = fmt::format("t{}", t);
        pkey.name = pkey.table + "_pkey";
        pkey.keys = {"id"};
        pkey.descending = {false};
        pkey.method = "btree";
        pkey.definition = fmt::format("CREATE UNIQUE INDEX {} ON public.{} USING btree (id)",
                                      pkey.name, pkey.table);
        pkey.unique = pkey.primary = pkey.is_constraint = true;
        pkey.size_bytes = 2'000'000;
        pkey.idx_scan = 1000;
        w.indexes.push_back(std::move(pkey));
    }
    const std::vector<std::string> templates = {
        "SELECT id, status, amount FROM {t} WHERE account_id = $1",
        "SELECT id, amount FROM {t} WHERE account_id = $1 AND status = $2",
        "SELECT * FROM {t} WHERE created_at > $1 ORDER BY created_at DESC LIMIT $2",
        "SELECT count(*), sum(amount) FROM {t} WHERE created_at BETWEEN $1 AND $2",
        "SELECT a.id, b.note FROM {t} a JOIN {u} b ON b.account_id = a.account_id WHERE a.status = "
        "$1",
        "UPDATE {t} SET status = $1 WHERE id = $2",
        "INSERT INTO {t} (id, account_id, status, created_at, amount) VALUES ($1, $2, $3, $4, $5)",
        "SELECT id FROM {t} WHERE lower(note) = lower($1)",
        "SELECT id, note FROM {t} WHERE account_id IN ($1, $2, $3) ORDER BY id LIMIT $4",
        "SELECT status, count(*) FROM {t} WHERE account_id = $1 GROUP BY status",
    };
    const std::vector<std::string> extra = {
        "",         ", note",      ", created_at", ", account_id",       ", amount",
        ", status", ", id AS key", ", note AS n",  ", created_at AS at", ", amount AS a"};
    w.statement_columns = {{"userid", "oid"},
                           {"dbid", "oid"},
                           {"toplevel", "boolean"},
                           {"queryid", "bigint"},
                           {"query", "text"},
                           {"calls", "bigint"},
                           {"total_exec_time", "double precision"},
                           {"mean_exec_time", "double precision"},
                           {"rows", "bigint"},
                           {"shared_blks_hit", "bigint"},
                           {"shared_blks_read", "bigint"},
                           {"temp_blks_read", "bigint"},
                           {"temp_blks_written", "bigint"}};
    for (int i = 0; i < count; ++i) {
        const int t = i % k_tables;
        const std::size_t shape = static_cast<std::size_t>(i / k_tables) % templates.size();
        const std::size_t variant =
            static_cast<std::size_t>(i / (k_tables * static_cast<int>(templates.size()))) %
            extra.size();
        std::string text = templates[shape];
        text.replace(text.find("{t}"), 3, fmt::format("t{}", t));
        if (const auto u = text.find("{u}"); u != std::string::npos)
            text.replace(u, 3, fmt::format("t{}", (t + 1) % k_tables));
        if (text.starts_with("SELECT id") || text.starts_with("SELECT a.id")) {
            const std::size_t from = text.find(" FROM ");
            text.insert(from, extra[variant]);
        } else if (variant > 0) {
            text += fmt::format(" /* v{} */", variant);
        }
        const std::int64_t calls = 1 + (static_cast<std::int64_t>(i) * 7919) % 5000;
        const double mean = 0.05 + static_cast<double>((i * 104729) % 1000) / 50.0;
        analyzer::WorkloadStatement s;
        s.values = {std::int64_t{10},
                    std::int64_t{16384},
                    true,
                    static_cast<std::int64_t>(1'000'003LL * i + 17),
                    text,
                    calls,
                    mean * static_cast<double>(calls),
                    mean,
                    calls,
                    calls * 20,
                    calls * 2,
                    std::int64_t{0},
                    std::int64_t{0}};
        w.statements.push_back(std::move(s));
    }
    return w;
}

void print_run(std::string_view what, const Outcome& outcome) {
    fmt::print("  {:<52} {:>7.2f} s wall {:>7.2f} s CPU  peak RSS {:>6.1f} MB  exit {}\n", what,
               outcome.seconds, outcome.cpu_seconds, static_cast<double>(outcome.peak_kb) / 1024.0,
               outcome.status);
}

std::string bytes(std::uintmax_t n) {
    return n >= 1024 * 1024 ? fmt::format("{:.2f} MB", static_cast<double>(n) / (1024.0 * 1024.0))
                            : fmt::format("{:.1f} kB", static_cast<double>(n) / 1024.0);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr,
                   "usage: snapshot_bench DBADVISE [--statements N] [--dsn DSN] [--keep DIR]\n");
        return 2;
    }
    const std::string dbadvise = std::filesystem::absolute(argv[1]).string();
    int count = 20000;
    std::string dsn;
    std::string keep;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (std::string_view(argv[i]) == "--statements")
            count = std::atoi(argv[i + 1]);
        if (std::string_view(argv[i]) == "--dsn")
            dsn = argv[i + 1];
        if (std::string_view(argv[i]) == "--keep")
            keep = argv[i + 1];
    }
    const auto dir = keep.empty() ? std::filesystem::temp_directory_path() /
                                        fmt::format("dbadvise-snapshot-bench-{}", getpid())
                                  : std::filesystem::path(keep);
    std::filesystem::create_directories(dir);

    const auto started = std::chrono::steady_clock::now();
    const std::string document = analyzer::write_snapshot(generate(count), "bench");
    const std::string plain = (dir / "generated.json").string();
    const std::string packed = (dir / "generated.json.gz").string();
    std::ofstream(plain, std::ios::binary) << document;
    std::ofstream(packed, std::ios::binary) << sources::gzip_compress(document);
    fmt::print("generated snapshot: {} statements, {} plain, {} gzip ({:.1f} s)\n", count,
               bytes(std::filesystem::file_size(plain)), bytes(std::filesystem::file_size(packed)),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    const std::string top = std::to_string(count);
    print_run(
        "analyze --snapshot generated.json.gz (--top 50)",
        run({dbadvise, "analyze", "--snapshot", packed, "--format", "json", "-o", "/dev/null"}));
    print_run(
        "analyze --snapshot generated.json (--top 50)",
        run({dbadvise, "analyze", "--snapshot", plain, "--format", "json", "-o", "/dev/null"}));
    print_run(fmt::format("analyze --snapshot generated.json.gz --top {}", count),
              run({dbadvise, "analyze", "--snapshot", packed, "--top", top, "--format", "json",
                   "-o", "/dev/null"}));
    print_run(fmt::format("analyze --snapshot ... --top {} (text)", count),
              run({dbadvise, "analyze", "--snapshot", packed, "--top", top, "-o", "/dev/null"}));

    if (!dsn.empty()) {
        fmt::print("dbadvise snapshot of {}:\n", dsn);
        for (const auto& [name, no_values] :
             std::vector<std::pair<std::string, bool>>{{"shop.json", false},
                                                       {"shop.json.gz", false},
                                                       {"shop_no_values.json", true},
                                                       {"shop_no_values.json.gz", true}}) {
            const std::string file = (dir / name).string();
            std::vector<std::string> args = {dbadvise, "snapshot", "--dsn", dsn, "-o", file};
            if (no_values)
                args.push_back("--no-values");
            const Outcome outcome = run(args);
            print_run(fmt::format("snapshot{} -o {}", no_values ? " --no-values" : "", name),
                      outcome);
            if (outcome.status == 0)
                fmt::print("  {:<52} {:>10}\n", "", bytes(std::filesystem::file_size(file)));
        }
    }
    if (keep.empty())
        std::filesystem::remove_all(dir);
    return 0;
}
