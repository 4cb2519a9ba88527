// `--format html`: one self-contained page for someone who never ran the tool. Everything is
// inline: the style sheet, a small script that sorts tables, and the charts, which are SVG
// drawn here. The page loads nothing: its Content-Security-Policy (default-src 'none') makes
// the browser refuse any request, so it opens the same offline, from a mail attachment or a CI
// artifact.
//
// Layout: the outline of the text report (reports/outline.hpp) — heading and facts, counts,
// the few things to do first — then charts where a picture says it faster (share of total
// time by statement, planner cost before and after each recommended index, buffer hit ratios,
// the hottest plan nodes of explain, findings by rule), a sortable table of every finding
// linking to its details, the details by group, the workload's statements (sortable) and the
// notes. All text from the database or input files is HTML-escaped, its control characters and
// bidirectional overrides shown as visible escapes.
#include "reports/format_number.hpp"
#include "reports/html_escape.hpp"
#include "reports/outline.hpp"
#include "reports/report.hpp"
#include "util/terminal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace dbadvise::reports {

namespace {

using analyzer::Finding;
using analyzer::Severity;

// HTML-escaped text. Control characters other than line breaks and tabs, bidirectional
// overrides and malformed UTF-8 have no business in a page: they are shown as visible escapes
// (util/terminal.hpp), as in the text report; carriage returns go.
std::string h(std::string_view text) {
    std::string visible(text);
    std::erase(visible, '\r');
    if (util::needs_terminal_escaping(visible, {.keep_newline = true, .keep_tab = true})) {
        visible = util::terminal_safe(visible, {.keep_newline = true, .keep_tab = true});
    }
    return html_escape(visible);
}

constexpr std::string_view k_style = R"css(
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --soft:#f6f8fa;
  --error:#cf222e; --warning:#9a6700; --info:#0969da; --good:#1a7f37; --bar:#0969da; --bar2:#8c959f; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 18px; margin: 32px 0 12px;
  padding-bottom: 6px; border-bottom: 1px solid var(--line); } h3 { font-size: 15px; margin: 20px 0 8px; }
