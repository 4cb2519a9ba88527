// The text report: for a person at a terminal, summary first. A header says what was analyzed
// (and whether the run was partial), then the few things to do first, then the findings in
// groups (reports/outline.hpp): by what to do for analyze, by file for lint and explain. Each
// located finding starts with `file:line:col:` so editors and terminals can jump to it, as
// they do for compiler diagnostics. Prose is wrapped to the width the CLI passes (the
// terminal's, or 80-120 columns); SQL is never wrapped, so it can be copied as it is.
#include "reports/format_number.hpp"
#include "reports/outline.hpp"
#include "reports/report.hpp"
#include "util/terminal.hpp"

#include <fmt/format.h>

#include <algorithm>
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

// Collapsed entries list this many of their findings unless --verbose.
constexpr std::size_t k_listed = 3;

// Columns a string takes on a terminal: one per UTF-8 code point (wide characters are rare in
// reports), none for the SGR sequences (ESC [ ... m) of our own colours.
std::size_t columns(std::string_view text) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
            const std::size_t end = text.find('m', i);
            if (end != std::string_view::npos) {
                i = end;
                continue;
            }
        }
        n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 ? 1 : 0;
    }
    return n;
}

// Everything a report prints passes through the Writer, and most of it comes from the
// database or an input file (query texts, identifiers, server messages, plan fields), so the
// Writer escapes control characters in all text it is given (util/terminal.hpp); only its
// own style sequences and line breaks reach the terminal as they are.
class Writer {
public:
    Writer(bool color, int width) : m_color(color), m_width(static_cast<std::size_t>(width)) {}

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
    std::size_t width() const { return m_width; }

    /// Writes every line of `text` prefixed by `indent`, as it is (SQL); blank lines stay blank.
    void block(std::string_view text, std::string_view indent, std::string_view style = {}) {
        for_each_line(text, [&](std::string_view line) {
            if (!line.empty()) {
                plain(indent);
                styled(style, line);
            }
            newline();
        });
    }

    /// Writes `text` as prose: every line wrapped at the width, at spaces, the first line
    /// after `indent`, the others after `indent` plus `hanging`. A word longer than the line
    /// (an identifier, a path) is never broken.
    void wrapped(std::string_view text, std::string_view indent, std::string_view style = {},
                 std::string_view hanging = {}, std::size_t used_on_first = 0) {
        for_each_line(text, [&](std::string_view line) {
            if (line.empty()) {
                newline();
                return;
            }
            std::string current;
            std::size_t used = 0;
            const std::size_t full = std::max<std::size_t>(
                m_width > columns(indent) ? m_width - columns(indent) : 20, 20);
            std::size_t limit = std::max<std::size_t>(full > used_on_first ? full - used_on_first : 0, 20);
            bool first = true;
            auto flush = [&] {
                if (!first || used_on_first == 0) plain(indent);
                if (!first) plain(hanging);
                styled(style, current);
                newline();
                current.clear();
                used = 0;
                if (first) {
                    first = false;
                    limit = full > columns(hanging) + 20 ? full - columns(hanging) : full;
                }
            };
            std::size_t start = 0;
            while (start < line.size()) {
                std::size_t end = line.find(' ', start);
                if (end == std::string_view::npos) end = line.size();
                const std::string_view word = line.substr(start, end - start);
                const std::size_t width = columns(word);
                if (used > 0 && used + 1 + width > limit) flush();
                if (used > 0) {
                    current.push_back(' ');
                    ++used;
                }
                current.append(word);
                used += width;
                start = end + 1;
            }
            if (!current.empty() || first) flush();
        });
    }

    /// Columns of the line being written so far.
    std::size_t column() const {
        const std::size_t start = m_out.rfind('\n');
        return columns(std::string_view(m_out).substr(start == std::string::npos ? 0 : start + 1));
    }

