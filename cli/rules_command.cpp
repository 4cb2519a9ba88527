// `dbadvise rules`: the rule registry (analyzer/rule_registry.hpp) for people (text) and for
// tools that map rule ids to documentation (json).
#include "analyzer/rule_registry.hpp"
#include "cli/command.hpp"
#include "cli/run.hpp"
#include "reports/report.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace dbadvise::cli {

Action configure_rules(CLI::App& subcommand) {
    auto format = std::make_shared<std::string>("text");
    subcommand.add_option("--format", *format, "Output format: text or json")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
    return [format](Io& io) {
        const auto rules = analyzer::rule_registry();
        if (*format == "json") {
            reports::render_rules_json(rules, [&io](std::string_view piece) {
                io.out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
            });
        } else {
            io.out << reports::render_rules_text(rules);
        }
        io.out.flush();
        if (!io.out) {
            throw RunError("cannot write to standard output", k_exit_runtime);
        }
        return static_cast<int>(k_exit_ok);
    };
}

} // namespace dbadvise::cli
