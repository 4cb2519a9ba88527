// `--format sarif`: SARIF 2.1.0 (OASIS), the format code-scanning services read.
//
// - tool.driver.rules: the registry's rules that the command reports (lint, explain or
//   analyze, told by the report's source), each with its title, rationale, help text and
//   where its documentation is (docs/rules.md#id; a helpUri when the build knows the docs'
//   absolute URL, DBADVISE_DOCS_URL: SARIF requires helpUri to be absolute), its default level
//   and category;
// - one result per finding: the rule (ruleId and ruleIndex), the level from the finding's
//   severity, the title and message, a physical location for findings in SQL and plan files
//   and for analyze's findings about a statement of --queries FILE (where it was first seen)
//   (artifact URI relative to the working directory, line and column in Unicode code points:
//   run.columnKind says so), logical locations for database objects (table, index, foreign
//   key, database, setting), the statement (its queryid) and plan nodes, and the finding's
//   stable id as partialFingerprints["dbadvise/v1"] so that services track it across runs;
// - with --baseline, each result's baselineState ("unchanged" for findings in the baseline,
//   "new" for the others).
#include "reports/format_number.hpp"
#include "reports/json_writer.hpp"
#include "reports/report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <optional>

namespace dbadvise::reports {

namespace {

using analyzer::Finding;
using analyzer::RuleInfo;

analyzer::Command command_of(const Report& report) {
    if (report.source.kind == "sql") return analyzer::Command::lint;
    if (report.source.kind == "plan") return analyzer::Command::explain;
    return analyzer::Command::analyze;
}

std::string_view level(analyzer::Severity severity) {
    switch (severity) {
    case analyzer::Severity::error: return "error";
    case analyzer::Severity::warning: return "warning";
    case analyzer::Severity::info: return "note";
    }
    return "note";
}

// A relative URI reference for a file name as given on the command line: '/' separators,
// and every byte outside RFC 3986's unreserved set and '/' percent-encoded. An absolute path
// becomes a file: URI.
std::string file_uri(std::string_view path) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out = path.starts_with('/') ? "file://" : "";
    for (const char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(k_hex[u >> 4]);
            out.push_back(k_hex[u & 0xF]);
        }
    }
    return out;
}

void text_message(JsonWriter& out, std::string_view key, std::string_view text) {
    out.key(key);
    out.begin_object();
    out.member("text", text);
    out.end_object();
}

// DBADVISE_DOCS_URL (reports/CMakeLists.txt): the published docs/ folder, or empty.
// "the run stopped early" -> "The run stopped early.", as SARIF messages are sentences.
std::string sentence(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text + ".";
}

std::string_view docs_url() {
    return DBADVISE_DOCS_URL;
}

// The rule's documentation: absolute when the docs are published, else the path in the
// source distribution ("docs/rules.md#id").
std::string help_link(const RuleInfo& rule) {
    if (docs_url().empty()) return analyzer::help_path(rule);
    return fmt::format("{}rules.md#{}", docs_url(), rule.id);
}

void rule_object(JsonWriter& out, const RuleInfo& rule) {
    out.begin_object();
    out.member("id", rule.id);
    text_message(out, "shortDescription", rule.title);
    text_message(out, "fullDescription", rule.rationale);
    out.key("help");
    out.begin_object();
    out.member("text", rule.help);
    out.member("markdown", fmt::format("{}\n\nSee [{}]({}).", rule.help, rule.id, help_link(rule)));
    out.end_object();
    // SARIF wants an absolute URI here: only when the build knows where the docs live.
    if (!docs_url().empty()) out.member("helpUri", help_link(rule));
    out.key("defaultConfiguration");
    out.begin_object();
    out.member("level", level(rule.severity));
    out.end_object();
    out.key("properties");
    out.begin_object();
    out.member("category", analyzer::to_string(rule.category));
    out.member("help_path", analyzer::help_path(rule));
    out.key("tags");
    out.begin_array();
    out.string("dbadvise");
    out.string(analyzer::to_string(rule.category));
    out.end_array();
    out.end_object();
    out.end_object();
}

