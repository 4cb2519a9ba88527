// The JSON report: a versioned contract (schema_version 1, docs/report.schema.json) for CI
// and other programs. Keys keep a fixed order, numbers are rounded to 3 decimals and empty
// optional parts are left out, so the same findings give the same bytes on every run.
#include "reports/format_number.hpp"
#include "reports/json_writer.hpp"
#include "reports/report.hpp"
#include "util/utf8.hpp"

#include <cmath>
#include <cstdint>

namespace dbadvise::reports {

namespace {

constexpr int k_schema_version = 1;

// Measured values keep 3 decimals; NaN and infinity have no JSON spelling and become null,
// which the schema allows wherever a measured value appears.
std::string base64(std::string_view bytes) {
    static constexpr char k_digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) {
            group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        }
        if (i + 2 < bytes.size()) {
            group |= static_cast<unsigned char>(bytes[i + 2]);
        }
        out += k_digits[(group >> 18) & 63];
        out += k_digits[(group >> 12) & 63];
        out += i + 1 < bytes.size() ? k_digits[(group >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? k_digits[group & 63] : '=';
    }
    return out;
}

// SQL to run. JSON strings are UTF-8, and the writer turns other bytes into U+FFFD; in a
// suggestion that would change a literal copied from the input ('caf\xe9' in a LATIN1 file)
// and so what the SQL does. Such SQL is given byte for byte, in base64, as `<key>_base64`.
void sql_member(JsonWriter& out, std::string_view key, const std::string& sql) {
    if (!util::first_invalid_utf8(sql)) {
        out.member(key, sql);
        return;
    }
    out.member(std::string(key) + "_base64", base64(sql));
}

void string_array(JsonWriter& out, const std::vector<std::string>& items) {
    out.begin_array();
    for (const std::string& item : items) {
        out.string(item);
    }
    out.end_array();
}

void location_object(JsonWriter& out, const analyzer::Location& loc) {
    if (loc.file.empty() && loc.line <= 0 && loc.column <= 0 && loc.node.empty()) {
        return;
    }
    out.key("location");
    out.begin_object();
    if (!loc.file.empty()) {
        out.member("file", loc.file);
    }
    if (loc.line > 0) {
        out.member("line", loc.line);
    }
    if (loc.column > 0) {
        out.member("column", loc.column);
    }
    if (!loc.node.empty()) {
        out.member("node", loc.node);
    }
    out.end_object();
}

// Where a statement of --queries FILE was first seen: query.location {file, line, column}.
void query_location(JsonWriter& out, const analyzer::QueryRef& q) {
    if (q.file.empty()) return;
    location_object(out, analyzer::Location{q.file, q.line, q.column, -1, {}});
}

void finding_object(JsonWriter& out, const analyzer::Finding& f, const std::string& id) {
    out.begin_object();
    out.member("id", id);
    out.member("rule", f.rule_id());
    out.member("category", analyzer::to_string(f.category()));
    out.member("severity", analyzer::to_string(f.severity));
    out.member("title", f.title);
    out.member("message", f.message);
    if (f.location) {
        location_object(out, *f.location);
    }
    if (f.query) {
        const analyzer::QueryRef& q = *f.query;
        out.key("query");
        out.begin_object();
        if (!q.queryid.empty()) {
            out.member("queryid", q.queryid);
        }
        out.member("text", q.text);
        out.member("calls", q.calls);
        out.key("total_ms");
        write_rounded(out, q.total_ms);
        out.key("mean_ms");
        write_rounded(out, q.mean_ms);
        query_location(out, q);
        out.end_object();
    }
    if (!f.evidence.empty()) {
        out.key("evidence");
        write_evidence(out, f.evidence);
    }
    if (!f.suggestion.sql.empty() || !f.suggestion.rewritten_query.empty()) {
        out.key("suggestion");
        out.begin_object();
        if (!f.suggestion.sql.empty()) {
            sql_member(out, "sql", f.suggestion.sql);
        }
        if (!f.suggestion.rewritten_query.empty()) {
            sql_member(out, "rewritten_query", f.suggestion.rewritten_query);
        }
        out.end_object();
    }
    if (f.object) {
        const analyzer::ObjectRef& o = *f.object;
        out.key("object");
        out.begin_object();
        out.member("kind", o.kind);
        if (!o.schema.empty()) out.member("schema", o.schema);
        out.member("name", o.name);
        if (!o.table.empty()) out.member("table", o.table);
        if (!o.partition_of.empty()) out.member("partition_of", o.partition_of);
        out.end_object();
    }
    const analyzer::Impact& impact = f.impact;
    if (impact.cost_before || impact.cost_after || impact.estimated_ms_saved_per_call) {
        out.key("impact");
        out.begin_object();
        if (impact.cost_before) {
            out.key("cost_before");
            write_rounded(out, *impact.cost_before);
        }
        if (impact.cost_after) {
            out.key("cost_after");
            write_rounded(out, *impact.cost_after);
        }
        if (impact.estimated_ms_saved_per_call) {
            out.key("estimated_ms_saved_per_call");
            write_rounded(out, *impact.estimated_ms_saved_per_call);
        }
        out.end_object();
    }
    if (f.baseline) {
        out.member("baseline", true);
    }
    if (!f.databases.empty()) {
        out.key("databases");
        string_array(out, f.databases);
    }
    out.end_object();
}

void source_object(JsonWriter& out, const Source& source) {
    out.begin_object();
    out.member("kind", source.kind);
    if (!source.files.empty()) {
        out.key("files");
        string_array(out, source.files);
    }
    if (!source.server_version.empty()) {
        out.member("server_version", source.server_version);
    }
    if (!source.database.empty()) {
        out.member("database", source.database);
    }
    if (!source.captured_at.empty()) {
        out.member("captured_at", source.captured_at);
    }
    if (!source.window_start.empty() || !source.window_end.empty()) {
        out.key("window");
        out.begin_object();
        out.member("start", source.window_start);
        out.member("end", source.window_end);
        out.end_object();
    }
    if (source.planner) {
        out.key("planner");
        out.begin_object();
        out.member("server", source.planner->server);
        out.member("database", source.planner->database);
        out.member("server_version", source.planner->server_version);
        out.member("hypopg", source.planner->hypopg);
        out.end_object();
    }
    if (!source.stats_reset.empty()) {
        out.member("stats_reset", source.stats_reset);
    }
    out.end_object();
}

void report_object(JsonWriter& out, const Report& report);

// A fleet report's `fleet`: each database's name, origin, status and its own report (a
// complete single-database report, as `dbadvise analyze --dsn` of it alone would write), or
// its error.
void fleet_member(JsonWriter& out, const std::vector<FleetDatabase>& databases) {
    out.key("fleet");
    out.begin_object();
    out.key("databases");
    out.begin_array();
    for (const FleetDatabase& database : databases) {
        out.begin_object();
        out.member("name", database.name);
        if (!database.origin.empty()) out.member("origin", database.origin);
        out.member("status", database.status());
        if (database.report) {
            out.key("report");
            report_object(out, *database.report);
        } else {
            out.member("error", database.error);
        }
        out.end_object();
    }
    out.end_array();
    out.end_object();
}

void report_object(JsonWriter& out, const Report& report) {
    out.begin_object();
    out.member("schema_version", k_schema_version);
    out.key("tool");
    out.begin_object();
    out.member("name", "dbadvise");
    out.member("version", DBADVISE_VERSION);
    out.end_object();
    out.key("source");
    source_object(out, report.source);
    out.key("stats");
    write_evidence(out, report.stats);
    out.key("findings");
    out.begin_array();
    const std::vector<std::string> ids = analyzer::finding_ids(report.findings);
    for (std::size_t i = 0; i < report.findings.size(); ++i) {
        finding_object(out, report.findings[i], ids[i]);
    }
    out.end_array();
    if (!report.hot_nodes.empty()) {
        out.key("hot_nodes");
        out.begin_array();
        for (const HotNode& node : report.hot_nodes) {
            out.begin_object();
            out.member("path", node.path);
            out.member("node_type", node.node_type);
            if (!node.relation.empty()) {
                out.member("relation", node.relation);
            }
            out.key("exclusive_ms");
            write_rounded(out, node.exclusive_ms);
            out.key("share");
            write_rounded(out, node.share);
            out.end_object();
        }
        out.end_array();
    }
    if (!report.sections.empty()) {
        out.key("sections");
        out.begin_array();
        for (const Section& section : report.sections) {
            out.begin_object();
            out.member("title", section.title);
            out.key("lines");
            string_array(out, section.lines);
            if (section.category) {
                out.member("category", analyzer::to_string(*section.category));
            }
            out.end_object();
        }
        out.end_array();
    }
    if (report.index_selection.present) {
        out.key("index_advisor");
        out.begin_object();
        out.member("stopped_by", report.index_selection.stopped_by);
        out.key("candidates");
        out.begin_array();
        for (const IndexCandidate& candidate : report.index_selection.candidates) {
            out.begin_object();
            out.member("index", candidate.index);
            out.member("kind", candidate.kind);
            out.member("status", candidate.recommended ? "recommended" : "rejected");
            out.member("reason", candidate.reason);
            out.member("statements", static_cast<std::int64_t>(candidate.statements));
            out.member("estimated_size_bytes", candidate.estimated_size_bytes);
            out.key("estimated_ms_saved");
            write_rounded(out, candidate.benefit_ms);
            out.end_object();
        }
        out.end_array();
        out.end_object();
    }
    if (report.partial) {
        out.member("partial", true);
        out.member("partial_reason", partial_summary(report));
    }
    if (!report.statements.empty()) {
        out.key("workload");
        out.begin_object();
        out.key("total_ms");
        write_rounded(out, report.workload_total_ms);
        out.key("statements");
        out.begin_array();
        for (const analyzer::StatementSummary& s : report.statements) {
            out.begin_object();
            if (!s.query.queryid.empty()) {
                out.member("queryid", s.query.queryid);
            }
            out.member("text", s.query.text);
            out.member("calls", s.query.calls);
            out.key("total_ms");
            write_rounded(out, s.query.total_ms);
            out.key("mean_ms");
            write_rounded(out, s.query.mean_ms);
            query_location(out, s.query);
            out.member("rows", s.rows);
            out.member("shared_blks_hit", s.shared_blks_hit);
            out.member("shared_blks_read", s.shared_blks_read);
            if (!s.index_advice.status.empty()) {
                out.key("index_advice");
                out.begin_object();
                out.member("status", s.index_advice.status);
                out.member("reason", s.index_advice.reason);
                out.end_object();
            }
            out.end_object();
        }
        out.end_array();
        out.end_object();
    }
    if (!report.cache.empty()) {
        out.key("cache");
        out.begin_array();
        for (const analyzer::CacheCounters& c : report.cache) {
            out.begin_object();
            out.member("scope", c.scope);
            out.member("name", c.name);
            out.member("hits", c.hits);
            out.member("reads", c.reads);
            out.end_object();
        }
        out.end_array();
    }
    if (report.baseline) {
        out.key("baseline");
        out.begin_object();
        out.member("file", report.baseline->file);
        out.member("entries", report.baseline->entries);
        out.member("matched", report.baseline->matched);
        out.end_object();
    }
    if (!report.notes.empty()) {
        out.key("notes");
        string_array(out, report.notes);
    }
    if (!report.fleet.empty()) {
        fleet_member(out, report.fleet);
    }
    out.end_object();
}

} // namespace

void render_json(const Report& report, const std::function<void(std::string_view)>& write) {
    JsonWriter out(write);
    report_object(out, report);
    out.finish();
}

std::string render_json(const Report& report) {
    std::string text;
    render_json(report, [&text](std::string_view piece) { text.append(piece); });
    return text;
}

} // namespace dbadvise::reports
