// The command-line front end: parses argv, runs a subcommand, returns the exit code.
#pragma once

#include <iosfwd>
#include <string>

namespace dbadvise::cli {

/// Exit codes, a contract documented in man/dbadvise.1.
enum ExitCode : int {
    k_exit_ok = 0,
    k_exit_findings = 1, // findings at or above --fail-on
    k_exit_usage = 2,
    k_exit_runtime = 3,  // cannot connect, unreadable input, missing extension, ...
};

/// Runs dbadvise with `argv`; writes to the given streams. Never throws.
int run(int argc, const char* const* argv, std::istream& in, std::ostream& out,
        std::ostream& err);

} // namespace dbadvise::cli
