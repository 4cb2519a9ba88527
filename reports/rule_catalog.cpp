// The rule catalogue of `dbadvise rules`, read from the rule registry: text for people, JSON
// for tools that map rule ids to documentation.
#include "reports/json_writer.hpp"
#include "reports/report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dbadvise::reports {

namespace {

constexpr int k_schema_version = 1;

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

// The severities of a set, most severe first: "warning, info".
std::vector<std::string_view> severity_names(analyzer::SeveritySet set) {
    std::vector<std::string_view> names;
    for (const analyzer::Severity severity :
         {analyzer::Severity::error, analyzer::Severity::warning, analyzer::Severity::info}) {
        if (set.contains(severity)) {
            names.push_back(analyzer::to_string(severity));
        }
    }
    return names;
}

} // namespace

std::string render_rules_text(std::span<const analyzer::RuleInfo> rules) {
    std::size_t width = 0;
    for (const analyzer::RuleInfo& rule : rules) {
        width = std::max(width, rule.id.size());
    }
    const std::string indent(width + 2, ' ');
    const std::size_t columns = width + 2 < 60 ? 98 - width : 40;
    std::string text;
    for (const analyzer::RuleInfo& rule : rules) {
        text += fmt::format("{:<{}}  {:<8} {:<7}  {}\n", rule.id, width,
                            analyzer::to_string(rule.category), analyzer::to_string(rule.severity),
                            rule.title);
        text += wrap(rule.rationale, columns, indent);
        text += wrap(fmt::format("fix: {}", rule.help), columns, indent);
        if (!rule.severity_note.empty()) {
            text += wrap(fmt::format("severity: {} by default; {}", analyzer::to_string(rule.severity),
                                     rule.severity_note),
                         columns, indent);
        }
        text += fmt::format("{}reported by: {}\n\n", indent, analyzer::commands_text(rule));
    }
    text += fmt::format("{} rules\n", rules.size());
    return text;
}

void render_rules_json(std::span<const analyzer::RuleInfo> rules,
                       const std::function<void(std::string_view)>& write) {
    JsonWriter out(write);
    out.begin_object();
    out.member("schema_version", k_schema_version);
    out.key("rules");
    out.begin_array();
    for (const analyzer::RuleInfo& rule : rules) {
        out.begin_object();
        out.member("id", rule.id);
        out.member("category", analyzer::to_string(rule.category));
        out.member("severity", analyzer::to_string(rule.severity));
        out.member("summary", rule.title);
        out.member("rationale", rule.rationale);
        out.member("help", rule.help);
        out.member("help_path", analyzer::help_path(rule));
        out.member("commands", analyzer::commands_text(rule));
        out.key("severities");
        out.begin_object();
        for (const analyzer::Command command : analyzer::k_commands) {
            if (rule.reported_by(command)) {
                out.key(analyzer::to_string(command));
                out.begin_array();
                for (const std::string_view name : severity_names(rule.severities(command))) {
                    out.string(name);
                }
                out.end_array();
            }
        }
        out.end_object();
        if (!rule.severity_note.empty()) {
            out.member("severity_note", rule.severity_note);
        }
        out.end_object();
    }
    out.end_array();
    out.end_object();
    out.finish();
}

} // namespace dbadvise::reports