ul.facts { margin: 0 0 12px; padding-left: 18px; color: var(--muted); }
.banner { padding: 10px 14px; border-radius: 6px; margin: 12px 0; border: 1px solid; }
.banner.partial { background: #fff8c5; border-color: #d4a72c; }
.banner.baseline { background: var(--soft); border-color: var(--line); }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; background: var(--soft); }
.card .n { font-size: 24px; font-weight: 600; } .card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.error .n { color: var(--error); } .card.warning .n { color: var(--warning); } .card.info .n { color: var(--info); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
th.sortable { cursor: pointer; user-select: none; } th.sortable::after { content: " \2195"; color: var(--bar2); }
th[aria-sort="ascending"]::after { content: " \2191"; color: var(--fg); }
th[aria-sort="descending"]::after { content: " \2193"; color: var(--fg); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.sev { font-weight: 600; } .sev.error { color: var(--error); } .sev.warning { color: var(--warning); } .sev.info { color: var(--info); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: 6px 0 10px; }
.rule { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 11px; border: 1px solid var(--line); color: var(--muted); }
details.finding { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 0 12px; }
details.finding > summary { cursor: pointer; padding: 8px 0; }
details.finding[open] > summary { border-bottom: 1px solid var(--line); margin-bottom: 8px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px 28px; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 6px; }
figure p.note { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
svg text { font: 12px -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; fill: var(--fg); }
svg text.muted { fill: var(--muted); }
.muted { color: var(--muted); } footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
)css";

// Sorting: a click on a sortable header sorts the rows of its table by the cells' data-sort
// value (numbers when every value is a number), toggling the direction.
constexpr std::string_view k_script = R"js(
document.querySelectorAll('table.sortable').forEach(function (table) {
  var heads = table.querySelectorAll('th.sortable');
  heads.forEach(function (th) {
    th.addEventListener('click', function () {
      var col = Array.prototype.indexOf.call(th.parentNode.children, th);
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var descending = th.getAttribute('aria-sort') !== 'descending';
      var key = function (row) {
        var cell = row.cells[col];
        return cell ? (cell.getAttribute('data-sort') || cell.textContent) : '';
      };
      var numeric = rows.every(function (row) { return key(row) !== '' && !isNaN(Number(key(row))); });
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return descending ? -c : c;
      });
      heads.forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
)js";

std::string_view severity_name(Severity s) {
    return analyzer::to_string(s);
}

int severity_rank(Severity s) {
    return static_cast<int>(s);
}

std::string num(double v, int decimals = 3) {
    return std::isfinite(v) ? format_fixed(v, decimals) : std::string("0");
}

// A horizontal bar chart: one row per bar, the label on the left, the bar, the value text on
// the right. `bars` holds (label, full text for the tooltip, value, value text).
struct Bar {
    std::string label;
    std::string tooltip;
    double value = 0;
    std::string value_text;
    std::optional<double> second; // a second, grey bar under the first (before/after)
};

std::string bar_chart(const std::vector<Bar>& bars, double max_value, std::string_view aria) {
    // Labels are cut to fit their column (about 7 px a character at 12 px), so none runs out of
    // the chart on the left.
    constexpr int k_label = 240;
    constexpr int k_bar = 220;
    constexpr std::size_t k_label_chars = 30;
    constexpr int k_value = 90;
    const bool pairs = std::any_of(bars.begin(), bars.end(), [](const Bar& b) { return b.second.has_value(); });
    const int row = pairs ? 34 : 22;
    const int height = static_cast<int>(bars.size()) * row + 6;
    std::string out = fmt::format(
        "<svg role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
        "xmlns=\"http://www.w3.org/2000/svg\">",
        h(aria), k_label + k_bar + k_value, height, k_label + k_bar + k_value, height);
    const double scale = max_value > 0 ? k_bar / max_value : 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const Bar& b = bars[i];
        const int y = static_cast<int>(i) * row + 3;
        std::string label = b.label;
        if (label.size() > k_label_chars) label = one_line(label, k_label_chars - 3);
        out += fmt::format("<g><title>{}</title>", h(b.tooltip.empty() ? b.label : b.tooltip));
        out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", k_label - 8, y + 13, h(label));
        const double w1 = std::max(1.0, b.value * scale);
        out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"14\" rx=\"2\" fill=\"#0969da\"/>",
                           k_label, y + 2, std::isfinite(w1) ? w1 : 1.0);
        if (b.second) {
            const double w2 = std::max(1.0, *b.second * scale);
            out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"10\" rx=\"2\" fill=\"#8c959f\"/>",
                               k_label, y + 18, std::isfinite(w2) ? w2 : 1.0);
        }
        out += fmt::format("<text class=\"muted\" x=\"{:.1f}\" y=\"{}\">{}</text></g>",
                           k_label + std::min<double>(k_bar, std::isfinite(w1) ? w1 : 1.0) + 6, y + 13,
                           h(b.value_text));
    }
    out += "</svg>";
    return out;
}

void figure(std::string& out, std::string_view caption, const std::string& svg, std::string_view note) {
    out += fmt::format("<figure><figcaption>{}</figcaption>{}", h(caption), svg);
    if (!note.empty()) out += fmt::format("<p class=\"note\">{}</p>", h(note));
    out += "</figure>";
}

std::string statement_label(const analyzer::QueryRef& q) {
    return one_line(q.text, 40);
}

void charts(std::string& out, const Report& report, const Outline& outline) {
    std::string figures;
    // Share of total time by statement.
    if (!report.statements.empty() && report.workload_total_ms > 0) {
        std::vector<Bar> bars;
        double shown = 0;
        constexpr std::size_t k_top = 10;
        for (std::size_t i = 0; i < report.statements.size() && i < k_top; ++i) {
            const analyzer::QueryRef& q = report.statements[i].query;
            const double share = q.total_ms / report.workload_total_ms;
            shown += q.total_ms;
            bars.push_back({statement_label(q), q.text, share * 100,
                            format_fixed(share * 100, 1) + "%", std::nullopt});
        }
        if (report.statements.size() > k_top) {
            const double rest = std::max(0.0, report.workload_total_ms - shown);
            bars.push_back({fmt::format("{} other statements", report.statements.size() - k_top), {},
                            rest / report.workload_total_ms * 100,
                            format_fixed(rest / report.workload_total_ms * 100, 1) + "%", std::nullopt});
        }
        figure(figures, "Share of total execution time by statement", bar_chart(bars, 100, "share of time by statement"),
               fmt::format("{} of execution time over {} statements", format_duration(report.workload_total_ms),
                           report.statements.size()));
    }
    // Planner cost before and after each recommended index.
    {
        std::vector<Bar> bars;
        double max_cost = 0;
        for (const Finding& f : report.findings) {
            if (f.rule != analyzer::RuleId::missing_index || !f.impact.cost_before || !f.impact.cost_after) continue;
            std::string name = f.title;
            if (name.starts_with("Create index ")) name = name.substr(13);
            bars.push_back({name, f.suggestion.sql, *f.impact.cost_before,
                            format_number(std::round(*f.impact.cost_before)) + " → " +
                                format_number(std::round(*f.impact.cost_after)),
                            *f.impact.cost_after});
            max_cost = std::max(max_cost, *f.impact.cost_before);
        }
        if (!bars.empty()) {
            figure(figures, "Planner cost before (blue) and after (grey) each recommended index",
                   bar_chart(bars, max_cost, "cost before and after each recommended index"),
                   "Summed per call over the statements each index helps.");
        }
    }
    // Buffer hit ratios.
    if (!report.cache.empty()) {
        std::vector<Bar> bars;
        for (const analyzer::CacheCounters& c : report.cache) {
            const double total = static_cast<double>(c.hits + c.reads);
            const double ratio = total > 0 ? static_cast<double>(c.hits) / total * 100 : 0;
            bars.push_back({c.scope + " " + c.name,
                            fmt::format("{} {}: {} hits, {} reads", c.scope, c.name, c.hits, c.reads), ratio,
                            format_fixed(ratio, 1) + "%", std::nullopt});
        }
        figure(figures, "Buffer hit ratio (database, then the tables and indexes with the most reads)",
               bar_chart(bars, 100, "buffer hit ratios"),
               "Share of block accesses found in shared_buffers; below 99% for a database is worth a look.");
    }
    // The hottest plan nodes (explain).
    if (!report.hot_nodes.empty()) {
        std::vector<Bar> bars;
        for (const HotNode& node : report.hot_nodes) {
            bars.push_back({node.node_type + (node.relation.empty() ? "" : " on " + node.relation),
                            node.path + ": " + format_fixed(node.exclusive_ms, 3) + " ms", node.share * 100,
                            format_fixed(node.share * 100, 1) + "%", std::nullopt});
        }
        figure(figures, "Hottest plan nodes (share of exclusive time)", bar_chart(bars, 100, "hottest plan nodes"), {});
    }
    // Findings by rule.
    {
        std::map<std::string, std::size_t> counts;
        for (const GroupView& g : outline.groups) {
            for (const Entry& e : g.entries) counts[std::string(e.first().rule_id())] += e.findings.size();
        }
        if (!counts.empty()) {
            std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
            std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
            if (sorted.size() > 12) sorted.resize(12);
            std::vector<Bar> bars;
            double max_count = 0;
            for (const auto& [rule, n] : sorted) {
                bars.push_back({rule, {}, static_cast<double>(n), fmt::format("{}", n), std::nullopt});
                max_count = std::max(max_count, static_cast<double>(n));
            }
            figure(figures, "Findings by rule", bar_chart(bars, max_count, "findings by rule"), {});
        }
    }
    if (!figures.empty()) out += "<section id=\"charts\"><h2>Overview</h2><div class=\"charts\">" + figures + "</div></section>";
}

std::string where_text(const Finding& f) {
    if (f.location && !f.location->file.empty()) {
        std::string text = f.location->file;
        if (f.location->line > 0) text += fmt::format(":{}", f.location->line);
        if (f.location->column > 0) text += fmt::format(":{}", f.location->column);
        return text;
    }
    if (f.location && !f.location->node.empty()) return f.location->node;
    if (f.object) return f.object->qualified_name();
    if (f.query) return one_line(f.query->text, 60);
    return {};
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

void finding_details(std::string& out, const Finding& f, const std::string& id) {
    out += fmt::format("<details class=\"finding\" id=\"f-{}\"><summary><span class=\"sev {}\">{}</span> {} "
                       "<span class=\"rule\">[{}]</span>{}</summary>",
                       id, severity_name(f.severity), severity_name(f.severity), h(f.title), f.rule_id(),
                       f.baseline ? " <span class=\"badge\">baseline</span>" : "");
    if (const std::string at = where_text(f); !at.empty() && !(f.query && !f.location && !f.object)) {
        out += "<p class=\"muted\">" + h(at) + "</p>";
    }
    if (f.query) {
        const analyzer::QueryRef& q = *f.query;
        out += "<p class=\"muted\">Statement";
        if (!q.queryid.empty()) out += " " + h(q.queryid);
        if (const std::string origin = query_origin(q); !origin.empty()) out += " at " + h(origin);
        if (q.calls > 0) {
            out += fmt::format(": {} calls, {} in total, {} per call", q.calls, format_duration(q.total_ms),
                               format_duration(q.mean_ms));
        }
        out += "</p><pre>" + h(q.text) + "</pre>";
    }
    if (const std::string where = databases_line(f); !where.empty())
        out += "<p class=\"muted\">" + h(where) + "</p>";
    if (!f.message.empty()) out += "<p>" + h(f.message) + "</p>";
    if (!f.evidence.empty()) {
        out += "<table><thead><tr><th>Evidence</th><th>Value</th></tr></thead><tbody>";
        for (const auto& [key, value] : f.evidence) {
            out += "<tr><td><code>" + h(key) + "</code></td><td>" + h(value_text(value)) + "</td></tr>";
        }
        out += "</tbody></table>";
    }
    if (f.impact.cost_before && f.impact.cost_after) {
        out += fmt::format("<p>Planner cost {} → {}", format_number(*f.impact.cost_before),
                           format_number(*f.impact.cost_after));
        if (f.impact.estimated_ms_saved_per_call) {
            out += fmt::format(", saves about {} ms per call", format_number(*f.impact.estimated_ms_saved_per_call));
        }
        out += "</p>";
    }
    if (!f.suggestion.rewritten_query.empty()) {
        out += "<p><b>Rewritten query</b></p><pre>" + h(f.suggestion.rewritten_query) + "</pre>";
    }
    if (!f.suggestion.sql.empty()) out += "<p><b>Suggested SQL</b></p><pre>" + h(f.suggestion.sql) + "</pre>";
    out += "</details>";
}

std::string anchor_of(std::string_view heading) {
    std::string id = "g-";
    for (const char c : heading) {
        id.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-');
    }
    return id;
}

} // namespace

std::string render_html(const Report& report) {
    const Outline outline = make_outline(report, true);
    const std::vector<std::string> ids = analyzer::finding_ids(report.findings);
    std::map<const Finding*, std::string> id_of;
    for (std::size_t i = 0; i < report.findings.size(); ++i) id_of[&report.findings[i]] = ids[i];

    std::string out;
    out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out += "<title>" + h(outline.heading) + "</title>\n<style>" + std::string(k_style) + "</style></head>\n<body><main>\n";
    out += "<header id=\"summary\"><h1>" + h(outline.heading) + "</h1><ul class=\"facts\">";
    for (const std::string& fact : outline.facts) out += "<li>" + h(fact) + "</li>";
    out += "</ul>";
    if (report.partial) {
        out += "<div class=\"banner partial\" id=\"partial\"><b>Partial:</b> " + h(partial_summary(report)) +
               ".</div>";
    }
    if (report.baseline) {
        out += fmt::format("<div class=\"banner baseline\">{} findings are in the baseline {} (marked "
                           "<span class=\"badge\">baseline</span>) and never fail --fail-on.</div>",
                           outline.baseline, h(report.baseline->file));
    }
    const auto count = [&](Severity s) { return outline.by_severity[static_cast<std::size_t>(s)]; };
    out += "<div class=\"cards\">";
    for (const Severity s : {Severity::error, Severity::warning, Severity::info}) {
        out += fmt::format("<div class=\"card {0}\"><div class=\"n\">{1}</div><div class=\"l\">{0}</div></div>",
                           severity_name(s), count(s));
    }
    if (outline.baseline > 0) {
        out += fmt::format("<div class=\"card\"><div class=\"n\">{}</div><div class=\"l\">in the baseline</div></div>",
                           outline.baseline);
    }
    out += "</div></header>\n";

    if (!outline.actions.empty()) {
        out += "<section id=\"actions\"><h2>Do first</h2><table><thead><tr><th class=\"num\">#</th><th>What</th>"
               "<th class=\"num\">Time</th></tr></thead><tbody>";
        int n = 0;
        for (const Action& action : outline.actions) {
            std::string time;
            if (action.saves_ms) time = "saves ~" + format_duration(*action.saves_ms);
            else if (action.at_stake_ms > 0) time = format_duration(action.at_stake_ms);
            const Finding& f = action.entry->first();
            out += fmt::format("<tr><td class=\"num\">{}</td><td><a href=\"#f-{}\">{}</a>", ++n, id_of[&f], h(action.what));
            const std::string& sql = !f.suggestion.sql.empty() ? f.suggestion.sql : f.suggestion.rewritten_query;
            if (action.show_sql && !sql.empty() && !action.entry->collapsed()) out += "<pre>" + h(sql) + "</pre>";
            out += fmt::format("</td><td class=\"num\">{}</td></tr>", h(time));
        }
        out += "</tbody></table></section>\n";
    }

    charts(out, report, outline);

    // Every finding in one sortable table, linking to its details.
    if (!report.findings.empty()) {
        out += "<section id=\"findings\"><h2>All findings</h2><table class=\"sortable\" id=\"findings-table\"><thead><tr>"
               "<th class=\"sortable\">Severity</th><th class=\"sortable\">Group</th><th class=\"sortable\">Rule</th>"
               "<th class=\"sortable\">Finding</th><th class=\"sortable\">Where</th>"
               "<th class=\"sortable num\">Time (ms)</th></tr></thead><tbody>";
        for (const GroupView& g : outline.groups) {
            for (const Entry& e : g.entries) {
                for (const Finding* f : e.findings) {
                    out += fmt::format(
                        "<tr><td data-sort=\"{}\"><span class=\"sev {}\">{}</span></td><td>{}</td><td><code>{}</code></td>"
                        "<td><a href=\"#f-{}\">{}</a>{}</td><td>{}</td><td class=\"num\" data-sort=\"{}\">{}</td></tr>",
                        severity_rank(f->severity), severity_name(f->severity), severity_name(f->severity), h(g.heading),
                        f->rule_id(), id_of[f], h(f->title), f->baseline ? " <span class=\"badge\">baseline</span>" : "",
                        h(where_text(*f)), num(f->rank), f->rank > 0 ? format_number(std::round(f->rank * 10) / 10) : "");
                }
            }
        }
        out += "</tbody></table></section>\n";
    }

    // Details, by group.
    for (const GroupView& g : outline.groups) {
        out += fmt::format("<section class=\"group\" id=\"{}\"><h2>{} <span class=\"muted\">({})</span></h2>",
                           anchor_of(g.heading), h(g.heading), g.findings);
        for (const Section* section : g.sections) {
            if (section->title != g.heading) out += "<h3>" + h(section->title) + "</h3>";
            out += "<ul>";
            for (const std::string& line : section->lines) out += "<li>" + h(line) + "</li>";
            out += "</ul>";
        }
        for (const Entry& e : g.entries) {
            if (e.collapsed()) {
                out += fmt::format("<h3>{} <span class=\"rule\">[{}]</span></h3>", h(e.title()), e.first().rule_id());
            }
            for (const Finding* f : e.findings) finding_details(out, *f, id_of[f]);
        }
        out += "</section>\n";
    }

    // The workload's statements.
    if (!report.statements.empty()) {
        out += "<section id=\"statements\"><h2>Statements</h2><table class=\"sortable\" id=\"statements-table\"><thead><tr>"
               "<th class=\"sortable\">Statement</th><th class=\"sortable num\">Total (ms)</th>"
               "<th class=\"sortable num\">Share</th><th class=\"sortable num\">Calls</th>"
               "<th class=\"sortable num\">Mean (ms)</th><th class=\"sortable num\">Rows</th>"
               "<th class=\"sortable num\">Hit ratio</th></tr></thead><tbody>";
        for (const analyzer::StatementSummary& s : report.statements) {
            const double share = report.workload_total_ms > 0 ? s.query.total_ms / report.workload_total_ms : 0;
            const double blocks = static_cast<double>(s.shared_blks_hit) + static_cast<double>(s.shared_blks_read);
            const double ratio = blocks > 0 ? static_cast<double>(s.shared_blks_hit) / blocks : 1;
            out += fmt::format(
                "<tr><td><code title=\"{}\">{}</code></td><td class=\"num\" data-sort=\"{}\">{}</td>"
                "<td class=\"num\" data-sort=\"{}\">{}%</td><td class=\"num\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td>"
                "<td class=\"num\">{}</td><td class=\"num\" data-sort=\"{}\">{}</td></tr>",
                h(s.query.queryid), h(one_line(s.query.text, 120)), num(s.query.total_ms), format_number(std::round(s.query.total_ms)),
                num(share, 5), format_fixed(share * 100, 1), s.query.calls, num(s.query.mean_ms), format_number(s.query.mean_ms),
                s.rows, num(ratio, 5), blocks > 0 ? format_fixed(ratio * 100, 1) + "%" : std::string("-"));
        }
        out += "</tbody></table></section>\n";
    }
    // Sections that belong to no group.
    for (const Section* section : outline.loose_sections) {
        out += "<section><h2>" + h(section->title) + "</h2>";
        if (section->verbatim) {
            std::string text;
            for (const std::string& line : section->lines) text += line + "\n";
            out += "<pre>" + h(text) + "</pre>";
        } else {
            out += "<ul>";
            for (const std::string& line : section->lines) out += "<li>" + h(line) + "</li>";
            out += "</ul>";
        }
        out += "</section>\n";
    }
    if (!report.notes.empty()) {
        out += "<section id=\"notes\"><h2>Notes</h2><ul>";
        for (const std::string& note : report.notes) out += "<li>" + h(note) + "</li>";
        out += "</ul></section>\n";
    }
    out += fmt::format("<footer>Generated by dbadvise {}.</footer>\n</main>\n<script>{}</script>\n</body></html>\n",
                       DBADVISE_VERSION, k_script);
    return out;
}

} // namespace dbadvise::reports
