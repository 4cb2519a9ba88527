// analyze --queries on a large server log: read speed and memory.
//
//   query_log_bench [--mb N] [--format stderr|csvlog|jsonlog] [--style duration|statement]
//                   [--dir DIR] [--keep] [--gzip]
//   query_log_bench --file LOG [--gzip]   (your own log: read it, in the same runs, and keep it)
//
// Writes a log of N MB (default 1024) in the given format to DIR (default $TMPDIR or /tmp):
// 2,000 statement shapes with varied literal values, one in eight an extended-protocol
// execute with its DETAIL parameters line, one in sixteen over three lines, from 50 server
// processes. --style duration (the default) logs each as log_min_duration_statement does, one
// `duration: ... statement:` record; --style statement as log_statement = 'all' with
// log_duration does, `statement:` (or `execute`) when it starts and a bare `duration:` from
// the same process just before the process's next statement starts, so that some 50
// statements wait for their duration wherever the log is cut. Then, in the same run:
//   - the disk past the page cache: the file read with O_DIRECT, nothing done with it;
//   - the disk's read speed through the page cache: `cat FILE > /dev/null` with the file
//     dropped from the cache first (fdatasync and POSIX_FADV_DONTNEED, checked with mincore;
//     no root needed), measured again just before the read from the disk;
//   - the same with the reader's pattern of reads: one part of the file per CPU, each read on
//     a thread of its own in 1 MB blocks, nothing done with the bytes. This is the rate the
//     reader from the disk would reach if parsing cost nothing: the disk speed it is held to;
//   - sources::read_query_file on the file, as analyze --queries reads it: in parts on every
//     CPU from the disk (dropped again, right after the disk's two rates are measured once
//     more) and from the page cache, and on one thread from the page cache (what one CPU
//     gives).
// With --gzip, then: the log compressed by `gzip -6` (as logrotate leaves it) next to it,
// `gzip -dc` of it to /dev/null (decompression alone), and the reader on it, from the page
// cache (not in parts: a compressed file cannot be read from the middle; a second thread
// inflates while the first reads); rates in MB of the log, not of the compressed file.
// On a virtual machine the "disk" may be the host's cache: cat's figure then moves from run
// to run by several times, which is why it is measured just before the read it is compared to.
// Each read runs in a child process, so that its peak RSS is its own and not the
// generator's. The file is removed unless --keep. Compare the figures of one run: the
// machine is shared, and other work changes absolute speeds.
#include "sources/query_input.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

