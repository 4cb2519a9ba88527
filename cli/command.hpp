// The subcommand table: each subcommand is one row (name, summary, configure function) and
// one file, cli/<name>_command.cpp. configure() adds the subcommand's options to its CLI11 App
// and returns the action that runs it once argv has been parsed.
#pragma once

#include <functional>
#include <iosfwd>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace dbadvise::cli {

/// The process's streams and environment, passed in so tests can drive commands in-process.
struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    bool out_is_terminal = false;
    bool no_color = false; // NO_COLOR set
    int out_columns = 0;   // the terminal's width when `out` is one and it is known, else 0
    int columns_env = 0;   // COLUMNS when set to a positive number, else 0
    int in_fd = -1;        // the file descriptor behind `in` when it is the process's standard
                           // input (for -o's check against inputs), else -1
    bool err_is_terminal = false; // progress lines go to stderr only then
};

using Action = std::function<int(Io&)>;

struct Command {
    std::string_view name;
    std::string_view summary;
    Action (*configure)(CLI::App& subcommand);
};

/// Every subcommand, in the order `--help` lists them.
std::span<const Command> commands();

/// An error that ends the run: printed as `dbadvise: error: <what>` and exit code `code`.
class RunError : public std::runtime_error {
public:
    RunError(const std::string& what, int code) : std::runtime_error(what), m_code(code) {}
    int code() const { return m_code; }

private:
    int m_code;
};

/// `dbadvise: error: <what>` and a newline, with control characters in `what` escaped
/// (util/terminal.hpp): messages quote file names, DSN parts and server text.
std::string error_line(std::string_view what);

/// `dbadvise: <what>` and a newline for progress on standard error, escaped the same way.
std::string progress_line(std::string_view what);

Action configure_lint(CLI::App& subcommand);
Action configure_rules(CLI::App& subcommand);
Action configure_analyze(CLI::App& subcommand);
Action configure_explain(CLI::App& subcommand);
Action configure_snapshot(CLI::App& subcommand);

} // namespace dbadvise::cli
