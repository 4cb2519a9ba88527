// `dbadvise rules`: the rule registry (analyzer/rule_registry.hpp) for people (text) and for
// tools that map rule ids to documentation (json).
#include "analyzer/rule_registry.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace dbadvise::cli {

Action configure_rules(CLI::App& subcommand) {
    auto options = std::make_shared<OutputOptions>();
    add_output_options(subcommand, *options, Document::rules);
    return [options](Io& io) {
        return Output::open(io, *options, {}).finish(analyzer::rule_registry());
    };
}

} // namespace dbadvise::cli
