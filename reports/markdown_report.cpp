// `--format markdown`: GitHub-flavoured Markdown for a pull-request comment or a CI job
// summary ($GITHUB_STEP_SUMMARY). The outline of the text report (reports/outline.hpp): a
// heading and facts, a summary table, the few things to do first, then one section per group
// with each finding's details collapsed in <details>, so that a long report stays short on the
// page. Findings in the baseline go in one collapsed list at the end.
//
// Escaping: text from the database or input files (query texts, identifiers, messages) is
// shown with visible escapes for controls and bidirectional overrides (util/terminal.hpp), then
// backslash-escaped wherever Markdown would read it (`|`, backticks, `*`, `_`, `[`, `<`, `&`
// and the rest stay literal, and table cells stay cells), except that the `code spans` of
// dbadvise's own prose (messages, notes, section lines) stay code spans; inside HTML
// elements (<summary>) it is HTML-escaped; SQL goes in fenced code blocks whose fence is
// longer than any run of backticks in the SQL.
#include "reports/format_number.hpp"
#include "reports/html_escape.hpp"
#include "reports/outline.hpp"
#include "reports/report.hpp"
#include "util/terminal.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dbadvise::reports {

namespace {

using analyzer::Finding;
using analyzer::Severity;

// Text on one line with every character a terminal or a renderer would obey shown as a visible
// escape (util/terminal.hpp: C0 and C1 controls, bidirectional overrides, malformed UTF-8):
// line breaks and tabs become spaces first.
std::string visible_line(std::string_view text) {
    std::string flat(text);
    std::replace_if(flat.begin(), flat.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
    return util::terminal_safe(flat);
}

// Markdown text on one line (visible_line), with the characters that start Markdown or HTML
// syntax inside a line (emphasis, code, links, images, tables, HTML, entities, strikethrough,
// headings) backslash-escaped, as is a leading character that would start a list or a block
// quote.
std::string md(std::string_view text) {
    static constexpr std::string_view k_special = "\\`*_[]<>|#!~&";
    const std::string line = visible_line(text);
    std::string out;
    out.reserve(line.size() + line.size() / 8);
    for (const char c : line) {
        if (k_special.find(c) != std::string_view::npos ||
            (out.empty() && (c == '-' || c == '+' || c == '=' || c == '>')) ||
            ((c == '.' || c == ')') && !out.empty() &&
             out.find_first_not_of("0123456789") == std::string::npos)) {
            // The last case: "1." or "2)" at the start would begin an ordered list.
            out.push_back('\\');
            out.push_back(c);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// Prose of dbadvise's own on one line (visible_line), cut into its `code spans` (a backtick,
// text, the next backtick) and the text around them: `text` gets the text (a backtick left
// without a partner stays in it), `code` each span's content without its backticks.
template <typename Text, typename Code>
std::string prose(std::string_view input, Text text, Code code) {
    const std::string line = visible_line(input);
    const std::string_view view = line;
    std::string out;
    std::size_t at = 0;
    while (at < view.size()) {
        const std::size_t open = view.find('`', at);
        const std::size_t close = open == std::string_view::npos ? std::string_view::npos : view.find('`', open + 1);
        if (close == std::string_view::npos || close == open + 1) {
            const std::size_t end = close == std::string_view::npos ? view.size() : close + 1;
            out += text(view.substr(at, end - at));
            at = end;
            continue;
        }
        out += text(view.substr(at, open - at));
        out += code(view.substr(open + 1, close - open - 1));
        at = close + 1;
    }
    return out;
}

// A message, a note, a section line: its code spans stay code spans, the rest is md(). A
// span's text is visible_line's, where Markdown reads nothing; a lone backtick is escaped.
// Text from the database inside a message can at worst pair two backticks: a code span
// cannot hold markup, so the rendering changes and nothing is obeyed.
std::string md_prose(std::string_view text) {
    return prose(text, md, [](std::string_view code) {
        // A span that starts and ends with a space loses one of each; pad so it keeps them.
        const bool pad = code.front() == ' ' && code.back() == ' ' && code.find_first_not_of(' ') != std::string_view::npos;
        return "`" + std::string(pad ? " " : "") + std::string(code) + (pad ? " `" : "`");
    });
}

// A title inside an HTML element (<summary>, where Markdown is not read), with entities for
// the characters HTML reads: its code spans become <code> elements; a lone backtick stays.
std::string html_prose(std::string_view text) {
    return prose(text, html_escape,
                 [](std::string_view code) { return "<code>" + html_escape(code) + "</code>"; });
}

// A fenced code block that no backtick run in `code` can close.
void code_block(std::string& out, std::string_view code, std::string_view language) {
    std::size_t longest = 0;
    std::size_t run = 0;
    for (const char c : code) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    out += fence;
    out += language;
    out += '\n';
    // Line breaks and tabs keep the layout; carriage returns go; other controls are escaped.
    std::string text(code);
    std::erase(text, '\r');
    text = util::terminal_safe(text, {.keep_newline = true, .keep_tab = true});
    out += text;
    if (!text.empty() && text.back() != '\n') out += '\n';
    out += fence;
    out += "\n\n";
}

std::string_view severity_label(Severity severity) {
    switch (severity) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::info: return "info";
    }
    return "info";
}

std::string location_text(const Finding& f) {
    if (!f.location) return {};
    std::string text = f.location->file;
    if (!text.empty() && f.location->line > 0) {
        text += fmt::format(":{}", f.location->line);
        if (f.location->column > 0) text += fmt::format(":{}", f.location->column);
    }
    if (!f.location->node.empty()) text += (text.empty() ? "" : " ") + f.location->node;
    return text;
}

std::string value_text(const analyzer::EvidenceValue& value) {
    struct Visitor {
        std::string operator()(std::int64_t v) const { return fmt::format("{}", v); }
        std::string operator()(double v) const { return format_number(v); }
        std::string operator()(const std::string& v) const { return v; }
        std::string operator()(bool v) const { return v ? "true" : "false"; }
    };
    return std::visit(Visitor{}, value);
}

void finding_body(std::string& out, const Finding& f) {
    if (const std::string at = location_text(f); !at.empty()) out += "**Where:** " + md(at) + "  \n";
    if (f.query) {
        const analyzer::QueryRef& q = *f.query;
        out += "**Statement**";
        if (!q.queryid.empty()) out += " " + md(q.queryid);
        if (const std::string origin = query_origin(q); !origin.empty()) out += " at " + md(origin);
        if (q.calls > 0) {
            out += fmt::format(": {} calls, {} in total, {} per call", q.calls, md(format_duration(q.total_ms)),
                               md(format_duration(q.mean_ms)));
        }
        out += "\n\n";
        code_block(out, q.text, "sql");
    }
    if (const std::string where = databases_line(f); !where.empty()) out += "**Databases**: " + md(where) + "\n\n";
    if (!f.message.empty()) out += md_prose(f.message) + "\n\n";
    if (!f.evidence.empty()) {
        out += "| Evidence | Value |\n| --- | --- |\n";
        for (const auto& [key, value] : f.evidence) {
            out += "| " + md(key) + " | " + md(value_text(value)) + " |\n";
        }
        out += "\n";
    }
    if (f.impact.cost_before && f.impact.cost_after) {
        out += fmt::format("**Planner cost:** {} → {}", md(format_number(*f.impact.cost_before)),
                           md(format_number(*f.impact.cost_after)));
        if (f.impact.estimated_ms_saved_per_call) {
            out += fmt::format(", saves about {} ms per call", md(format_number(*f.impact.estimated_ms_saved_per_call)));
        }
        out += "\n\n";
    }
    if (!f.suggestion.rewritten_query.empty()) {
        out += "**Rewritten query:**\n\n";
        code_block(out, f.suggestion.rewritten_query, "sql");
    }
    if (!f.suggestion.sql.empty()) {
        out += "**Suggested SQL:**\n\n";
        code_block(out, f.suggestion.sql, "sql");
    }
}

void details(std::string& out, const Finding& f, std::string_view title) {
    out += fmt::format("<details><summary><b>{}</b> {} <code>{}</code>{}</summary>\n\n",
                       severity_label(f.severity), html_prose(title), f.rule_id(),
                       f.baseline ? " (baseline)" : "");
    finding_body(out, f);
    out += "</details>\n\n";
}

void entry(std::string& out, const Entry& e) {
    if (!e.collapsed()) {
        details(out, e.first(), e.first().title);
        return;
    }
    out += fmt::format("<details><summary><b>{}</b> {} <code>{}</code></summary>\n\n",
                       severity_label(e.first().severity), html_prose(e.title()), e.first().rule_id());
    for (const Finding* f : e.findings) details(out, *f, f->title);
    out += "</details>\n\n";
}

std::string time_cell(const Action& action, bool database) {
    if (action.saves_ms) return "saves ~" + format_duration(*action.saves_ms);
    if (action.at_stake_ms > 0) {
        return format_duration(action.at_stake_ms) + (database ? " at stake" : " of plan time");
    }
    return {};
}

// Appends `piece` when `out` stays within `budget` bytes with it (no budget: always).
bool fits(std::string& out, const std::string& piece, std::size_t budget) {
    if (budget != 0 && out.size() + piece.size() > budget) return false;
    out += piece;
    return true;
}

std::string shortened_banner(std::size_t left_out, std::size_t total, std::size_t limit) {
    return fmt::format("> **Shortened:** {} of {} are not shown, to keep this report under {} bytes "
                       "(`--markdown-limit`; GitHub takes 65,536 characters in a pull-request comment). "
                       "`--format html` or `--format json` has them all.\n\n",
                       left_out, plural(total, "finding", "findings"), format_number(static_cast<double>(limit)));
}

} // namespace

std::string render_markdown(const Report& report, const MarkdownOptions& options) {
    const Outline outline = make_outline(report, false);
    std::string head;
    head += "## " + md(outline.heading) + "\n\n";
    if (report.partial) {
        head += "> **Partial:** " + md_prose(partial_summary(report)) + ".\n\n";
    }
    // The "Shortened" banner goes here when the limit cuts something (below).
    std::string summary;
    for (const std::string& fact : outline.facts) summary += "- " + md_prose(fact) + "\n";
    summary += "\n";

    const auto count = [&](Severity s) { return outline.by_severity[static_cast<std::size_t>(s)]; };
    summary += "| Findings | Errors | Warnings | Info |\n| --- | ---: | ---: | ---: |\n";
    if (outline.groups.empty()) {
        summary += "| none | 0 | 0 | 0 |\n";
    }
    for (const GroupView& group : outline.groups) {
        std::array<std::size_t, 3> n{};
        for (const Entry& e : group.entries) {
            for (const Finding* f : e.findings) ++n[static_cast<std::size_t>(f->severity)];
        }
        summary += fmt::format("| {} | {} | {} | {} |\n", md(group.heading), n[2], n[1], n[0]);
    }
    if (outline.groups.size() > 1) {
        summary += fmt::format("| **Total** | **{}** | **{}** | **{}** |\n", count(Severity::error),
                               count(Severity::warning), count(Severity::info));
    }
    summary += "\n";
    if (report.baseline) {
        summary += fmt::format("{} of these findings are in the baseline {} and never fail `--fail-on`.\n\n",
                               outline.baseline, md(report.baseline->file));
    }

    if (!outline.actions.empty()) {
        summary += "### Do first\n\n| # | What | Time |\n| ---: | --- | --- |\n";
        int n = 0;
        for (const Action& action : outline.actions) {
            summary += fmt::format("| {} | {} | {} |\n", ++n, md(action.what), md(time_cell(action, outline.database)));
        }
        summary += "\n";
    }
    if (!report.hot_nodes.empty()) {
        summary += "### Hottest plan nodes\n\n| Share | Exclusive time | Node | Path |\n| ---: | ---: | --- | --- |\n";
        for (const HotNode& node : report.hot_nodes) {
            summary += fmt::format("| {}% | {} ms | {}{} | {} |\n", format_fixed(node.share * 100, 1),
                                   format_fixed(node.exclusive_ms, 3), md(node.node_type),
                                   node.relation.empty() ? "" : " on " + md(node.relation), md(node.path));
        }
        summary += "\n";
    }

    // The body within the limit. The head and summary always stay. Each group's heading and
    // sections come next, then its entries: all of them when everything fits; otherwise the
    // errors of every group first, then the warnings, then the info, each entry taken when it
    // still fits, and shown in report order with a line counting what its group leaves out.
    // Then the baseline list, the databases and the notes, each whole or left out. Room is
    // kept for the banner, a "left out" line per group and the footer.
    const std::size_t limit = options.max_bytes;
    const std::string footer = fmt::format("<sub>dbadvise {}</sub>\n", DBADVISE_VERSION);
    const std::size_t reserve = 600 + footer.size() + 200 * outline.groups.size();
    const std::size_t budget = limit == 0 ? 0 : (limit > reserve ? limit - reserve : 1);
    struct Piece {
        std::string top;                 // heading and sections
        std::vector<std::string> entries; // one per outline entry
        std::vector<bool> shown;
        bool top_shown = true;
    };
    std::vector<Piece> pieces;
    std::size_t used = head.size() + summary.size();
    std::size_t whole = used;
    for (const GroupView& group : outline.groups) {
        Piece& piece = pieces.emplace_back();
        piece.top = fmt::format("### {} ({})\n\n", md(group.heading), group.findings);
        for (const Section* section : group.sections) {
            if (section->title != group.heading) piece.top += "**" + md(section->title) + "**\n\n";
            for (const std::string& line : section->lines) piece.top += "- " + md_prose(line) + "\n";
            piece.top += "\n";
        }
        whole += piece.top.size();
        for (const Entry& e : group.entries) {
            entry(piece.entries.emplace_back(), e);
            whole += piece.entries.back().size();
        }
    }
    if (budget == 0 || whole <= budget) {
        for (Piece& piece : pieces) piece.shown.assign(piece.entries.size(), true);
    } else {
        for (Piece& piece : pieces) piece.shown.assign(piece.entries.size(), false);
        for (Piece& piece : pieces) {
            piece.top_shown = used + piece.top.size() <= budget;
            used += piece.top_shown ? piece.top.size() : 0;
        }
        for (int level = 2; level >= 0; --level) {
            for (std::size_t g = 0; g < pieces.size(); ++g) {
                const std::vector<Entry>& entries = outline.groups[g].entries;
                for (std::size_t i = 0; i < entries.size(); ++i) {
                    if (static_cast<int>(entries[i].first().severity) != level) continue;
                    if (used + pieces[g].entries[i].size() > budget) continue;
                    pieces[g].shown[i] = true;
                    used += pieces[g].entries[i].size();
                }
            }
        }
    }
    std::string body = head + summary;
    std::size_t left_out = 0;
    std::size_t total = 0;
    for (std::size_t g = 0; g < pieces.size(); ++g) {
        const GroupView& group = outline.groups[g];
        const Piece& piece = pieces[g];
        total += group.findings;
        body += piece.top_shown ? piece.top : fmt::format("### {} ({})\n\n", md(group.heading), group.findings);
        std::size_t shown = 0;
        for (std::size_t i = 0; i < piece.entries.size(); ++i) {
            if (!piece.shown[i]) continue;
            body += piece.entries[i];
            shown += group.entries[i].findings.size();
        }
        if (shown < group.findings) {
            const std::size_t n = group.findings - shown;
            left_out += n;
            body += fmt::format("_{} more {} in this group not shown (size limit; the most severe are shown)._\n\n",
                                n, n == 1 ? "finding" : "findings");
        }
    }
    const auto tail = [&](const std::string& piece, std::string_view what) {
        if (!fits(body, piece, budget)) body += fmt::format("_{} not shown (size limit)._\n\n", what);
    };
    // Sections that belong to no group (explain's Statement); a fleet's are its databases,
    // below.
    if (report.fleet.empty()) {
        for (const Section* section : outline.loose_sections) {
            std::string piece = "### " + md(section->title) + "\n\n";
            if (section->verbatim) {
                std::string text;
                for (const std::string& line : section->lines) text += line + "\n";
                code_block(piece, text, "sql");
            } else {
                for (const std::string& line : section->lines) piece += "- " + md_prose(line) + "\n";
                piece += "\n";
            }
            tail(piece, section->title);
        }
    }
    if (outline.baseline > 0) {
        std::string piece = fmt::format("<details><summary>In the baseline ({})</summary>\n\n", outline.baseline);
        for (const Finding& f : report.findings) {
            if (f.baseline) {
                piece += "- " + md(analyzer::to_string(f.severity)) + " " + md(f.title) + " `" +
                         std::string(f.rule_id()) + "`\n";
            }
        }
        piece += "\n</details>\n\n";
        tail(piece, "The findings in the baseline are");
    }
    if (!report.fleet.empty()) {
        // A fleet: each database's status (its categorized sections are in the groups above).
        std::string piece = "### Databases\n\n";
        for (const Section& section : report.sections) {
            if (section.category) continue;
            piece += "**" + md(section.title) + "**\n\n";
            for (const std::string& line : section.lines) piece += "- " + md_prose(line) + "\n";
            piece += "\n";
        }
        tail(piece, "The databases' status is");
    }
    if (!report.notes.empty()) {
        std::string piece = "### Notes\n\n";
        for (const std::string& note : report.notes) piece += "- " + md_prose(note) + "\n";
        piece += "\n";
        tail(piece, "The notes are");
    }
    body += footer;
    if (left_out == 0) return body;
    return head + shortened_banner(left_out, total, limit) + body.substr(head.size());
}

} // namespace dbadvise::reports
