#include "cli/baseline.hpp"

#include "cli/command.hpp"
#include "cli/run.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dbadvise::cli {

namespace {

constexpr int k_baseline_version = 1;

// nlohmann reports a byte offset; people want line and column.
std::string position(const std::string& text, std::size_t byte) {
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            ++column;
        }
    }
    return fmt::format("{}:{}", line, column);
}

bool is_id(const nlohmann::json& value) {
    if (!value.is_string()) return false;
    const std::string& id = value.get_ref<const std::string&>();
    return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

} // namespace

Baseline Baseline::load(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw RunError(fmt::format("cannot read '{}': {} (--baseline)", path, std::strerror(errno)),
                       k_exit_runtime);
    }
    std::ostringstream buffer;
    buffer << file.rdbuf();
    const std::string text = buffer.str();
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        const std::string what = e.what();
        const auto colon = what.find("; ");
        throw RunError(fmt::format("{}:{}: invalid JSON: {} (--baseline)", path,
                                   position(text, e.byte > 0 ? e.byte - 1 : 0),
                                   colon == std::string::npos ? what : what.substr(colon + 2)),
                       k_exit_runtime);
    }
    const bool baseline = doc.is_object() && doc.contains("dbadvise_baseline");
    const bool report = doc.is_object() && doc.contains("schema_version") && doc.contains("tool");
    if ((!baseline && !report) || !doc.contains("findings") || !doc["findings"].is_array()) {
        throw RunError(fmt::format("{}: not a dbadvise baseline (--write-baseline) or JSON report "
                                   "(--format json): it needs a \"findings\" array (--baseline)",
                                   path),
                       k_exit_runtime);
    }
    if (baseline && doc["dbadvise_baseline"] != k_baseline_version) {
        throw RunError(fmt::format("{}: baseline version {} is not supported (this dbadvise reads "
                                   "version {}) (--baseline)",
                                   path, doc["dbadvise_baseline"].dump(), k_baseline_version),
                       k_exit_runtime);
    }
    Baseline out;
    out.m_path = path;
    std::size_t index = 0;
    for (const nlohmann::json& finding : doc["findings"]) {
        if (!finding.is_object() || !finding.contains("id") || !is_id(finding["id"])) {
            throw RunError(fmt::format("{}: findings[{}] has no \"id\" of 16 hexadecimal digits "
                                       "(--baseline)",
                                       path, index),
                           k_exit_runtime);
        }
        out.m_ids.insert(finding["id"].get<std::string>());
        ++index;
    }
    return out;
}

void Baseline::apply(reports::Report& report) const {
    const std::vector<std::string> ids = analyzer::finding_ids(report.findings);
    std::int64_t matched = 0;
    for (std::size_t i = 0; i < report.findings.size(); ++i) {
        report.findings[i].baseline = m_ids.contains(ids[i]);
        matched += report.findings[i].baseline ? 1 : 0;
    }
    report.baseline = reports::BaselineInfo{m_path, static_cast<std::int64_t>(m_ids.size()), matched};
}

std::string render_baseline(const reports::Report& report) {
    const std::vector<std::string> ids = analyzer::finding_ids(report.findings);
    std::vector<std::size_t> order(ids.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
    nlohmann::ordered_json doc;
    doc["dbadvise_baseline"] = k_baseline_version;
    doc["tool"] = {{"name", "dbadvise"}, {"version", DBADVISE_VERSION}};
    doc["findings"] = nlohmann::ordered_json::array();
    for (const std::size_t i : order) {
        const analyzer::Finding& f = report.findings[i];
        nlohmann::ordered_json entry;
        entry["id"] = ids[i];
        entry["rule"] = std::string(f.rule_id());
        entry["title"] = f.title;
        if (f.location && !f.location->file.empty()) entry["file"] = f.location->file;
        if (f.object) entry["object"] = f.object->qualified_name();
        if (f.query && !f.query->queryid.empty()) entry["queryid"] = f.query->queryid;
        doc["findings"].push_back(std::move(entry));
    }
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace dbadvise::cli
