#include "cli/command.hpp"

#include <CLI/CLI.hpp>

namespace dbadvise::cli {

// Placeholder until the lint subcommand lands; it exits with a runtime error, never success.
Action configure_lint(CLI::App&) {
    return [](Io&) -> int { throw RunError("'lint' is not implemented yet", 3); };
}

} // namespace dbadvise::cli
