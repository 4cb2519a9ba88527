// `dbadvise rules`: the catalog of everything dbadvise can report, for people (text) and for
// tools that map rule ids to documentation (json).
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/rule_catalog.hpp"
#include "cli/run.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <ostream>

namespace dbadvise::cli {

namespace {

// Greedy word wrap of `text` to `width` columns, every line prefixed by `indent`.
std::string wrap(std::string_view text, std::size_t width, std::string_view indent) {
    std::string out;
    std::string line;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view word = text.substr(start, end - start);
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            out += fmt::format("{}{}\n", indent, line);
            line.clear();
        }
        if (!word.empty()) {
            line += line.empty() ? std::string(word) : " " + std::string(word);
        }
        start = end + 1;
    }
    if (!line.empty()) {
        out += fmt::format("{}{}\n", indent, line);
    }
    return out;
}

std::string render_rules_text(const std::vector<RuleInfo>& rules) {
    std::size_t width = 0;
    for (const RuleInfo& rule : rules) {
        width = std::max(width, rule.id.size());
    }
    std::string text;
    for (const RuleInfo& rule : rules) {
        text += fmt::format("{:<{}}  {:<8} {:<7}  {}\n", rule.id, width,
                            analyzer::to_string(rule.category), analyzer::to_string(rule.severity),
                            rule.summary);
        const std::string indent(width + 2, ' ');
        const std::size_t columns = width + 2 < 60 ? 98 - width : 40;
        text += wrap(rule.rationale, columns, indent);
        text += fmt::format("{}reported by: {}\n\n", indent, rule.commands);
    }
    text += fmt::format("{} rules\n", rules.size());
    return text;
}

std::string render_rules_json(const std::vector<RuleInfo>& rules) {
    using Json = nlohmann::ordered_json;
    Json list = Json::array();
    for (const RuleInfo& rule : rules) {
        Json object;
        object["id"] = rule.id;
        object["category"] = analyzer::to_string(rule.category);
        object["severity"] = analyzer::to_string(rule.severity);
        object["summary"] = rule.summary;
        object["rationale"] = rule.rationale;
        object["commands"] = rule.commands;
        list.push_back(std::move(object));
    }
    Json root;
    root["schema_version"] = 1;
    root["rules"] = std::move(list);
    return root.dump(2) + "\n";
}

} // namespace

Action configure_rules(CLI::App& subcommand) {
    auto format = std::make_shared<std::string>("text");
    subcommand.add_option("--format", *format, "Output format: text or json")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
    return [format](Io& io) {
        const std::vector<RuleInfo> rules = all_rules();
        io.out << (*format == "json" ? render_rules_json(rules) : render_rules_text(rules));
        io.out.flush();
        if (!io.out) {
            throw RunError("cannot write to standard output", k_exit_runtime);
        }
        return static_cast<int>(k_exit_ok);
    };
}

} // namespace dbadvise::cli
