// analyze --queries on a large server log: read speed and memory.
//
//   query_log_bench [--mb N] [--format stderr|csvlog|jsonlog] [--dir DIR] [--keep]
//   query_log_bench --file LOG     (your own log: read it, in the same runs, and keep it)
//
// Writes a log of N MB (default 1024) in the given format to DIR (default $TMPDIR or /tmp):
// duration lines for 2,000 statement shapes with varied literal values, one in eight an
// extended-protocol execute with its DETAIL parameters line, one in sixteen over three
// lines. Then, in the same run:
//   - the disk's read speed: `cat FILE > /dev/null` with the file evicted from the page cache
//     first (fdatasync and POSIX_FADV_DONTNEED, no root needed);
//   - sources::read_query_input on the file, as analyze --queries reads it, from the disk
//     (evicted again) and from the page cache, the latter with the second fingerprinting
//     thread and without it (what one CPU gives).
// Each read runs in a child process, so that its peak RSS is its own and not the
// generator's. The file is removed unless --keep. Compare the figures of one run: the
// machine is shared, and other work changes absolute speeds.
#include "sources/query_input.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace dbadvise;

namespace {

std::string statement(std::mt19937_64& random, int shape) {
    const auto value = [&random] { return std::to_string(random() % 1000000); };
    switch (shape % 4) {
    case 0:
        return fmt::format("SELECT * FROM orders_{} WHERE customer_id = {} AND status = 'open'", shape, value());
    case 1:
        return fmt::format("UPDATE items_{} SET stock = stock - {} WHERE sku = 'S-{}'", shape, value(), value());
    case 2:
        return fmt::format("SELECT o.id, c.name FROM orders_{} o JOIN customers c ON c.id = o.customer_id "
                           "WHERE o.created_at > '2025-01-01' AND c.country_id IN ({}, {}, {})",
                           shape, value(), value(), value());
    default:
        return fmt::format("INSERT INTO events_{} (kind, payload) VALUES ('click', '{{\"x\": {}}}')", shape, value());
    }
}

std::string quoted_csv(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + '"';
}

void generate(const std::string& path, std::size_t bytes, const std::string& format) {
    std::ofstream out(path, std::ios::binary);
    std::mt19937_64 random(42);
    std::size_t written = 0;
    std::string record;
    for (std::uint64_t i = 0; written < bytes; ++i) {
        const int shape = static_cast<int>(random() % 2000);
        std::string sql = statement(random, shape);
        if (i % 16 == 0) sql = "SELECT count(*)\n  FROM orders\n WHERE customer_id = " + std::to_string(i % 977);
        const double ms = static_cast<double>(random() % 100000) / 1000.0;
        const bool execute = i % 8 == 1;
        std::string message = execute ? fmt::format("duration: {:.3f} ms  execute <unnamed>: SELECT * FROM t_{} WHERE id = $1", ms, shape)
                                      : fmt::format("duration: {:.3f} ms  statement: {}", ms, sql);
        const std::string detail = "parameters: $1 = '" + std::to_string(i) + "'";
        if (format == "csvlog") {
            record = fmt::format("2025-03-01 12:00:00.{:03} UTC,\"app\",\"shop\",{},\"10.0.0.1:5000\",65f1.{},"
                                 "{},\"SELECT\",2025-03-01 11:00:00 UTC,3/{},0,LOG,00000,{},{},,,,,,,,\"app\","
                                 "\"client backend\",,0\n",
                                 i % 1000, 4000 + i % 50, i % 50, i, i, quoted_csv(message), execute ? quoted_csv(detail) : "");
        } else if (format == "jsonlog") {
            record = fmt::format("{{\"timestamp\":\"2025-03-01 12:00:00.{:03} UTC\",\"user\":\"app\",\"dbname\":\"shop\","
                                 "\"pid\":{},\"error_severity\":\"LOG\",\"message\":{}{}}}\n",
                                 i % 1000, 4000 + i % 50, json_string(message),
                                 execute ? ",\"detail\":" + json_string(detail) : "");
        } else {
            std::string continued;
            for (char c : message) {
                continued += c;
                if (c == '\n') continued += '\t';
            }
            record = fmt::format("2025-03-01 12:00:00.{:03} UTC [{}] app@shop LOG:  {}\n", i % 1000, 4000 + i % 50, continued);
            if (execute)
                record += fmt::format("2025-03-01 12:00:00.{:03} UTC [{}] app@shop DETAIL:  {}\n", i % 1000, 4000 + i % 50, detail);
        }
        out << record;
        written += record.size();
    }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Drops the file's pages from the page cache, so that the next read comes from the disk.
bool evict(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    const bool ok = fdatasync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    close(fd);
    return ok;
}

struct Figures {
    double seconds = 0;
    double cpu_seconds = 0;
    double peak_rss_mb = 0;
    std::size_t statements = 0;
    std::size_t findings = 0;
    long long executions = 0;
};

// Reads the log in a child process, as analyze --queries does.
std::optional<Figures> read_in_child(const std::string& path, bool second_thread) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return std::nullopt;
    const pid_t child = fork();
    if (child == 0) {
        close(pipefd[0]);
        std::ifstream in(path, std::ios::binary);
        sources::QueryInputOptions options;
        options.name = path;
        options.second_thread = second_thread;
        const auto begin = std::chrono::steady_clock::now();
        auto result = sources::read_query_input(in, options);
        const double s = seconds_since(begin);
        std::int64_t executions = 0;
        if (result) {
            for (const auto& [name, value] : result->stats) {
                if (name == "queries_executions") executions = std::get<std::int64_t>(value);
            }
        }
        std::string line = result ? fmt::format("{} {} {} {}\n", s, result->statements.size(), result->findings.size(),
                                                executions)
                                  : "error\n";
        if (write(pipefd[1], line.data(), line.size()) < 0) _exit(1);
        _exit(result ? 0 : 1);
    }
    close(pipefd[1]);
    char buffer[256] = {};
    const ssize_t got = read(pipefd[0], buffer, sizeof buffer - 1);
    close(pipefd[0]);
    int status = 0;
    rusage usage{};
    wait4(child, &status, 0, &usage);
    Figures figures;
    if (got <= 0 || std::sscanf(buffer, "%lf %zu %zu %lld", &figures.seconds, &figures.statements, &figures.findings,
                                &figures.executions) != 4)
        return std::nullopt;
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    figures.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    figures.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
    return figures;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t mb = 1024;
    std::string format = "stderr";
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = tmp != nullptr ? tmp : "/tmp";
    bool keep = false;
    std::string file;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--mb" && i + 1 < argc) mb = std::stoul(argv[++i]);
        else if (arg == "--format" && i + 1 < argc) format = argv[++i];
        else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
        else if (arg == "--keep") keep = true;
        else if (arg == "--file" && i + 1 < argc) file = argv[++i];
        else {
            std::fprintf(stderr, "usage: query_log_bench [--mb N] [--format stderr|csvlog|jsonlog] [--dir DIR] [--keep]\n"
                                 "       query_log_bench --file LOG\n");
            return 2;
        }
    }
    std::string path = fmt::format("{}/dbadvise-query-log-bench.{}", dir, format);
    auto start = std::chrono::steady_clock::now();
    double size_mb = static_cast<double>(mb);
    if (file.empty()) {
        generate(path, mb << 20, format);
        std::printf("generated %s (%zu MB) in %.1f s\n", path.c_str(), mb, seconds_since(start));
    } else {
        path = file;
        keep = true;
        std::ifstream in(path, std::ios::binary | std::ios::ate);
        if (!in) {
            std::fprintf(stderr, "cannot open %s\n", path.c_str());
            return 2;
        }
        size_mb = static_cast<double>(in.tellg()) / (1 << 20);
        format = "(detected)";
    }