    std::string take() { return std::move(m_out); }

private:
    template <class F>
    static void for_each_line(std::string_view text, F&& f) {
        std::size_t start = 0;
        while (start <= text.size()) {
            const std::size_t end = text.find('\n', start);
            std::string_view line = text.substr(
                start, end == std::string_view::npos ? std::string_view::npos : end - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            f(line);
            if (end == std::string_view::npos) break;
            start = end + 1;
        }
    }

    // Tabs are harmless and keep the layout of SQL text; every other control is escaped.
    void append_safe(std::string_view text) {
        if (util::needs_terminal_escaping(text, {.keep_tab = true})) {
            m_out.append(util::terminal_safe(text, {.keep_tab = true}));
        } else {
            m_out.append(text);
        }
    }

    bool m_color;
    std::size_t m_width;
    std::string m_out;
};

// A section line laid out by its producer (a table row with aligned columns, a line holding a
// statement to copy) is printed as it is; other lines are prose and wrap.
bool preformatted(std::string_view line) {
    const auto first = line.find_first_not_of(' ');
    if (first == std::string_view::npos) return true;
    const std::string_view body = line.substr(first);
    return body.find("  ") != std::string_view::npos || body.find("CREATE ") != std::string_view::npos ||
           body.find("DROP ") != std::string_view::npos;
}

void section_line(Writer& w, std::string_view line) {
    if (preformatted(line)) {
        w.block(line, "  ");
    } else {
        w.wrapped(line, "  ", {}, "    ");
    }
}

std::string_view severity_style(Severity severity) {
    switch (severity) {
    case Severity::error: return k_red;
    case Severity::warning: return k_yellow;
    case Severity::info: return k_cyan;
    }
    return k_cyan;
}

// `file:line:col`, `file:line`, `file`, or the plan node path; empty when the finding has no
// location at all (database-wide findings of analyze).
std::string location_prefix(const Finding& f) {
    if (!f.location) return {};
    const analyzer::Location& loc = *f.location;
    std::string text = loc.file;
    if (!loc.file.empty() && loc.line > 0) {
        text += fmt::format(":{}", loc.line);
        if (loc.column > 0) text += fmt::format(":{}", loc.column);
    }
    if (!loc.node.empty()) text += text.empty() ? loc.node : " " + loc.node;
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
        if (!line.empty()) line += ", ";
        line += key + "=" + evidence_value(value);
    }
    return line;
}

std::string query_line(const analyzer::QueryRef& q, std::size_t text_limit) {
    std::string line = "query";
    if (!q.queryid.empty()) line += " " + q.queryid;
    // --queries FILE: where the statement was first seen, file:line:col as compilers print it.
    if (const std::string origin = query_origin(q); !origin.empty()) line += " at " + origin;
    if (q.calls > 0) {
        line += fmt::format(" ({} calls, {} ms total, {} ms mean)", q.calls, format_number(q.total_ms),
                            format_number(q.mean_ms));
    }
    return line + ": " + one_line(q.text, text_limit);
}

std::string impact_line(const analyzer::Impact& impact) {
    if (!impact.cost_before && !impact.cost_after && !impact.estimated_ms_saved_per_call) return {};
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
        line += fmt::format("{} saves about {} ms per call", line.size() > 7 ? "," : "",
                            format_number(*impact.estimated_ms_saved_per_call));
    }
    return line;
}

// `location: severity: title [rule]`; a title too long for the line wraps under it, so the
// location and severity stay first, where editors and people look for them.
void write_headline(Writer& w, const Finding& f, std::string_view title) {
    const std::string prefix = location_prefix(f);
    if (!prefix.empty()) {
        w.styled(k_bold, prefix);
        w.plain(": ");
    }
    w.styled(severity_style(f.severity), analyzer::to_string(f.severity));
    w.plain(": ");
    std::string rest(title);
    rest += fmt::format(" [{}]", f.rule_id());
    if (f.baseline) rest += " (baseline)";
    const std::size_t used = w.column();
    if (used + columns(rest) <= w.width()) {
        w.styled(k_bold, title);
        w.plain(" ");
        w.styled(k_dim, fmt::format("[{}]", f.rule_id()));
        if (f.baseline) {
            w.plain(" ");
            w.styled(k_dim, "(baseline)");
        }
        w.newline();
        return;
    }
    w.wrapped(rest, "", k_bold, "    ", used);
}

