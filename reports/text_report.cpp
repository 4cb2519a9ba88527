// The text report: for a person at a terminal. Findings are grouped by file (lint, explain)
// or by what to do (analyze: indexes, rewrites, ...), keeping the report's order inside each
// group; each located finding starts with `file:line:col:` so editors and terminals can jump
// to it, as they do for compiler diagnostics.
#include "reports/report.hpp"
#include "reports/format_number.hpp"
#include "util/terminal.hpp"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace dbadvise::reports {

namespace {

using analyzer::Finding;
using analyzer::Severity;

// ANSI SGR sequences. Only used when TextOptions::color is set; the CLI decides that from
// isatty(stdout) and NO_COLOR (https://no-color.org).
constexpr std::string_view k_reset = "\x1b[0m";
constexpr std::string_view k_bold = "\x1b[1m";
constexpr std::string_view k_dim = "\x1b[2m";
constexpr std::string_view k_red = "\x1b[1;31m";
constexpr std::string_view k_yellow = "\x1b[1;33m";
constexpr std::string_view k_cyan = "\x1b[1;36m";
constexpr std::string_view k_green = "\x1b[32m";

// Everything a report prints passes through the Writer, and most of it comes from the
// database or an input file (query texts, identifiers, server messages, plan fields), so the
// Writer escapes control characters in all text it is given (util/terminal.hpp); only its
// own style sequences and line breaks reach the terminal as they are.
class Writer {
public:
    explicit Writer(bool color) : m_color(color) {}

    void styled(std::string_view style, std::string_view text) {
        if (m_color && !style.empty() && !text.empty()) {
            m_out.append(style);
            append_safe(text);
            m_out.append(k_reset);
        } else {
            append_safe(text);
        }
    }
    void plain(std::string_view text) { append_safe(text); }
    void newline() { m_out.push_back('\n'); }

    /// Writes every line of `text` prefixed by `indent`; blank lines stay blank.
    void block(std::string_view text, std::string_view indent, std::string_view style = {}) {
        std::size_t start = 0;
        while (start <= text.size()) {
            const std::size_t end = text.find('\n', start);
            std::string_view line =
                text.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                                  : end - start);
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            if (!line.empty()) {
                plain(indent);
                styled(style, line);
            }
            newline();
            if (end == std::string_view::npos) {
                break;
            }
            start = end + 1;
        }
    }

    std::string take() { return std::move(m_out); }

private:
    // Tabs are harmless and keep the layout of SQL text; every other control is escaped.
    void append_safe(std::string_view text) {
        if (util::needs_terminal_escaping(text, {.keep_tab = true})) {
            m_out.append(util::terminal_safe(text, {.keep_tab = true}));
        } else {
            m_out.append(text);
        }
    }

    bool m_color;
    std::string m_out;
};

std::string_view severity_style(Severity severity) {
    switch (severity) {
    case Severity::error: return k_red;
    case Severity::warning: return k_yellow;
    case Severity::info: return k_cyan;
    }
    return k_cyan;
}

std::string_view file_of(const Finding& f) {
    return f.location ? std::string_view(f.location->file) : std::string_view{};
}

// `file:line:col`, `file:line`, `file`, or the plan node path; empty when the finding has no
// location at all (database-wide findings of analyze).
std::string location_prefix(const Finding& f) {
    if (!f.location) {
        return {};
    }
    const analyzer::Location& loc = *f.location;
    std::string text = loc.file;
    if (!loc.file.empty() && loc.line > 0) {
        text += fmt::format(":{}", loc.line);
        if (loc.column > 0) {
            text += fmt::format(":{}", loc.column);
        }
    }
    if (!loc.node.empty()) {
        text += text.empty() ? loc.node : " " + loc.node;
    }
    return text;
}

std::string evidence_value(const analyzer::EvidenceValue& value) {
    struct Visitor {
        std::string operator()(std::int64_t v) const { return fmt::format("{}", v); }
        std::string operator()(double v) const { return format_number(v); }
        std::string operator()(const std::string& v) const { return v; }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
    };
    return std::visit(Visitor{}, value);
}