void generate(const std::string& path, std::size_t bytes, const std::string& format, bool started) {
    std::ofstream out(path, std::ios::binary);
    std::mt19937_64 random(42);
    std::size_t written = 0;
    std::string record;
    constexpr int k_processes = 50;
    std::vector<double> waiting(k_processes, -1); // --style statement: the duration each process owes
    // One record in the given format from `pid`: a LOG message with an optional DETAIL.
    const auto write = [&](std::uint64_t i, int pid, const std::string& message, const std::string& detail) {
        if (format == "csvlog") {
            record = fmt::format("2025-03-01 12:00:00.{:03} UTC,\"app\",\"shop\",{},\"10.0.0.1:5000\",65f1.{},"
                                 "{},\"SELECT\",2025-03-01 11:00:00 UTC,3/{},0,LOG,00000,{},{},,,,,,,,\"app\","
                                 "\"client backend\",,0\n",
                                 i % 1000, pid, pid - 4000, i, i, quoted_csv(message), detail.empty() ? "" : quoted_csv(detail));
        } else if (format == "jsonlog") {
            record = fmt::format("{{\"timestamp\":\"2025-03-01 12:00:00.{:03} UTC\",\"user\":\"app\",\"dbname\":\"shop\","
                                 "\"pid\":{},\"error_severity\":\"LOG\",\"message\":{}{}}}\n",
                                 i % 1000, pid, json_string(message),
                                 detail.empty() ? "" : ",\"detail\":" + json_string(detail));
        } else {
            std::string continued;
            for (char c : message) {
                continued += c;
                if (c == '\n') continued += '\t';
            }
            record = fmt::format("2025-03-01 12:00:00.{:03} UTC [{}] app@shop LOG:  {}\n", i % 1000, pid, continued);
            if (!detail.empty())
                record += fmt::format("2025-03-01 12:00:00.{:03} UTC [{}] app@shop DETAIL:  {}\n", i % 1000, pid, detail);
        }
        out << record;
        written += record.size();
    };
    for (std::uint64_t i = 0; written < bytes; ++i) {
        const int shape = static_cast<int>(random() % 2000);
        std::string sql = statement(random, shape);
        if (i % 16 == 0) sql = "SELECT count(*)\n  FROM orders\n WHERE customer_id = " + std::to_string(i % 977);
        const double ms = static_cast<double>(random() % 100000) / 1000.0;
        const bool execute = i % 8 == 1;
        const int process = static_cast<int>(i % k_processes);
        const int pid = 4000 + process;
        const std::string detail = execute ? "parameters: $1 = '" + std::to_string(i) + "'" : "";
        const std::string timed = started ? "" : fmt::format("duration: {:.3f} ms  ", ms);
        if (started && waiting[process] >= 0) write(i, pid, fmt::format("duration: {:.3f} ms", waiting[process]), "");
        waiting[process] = ms;
        write(i, pid,
              execute ? fmt::format("{}execute <unnamed>: SELECT * FROM t_{} WHERE id = $1", timed, shape)
                      : fmt::format("{}statement: {}", timed, sql),
              detail);
    }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The share of the file's pages in the page cache (mincore), or -1 when it cannot be told.
double cached_share(int fd, std::size_t size) {
    if (size == 0) return 0;
    void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return -1;
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> resident((size + page - 1) / page);
    double share = -1;
    if (mincore(map, size, resident.data()) == 0) {
        std::size_t in = 0;
        for (const unsigned char r : resident) in += r & 1;
        share = static_cast<double>(in) / static_cast<double>(resident.size());
    }
    munmap(map, size);
    return share;
}

// Drops the file's pages from the page cache, so that the next read comes from the disk, and
// checks that they are gone: pages just read can stay a moment (the kernel batches them per
// CPU before they can be dropped), so it tries again a few times.
bool evict(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    struct stat info {};
    bool ok = fstat(fd, &info) == 0 && fdatasync(fd) == 0;
    for (int attempt = 0; ok && attempt < 20; ++attempt) {
        ok = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
        const double share = cached_share(fd, static_cast<std::size_t>(info.st_size));
        if (ok && share >= 0 && share < 0.01) break;
        if (attempt == 19) ok = false;
        usleep(100000);
    }
    close(fd);
    if (!ok) std::printf("(could not drop the file from the page cache: the next figure is partly the cache's)\n");
    return ok;
}

// Reads the file with O_DIRECT in 4 MB blocks and drops the bytes: the disk's own rate.
// nullopt when the file system refuses O_DIRECT.
std::optional<double> direct_seconds(const std::string& path) {
    evict(path);
    const int fd = open(path.c_str(), O_RDONLY | O_DIRECT);
    if (fd < 0) return std::nullopt;
    constexpr std::size_t block = std::size_t{4} << 20;
    void* buffer = std::aligned_alloc(4096, block);
    const auto begin = std::chrono::steady_clock::now();
    bool ok = buffer != nullptr;
    while (ok) {
        const ssize_t got = read(fd, buffer, block);
        if (got <= 0) {
            ok = got == 0;
            break;
        }
    }
    const double s = seconds_since(begin);
    std::free(buffer);
    close(fd);
    return ok ? std::optional<double>(s) : std::nullopt;
}

// Reads the file in as many equal parts as `threads`, each on a thread of its own in 1 MB
// blocks, from the disk (dropped from the page cache first), and drops the bytes: the disk's
// rate through the page cache for the reader's pattern of reads, with no work done on them.
std::optional<double> parts_seconds(const std::string& path, unsigned threads) {
    evict(path);
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) return std::nullopt;
    struct stat info {};
    if (fstat(fd, &info) != 0) {
        close(fd);
        return std::nullopt;
    }
    const auto size = static_cast<std::size_t>(info.st_size);
    std::vector<char> failed(threads, 0);
    const auto begin = std::chrono::steady_clock::now();
    {
        std::vector<std::jthread> readers;
        for (unsigned k = 0; k < threads; ++k) {
            readers.emplace_back([&, k] {
                std::vector<char> buffer(std::size_t{1} << 20);
                const std::size_t end = size * (k + 1) / threads;
                for (std::size_t at = size * k / threads; at < end;) {
                    const ssize_t got = pread(fd, buffer.data(), std::min(buffer.size(), end - at), static_cast<off_t>(at));
                    if (got <= 0) {
                        failed[k] = 1;
                        return;
                    }
                    at += static_cast<std::size_t>(got);
                }
            });
        }
    }
    const double s = seconds_since(begin);
    close(fd);
    if (std::find(failed.begin(), failed.end(), 1) != failed.end()) return std::nullopt;
    return s;
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
std::optional<Figures> read_in_child(const std::string& path, unsigned threads) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return std::nullopt;
    const pid_t child = fork();
    if (child == 0) {
        close(pipefd[0]);
        const auto begin = std::chrono::steady_clock::now();
        sources::QueryInputOptions options;
        options.name = path;
        options.threads = threads;
        auto result = sources::read_query_file(path, options);
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
    bool gzip = false;
    std::string style = "duration";
    std::string file;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool valued = i + 1 < argc;
        bool ok = true;
        if (arg == "--mb" && valued) mb = std::stoul(argv[++i]);
        else if (arg == "--format" && valued) format = argv[++i];
        else if (arg == "--style" && valued) style = argv[++i];
        else if (arg == "--dir" && valued) dir = argv[++i];
        else if (arg == "--keep") keep = true;
        else if (arg == "--file" && valued) file = argv[++i];
        else if (arg == "--gzip") gzip = true;
        else ok = false;
        if (!ok || (style != "duration" && style != "statement")) {
            std::fprintf(stderr, "usage: query_log_bench [--mb N] [--format stderr|csvlog|jsonlog] [--style duration|statement]\n"
                                 "                       [--dir DIR] [--keep] [--gzip]\n"
                                 "       query_log_bench --file LOG [--gzip]\n");
            return 2;
        }
    }
    std::string path = fmt::format("{}/dbadvise-query-log-bench{}.{}", dir, style == "statement" ? "-statement" : "", format);
    auto start = std::chrono::steady_clock::now();
    double size_mb = static_cast<double>(mb);
    if (file.empty()) {
        generate(path, mb << 20, format, style == "statement");
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

    // The disk's rate through the page cache, measured just before the read from the disk.
    const auto cat_seconds = [&]() -> std::optional<double> {
        evict(path);
        const auto begin = std::chrono::steady_clock::now();
        const std::string cat = fmt::format("cat '{}' > /dev/null", path);
        if (std::system(cat.c_str()) != 0) return std::nullopt;
        const double s = seconds_since(begin);
        std::printf("disk: cat > /dev/null %.2f s, %.0f MB/s\n", s, size_mb / s);
        return s;
    };

    // The disk past the page cache: the file read with O_DIRECT, nothing done with it. What the
    // disk delivers when the kernel does not also fill its cache (which cat's figure includes).
    if (const std::optional<double> s = direct_seconds(path)) {
        std::printf("disk past the page cache (O_DIRECT): %.2f s, %.0f MB/s\n", *s, size_mb / *s);
    } else {
        std::printf("disk past the page cache: not measured (the file system refuses O_DIRECT)\n");
    }

    const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
    struct Run {
        std::string name;
        bool cold;
        unsigned threads;
    };
    const Run runs[] = {{fmt::format("from disk, {} threads", cpus), true, 0},
                        {fmt::format("from the page cache, {} threads", cpus), false, 0},
                        {"from the page cache, one thread", false, 1}};
    double cached_all = 0;
    double cached_one = 0;
    for (const Run& run : runs) {
        double cat_s = 0;
        std::optional<double> direct_s;
        std::optional<double> parts_s;
        if (run.cold) {
            direct_s = direct_seconds(path);
            if (direct_s) std::printf("disk past the page cache (O_DIRECT), again: %.2f s, %.0f MB/s\n", *direct_s, size_mb / *direct_s);
            const std::optional<double> s = cat_seconds();
            if (!s) return 1;
            cat_s = *s;
            parts_s = parts_seconds(path, cpus);
            if (parts_s) {
                std::printf("disk: %u threads reading a part each, nothing done with the bytes: %.2f s, %.0f MB/s\n", cpus,
                            *parts_s, size_mb / *parts_s);
            }
            evict(path);
        }
        const std::optional<Figures> figures = read_in_child(path, run.threads);
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
        if (!run.cold) (run.threads == 1 ? cached_one : cached_all) = rate;
        std::printf("read %s: %.2f s, %.0f MB/s", run.name.c_str(), figures->seconds, rate);
        if (run.cold) {
            std::printf(" (%.0f%% of cat's rate just before", 100.0 * cat_s / figures->seconds);
            if (parts_s) std::printf(", %.0f%% of the threads' reading in parts", 100.0 * *parts_s / figures->seconds);
            if (direct_s) std::printf(", %.0f%% of O_DIRECT's", 100.0 * *direct_s / figures->seconds);
            std::printf(")");
        }
        std::printf("; CPU %.2f s; peak RSS %.1f MB\n", figures->cpu_seconds, figures->peak_rss_mb);
    }
    if (cached_one > 0) std::printf("%u threads: %.2fx the one-thread rate\n", cpus, cached_all / cached_one);
    if (gzip) {
        const std::string packed = path + ".gz";
        auto begin = std::chrono::steady_clock::now();
        if (std::system(fmt::format("gzip -6 -c '{}' > '{}'", path, packed).c_str()) != 0) {
            std::fprintf(stderr, "gzip failed\n");
            return 1;
        }
        const double packed_mb = static_cast<double>(std::filesystem::file_size(packed)) / (1 << 20);
        std::printf("gzip -6: %.0f MB in %.1f s\n", packed_mb, seconds_since(begin));
        begin = std::chrono::steady_clock::now();
        if (std::system(fmt::format("gzip -dc '{}' > /dev/null", packed).c_str()) != 0) return 1;
        const double unpack_s = seconds_since(begin);
        std::printf("gzip -dc > /dev/null: %.2f s, %.0f MB/s of the log\n", unpack_s, size_mb / unpack_s);
        const std::optional<Figures> figures = read_in_child(packed, 0);
        std::remove(packed.c_str());
        if (!figures) {
            std::fprintf(stderr, "the reader failed on the compressed log\n");
            return 1;
        }
        std::printf("read the compressed log from the page cache: %.2f s, %.0f MB/s of the log (%.0f%% of gzip -dc's "
                    "rate); %lld executions, %zu statements; CPU %.2f s; peak RSS %.1f MB\n",
                    figures->seconds, size_mb / figures->seconds, 100.0 * unpack_s / figures->seconds,
                    figures->executions, figures->statements, figures->cpu_seconds, figures->peak_rss_mb);
    }
    double load = 0;
    if (getloadavg(&load, 1) == 1) std::printf("load average (1 min) after: %.2f\n", load);
    if (!keep) std::remove(path.c_str());
    return 0;
}
