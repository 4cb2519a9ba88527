#include "cli/run.hpp"

#include "cli/command.hpp"
#include "util/terminal.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <sys/ioctl.h>
#include <unistd.h>

namespace dbadvise::cli {

namespace {

// The terminal's width (TIOCGWINSZ on standard output), 0 when unknown.
int terminal_columns() {
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    return 0;
}

// COLUMNS, as shells export it; 0 when unset or not a positive number.
int columns_variable() {
    const char* text = std::getenv("COLUMNS");
    if (text == nullptr) {
        return 0;
    }
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    return end != text && *end == '\0' && value > 0 && value < 10000 ? static_cast<int>(value) : 0;
}

} // namespace

std::string error_line(std::string_view what) {
    return "dbadvise: error: " + util::terminal_safe(what, {.keep_newline = true, .keep_tab = true}) + "\n";
}

std::string progress_line(std::string_view what) {
    return "dbadvise: " + util::terminal_safe(what, {.keep_newline = true, .keep_tab = true}) + "\n";
}

std::span<const Command> commands() {
    static const Command k_commands[] = {
        {"analyze",
         "Analyze a database's workload (live, a snapshot, or a window between two "
         "captures): indexes, rewrites, health",
         configure_analyze},
        {"snapshot",
         "Capture what analyze reads from a live server into a file, for later or "
         "elsewhere",
         configure_snapshot},
        {"lint", "Check SQL files for anti-patterns and suggest rewrites (no database)",
         configure_lint},
        {"explain", "Analyze a saved EXPLAIN plan (JSON or text)", configure_explain},
        {"rules", "List every rule: id, category, severity, rationale", configure_rules},
    };
    return k_commands;
}

int run(int argc, const char* const* argv, std::istream& in, std::ostream& out,
        std::ostream& err) {
    CLI::App app{"dbadvise: PostgreSQL slow-query and index advisor", "dbadvise"};
    app.set_version_flag("--version", std::string("dbadvise ") + DBADVISE_VERSION);
    app.require_subcommand(1);
    Action chosen;
    for (const Command& command : commands()) {
        CLI::App* sub = app.add_subcommand(std::string(command.name), std::string(command.summary));
        Action action = command.configure(*sub);
        sub->callback([&chosen, action] { chosen = action; });
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version arrive as "errors" with CLI11's success code; CLI11 prints the
        // help of the subcommand they were given to.
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            app.exit(e, out, err);
            return k_exit_ok;
        }
        // Every other parse error is a usage error (exit 2), whatever CLI11's own code.
        std::string usage = "dbadvise";
        for (const CLI::App* sub : app.get_subcommands()) {
            usage += " " + sub->get_name();
        }
        err << error_line(e.what()) << "Run '" << usage << " --help' for usage.\n";
        return k_exit_usage;
    }
    const bool terminal = out.rdbuf() == std::cout.rdbuf() && isatty(STDOUT_FILENO) != 0;
    Io io{in,
          out,
          err,
          terminal,
          std::getenv("NO_COLOR") != nullptr && *std::getenv("NO_COLOR") != '\0',
          terminal ? terminal_columns() : 0,
          columns_variable(),
          in.rdbuf() == std::cin.rdbuf() ? STDIN_FILENO : -1,
          err.rdbuf() == std::cerr.rdbuf() && isatty(STDERR_FILENO) != 0};
    try {
        return chosen ? chosen(io) : k_exit_usage;
    } catch (const RunError& e) {
        err << error_line(e.what());
        return e.code();
    } catch (const std::exception& e) {
        err << error_line(e.what());
        return k_exit_runtime;
    }
}

} // namespace dbadvise::cli
