// lint_bench: generates a deterministic corpus of 100,000 varied SQL statements and measures,
// in the same run,
//   (a) raw libpg_query throughput: pg_query_parse on each statement of the corpus;
//   (b) full lint throughput: analyzer::lint_text over the whole file (split, parse, query
//       model, every rule) and reports::render_json written to /dev/null;
// then prints the ratio b/a (target >= 50%) and lint's peak RSS (target < 200 MB).
//
// Lint runs in a fresh child process (this program re-executed with --lint-child) so that its
// peak RSS is its own and not the generator's or the corpus copy held for (a). The child sets
// the allocator up as the dbadvise executable does (util::tune_allocator).
//
// Each measurement is the best of three runs.
//
// With --formats it measures instead what libpg_query's two tree outputs cost on the same
// corpus, in batches of 32 statements as lint parses them: pg_query_parse (JSON text),
// pg_query_parse_protobuf, and protobuf plus protobuf-c's unpack into C structs. It is the
// evidence against reading the protobuf output: with libpg_query 15-4.0 it alone costs
// several times the JSON one. Lint reads neither for most statements: it builds its tree from
// the parse nodes (sqlparse/pg_tree.cpp; docs/ARCHITECTURE.md, Performance).
//
// Usage: lint_bench [--statements N] [--keep FILE] [--formats]
#include "analyzer/finding.hpp"
#include "analyzer/lint.hpp"
#include "sqlparse/parser.hpp"
#include "reports/report.hpp"
#include "util/allocator.hpp"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

// A small deterministic generator (64-bit LCG): the corpus is identical on every run.
class Random {
public:
    explicit Random(std::uint64_t seed) : m_state(seed) {}
    std::uint32_t next() {
        m_state = m_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(m_state >> 33);
    }
    int below(int n) { return static_cast<int>(next() % static_cast<std::uint32_t>(n)); }
    template <std::size_t N>
    std::string_view pick(const std::array<std::string_view, N>& items) {
        return items[static_cast<std::size_t>(below(static_cast<int>(N)))];
    }

private:
    std::uint64_t m_state;
};

constexpr int k_runs = 3;

constexpr std::array<std::string_view, 6> k_tables = {"orders", "customers", "products",
                                                      "invoices", "events", "sessions"};
constexpr std::array<std::string_view, 6> k_columns = {"status", "region", "kind", "owner_id",
                                                       "category", "created_at"};
constexpr std::array<std::string_view, 4> k_words = {"alpha", "beta", "gamma", "delta"};