    const bool evicted = evict(path);
    if (!evicted) std::printf("(could not evict the file from the page cache: the disk figures are the cache's)\n");
    start = std::chrono::steady_clock::now();
    const std::string cat = fmt::format("cat '{}' > /dev/null", path);
    if (std::system(cat.c_str()) != 0) return 1;
    const double cat_s = seconds_since(start);
    std::printf("disk: cat > /dev/null %.2f s, %.0f MB/s\n", cat_s, size_mb / cat_s);

    struct Run {
        const char* name;
        bool cold;
        bool second_thread;
    };
    const Run runs[] = {{"from disk, two threads", true, true},
                        {"from the page cache, two threads", false, true},
                        {"from the page cache, one thread", false, false}};
    double cached_two = 0;
    double cached_one = 0;
    for (const Run& run : runs) {
        if (run.cold) evict(path);
        const std::optional<Figures> figures = read_in_child(path, run.second_thread);
        if (!figures) {
            if (!keep) std::remove(path.c_str());
            std::fprintf(stderr, "the reader failed\n");
            return 1;
        }
        if (&run == &runs[0]) {
            std::printf("format %s: %.0f MB, %lld executions, %zu statements after grouping, %zu findings\n",
                        format.c_str(), size_mb, figures->executions, figures->statements, figures->findings);
        }
        const double rate = size_mb / figures->seconds;
        if (!run.cold) (run.second_thread ? cached_two : cached_one) = rate;
        std::printf("read %s: %.2f s, %.0f MB/s (%.0f%% of the disk's rate); CPU %.2f s; peak RSS %.1f MB\n",
                    run.name, figures->seconds, rate, 100.0 * cat_s / figures->seconds, figures->cpu_seconds,
                    figures->peak_rss_mb);
    }
    if (cached_one > 0) std::printf("second thread: %.2fx the one-thread rate\n", cached_two / cached_one);
    double load = 0;
    if (getloadavg(&load, 1) == 1) std::printf("load average (1 min) after: %.2f\n", load);
    if (!keep) std::remove(path.c_str());
    return 0;
}