void write_suggestion(Writer& w, const Finding& f) {
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

void write_finding(Writer& w, const Finding& f, int width) {
    write_headline(w, f, f.title);
    if (const std::string where = databases_line(f); !where.empty()) w.wrapped(where, "    ", k_dim, "    ");
    if (f.query) {
        const std::size_t limit = static_cast<std::size_t>(std::max(60, width * 2 - 40));
        w.wrapped(query_line(*f.query, limit), "    ", {}, "    ");
    }
    if (!f.message.empty()) w.wrapped(f.message, "    ");
    if (!f.evidence.empty()) w.wrapped("evidence: " + evidence_line(f.evidence), "    ", k_dim, "    ");
    if (const std::string impact = impact_line(f.impact); !impact.empty()) w.wrapped(impact, "    ");
    write_suggestion(w, f);
}

// What tells one finding of a collapsed entry from the others.
std::string member_line(const Entry& entry, const Finding& f, int width) {
    if (!entry.partition_of.empty() || !f.query) return f.title;
    return query_line(*f.query, static_cast<std::size_t>(std::max(40, width - 20)));
}

void write_entry(Writer& w, const Entry& entry, const TextOptions& options) {
    if (!entry.collapsed()) {
        write_finding(w, entry.first(), options.width);
        return;
    }
    const Finding& first = entry.first();
    write_headline(w, first, entry.title());
    if (options.verbose) {
        for (const Finding* f : entry.findings) {
            w.newline();
            write_finding(w, *f, options.width);
        }
        return;
    }
    if (!first.message.empty()) w.wrapped(first.message, "    ");
    const std::size_t shown = std::min(entry.findings.size(), k_listed);
    const double time = entry.time_ms();
    w.wrapped(fmt::format("{} findings{}; the first {}:", entry.findings.size(),
                          time > 0 ? fmt::format(" ({} at stake)", format_duration(time)) : "",
                          shown),
              "    ");
    for (std::size_t i = 0; i < shown; ++i) {
        w.wrapped("- " + member_line(entry, *entry.findings[i], options.width), "      ", {}, "  ");
        if (const std::string where = databases_line(*entry.findings[i]); !where.empty())
            w.wrapped(where, "        ", k_dim, "  ");
        if (!entry.findings[i]->suggestion.sql.empty()) {
            w.block(entry.findings[i]->suggestion.sql, "          ", k_green);
        }
    }
    if (entry.findings.size() > shown) {
        w.wrapped(fmt::format("- and {} more (--verbose lists them; every format but text has "
                              "them all)",
                              entry.findings.size() - shown),
                  "      ");
    }
}

void write_header(Writer& w, const Report& report, const Outline& outline) {
    w.styled(k_bold, outline.heading);
    w.newline();
    for (const std::string& fact : outline.facts) w.wrapped(fact, "  ", {}, "    ");
    if (report.partial) {
        w.plain("  ");
        w.styled(k_yellow, "partial:");
        w.plain(" ");
        w.wrapped(partial_summary(report), "", {}, "    ",
                  w.column());
    }
    if (report.baseline) {
        const BaselineInfo& b = *report.baseline;
        w.wrapped(fmt::format("  baseline: {} of this run's findings are in {} and never fail "
                              "--fail-on{}",
                              b.matched, b.file,
                              b.matched > 0 && outline.baseline > 0
                                  ? std::string("; --verbose shows them")
                                  : std::string()),
                  "", {}, "    ");
    }
}

void write_actions(Writer& w, const Outline& outline) {
    const bool timed = std::any_of(outline.actions.begin(), outline.actions.end(),
                                   [](const Action& a) { return a.saves_ms || a.at_stake_ms > 0; });
    // Index recommendations come first, by the time they save; then the other changes by the
    // time at stake (measured time of what they concern, plus round trips for batching).
    w.styled(k_bold, outline.database ? "Do first (time saved, then time at stake)"
                     : timed          ? "Do first"
                                      : "Do first (errors, then warnings with a fix)");
    w.newline();
    int n = 0;
    for (const Action& action : outline.actions) {
        std::string line = fmt::format("{}. {}", ++n, action.what);
        if (action.saves_ms) {
            line += fmt::format(": saves ~{}", format_duration(*action.saves_ms));
        } else if (action.at_stake_ms > 0) {
            line += outline.database ? fmt::format(": {} at stake", format_duration(action.at_stake_ms))
                                     : fmt::format(": {} of plan time", format_duration(action.at_stake_ms));
        }
        w.wrapped(line, "  ", {}, "   ");
        const Finding& f = action.entry->first();
        const std::string& sql =
            !f.suggestion.sql.empty() ? f.suggestion.sql : f.suggestion.rewritten_query;
        if (action.show_sql && !sql.empty() && !action.entry->collapsed()) w.block(sql, "     ", k_green);
    }
}

void write_hot_nodes(Writer& w, const std::vector<HotNode>& nodes) {
    w.styled(k_bold, "hottest plan nodes (exclusive time):");
    w.newline();
    for (const HotNode& node : nodes) {
        std::string line = fmt::format("{:>6}%  {:>10} ms  {}", format_fixed(node.share * 100, 1),
                                       format_fixed(node.exclusive_ms, 3), node.node_type);
        if (!node.relation.empty()) line += " on " + node.relation;
        line += "  (" + node.path + ")";
        w.block(line, "  ");
    }
}

void write_group(Writer& w, const GroupView& group, const TextOptions& options) {
    w.styled(k_bold, group.heading);
    if (group.findings > 0 || group.sections.empty()) {
        w.plain(": " + plural(group.findings, "finding", "findings"));
    }
    w.newline();
    for (const Section* section : group.sections) {
        w.newline();
        if (section->title != group.heading) {
            w.styled(k_bold, section->title);
            w.newline();
        }
        for (const std::string& line : section->lines) section_line(w, line);
    }
    for (const Entry& entry : group.entries) {
        w.newline();
        write_entry(w, entry, options);
    }
}

void write_summary(Writer& w, const Report& report, const Outline& outline) {
    const auto errors = outline.by_severity[static_cast<std::size_t>(Severity::error)];
    const auto warnings = outline.by_severity[static_cast<std::size_t>(Severity::warning)];
    const auto infos = outline.by_severity[static_cast<std::size_t>(Severity::info)];
    const std::size_t total = errors + warnings + infos;
    w.styled(k_bold, "summary:");
    w.plain(" ");
    if (total == 0) {
        w.plain(report.baseline ? "no new findings" : "no findings");
    } else {
        w.plain(plural(total, report.baseline ? "new finding" : "finding",
                       report.baseline ? "new findings" : "findings") +
                " (");
        w.styled(errors > 0 ? k_red : std::string_view{}, plural(errors, "error", "errors"));
        w.plain(", ");
        w.styled(warnings > 0 ? k_yellow : std::string_view{}, plural(warnings, "warning", "warnings"));
        w.plain(", ");
        w.styled(infos > 0 ? k_cyan : std::string_view{}, fmt::format("{} info", infos));
        w.plain(")");
    }
    if (outline.baseline > 0) w.plain(fmt::format(", {} in the baseline", outline.baseline));
    if (report.stats.empty()) {
        w.newline();
        return;
    }
    w.plain("; ");
    w.wrapped(evidence_line(report.stats), "", {}, "  ", w.column());
}

} // namespace