std::string statement(Random& r, int i) {
    const std::string_view t = r.pick(k_tables);
    const std::string_view u = r.pick(k_tables);
    const std::string_view c = r.pick(k_columns);
    const std::string_view w = r.pick(k_words);
    const int n = r.below(100000);
    switch (i % 24) {
    case 0:
        return fmt::format("SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = "
                           "o.customer_id WHERE o.status = '{}' AND o.created_at > now() - interval "
                           "'{} days' ORDER BY o.created_at DESC LIMIT {}",
                           w, n % 30, 10 + n % 50);
    case 1:
        return fmt::format("SELECT * FROM {} WHERE {} LIKE '%{}{}%'", t, c, w, n);
    case 2:
        return fmt::format("SELECT id, {} FROM {} WHERE id IN (SELECT owner_id FROM {} WHERE {} = "
                           "'{}') LIMIT 100",
                           c, t, u, c, w);
    case 3:
        return fmt::format("SELECT u.id FROM {} u WHERE u.id NOT IN (SELECT b.owner_id FROM bans b "
                           "WHERE b.until > now()) LIMIT 50",
                           t);
    case 4:
        return fmt::format("SELECT id, name FROM products WHERE category = $1 ORDER BY name LIMIT 20 "
                           "OFFSET {}",
                           n * 10);
    case 5:
        return fmt::format("UPDATE accounts SET balance = balance + {} WHERE id = {}", n % 500, n);
    case 6:
        return fmt::format("DELETE FROM sessions WHERE expires_at < now() - interval '{} hours'",
                           1 + n % 48);
    case 7:
        return fmt::format("INSERT INTO events (owner_id, kind, payload) VALUES ({}, '{}', "
                           "'{{\"n\": {}}}')",
                           n, w, n % 7);
    case 8:
        return fmt::format("INSERT INTO archive_{} SELECT * FROM {} WHERE created_at < "
                           "'2024-01-{:02}'",
                           t, t, 1 + n % 28);
    case 9:
        return fmt::format("WITH recent AS (SELECT owner_id, count(*) AS n FROM {} WHERE created_at "
                           "> now() - interval '7 days' GROUP BY owner_id) SELECT c.id, c.name, "
                           "r.n FROM customers c JOIN recent r ON r.owner_id = c.id WHERE r.n > {} "
                           "ORDER BY r.n DESC LIMIT 10",
                           t, n % 20);
    case 10:
        return fmt::format("SELECT id, {} FROM {} WHERE {} = '{}' UNION SELECT id, {} FROM {} WHERE "
                           "{} = '{}' LIMIT 100",
                           c, t, c, w, c, u, c, w);
    case 11:
        return fmt::format("SELECT id FROM customers WHERE lower(email) = 'user{}@example.com' LIMIT 1",
                           n);
    case 12:
        return fmt::format("SELECT id FROM {} WHERE created_at::date = '2024-03-{:02}' AND {} = NULL "
                           "LIMIT 10",
                           t, 1 + n % 28, c);
    case 13:
        return fmt::format("SELECT a.id, b.id FROM {} a, {} b WHERE a.{} = '{}' LIMIT 10", t, u, c, w);
    case 14:
        return fmt::format("UPDATE {} SET {} = '{}'", t, c, w);
    case 15:
        return fmt::format("SELECT id FROM {} WHERE {} = '{}' ORDER BY random() LIMIT 1", t, c, w);
    case 16:
        return fmt::format("SELECT c.id FROM customers c WHERE (SELECT count(*) FROM orders o WHERE "
                           "o.customer_id = c.id) > 0 LIMIT 100",
                           n);
    case 17:
        return fmt::format("SELECT id FROM {} WHERE {} = '{}' OR owner_id = {} LIMIT 20", t, c, w, n);
    case 18: {
        std::string list;
        for (int k = 0; k < 40; ++k) {
            list += (k == 0 ? "" : ", ") + std::to_string(n + k);
        }
        return fmt::format("SELECT id, {} FROM {} WHERE id IN ({}) LIMIT 40", c, t, list);
    }
    case 19:
        return fmt::format("SELECT c.id, (SELECT max(o.total) FROM orders o WHERE o.customer_id = "
                           "c.id) AS top FROM customers c WHERE c.region = '{}' LIMIT 25",
                           w);
    case 20:
        return fmt::format("SELECT c.id, c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o "
                           "WHERE o.customer_id = c.id AND o.total > {}) ORDER BY c.id LIMIT 50",
                           n % 1000);
    case 21:
        return fmt::format("SELECT id, total FROM orders WHERE customer_id = $1 AND created_at >= $2 "
                           "AND status IN ('paid', 'shipped') ORDER BY created_at DESC LIMIT $3");
    case 22:
        // A few deliberate syntax errors (one in 24 * 20 statements).
        if (r.below(20) == 0) {
            return fmt::format("SELECT id, {} FORM {} WHERE {} = '{}'", c, t, c, w);
        }
        return fmt::format("SELECT region, count(*) FROM customers GROUP BY region HAVING count(*) > "
                           "{} ORDER BY 2 DESC LIMIT 10",
                           n % 100);
    default:
        return fmt::format("SELECT p.id, p.name, sum(l.qty) AS sold FROM products p LEFT JOIN "
                           "order_lines l ON l.product_id = p.id AND l.created_at > '2024-01-01' "
                           "WHERE p.category = '{}' GROUP BY p.id, p.name ORDER BY sold DESC "
                           "NULLS LAST LIMIT 20",
                           w);
    }
}

// Process CPU time (all threads) and wall time. Throughput is statements per wall second, what
// a user waits for; CPU time is the work done per statement, whatever the number of threads.
double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double wall_seconds() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// The one-minute load average, or "unknown".
std::string load_average() {
    double load = 0;
    return getloadavg(&load, 1) == 1 ? fmt::format("{:.2f}", load) : std::string("unknown");
}

// What a child run does: the full pipeline, the full pipeline on one thread, or only the
// first stages (for the breakdown).
enum class Stage { model, rules, full, single };
constexpr std::array<Stage, 4> k_stages = {Stage::full, Stage::single, Stage::model, Stage::rules};

