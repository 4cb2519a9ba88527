#include "cli/command.hpp"

#include <CLI/CLI.hpp>

namespace dbadvise::cli {

// Placeholder until the rules subcommand lands; it exits with a runtime error, never success.
Action configure_rules(CLI::App&) {
    return [](Io&) -> int { throw RunError("'rules' is not implemented yet", 3); };
}

} // namespace dbadvise::cli
