#include "cli/session.hpp"

#include "cli/command.hpp"
#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace dbadvise::cli {

void add_timeout_option(CLI::App& subcommand, double& timeout_s) {
    subcommand.add_option("--timeout", timeout_s,
                          "The server's statement_timeout for every statement dbadvise sends, in "
                          "seconds; a reply 2 s later than that is cancelled and the run ends (exit 3)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.1, 3600.0).description(""))
        ->capture_default_str();
}

db::SessionOptions session_options(double timeout_s) {
    const int timeout_ms = static_cast<int>(timeout_s * 1000.0);
    db::SessionOptions session;
    session.statement_timeout_ms = timeout_ms;
    session.reply_deadline_ms = timeout_ms + k_reply_margin_ms;
    session.connect_timeout_s = std::clamp(static_cast<int>(timeout_s), 2, 10);
    return session;
}

db::Connection connect(const std::string& dsn, double timeout_s,
                       const std::function<void(std::string_view)>& progress) {
    progress("connecting");
    auto connection = db::Connection::open(dsn, session_options(timeout_s));
    if (!connection) throw RunError(connection.error().message, k_exit_runtime);
    progress(fmt::format("connected to {}", connection->describe()));
    if (!connection->untracked())
        progress("the role may not set pg_stat_statements.track: dbadvise's statements are recorded "
                 "in pg_stat_statements, normalized (no values) and marked /* dbadvise */");
    return std::move(*connection);
}

} // namespace dbadvise::cli