std::string evidence_line(const analyzer::Evidence& evidence) {
    std::string line;
    for (const auto& [key, value] : evidence) {
        if (!line.empty()) {
            line += ", ";
        }
        line += key + "=" + evidence_value(value);
    }
    return line;
}

// Query text from pg_stat_statements can be long and multi-line; one line of it is enough to
// recognise the statement, the JSON report carries all of it.
std::string one_line(std::string_view text, std::size_t limit) {
    std::string line;
    bool space = false;
    for (const char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !line.empty();
            continue;
        }
        if (space) {
            line.push_back(' ');
            space = false;
        }
        line.push_back(c);
    }
    if (line.size() > limit) {
        line.resize(limit);
        line += "...";
    }
    return line;
}

void write_finding(Writer& w, const Finding& f) {
    const std::string prefix = location_prefix(f);
    if (!prefix.empty()) {
        w.styled(k_bold, prefix);
        w.plain(": ");
    }
    w.styled(severity_style(f.severity), analyzer::to_string(f.severity));
    w.plain(": ");
    w.styled(k_bold, f.title);
    w.plain(" ");
    w.styled(k_dim, fmt::format("[{}]", f.rule_id()));
    w.newline();

    if (f.query) {
        const analyzer::QueryRef& q = *f.query;
        std::string line = "query";
        if (!q.queryid.empty()) {
            line += " " + q.queryid;
        }
        if (q.calls > 0) {
            line += fmt::format(" ({} calls, {} ms total, {} ms mean)", q.calls,
                                format_number(q.total_ms), format_number(q.mean_ms));
        }
        line += ": " + one_line(q.text, 160);
        w.block(line, "    ");
    }
    if (!f.message.empty()) {
        w.block(f.message, "    ");
    }
    if (!f.evidence.empty()) {
        w.block("evidence: " + evidence_line(f.evidence), "    ", k_dim);
    }
    const analyzer::Impact& impact = f.impact;
    if (impact.cost_before || impact.cost_after || impact.estimated_ms_saved_per_call) {
        std::string line = "impact:";
        if (impact.cost_before && impact.cost_after) {
            line += fmt::format(" cost {} -> {}", format_number(*impact.cost_before),
                                format_number(*impact.cost_after));
        } else if (impact.cost_before) {
            line += " cost before " + format_number(*impact.cost_before);
        } else if (impact.cost_after) {
            line += " cost after " + format_number(*impact.cost_after);
        }
        if (impact.estimated_ms_saved_per_call) {
            line += fmt::format("{} saves about {} ms per call",
                                line.size() > 7 ? "," : "",
                                format_number(*impact.estimated_ms_saved_per_call));
        }
        w.block(line, "    ");
    }
    if (!f.suggestion.rewritten_query.empty()) {
        w.plain("    ");
        w.styled(k_bold, "rewritten query:");
        w.newline();
        w.block(f.suggestion.rewritten_query, "        ", k_green);
    }
    if (!f.suggestion.sql.empty()) {
        w.plain("    ");
        w.styled(k_bold, "suggested SQL:");
        w.newline();
        w.block(f.suggestion.sql, "        ", k_green);
    }
}

std::string plural(std::size_t n, std::string_view singular, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? singular : many);
}

std::string_view category_heading(analyzer::Category category) {
    switch (category) {
    case analyzer::Category::index: return "Indexes";
    case analyzer::Category::rewrite: return "Query rewrites";
    case analyzer::Category::plan: return "Plans";
    case analyzer::Category::cache: return "Cache";
    case analyzer::Category::schema: return "Schema and statistics";
    case analyzer::Category::config: return "Configuration";
    case analyzer::Category::application: return "Application";
    case analyzer::Category::connections: return "Connections, transactions and locks";
    case analyzer::Category::maintenance: return "Maintenance";
    case analyzer::Category::input: return "Input";
    }
    return "Findings";
}

