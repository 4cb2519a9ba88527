// analyze --queries on a large server log: read speed and memory.
//
//   query_log_bench [--mb N] [--format stderr|csvlog|jsonlog] [--dir DIR] [--keep]
//
// Writes a log of N MB (default 1024) in the given format to DIR (default $TMPDIR or /tmp):
// duration lines for 2,000 statement shapes with varied literal values, one in eight an
// extended-protocol execute with its DETAIL parameters line, one in sixteen over three
// lines. Then reads it in a child process with sources::read_query_input, as analyze
// --queries does, and prints the log's size, the read time, MB/s, the child's peak RSS, and
// for comparison the time of `cat FILE > /dev/null` (the disk or page-cache speed). The
// child's peak RSS is its own, not the generator's. The file is removed unless --keep.
#include "sources/query_input.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
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

} // namespace

int main(int argc, char** argv) {
    std::size_t mb = 1024;
    std::string format = "stderr";
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = tmp != nullptr ? tmp : "/tmp";
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--mb" && i + 1 < argc) mb = std::stoul(argv[++i]);
        else if (arg == "--format" && i + 1 < argc) format = argv[++i];
        else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
        else if (arg == "--keep") keep = true;
        else {
            std::fprintf(stderr, "usage: query_log_bench [--mb N] [--format stderr|csvlog|jsonlog] [--dir DIR] [--keep]\n");
            return 2;
        }
    }
    const std::string path = fmt::format("{}/dbadvise-query-log-bench.{}", dir, format);
    auto start = std::chrono::steady_clock::now();
    generate(path, mb << 20, format);
    std::printf("generated %s (%zu MB) in %.1f s\n", path.c_str(), mb, seconds_since(start));

    start = std::chrono::steady_clock::now();
    const std::string cat = fmt::format("cat '{}' > /dev/null", path);
    if (std::system(cat.c_str()) != 0) return 1;
    const double cat_s = seconds_since(start);

    int pipefd[2];
    if (pipe(pipefd) != 0) return 1;
    const pid_t child = fork();
    if (child == 0) {
        close(pipefd[0]);
        std::ifstream in(path, std::ios::binary);
        sources::QueryInputOptions options;
        options.name = path;
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
    int status = 0;
    rusage usage{};
    wait4(child, &status, 0, &usage);
    if (!keep) std::remove(path.c_str());
    double read_s = 0;
    std::size_t statements = 0;
    std::size_t findings = 0;
    long long executions = 0;
    if (got <= 0 || std::sscanf(buffer, "%lf %zu %zu %lld", &read_s, &statements, &findings, &executions) != 4) {
        std::fprintf(stderr, "the reader failed\n");
        return 1;
    }
    std::printf("format %s: %zu MB, %lld executions, %zu statements after grouping, %zu findings\n", format.c_str(), mb,
                executions, statements, findings);
    std::printf("read: %.2f s, %.0f MB/s; peak RSS %.1f MB\n", read_s, static_cast<double>(mb) / read_s,
                static_cast<double>(usage.ru_maxrss) / 1024.0);
    std::printf("cat > /dev/null: %.2f s, %.0f MB/s\n", cat_s, static_cast<double>(mb) / cat_s);
    return 0;
}