void logical_location(JsonWriter& out, std::string_view kind, std::string_view name,
                      std::string_view qualified) {
    out.begin_object();
    out.member("kind", kind);
    out.member("name", name);
    if (!qualified.empty()) out.member("fullyQualifiedName", qualified);
    out.end_object();
}

bool has_logical(const Finding& f) {
    return f.object || (f.query && !f.query->queryid.empty()) || (f.location && !f.location->node.empty());
}

// The file position of a finding: its own (SQL and plan files), else where its statement was
// first seen in --queries FILE; none for standard input and for pg_stat_statements.
std::optional<analyzer::Location> physical_location(const Finding& f) {
    if (f.location && !f.location->file.empty() && f.location->file != "-") return *f.location;
    if (f.query && !f.query->file.empty() && f.query->file != "-")
        return analyzer::Location{f.query->file, f.query->line, f.query->column, -1, {}};
    return std::nullopt;
}

void location_object(JsonWriter& out, const Finding& f) {
    const std::optional<analyzer::Location> physical = physical_location(f);
    if (!physical && !has_logical(f)) return;
    out.key("locations");
    out.begin_array();
    out.begin_object();
    if (physical) {
        const analyzer::Location& loc = *physical;
        out.key("physicalLocation");
        out.begin_object();
        out.key("artifactLocation");
        out.begin_object();
        out.member("uri", file_uri(loc.file));
        out.end_object();
        if (loc.line > 0) {
            out.key("region");
            out.begin_object();
            out.member("startLine", loc.line);
            if (loc.column > 0) out.member("startColumn", loc.column);
            out.end_object();
        }
        out.end_object();
    }
    if (has_logical(f)) {
        out.key("logicalLocations");
        out.begin_array();
        if (f.object) {
            const analyzer::ObjectRef& o = *f.object;
            logical_location(out, o.kind, o.name,
                             o.kind == "foreign key" || (o.kind == "index" && !o.table.empty())
                                 ? o.schema + "." + o.table + "." + o.name
                                 : o.qualified_name());
        }
        if (f.query && !f.query->queryid.empty()) {
            logical_location(out, "statement", f.query->queryid, "queryid:" + f.query->queryid);
        }
        if (f.location && !f.location->node.empty()) {
            logical_location(out, "element", f.location->node, {});
        }
        out.end_array();
    }
    out.end_object();
    out.end_array();
}

void result_object(JsonWriter& out, const Finding& f, const std::string& id, int rule_index,
                   bool with_baseline) {
    out.begin_object();
    out.member("ruleId", f.rule_id());
    if (rule_index >= 0) out.member("ruleIndex", rule_index);
    out.member("kind", "fail");
    out.member("level", level(f.severity));
    out.key("message");
    out.begin_object();
    out.member("text", f.message.empty() ? f.title : f.title + "\n" + f.message);
    out.end_object();
    location_object(out, f);
    out.key("partialFingerprints");
    out.begin_object();
    out.member("dbadvise/v1", id);
    out.end_object();
    if (with_baseline) out.member("baselineState", f.baseline ? "unchanged" : "new");
    out.key("properties");
    out.begin_object();
    out.member("id", id);
    out.member("category", analyzer::to_string(f.category()));
    out.member("title", f.title);
    if (!f.databases.empty()) {
        out.key("databases");
        out.begin_array();
        for (const std::string& name : f.databases) out.string(name);
        out.end_array();
    }
    if (f.query) {
        out.key("query");
        out.begin_object();
        if (!f.query->queryid.empty()) out.member("queryid", f.query->queryid);
        out.member("text", f.query->text);
        out.member("calls", f.query->calls);
        out.key("total_ms");
        write_rounded(out, f.query->total_ms);
        out.end_object();
    }
    if (!f.evidence.empty()) {
        out.key("evidence");
        write_evidence(out, f.evidence);
    }
    if (!f.suggestion.sql.empty()) out.member("suggested_sql", f.suggestion.sql);
    if (!f.suggestion.rewritten_query.empty()) out.member("rewritten_query", f.suggestion.rewritten_query);
    out.end_object();
    out.end_object();
}

} // namespace