std::string render_text(const Report& report, const TextOptions& options) {
    const Outline outline = make_outline(report, options.verbose);
    Writer w(options.color, std::max(options.width, 40));
    write_header(w, report, outline);
    if (!outline.actions.empty()) {
        w.newline();
        write_actions(w, outline);
    }
    if (!report.hot_nodes.empty()) {
        w.newline();
        write_hot_nodes(w, report.hot_nodes);
    }
    for (const GroupView& group : outline.groups) {
        w.newline();
        write_group(w, group, options);
    }
    // Sections that belong to no group (explain's Statement: the query a plan came with).
    for (const Section* section : outline.loose_sections) {
        w.newline();
        w.styled(k_bold, section->title);
        w.newline();
        for (const std::string& line : section->lines) {
            if (section->verbatim) {
                w.block(line, "  ");
            } else {
                section_line(w, line);
            }
        }
    }
    if (report.index_selection.present && options.verbose) {
        w.newline();
        w.styled(k_bold, "Index candidates considered");
        w.newline();
        if (report.index_selection.candidates.empty()) w.block("none", "  ");
        for (const IndexCandidate& candidate : report.index_selection.candidates) {
            w.wrapped(fmt::format("{} {}  -- {}{}", candidate.recommended ? "recommended:" : "left out:   ",
                                  candidate.index, candidate.kind.empty() ? "" : candidate.kind + ": ",
                                  candidate.reason),
                      "  ", {}, "    ");
        }
        if (!report.index_selection.stopped_by.empty())
            w.wrapped("selection stopped: " + report.index_selection.stopped_by, "  ", {}, "    ");
        // Every statement no index was even considered for, and why (the JSON report has every
        // statement's outcome under workload.statements[].index_advice).
        std::vector<const analyzer::StatementSummary*> without;
        for (const analyzer::StatementSummary& s : report.statements) {
            if (s.index_advice.status == "no-candidate" || s.index_advice.status == "not-analyzed") without.push_back(&s);
        }
        if (!without.empty()) {
            w.newline();
            w.styled(k_bold, "Statements with no candidate index");
            w.newline();
            for (const analyzer::StatementSummary* s : without) {
                w.wrapped(fmt::format("{}: {}  -- {}", s->index_advice.status == "no-candidate" ? "no candidate" : "not analyzed",
                                      one_line(s->query.text, 80), s->index_advice.reason),
                          "  ", {}, "    ");
            }
        }
    }
    if (!report.notes.empty()) {
        w.newline();
        for (const std::string& note : report.notes) {
            w.styled(k_bold, "note:");
            w.plain(" ");
            w.wrapped(note, "", {}, "  ", w.column());
        }
    }
    w.newline();
    write_summary(w, report, outline);
    return w.take();
}

} // namespace dbadvise::reports
