// `--format sql`: every change the findings suggest as one script to review and run with
// psql (the order and the classification come from analyzer/change_script.hpp). Each change
// has a comment saying why (the findings behind it) and what it saves; what must not run as it
// is (settings, checks, rewrites for the application, drops that need a human decision) is
// commented out with the reason. Text from the database or input files only ever appears in
// `--` comments, with line breaks and control characters escaped, so it cannot end a comment
// and become a statement.
#include "analyzer/change_script.hpp"
#include "reports/format_number.hpp"
#include "reports/outline.hpp"
#include "reports/report.hpp"
#include "util/terminal.hpp"

#include <fmt/format.h>

namespace dbadvise::reports {

namespace {

using analyzer::Change;
using analyzer::ChangeKind;
using analyzer::Finding;

// One comment line's worth of text: no line break (which would end the comment: psql and the
// server end a `--` comment at '\n' or '\r') and no other control character, bidirectional
// override or malformed UTF-8 that would make the reviewed script read differently from what
// it is (util/terminal.hpp escapes them all visibly).
std::string comment_text(std::string_view text) {
    return util::terminal_safe(text);
}

void comment(std::string& out, std::string_view text) {
    out += "-- ";
    out += comment_text(text);
    out += '\n';
}

// Every line of `sql` commented out.
void commented_out(std::string& out, std::string_view sql) {
    std::size_t start = 0;
    while (start <= sql.size()) {
        std::size_t end = sql.find('\n', start);
        if (end == std::string_view::npos) end = sql.size();
        std::string_view line = sql.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out += "--   ";
        out += comment_text(line);
        out += '\n';
        start = end + 1;
    }
}

std::string where(const Finding& f) {
    if (f.location && !f.location->file.empty()) {
        std::string text = f.location->file;
        if (f.location->line > 0) text += fmt::format(":{}", f.location->line);
        if (f.location->column > 0) text += fmt::format(":{}", f.location->column);
        return text;
    }
    if (f.location && !f.location->node.empty()) return "plan node " + f.location->node;
    return {};
}

// What the change saves or concerns, from its first reason.
std::vector<std::string> benefit(const Finding& f) {
    std::vector<std::string> lines;
    if (f.rule == analyzer::RuleId::missing_index && f.rank > 0) {
        std::string line = fmt::format("saves ~{} over the measured workload", format_duration(f.rank));
        if (f.impact.cost_before && f.impact.cost_after) {
            line += fmt::format(" (planner cost {} -> {} per call)", format_number(*f.impact.cost_before),
                                format_number(*f.impact.cost_after));
        }
        for (const auto& [key, value] : f.evidence) {
            if (key == "estimated_size" && std::holds_alternative<std::string>(value)) {
                line += "; about " + std::get<std::string>(value) + " on disk";
            }
        }
        lines.push_back(line);
    } else if (f.impact.estimated_ms_saved_per_call) {
        lines.push_back(fmt::format("saves about {} ms per call",
                                    format_number(*f.impact.estimated_ms_saved_per_call)));
    }
    if (f.query) {
        const analyzer::QueryRef& q = *f.query;
        std::string line = "statement";
        if (!q.queryid.empty()) line += " " + q.queryid;
        if (const std::string origin = query_origin(q); !origin.empty()) line += " at " + origin;
        if (q.calls > 0) line += fmt::format(" ({} calls, {} in total)", q.calls, format_duration(q.total_ms));
        lines.push_back(line + ": " + one_line(q.text, 100));
    } else if (f.rank > 0 && f.rule != analyzer::RuleId::missing_index) {
        const bool plan_node = f.location && !f.location->node.empty();
        lines.push_back(fmt::format("concerns {} of {}", format_duration(f.rank),
                                    plan_node ? "the plan's execution time" : "measured statement time"));
    }
    if (const std::string at = where(f); !at.empty()) lines.push_back("at " + at);
    if (const std::string in = databases_line(f); !in.empty()) lines.push_back(in);
    return lines;
}

void write_change(std::string& out, const Change& change) {
    const Finding& first = *change.reasons.front();
    comment(out, fmt::format("{}: {} [{}]", analyzer::to_string(first.severity), first.title,
                             first.rule_id()));
    for (const std::string& line : benefit(first)) comment(out, "  " + line);
    constexpr std::size_t k_also = 5;
    for (std::size_t i = 1; i < change.reasons.size() && i <= k_also; ++i) {
        const Finding& f = *change.reasons[i];
        comment(out, fmt::format("  also: {} [{}]", f.title, f.rule_id()));
    }
    if (change.reasons.size() > k_also + 1) {
        comment(out, fmt::format("  and {} more findings", change.reasons.size() - k_also - 1));
    }
    for (const std::string& note : change.notes) comment(out, "  " + note);
    if (!change.runnable) {
        comment(out, "  not run: " + change.held_back);
        for (const std::string& statement : change.statements) commented_out(out, statement);
    } else {
        for (const std::string& statement : change.statements) {
            out += statement;
            out += '\n';
        }
    }
    out += '\n';
}

std::string title_of(const Report& report) {
    if (report.source.kind == "sql") return "dbadvise lint";
    if (report.source.kind == "plan") {
        return "dbadvise explain" + (report.source.files.empty() ? std::string() : " " + report.source.files.front());
    }
    std::string text = "dbadvise analyze";
    if (!report.fleet.empty()) return text + fmt::format(" of a fleet of {} databases", report.fleet.size());
    if (!report.source.database.empty()) text += fmt::format(" of database \"{}\"", report.source.database);
    if (!report.source.server_version.empty()) text += " (PostgreSQL " + report.source.server_version + ")";
    return text;
}

} // namespace

void render_sql(const Report& report, const std::function<void(std::string_view)>& write) {
    const std::vector<Change> changes = analyzer::change_script(report.findings);
    std::string out;
    comment(out, fmt::format("{}: changes to review, generated by dbadvise {}", title_of(report),
                             DBADVISE_VERSION));
    if (report.partial) {
        comment(out, "PARTIAL: " + partial_summary(report) + "; changes for what was not analyzed are missing.");
    }
    if (!report.fleet.empty()) {
        comment(out, "A FLEET: each change names the databases it is for; run it in those only.");
        for (const FleetDatabase& database : report.fleet) {
            if (!database.report) comment(out, fmt::format("  {}: not analyzed ({})", database.name, database.error));
        }
    }
    if (report.baseline && report.baseline->matched > 0) {
        comment(out, fmt::format("Findings in the baseline {} ({}) are left out.", report.baseline->file,
                                 report.baseline->matched));
    }
    out +=
        "--\n"
        "-- Read every statement before running it. Run the script with psql, outside a\n"
        "-- transaction (not with --single-transaction): CREATE INDEX CONCURRENTLY, DROP INDEX\n"
        "-- CONCURRENTLY and VACUUM refuse to run in a transaction block. They wait for\n"
        "-- transactions using the table to end but do not block its reads and writes.\n"
        "--   psql -X -v ON_ERROR_STOP=1 -d DATABASE -f THIS_FILE\n"
        "-- Order: extensions, statistics, new indexes, rebuilds, then drops (after the indexes\n"
        "-- that may replace them), maintenance. Settings, checks and query rewrites are\n"
        "-- commented out: they need a decision this script cannot make.\n"
        "\\set ON_ERROR_STOP on\n\n";
    if (changes.empty()) {
        comment(out, "No change to suggest.");
    }
    std::optional<ChangeKind> kind;
    bool alter_system = false;
    for (const Change& change : changes) {
        if (!kind || *kind != change.kind) {
            if (kind == ChangeKind::setting && alter_system) {
                comment(out, "after ALTER SYSTEM: SELECT pg_reload_conf();  (some settings need a restart)");
                out += '\n';
            }
            kind = change.kind;
            comment(out, fmt::format("==== {} ====", analyzer::to_string(change.kind)));
            out += '\n';
        }
        for (const std::string& statement : change.statements) {
            alter_system = alter_system || statement.starts_with("ALTER SYSTEM");
        }
        write_change(out, change);
        if (out.size() >= 64 * 1024) {
            write(out);
            out.clear();
        }
    }
    if (kind == ChangeKind::setting && alter_system) {
        comment(out, "after ALTER SYSTEM: SELECT pg_reload_conf();  (some settings need a restart)");
        out += '\n';
    }
    comment(out, fmt::format("{} change{}.", changes.size(), changes.size() == 1 ? "" : "s"));
    write(out);
}

} // namespace dbadvise::reports