void render_sarif(const Report& report, const std::function<void(std::string_view)>& write) {
    const analyzer::Command command = command_of(report);
    // The rules: those the command reports, plus any other a finding has (defensive: the
    // registry test keeps the two in step).
    std::vector<const RuleInfo*> rules;
    std::map<analyzer::RuleId, int> index_of;
    for (const RuleInfo& rule : analyzer::rule_registry()) {
        bool used = rule.reported_by(command);
        for (const Finding& f : report.findings) used = used || f.rule == rule.rule;
        if (used) {
            index_of[rule.rule] = static_cast<int>(rules.size());
            rules.push_back(&rule);
        }
    }
    const std::vector<std::string> ids = analyzer::finding_ids(report.findings);

    JsonWriter out(write);
    out.begin_object();
    out.member("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    out.member("version", "2.1.0");
    out.key("runs");
    out.begin_array();
    out.begin_object();
    out.key("tool");
    out.begin_object();
    out.key("driver");
    out.begin_object();
    out.member("name", "dbadvise");
    out.member("version", DBADVISE_VERSION);
    out.member("semanticVersion", DBADVISE_VERSION);
    if (!docs_url().empty()) out.member("informationUri", docs_url());
    out.key("rules");
    out.begin_array();
    for (const RuleInfo* rule : rules) rule_object(out, *rule);
    out.end_array();
    out.end_object();
    out.end_object();
    out.key("invocations");
    out.begin_array();
    out.begin_object();
    // An incomplete run (exit 3: an input that could not be read, a run that stopped early)
    // is not a successful one: a consumer must not read the missing results as clean.
    const bool incomplete = report.partial || report.incomplete;
    out.member("executionSuccessful", !incomplete);
    if (!report.notes.empty() || incomplete) {
        out.key("toolExecutionNotifications");
        out.begin_array();
        if (incomplete) {
            out.begin_object();
            out.member("level", "error");
            text_message(out, "message",
                         report.partial ? sentence(partial_summary(report))
                                        : "Some inputs could not be read (see the notes); the results cover "
                                          "the others.");
            out.end_object();
        }
        for (const std::string& note : report.notes) {
            out.begin_object();
            out.member("level", "note");
            text_message(out, "message", note);
            out.end_object();
        }
        out.end_array();
    }
    out.end_object();
    out.end_array();
    out.member("columnKind", "unicodeCodePoints");
    out.key("results");
    out.begin_array();
    for (std::size_t i = 0; i < report.findings.size(); ++i) {
        const Finding& f = report.findings[i];
        const auto it = index_of.find(f.rule);
        result_object(out, f, ids[i], it == index_of.end() ? -1 : it->second, report.baseline.has_value());
    }
    out.end_array();
    out.key("properties");
    out.begin_object();
    out.member("source_kind", report.source.kind);
    if (!report.source.database.empty()) out.member("database", report.source.database);
    if (!report.source.server_version.empty()) out.member("server_version", report.source.server_version);
    if (!report.fleet.empty()) {
        // A fleet: each database and whether it was analyzed; the results name theirs.
        out.key("databases");
        out.begin_array();
        for (const FleetDatabase& database : report.fleet) {
            out.begin_object();
            out.member("name", database.name);
            out.member("status", database.status());
            if (!database.report) out.member("error", database.error);
            out.end_object();
        }
        out.end_array();
    }
    out.end_object();
    out.end_object();
    out.end_array();
    out.end_object();
    out.finish();
}

} // namespace dbadvise::reports
