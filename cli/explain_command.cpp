#include "cli/command.hpp"

#include <CLI/CLI.hpp>

namespace dbadvise::cli {

// Placeholder until the explain subcommand lands; it exits with a runtime error, never success.
Action configure_explain(CLI::App&) {
    return [](Io&) -> int { throw RunError("'explain' is not implemented yet", 3); };
}

} // namespace dbadvise::cli
