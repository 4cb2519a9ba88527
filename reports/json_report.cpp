// The JSON report: a versioned contract (schema_version 1, docs/report.schema.json) for CI
// and other programs. Keys keep a fixed order, numbers are rounded to 3 decimals and empty
// optional parts are left out, so the same findings give the same bytes on every run.
#include "reports/format_number.hpp"
#include "reports/report.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace dbadvise::reports {

namespace {

using Json = nlohmann::ordered_json;

constexpr int k_schema_version = 1;

// NaN and infinity have no JSON spelling; null says "no meaningful number" and the schema
// allows it wherever a measured value appears.
Json number(double value) {
    if (!std::isfinite(value)) {
        return nullptr;
    }
    return round3(value);
}

Json evidence_object(const analyzer::Evidence& evidence) {
    Json object = Json::object();
    for (const auto& [key, value] : evidence) {
        struct Visitor {
            Json operator()(std::int64_t v) const { return v; }
            Json operator()(double v) const { return number(v); }
            Json operator()(const std::string& v) const { return v; }
            Json operator()(bool v) const { return v; }
        };
        object[key] = std::visit(Visitor{}, value);
    }
    return object;
}

Json location_object(const analyzer::Location& loc) {
    Json object = Json::object();
    if (!loc.file.empty()) {
        object["file"] = loc.file;
    }
    if (loc.line > 0) {
        object["line"] = loc.line;
    }
    if (loc.column > 0) {
        object["column"] = loc.column;
    }
    if (!loc.node.empty()) {
        object["node"] = loc.node;
    }
    return object;
}

Json finding_object(const analyzer::Finding& f) {
    Json object;
    object["id"] = f.id();
    object["rule"] = f.rule;
    object["category"] = analyzer::to_string(f.category);
    object["severity"] = analyzer::to_string(f.severity);
    object["title"] = f.title;
    object["message"] = f.message;
    if (f.location) {
        Json loc = location_object(*f.location);
        if (!loc.empty()) {
            object["location"] = std::move(loc);
        }
    }
    if (f.query) {
        const analyzer::QueryRef& q = *f.query;
        Json query = Json::object();
        if (!q.queryid.empty()) {
            query["queryid"] = q.queryid;
        }
        query["text"] = q.text;
        query["calls"] = q.calls;
        query["total_ms"] = number(q.total_ms);
        query["mean_ms"] = number(q.mean_ms);
        object["query"] = std::move(query);
    }
    if (!f.evidence.empty()) {
        object["evidence"] = evidence_object(f.evidence);
    }
    Json suggestion = Json::object();
    if (!f.suggestion.sql.empty()) {
        suggestion["sql"] = f.suggestion.sql;
    }
    if (!f.suggestion.rewritten_query.empty()) {
        suggestion["rewritten_query"] = f.suggestion.rewritten_query;
    }
    if (!suggestion.empty()) {
        object["suggestion"] = std::move(suggestion);
    }
    Json impact = Json::object();
    if (f.impact.cost_before) {
        impact["cost_before"] = number(*f.impact.cost_before);
    }
    if (f.impact.cost_after) {
        impact["cost_after"] = number(*f.impact.cost_after);
    }
    if (f.impact.estimated_ms_saved_per_call) {
        impact["estimated_ms_saved_per_call"] = number(*f.impact.estimated_ms_saved_per_call);
    }
    if (!impact.empty()) {
        object["impact"] = std::move(impact);
    }
    return object;
}

Json source_object(const Source& source) {
    Json object;
    object["kind"] = source.kind;
    if (!source.files.empty()) {
        object["files"] = source.files;
    }
    if (!source.server_version.empty()) {
        object["server_version"] = source.server_version;
    }
    if (!source.database.empty()) {
        object["database"] = source.database;
    }
    return object;
}

} // namespace

std::string render_json(const Report& report) {
    Json root;
    root["schema_version"] = k_schema_version;
    root["tool"] = Json{{"name", "dbadvise"}, {"version", DBADVISE_VERSION}};
    root["source"] = source_object(report.source);
    root["stats"] = evidence_object(report.stats);
    Json findings = Json::array();
    for (const analyzer::Finding& f : report.findings) {
        findings.push_back(finding_object(f));
    }
    root["findings"] = std::move(findings);
    if (!report.hot_nodes.empty()) {
        Json nodes = Json::array();
        for (const HotNode& node : report.hot_nodes) {
            Json object;
            object["path"] = node.path;
            object["node_type"] = node.node_type;
            if (!node.relation.empty()) {
                object["relation"] = node.relation;
            }
            object["exclusive_ms"] = number(node.exclusive_ms);
            object["share"] = number(node.share);
            nodes.push_back(std::move(object));
        }
        root["hot_nodes"] = std::move(nodes);
    }
    if (!report.sections.empty()) {
        Json sections = Json::array();
        for (const Section& section : report.sections) {
            sections.push_back(Json{{"title", section.title}, {"lines", section.lines}});
        }
        root["sections"] = std::move(sections);
    }
    if (report.partial) {
        root["partial"] = true;
    }
    if (!report.notes.empty()) {
        root["notes"] = report.notes;
    }
    // Input files may hold bytes that are not UTF-8 (the lint report quotes them in messages);
    // replace them with U+FFFD instead of failing the whole report.
    std::string text = root.dump(2, ' ', false, Json::error_handler_t::replace);
    text.push_back('\n');
    return text;
}

} // namespace dbadvise::reports
