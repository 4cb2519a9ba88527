// The fleet report: the reports of several databases merged into one. A finding is the same
// in two databases when its stable id is (rule, subject, statement fingerprint; never a
// measured value or a queryid), so the same missing index on every tenant is reported once.
#include "reports/format_number.hpp"
#include "reports/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace dbadvise::reports {

namespace {

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// The first lines of a database's section: what was analyzed, or why not.
std::vector<std::string> status_lines(const FleetDatabase& database, std::size_t own_findings) {
    std::vector<std::string> lines;
    if (!database.origin.empty()) lines.push_back("given as " + database.origin);
    if (!database.report) {
        lines.push_back("not analyzed: " + database.error);
        return lines;
    }
    const Report& report = *database.report;
    std::string analyzed = "analyzed";
    if (!report.source.database.empty())
        analyzed += fmt::format(": database \"{}\"", report.source.database);
    if (!report.source.server_version.empty())
        analyzed += fmt::format(", PostgreSQL {}", report.source.server_version);
    lines.push_back(analyzed);
    for (const auto& [key, value] : report.stats) {
        if (key == "statements" && std::holds_alternative<std::int64_t>(value))
            lines.push_back(fmt::format("{} analyzed, workload {} ms in all",
                                        plural(static_cast<std::size_t>(std::get<std::int64_t>(value)),
                                               "statement", "statements"),
                                        format_fixed(report.workload_total_ms, 1)));
    }
    lines.push_back(fmt::format("{}, {} only in this database", plural(report.findings.size(), "finding", "findings"),
                                own_findings));
    if (!report.statements.empty()) {
        const analyzer::StatementSummary& top = report.statements.front();
        std::string text = top.query.text.substr(0, 80);
        std::replace(text.begin(), text.end(), '\n', ' ');
        lines.push_back(fmt::format("most time: {} ms in {} calls of {}{}", format_fixed(top.query.total_ms, 1),
                                    top.query.calls, text, top.query.text.size() > 80 ? "..." : ""));
    }
    if (report.partial) lines.push_back("partial: the analysis of this database stopped early");
    for (const std::string& note : report.notes) lines.push_back("note: " + note);
    return lines;
}

} // namespace

Report merge_fleet(std::vector<FleetDatabase> databases) {
    Report fleet;
    fleet.source.kind = "fleet";

    // One finding per id; `where[i]` are the databases of fleet.findings[i] with their rank.
    std::unordered_map<std::string, std::size_t> by_id;
    std::vector<std::vector<std::pair<double, std::string>>> where;
    std::size_t failed = 0;
    for (const FleetDatabase& database : databases) {
        if (!database.report) {
            ++failed;
            continue;
        }
        const std::vector<analyzer::Finding>& findings = database.report->findings;
        const std::vector<std::string> ids = analyzer::finding_ids(findings);
        for (std::size_t i = 0; i < findings.size(); ++i) {
            const auto [it, added] = by_id.try_emplace(ids[i], fleet.findings.size());
            if (added) {
                fleet.findings.push_back(findings[i]);
                fleet.findings.back().rank = 0;
                where.emplace_back();
            }
            analyzer::Finding& merged = fleet.findings[it->second];
            // The figures shown are those of the database where the finding weighs most.
            if (!added && findings[i].rank > where[it->second].front().first) {
                const double rank = merged.rank;
                merged = findings[i];
                merged.rank = rank;
            }
            merged.severity = std::max(merged.severity, findings[i].severity);
            merged.rank += findings[i].rank;
            auto& list = where[it->second];
            list.emplace_back(findings[i].rank, database.name);
            std::stable_sort(list.begin(), list.end(),
                             [](const auto& a, const auto& b) { return a.first > b.first; });
        }
    }
    std::size_t repeated = 0;
    for (std::size_t i = 0; i < fleet.findings.size(); ++i) {
        for (auto& [rank, name] : where[i]) fleet.findings[i].databases.push_back(name);
        if (where[i].size() > 1) ++repeated;
    }
    analyzer::sort_by_rank(fleet.findings);

    for (const FleetDatabase& database : databases) {
        std::size_t own = 0;
        if (database.report) {
            for (const analyzer::Finding& f : fleet.findings)
                own += f.databases.size() == 1 && f.databases.front() == database.name ? 1 : 0;
        }
        fleet.sections.push_back({"Database " + database.name, status_lines(database, own), std::nullopt});
        if (!database.report) {
            fleet.partial = true;
            continue;
        }
        fleet.partial = fleet.partial || database.report->partial;
        for (const Section& section : database.report->sections)
            fleet.sections.push_back({database.name + ": " + section.title, section.lines, section.category});
    }
    fleet.stats.emplace_back("databases", static_cast<std::int64_t>(databases.size()));
    fleet.stats.emplace_back("databases_analyzed", static_cast<std::int64_t>(databases.size() - failed));
    fleet.stats.emplace_back("databases_failed", static_cast<std::int64_t>(failed));
    fleet.stats.emplace_back("findings_in_several_databases", static_cast<std::int64_t>(repeated));
    std::string stopped;
    for (const FleetDatabase& database : databases) {
        if (database.report && database.report->partial)
            stopped += (stopped.empty() ? "" : ", ") + database.name;
    }
    if (failed > 0 || !stopped.empty()) {
        std::string failed_names;
        for (const FleetDatabase& database : databases) {
            if (!database.report) failed_names += (failed_names.empty() ? "" : ", ") + database.name;
        }
        std::string reason;
        if (failed > 0) {
            reason = fmt::format("{} of {} could not be analyzed ({})", failed,
                                 plural(databases.size(), "database", "databases"), failed_names);
        }
        if (!stopped.empty()) {
            reason += fmt::format("{}the analysis of {} stopped early", reason.empty() ? "" : " and ", stopped);
        }
        fleet.partial_reason = reason + "; this report covers only what was analyzed";
    }
    if (failed > 0) {
        // One note naming them; each one's error is in its section (and fleet.databases[]).
        std::string names;
        for (const FleetDatabase& database : databases) {
            if (!database.report) names += (names.empty() ? "" : ", ") + database.name;
        }
        fleet.notes.push_back(fmt::format("{} of {} could not be analyzed ({}): their sections say why; "
                                          "the report covers the others",
                                          failed, plural(databases.size(), "database", "databases"), names));
    }
    fleet.fleet = std::move(databases);
    return fleet;
}

std::string partial_summary(const Report& report) {
    return report.partial_reason.empty() ? "the run stopped early; this report covers only what was analyzed"
                                         : report.partial_reason;
}

} // namespace dbadvise::reports
