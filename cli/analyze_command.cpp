#include "cli/command.hpp"

#include <CLI/CLI.hpp>

namespace dbadvise::cli {

// Placeholder until the analyze subcommand lands; it exits with a runtime error, never success.
Action configure_analyze(CLI::App&) {
    return [](Io&) -> int { throw RunError("'analyze' is not implemented yet", 3); };
}

} // namespace dbadvise::cli