const char* stage_name(Stage stage) {
    switch (stage) {
    case Stage::model: return "model";
    case Stage::rules: return "rules";
    case Stage::full: return "full";
    case Stage::single: return "single";
    }
    return "full";
}

// The child: lint the file and stream the JSON report to /dev/null, then print
// "cpu_seconds wall_seconds statements parse_errors findings". Stage::model only parses into
// the query model; Stage::rules also runs the rules but writes no report; Stage::single is
// the full pipeline with the parser on the calling thread.
int lint_child(const std::string& path, Stage stage) {
    using dbadvise::sqlparse::ParseOptions;
    dbadvise::util::tune_allocator(); // as the dbadvise executable's main() does
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const double cpu_start = cpu_seconds();
    const double wall_start = wall_seconds();
    const ParseOptions::Threading threading =
        stage == Stage::single ? ParseOptions::Threading::never : ParseOptions::Threading::automatic;
    dbadvise::reports::Report report;
    dbadvise::analyzer::LintStats stats;
    if (stage == Stage::model) {
        ParseOptions options;
        options.fingerprint = false;
        options.threading = threading;
        dbadvise::sqlparse::parse_script(text, options, [&](dbadvise::sqlparse::ParsedStatement&& s) {
            ++stats.statements;
            stats.parse_errors += s.error ? 1 : 0;
        });
    } else {
        dbadvise::analyzer::lint_text(path, text, nullptr, report.findings, stats, threading);
    }
    if (stage == Stage::full || stage == Stage::single) {
        report.source.kind = "sql";
        report.source.files.push_back(path);
        // Streamed as the CLI streams it: written in pieces, never held whole.
        std::FILE* null = std::fopen("/dev/null", "wb");
        if (null != nullptr) {
            dbadvise::reports::render_json(report, [null](std::string_view piece) {
                std::fwrite(piece.data(), 1, piece.size(), null);
            });
            std::fclose(null);
        }
    }
    std::printf("%.6f %.6f %lld %lld %zu\n", cpu_seconds() - cpu_start, wall_seconds() - wall_start,
                static_cast<long long>(stats.statements), static_cast<long long>(stats.parse_errors),
                report.findings.size());
    return 0;
}

struct Figures {
    double cpu = 0;
    double wall = 0;
    long long statements = 0;
    long long parse_errors = 0;
    std::size_t findings = 0;
    double peak_mb = 0;

    // Keeps the best (lowest) times and the highest peak RSS of several runs.
    void merge(const Figures& run, bool first) {
        cpu = first ? run.cpu : std::min(cpu, run.cpu);
        wall = first ? run.wall : std::min(wall, run.wall);
        peak_mb = std::max(peak_mb, run.peak_mb);
        statements = run.statements;
        parse_errors = run.parse_errors;
        findings = run.findings;
    }
};

// Runs this program again as `--lint-child FILE STAGE` and reads its figures; the child's peak
// RSS comes from wait4, so it is lint's own.
std::optional<Figures> run_lint_child(const char* self, const std::string& path, Stage stage) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        return std::nullopt;
    }
    const pid_t child = fork();
    if (child < 0) {
        return std::nullopt;
    }
    if (child == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execl("/proc/self/exe", self, "--lint-child", path.c_str(), stage_name(stage),
              static_cast<char*>(nullptr));
        _exit(127);
    }
    close(pipe_fds[1]);
    std::string output;
    std::array<char, 256> buffer{};
    ssize_t got = 0;
    while ((got = read(pipe_fds[0], buffer.data(), buffer.size())) > 0) {
        output.append(buffer.data(), static_cast<std::size_t>(got));
    }
    close(pipe_fds[0]);
    int status = 0;
    rusage usage{};
    wait4(child, &status, 0, &usage);
    Figures result;
    std::istringstream parsed(output);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        !(parsed >> result.cpu >> result.wall >> result.statements >> result.parse_errors >>
          result.findings)) {
        return std::nullopt;
    }
    result.peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
    return result;
}

