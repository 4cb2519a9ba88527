// The database session of a command that connects (analyze, snapshot): one --timeout option
// and the limits it sets on db::Connection, so every command shares the same deadline path.
#pragma once

#include "db/connection.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace dbadvise::cli {

/// The client waits this much longer than the server's statement_timeout for a reply, so that
/// the server's own cancel normally comes first (db/connection.hpp).
inline constexpr int k_reply_margin_ms = 2000;

/// Adds `--timeout SECONDS` (default 30) to `subcommand`.
void add_timeout_option(CLI::App& subcommand, double& timeout_s);

/// statement_timeout of `timeout_s`, a reply deadline k_reply_margin_ms later, and a
/// connect_timeout of `timeout_s` kept within 2 to 10 seconds.
db::SessionOptions session_options(double timeout_s);

/// Connects with session_options(timeout_s), saying so through `progress`, and warns when
/// the role may not keep dbadvise's statements out of pg_stat_statements. Throws RunError
/// (exit 3) with db/'s message when the connection fails.
db::Connection connect(const std::string& dsn, double timeout_s,
                       const std::function<void(std::string_view)>& progress);

} // namespace dbadvise::cli
