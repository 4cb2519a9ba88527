// `dbadvise snapshot [--dsn DSN] [--no-values] [--top N] [--timeout SECONDS] -o FILE[.gz]`: captures what analyze
// reads from a live server into one snapshot file (docs/snapshot.md) for `analyze --snapshot`
// and `analyze --since`, elsewhere or later.
#include "analyzer/snapshot_json.hpp"
#include "cli/command.hpp"
#include "cli/output_file.hpp"
#include "cli/run.hpp"
#include "cli/session.hpp"
#include "db/connection.hpp"
#include "sources/gzip.hpp"
#include "sources/live_source.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <ostream>

namespace dbadvise::cli {

namespace {

struct SnapshotArguments {
    std::string dsn;
    std::string output_file;
    bool no_values = false;
    int top = 0;
    double timeout_s = 30;
};

int run_snapshot(Io& io, const SnapshotArguments& args) {
    const auto progress = [&io](std::string_view step) { io.err << progress_line(step); };
    // The file is checked before connecting: a path that cannot work fails at once; it is
    // written to a temporary file renamed over it when complete (cli/output_file.hpp).
    const bool to_stdout = args.output_file == "-";
    std::optional<OutputFile> file;
    if (!to_stdout) file = OutputFile::check(args.output_file, {}, io.in_fd, "the snapshot");
    // The session analyze reads with: read-only, statement and reply deadlines (--timeout),
    // lock_timeout, and pg_stat_statements.track = none where the role may.
    db::Connection connection = connect(args.dsn, args.timeout_s, progress);

    sources::LiveSource source(connection, progress, !args.no_values);
    // Every statement (--top keeps the N with the most total time), whatever its calls: a
    // later window subtracts from all of them.
    auto capture = source.capture(analyzer::StatementFilter{args.top, 0, 0});
    if (!capture)
        throw RunError(capture.error().message, k_exit_runtime);
    const analyzer::Workload& workload = capture->workload;

    std::string document = analyzer::write_snapshot(workload, DBADVISE_VERSION);
    const std::size_t plain = document.size();
    const bool compress = !to_stdout && args.output_file.ends_with(".gz");
    if (compress)
        document = sources::gzip_compress(document);
    if (to_stdout) {
        io.out << document;
        io.out.flush();
        if (!io.out)
            throw RunError("cannot write the snapshot to standard output", k_exit_runtime);
    } else {
        file->write([&](const OutputFile::Sink& sink) { sink(document); });
    }
    progress(fmt::format(
        "wrote {}: {} statements, {} tables, {} indexes, {} column statistics{}; {} bytes{}",
        to_stdout ? "the snapshot to standard output" : args.output_file,
        workload.statements.size(), workload.tables.size(), workload.indexes.size(),
        workload.column_stats.size(), args.no_values ? " (values left out)" : "", document.size(),
        compress ? fmt::format(" ({} uncompressed)", plain) : ""));
    return k_exit_ok;
}

} // namespace

Action configure_snapshot(CLI::App& subcommand) {
    auto args = std::make_shared<SnapshotArguments>();
    subcommand.add_option("--dsn", args->dsn,
                          "A libpq connection string or URI; without it the PG* environment "
                          "variables and ~/.pgpass apply, as in psql")
        ->type_name("DSN");
    subcommand.add_flag("--no-values", args->no_values,
                        "Leave out the data values of pg_stats (most common values, histogram "
                        "bounds); keep their frequencies and counts");
    subcommand
        .add_option("--top", args->top,
                    "Keep only the N statements with the most total time (0: every statement)")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber.description(""))
        ->capture_default_str();
    add_timeout_option(subcommand, args->timeout_s);
    subcommand
        .add_option("-o,--output", args->output_file,
                    "Write the snapshot to FILE (gzip when it ends in .gz; - for standard output)")
        ->type_name("FILE")
        ->required();
    return [args](Io& io) { return run_snapshot(io, *args); };
}

} // namespace dbadvise::cli