// --formats: CPU seconds of each libpg_query output over the corpus, best of k_runs.
int compare_formats(const std::vector<std::string>& corpus) {
    constexpr std::size_t k_per_call = 32; // sqlparse's batch size (k_batch_statements)
    std::vector<std::string> batches;
    for (std::size_t i = 0; i < corpus.size(); i += k_per_call) {
        std::string batch;
        for (std::size_t k = i; k < std::min(corpus.size(), i + k_per_call); ++k) {
            batch += corpus[k];
            batch += ";\n";
        }
        batches.push_back(std::move(batch));
    }
    const auto best_of = [](auto&& body) {
        double best = 0;
        for (int run = 0; run < k_runs; ++run) {
            const double start = cpu_seconds();
            body();
            const double spent = cpu_seconds() - start;
            best = run == 0 ? spent : std::min(best, spent);
        }
        return best;
    };
    std::size_t json_bytes = 0;
    std::size_t protobuf_bytes = 0;
    bool unpack_failed = false;
    const double json = best_of([&] {
        json_bytes = 0;
        for (const std::string& batch : batches) {
            const PgQueryParseResult result = pg_query_parse(batch.c_str());
            json_bytes += result.parse_tree != nullptr ? std::strlen(result.parse_tree) : 0;
            pg_query_free_parse_result(result);
        }
    });
    const double protobuf = best_of([&] {
        protobuf_bytes = 0;
        for (const std::string& batch : batches) {
            const PgQueryProtobufParseResult result = pg_query_parse_protobuf(batch.c_str());
            protobuf_bytes += result.parse_tree.len;
            pg_query_free_protobuf_parse_result(result);
        }
    });
    const double unpacked = best_of([&] {
        for (const std::string& batch : batches) {
            const PgQueryProtobufParseResult result = pg_query_parse_protobuf(batch.c_str());
            PgQuery__ParseResult* tree = pg_query__parse_result__unpack(
                nullptr, result.parse_tree.len, reinterpret_cast<const std::uint8_t*>(result.parse_tree.data));
            unpack_failed = unpack_failed || (result.error == nullptr && tree == nullptr);
            if (tree != nullptr) {
                pg_query__parse_result__free_unpacked(tree, nullptr);
            }
            pg_query_free_protobuf_parse_result(result);
        }
    });
    std::printf("libpg_query outputs, %zu calls of %zu statements, CPU time (best of %d):\n",
                batches.size(), k_per_call, k_runs);
    std::printf("  pg_query_parse (JSON):                %.2f s, %.1f MB of JSON\n", json,
                static_cast<double>(json_bytes) / (1024.0 * 1024.0));
    std::printf("  pg_query_parse_protobuf:              %.2f s (%.1fx JSON), %.1f MB\n", protobuf,
                protobuf / json, static_cast<double>(protobuf_bytes) / (1024.0 * 1024.0));
    std::printf("  protobuf + unpack into C structs:     %.2f s (%.1fx JSON)\n", unpacked,
                unpacked / json);
    if (unpack_failed) {
        std::fprintf(stderr, "lint_bench: error: a protobuf parse tree did not unpack\n");
        return 3;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string_view(argv[1]) == "--lint-child") {
        const std::string_view name = argv[3];
        Stage stage = Stage::full;
        for (const Stage s : k_stages) {
            if (name == stage_name(s)) {
                stage = s;
            }
        }
        return lint_child(argv[2], stage);
    }
    int count = 100000;
    std::string keep;
    bool formats = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--formats") {
            formats = true;
        } else if (arg == "--statements" && i + 1 < argc) {
            count = std::atoi(argv[++i]);
        } else if (arg == "--keep" && i + 1 < argc) {
            keep = argv[++i];
        } else {
            std::fprintf(stderr, "lint_bench: error: unknown argument '%s' (usage: lint_bench "
                                 "[--statements N] [--keep FILE] [--formats])\n", argv[i]);
            return 2;
        }
    }

    // Corpus: deterministic statements, one per line, written to a temporary file.
    Random random(20240601);
    std::vector<std::string> corpus;
    corpus.reserve(static_cast<std::size_t>(count));
    std::string file_text;
    for (int i = 0; i < count; ++i) {
        corpus.push_back(statement(random, i));
        file_text += corpus.back();
        file_text += ";\n";
    }
    if (formats) {
        return compare_formats(corpus);
    }
    std::string path = keep;
    if (path.empty()) {
        std::string pattern = (std::filesystem::temp_directory_path() / "lint_bench_XXXXXX.sql").string();
        const int fd = mkstemps(pattern.data(), 4);
        if (fd < 0) {
            std::fprintf(stderr, "lint_bench: error: cannot create a temporary file\n");
            return 3;
        }
        close(fd);
        path = pattern;
    }
    {
        std::ofstream out(path, std::ios::binary);
        out << file_text;
    }
    const double megabytes = static_cast<double>(file_text.size()) / (1024.0 * 1024.0);
    file_text.clear();
    file_text.shrink_to_fit();
    std::printf("corpus: %d statements, %.1f MB, %s; %ld CPUs online\n", count, megabytes,
                path.c_str(), sysconf(_SC_NPROCESSORS_ONLN));
    // Other work on the machine stretches wall times (and, through shared caches, CPU times):
    // the load average before and after says how far to trust them.
    const std::string load_before = load_average();

    // The runs interleave (a) and every lint stage, so that a change in the machine's load
    // during the benchmark touches all of them alike; each keeps its best of k_runs.
    Figures raw;
    std::array<Figures, k_stages.size()> stages{};
    for (int run = 0; run < k_runs; ++run) {
        // (a) raw pg_query_parse, one call per statement.
        Figures once;
        const double cpu_start = cpu_seconds();
        const double wall_start = wall_seconds();
        for (const std::string& sql : corpus) {
            PgQueryParseResult result = pg_query_parse(sql.c_str());
            once.parse_errors += result.error != nullptr ? 1 : 0;
            pg_query_free_parse_result(result);
        }
        once.cpu = cpu_seconds() - cpu_start;
        once.wall = wall_seconds() - wall_start;
        once.statements = count;
        raw.merge(once, run == 0);
        // (b) lint, each stage in a fresh process.
        for (std::size_t s = 0; s < k_stages.size(); ++s) {
            const std::optional<Figures> child = run_lint_child(argv[0], path, k_stages[s]);
            if (!child) {
                std::fprintf(stderr, "lint_bench: error: the lint child (%s) failed\n",
                             stage_name(k_stages[s]));
                if (keep.empty()) {
                    std::filesystem::remove(path);
                }
                return 3;
            }
            stages[s].merge(*child, run == 0);
        }
    }
    if (keep.empty()) {
        std::filesystem::remove(path);
    }
    const Figures& full = stages[0];
    const Figures& single = stages[1];
    const Figures& model = stages[2];
    const Figures& rules = stages[3];

    std::printf("(a) raw pg_query_parse: %.2f s wall, %.2f s CPU, %.0f statements/s, %.1f MB/s "
                "(%lld syntax errors)\n",
                raw.wall, raw.cpu, count / raw.wall, megabytes / raw.wall, raw.parse_errors);
    std::printf("(b) lint + JSON:        %.2f s wall, %.2f s CPU, %.0f statements/s, %.1f MB/s "
                "(%lld statements, %lld parse errors, %zu findings)\n",
                full.wall, full.cpu, full.statements / full.wall, megabytes / full.wall,
                full.statements, full.parse_errors, full.findings);
    const double ratio = raw.wall / full.wall;
    std::printf("ratio b/a, throughput (wall time): %.0f%% (target >= 50%%)\n", ratio * 100.0);
    std::printf("ratio b/a, work per statement (CPU time, all threads): %.0f%%\n",
                raw.cpu / full.cpu * 100.0);
    std::printf("lint on one thread: %.2f s wall, %.2f s CPU, ratio b/a %.0f%% (CPU time: %.0f%%), "
                "peak RSS %.1f MB\n",
                single.wall, single.cpu, raw.wall / single.wall * 100.0, raw.cpu / single.cpu * 100.0,
                single.peak_mb);
    std::printf("lint peak RSS: %.1f MB (target < 200 MB)\n", full.peak_mb);
    std::printf("breakdown (CPU s, peak RSS): parse + model %.2f s %.0f MB; + rules %.2f s %.0f MB; "
                "+ JSON report %.2f s %.0f MB\n",
                model.cpu, model.peak_mb, rules.cpu, rules.peak_mb, full.cpu, full.peak_mb);
    std::printf("load average (1 min) before and after: %s, %s\n", load_before.c_str(),
                load_average().c_str());
    return ratio >= 0.5 && full.peak_mb < 200.0 ? 0 : 1;
}