// Findings of a SQL or plan file group under the file; the others (analyze's) group under
// what to do about them. Groups appear in the order of their first finding, so the report's
// order (most valuable first for analyze) decides which group comes first.
std::string group_heading(const Finding& f) {
    const std::string_view file = file_of(f);
    return file.empty() ? std::string(category_heading(f.category())) : std::string(file);
}

void write_findings(Writer& w, const Report& report) {
    std::vector<std::string> headings;
    std::vector<std::vector<const Finding*>> groups;
    for (const Finding& f : report.findings) {
        const std::string heading = group_heading(f);
        std::size_t g = 0;
        while (g < headings.size() && headings[g] != heading) {
            ++g;
        }
        if (g == headings.size()) {
            headings.push_back(heading);
            groups.emplace_back();
        }
        groups[g].push_back(&f);
    }
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (g > 0) {
            w.newline();
        }
        w.styled(k_bold, headings[g]);
        w.plain(": " + plural(groups[g].size(), "finding", "findings"));
        w.newline();
        for (const Finding* f : groups[g]) {
            w.newline();
            write_finding(w, *f);
        }
    }
}

void write_hot_nodes(Writer& w, const std::vector<HotNode>& nodes) {
    w.styled(k_bold, "hottest plan nodes (exclusive time):");
    w.newline();
    for (const HotNode& node : nodes) {
        std::string line = fmt::format("{:>6}%  {:>10} ms  {}", format_fixed(node.share * 100, 1),
                                       format_fixed(node.exclusive_ms, 3), node.node_type);
        if (!node.relation.empty()) {
            line += " on " + node.relation;
        }
        line += "  (" + node.path + ")";
        w.block(line, "  ");
    }
}

void write_summary(Writer& w, const Report& report) {
    std::array<std::size_t, 3> counts{};
    for (const Finding& f : report.findings) {
        ++counts[static_cast<std::size_t>(f.severity)];
    }
    const auto errors = counts[static_cast<std::size_t>(Severity::error)];
    const auto warnings = counts[static_cast<std::size_t>(Severity::warning)];
    const auto infos = counts[static_cast<std::size_t>(Severity::info)];
    w.styled(k_bold, "summary:");
    w.plain(" ");
    if (report.findings.empty()) {
        w.plain("no findings");
    } else {
        w.plain(plural(report.findings.size(), "finding", "findings") + " (");
        w.styled(errors > 0 ? k_red : std::string_view{}, plural(errors, "error", "errors"));
        w.plain(", ");
        w.styled(warnings > 0 ? k_yellow : std::string_view{},
                 plural(warnings, "warning", "warnings"));
        w.plain(", ");
        w.styled(infos > 0 ? k_cyan : std::string_view{}, fmt::format("{} info", infos));
        w.plain(")");
    }
    if (!report.stats.empty()) {
        w.plain("; " + evidence_line(report.stats));
    }
    w.newline();
}

} // namespace

std::string render_text(const Report& report, const TextOptions& options) {
    Writer w(options.color);
    bool any = false;
    auto separate = [&] {
        if (any) {
            w.newline();
        }
        any = true;
    };
    if (!report.findings.empty()) {
        separate();
        write_findings(w, report);
    }
    if (!report.hot_nodes.empty()) {
        separate();
        write_hot_nodes(w, report.hot_nodes);
    }
    for (const Section& section : report.sections) {
        separate();
        w.styled(k_bold, section.title);
        w.newline();
        for (const std::string& line : section.lines) {
            w.block(line, "  ");
        }
    }
    if (!report.notes.empty() || report.partial) {
        separate();
        if (report.partial) {
            w.styled(k_yellow, "partial:");
            w.plain(" the run stopped early; this report covers only what was analyzed");
            w.newline();
        }
        for (const std::string& note : report.notes) {
            w.styled(k_bold, "note:");
            w.plain(" ");
            w.block(note, "");
        }
    }
    separate();
    write_summary(w, report);
    return w.take();
}

} // namespace dbadvise::reports
