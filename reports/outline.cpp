#include "reports/outline.hpp"

#include "reports/format_number.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace dbadvise::reports {

namespace {

using analyzer::Category;
using analyzer::Finding;
using analyzer::RuleId;

bool is_database_report(const Report& report) {
    return report.source.kind != "sql" && report.source.kind != "plan";
}

Group group_of(const Finding& f) {
    if (f.rule == RuleId::missing_index) return Group::create_indexes;
    switch (f.category()) {
    case Category::index: return Group::existing_indexes;
    case Category::rewrite: return Group::rewrites;
    case Category::plan: return Group::plans;
    case Category::cache:
    case Category::schema:
    case Category::config: return Group::health;
    case Category::application:
    case Category::connections:
    case Category::maintenance: return Group::operations;
    case Category::input: return Group::input;
    }
    return Group::input;
}

std::optional<Group> group_of(const Section& section) {
    if (!section.category) return std::nullopt;
    switch (*section.category) {
    case Category::index: return Group::create_indexes;
    case Category::rewrite: return Group::rewrites;
    case Category::plan: return Group::plans;
    case Category::cache:
    case Category::schema:
    case Category::config: return Group::health;
    case Category::application:
    case Category::connections:
    case Category::maintenance: return Group::operations;
    case Category::input: return Group::input;
    }
    return std::nullopt;
}

const analyzer::EvidenceValue* stat(const Report& report, std::string_view key) {
    for (const auto& [name, value] : report.stats) {
        if (name == key) return &value;
    }
    return nullptr;
}

std::optional<double> stat_number(const Report& report, std::string_view key) {
    const analyzer::EvidenceValue* value = stat(report, key);
    if (value == nullptr) return std::nullopt;
    if (const auto* i = std::get_if<std::int64_t>(value)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(value)) return *d;
    return std::nullopt;
}

std::string count_of(const Report& report, std::string_view key, std::string_view singular,
                     std::string_view many) {
    const std::optional<double> n = stat_number(report, key);
    return n ? plural(static_cast<std::size_t>(std::max(0.0, *n)), singular, many) : std::string();
}

void database_header(const Report& report, Outline& outline) {
    const Source& source = report.source;
    outline.heading = "dbadvise analyze";
    if (!source.database.empty()) outline.heading += fmt::format(": database \"{}\"", source.database);
    if (!source.server_version.empty())
        outline.heading += fmt::format("{} PostgreSQL {}", source.database.empty() ? ":" : ",",
                                       source.server_version);

    std::int64_t calls = 0;
    for (const analyzer::StatementSummary& s : report.statements) calls += s.query.calls;
    std::string statements = count_of(report, "statements", "statement", "statements");
    if (statements.empty()) statements = plural(report.statements.size(), "statement", "statements");
    // --queries reads a file or a log; every other source reads pg_stat_statements.
    const bool from_file = source.kind == "queries";
    std::string origin = "pg_stat_statements";
    if (from_file) {
        origin.clear();
        for (const std::string& file : source.files) origin += (origin.empty() ? "" : ", ") + file;
        if (origin.empty()) origin = "the queries given";
    }
    std::string workload = "workload: " + statements + " from " + origin;
    if (!report.statements.empty()) {
        workload += fmt::format(", {} calls, {} of execution time", calls,
                                format_duration(report.workload_total_ms));
    }
    outline.facts.push_back(workload);
    if (from_file) {
        outline.facts.push_back("covers: the executions the file records");
    } else if (!source.window_start.empty() || !source.window_end.empty()) {
        outline.facts.push_back(fmt::format("covers: from {} to {} (the window between the captures)",
                                            source.window_start, source.window_end));
    } else outline.facts.push_back(
        source.stats_reset.empty()
            ? std::string("covers: the time since pg_stat_statements was last reset (when is "
                          "unknown: pg_stat_statements_info needs PostgreSQL 14)")
            : fmt::format("covers: since {} (the last reset of pg_stat_statements)",
                          source.stats_reset));
    std::vector<std::string> run;
    for (const auto& [key, singular, many] :
         {std::tuple{"statements_analyzed", "statement analyzed", "statements analyzed"},
          std::tuple{"statements_planned", "planned", "planned"},
          std::tuple{"planner_calls", "planner call", "planner calls"},
          std::tuple{"hypothetical_indexes", "hypothetical index", "hypothetical indexes"}}) {
        if (std::string part = count_of(report, key, singular, many); !part.empty())
            run.push_back(std::move(part));
    }
    if (const std::optional<double> elapsed = stat_number(report, "elapsed_ms"))
        run.push_back("in " + format_duration(*elapsed));
    if (!run.empty()) {
        std::string line = "run:";
        for (std::size_t i = 0; i < run.size(); ++i) line += (i == 0 ? " " : ", ") + run[i];
        outline.facts.push_back(line);
    }
}

// A fleet (analyze of several databases): how many, which failed, what repeats.
void fleet_header(const Report& report, Outline& outline) {
    outline.heading = fmt::format("dbadvise analyze: fleet of {}", plural(report.fleet.size(), "database", "databases"));
    std::vector<std::string> analyzed;
    std::vector<std::string> failed;
    for (const FleetDatabase& database : report.fleet)
        (database.report ? analyzed : failed).push_back(database.name);
    const auto list = [](const std::vector<std::string>& names) {
        std::string text;
        for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
        return text;
    };
    if (!analyzed.empty()) outline.facts.push_back(fmt::format("analyzed: {}", list(analyzed)));
    if (!failed.empty()) outline.facts.push_back(fmt::format("not analyzed: {}", list(failed)));
    if (const std::optional<double> repeated = stat_number(report, "findings_in_several_databases")) {
        outline.facts.push_back(*repeated > 0 ? count_of(report, "findings_in_several_databases", "finding", "findings") +
                                                    " in several databases, each listed once with its databases"
                                              : std::string("no finding in more than one database"));
    }
    if (const std::optional<double> elapsed = stat_number(report, "elapsed_ms"))
        outline.facts.push_back("run: in " + format_duration(*elapsed));
}

void file_header(const Report& report, Outline& outline) {
    const Source& source = report.source;
    if (source.kind == "plan") {
        outline.heading = "dbadvise explain";
        if (!source.files.empty()) outline.heading += ": " + source.files.front();
        std::vector<std::string> parts;
        const analyzer::EvidenceValue* format = stat(report, "format");
        const analyzer::EvidenceValue* analyzed = stat(report, "analyzed");
        std::string kind = format != nullptr && std::holds_alternative<std::string>(*format)
                               ? std::get<std::string>(*format) + " plan"
                               : std::string("plan");
        if (analyzed != nullptr && std::holds_alternative<bool>(*analyzed))
            kind += std::get<bool>(*analyzed) ? " with ANALYZE" : " without ANALYZE (estimates only)";
        parts.push_back(kind);
        if (std::string nodes = count_of(report, "nodes", "node", "nodes"); !nodes.empty())
            parts.push_back(std::move(nodes));
        if (const std::optional<double> total = stat_number(report, "total_ms"))
            parts.push_back(format_duration(*total) + " execution");
        if (const std::optional<double> planning = stat_number(report, "planning_ms"))
            parts.push_back(format_duration(*planning) + " planning");
        std::string line = "plan:";
        for (std::size_t i = 0; i < parts.size(); ++i) line += (i == 0 ? " " : ", ") + parts[i];
        outline.facts.push_back(line);
        return;
    }
    std::string files = count_of(report, "files", "file", "files");
    if (files.empty()) files = plural(source.files.size(), "file", "files");
    outline.heading = "dbadvise lint: " + files;
    std::string line = "checked: " + count_of(report, "statements", "statement", "statements");
    if (const std::optional<double> body = stat_number(report, "function_body_statements"); body && *body > 0)
        line += " and " + count_of(report, "function_body_statements", "statement", "statements") +
                " in function bodies";
    if (const std::optional<double> errors = stat_number(report, "parse_errors"); errors && *errors > 0)
        line += ", " + count_of(report, "parse_errors", "does not parse", "do not parse");
    outline.facts.push_back(line);
}

// The key under which findings collapse into one entry; empty: never collapses.
std::string collapse_key(const Finding& f, bool database) {
    if (!database || f.rule == RuleId::missing_index) return {};
    if (f.object && !f.object->partition_of.empty())
        return fmt::format("{}\x1fpartition\x1f{}", f.rule_id(), f.object->partition_of);
    if (f.query) return fmt::format("{}\x1fstatements", f.rule_id());
    return {};
}

// "ON t (a)" of a CREATE INDEX, without the schema: two findings that suggest the same index
// (a recommendation and an expression-index rewrite, an unindexed foreign key) are one action.
std::string index_target(std::string_view sql) {
    std::string text;
    bool space = false;
    for (const char c : sql) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            space = !text.empty();
            continue;
        }
        if (space) text.push_back(' ');
        space = false;
        text.push_back(c);
    }
    const auto on = text.find(" ON ");
    if (!text.starts_with("CREATE ") || on == std::string::npos) return {};
    std::string target = text.substr(on + 4);
    if (target.starts_with("public.")) target.erase(0, 7);
    while (!target.empty() && target.back() == ';') target.pop_back();
    return target;
}

// The few things to do first. Changes whose saving was measured (index recommendations,
// verified or estimated over the workload) come first, most time saved first; then the other
// warnings and errors with a fix, by the measured time of what they concern, which bounds what
// fixing them can save. Cache findings are symptoms whose fixes are those changes (or memory),
// and infos are advice: neither is listed. explain ranks by the nodes' exclusive time.
void add_actions(Outline& outline, bool explain) {
    struct Candidate {
        const Entry* entry;
        std::optional<double> saves;
        double at_stake;
    };
    std::vector<Candidate> measured;
    std::vector<Candidate> others;
    for (const GroupView& group : outline.groups) {
        if (group.group == Group::input || group.group == Group::health) continue;
        for (const Entry& entry : group.entries) {
            const Finding& f = entry.first();
            const bool actionable = !f.suggestion.sql.empty() || !f.suggestion.rewritten_query.empty();
            if (!actionable || f.category() == Category::cache) continue;
            const double time = entry.time_ms();
            if (f.rule == RuleId::missing_index && time > 0) {
                measured.push_back({&entry, time, time});
            } else if (f.severity != analyzer::Severity::info && (explain || time > 0)) {
                others.push_back({&entry, std::nullopt, time});
            }
        }
    }
    const auto by_time = [](const Candidate& a, const Candidate& b) {
        return a.saves.value_or(a.at_stake) > b.saves.value_or(b.at_stake);
    };
    std::stable_sort(measured.begin(), measured.end(), by_time);
    std::stable_sort(others.begin(), others.end(), by_time);
    std::set<std::string> indexes; // targets of the CREATE INDEX actions listed
    for (const std::vector<Candidate>* list : {&measured, &others}) {
        for (const Candidate& candidate : *list) {
            if (outline.actions.size() >= k_max_actions) return;
            const Finding& f = candidate.entry->first();
            if (const std::string target = index_target(f.suggestion.sql); !target.empty()) {
                if (!indexes.insert(target).second) continue;
            }
            outline.actions.push_back({candidate.entry, candidate.entry->title(), candidate.saves,
                                       candidate.at_stake});
        }
    }
}

// lint has no measured time: its few things to do first are the errors (a DELETE without
// WHERE, a statement that does not parse), then the warnings that come with a fix, in file
// order, each named with its file:line:column; only when there are more findings than that.
void add_lint_actions(Outline& outline) {
    std::size_t entries = 0;
    for (const GroupView& group : outline.groups) entries += group.entries.size();
    if (entries <= k_max_actions) return; // the list itself is short enough to read first
    std::vector<const Entry*> errors;
    std::vector<const Entry*> warnings;
    for (const GroupView& group : outline.groups) {
        for (const Entry& entry : group.entries) {
            const Finding& f = entry.first();
            if (f.severity == analyzer::Severity::error) {
                errors.push_back(&entry);
            } else if (f.severity == analyzer::Severity::warning &&
                       (!f.suggestion.sql.empty() || !f.suggestion.rewritten_query.empty())) {
                warnings.push_back(&entry);
            }
        }
    }
    for (const std::vector<const Entry*>* list : {&errors, &warnings}) {
        for (const Entry* entry : *list) {
            if (outline.actions.size() >= k_max_actions) return;
            const Finding& f = entry->first();
            std::string what = entry->title();
            if (f.location && !f.location->file.empty() && f.location->line > 0) {
                what = fmt::format("{}:{}:{}: {}", f.location->file, f.location->line, std::max(1, f.location->column), what);
            }
            outline.actions.push_back({entry, std::move(what), std::nullopt, 0, false});
        }
    }
}

} // namespace

std::string_view group_heading(Group group) {
    switch (group) {
    case Group::create_indexes: return "Indexes to create";
    case Group::rewrites: return "Query rewrites";
    case Group::existing_indexes: return "Existing indexes";
    case Group::plans: return "Plans and statistics";
    case Group::operations: return "Application, connections and maintenance";
    case Group::health: return "Cache and health";
    case Group::input: return "Statements not analyzed";
    }
    return "Findings";
}

std::string Entry::title() const {
    if (!collapsed()) return first().title;
    const analyzer::RuleInfo& rule = analyzer::rule_info(first().rule);
    if (!partition_of.empty())
        return fmt::format("{}: {} partitions of {}", rule.title, findings.size(), partition_of);
    return fmt::format("{}: {} statements", rule.title, findings.size());
}

double Entry::time_ms() const {
    double total = 0;
    for (const Finding* f : findings) total += std::max(0.0, f->rank);
    return total;
}

Outline make_outline(const Report& report, bool include_baseline) {
    Outline outline;
    outline.database = is_database_report(report);
    if (!report.fleet.empty()) {
        fleet_header(report, outline);
    } else if (outline.database) {
        database_header(report, outline);
    } else {
        file_header(report, outline);
    }

    // Groups in their fixed order (analyze) or in the order of their first finding (files).
    std::map<std::string, std::size_t> group_index;
    auto group_for = [&](const std::string& heading, std::optional<Group> group) -> GroupView& {
        auto [it, inserted] = group_index.try_emplace(heading, outline.groups.size());
        if (inserted) outline.groups.push_back(GroupView{heading, group, {}, {}, 0});
        return outline.groups[it->second];
    };
    if (outline.database) {
        for (Group g : {Group::create_indexes, Group::rewrites, Group::existing_indexes,
                        Group::plans, Group::operations, Group::health, Group::input}) {
            group_for(std::string(group_heading(g)), g);
        }
    }

    // Count how many findings share each collapse key: only repeated ones collapse.
    std::map<std::string, std::size_t> key_counts;
    for (const Finding& f : report.findings) {
        if (f.baseline) {
            ++outline.baseline;
            if (!include_baseline) continue;
        } else {
            ++outline.by_severity[static_cast<std::size_t>(f.severity)];
        }
        if (std::string key = collapse_key(f, outline.database); !key.empty()) ++key_counts[key];
    }
    std::map<std::pair<std::size_t, std::string>, std::size_t> entry_of; // (group, key) -> entry
    for (const Finding& f : report.findings) {
        if (f.baseline && !include_baseline) continue;
        GroupView& group =
            outline.database
                ? group_for(std::string(group_heading(group_of(f))), group_of(f))
                : group_for(f.location && !f.location->file.empty() ? f.location->file
                                                                    : std::string("Findings"),
                            std::nullopt);
        ++group.findings;
        std::string key = collapse_key(f, outline.database);
        const bool partition = f.object && !f.object->partition_of.empty();
        const std::size_t needed = partition ? 2 : k_collapse_at;
        if (!key.empty() && key_counts[key] >= needed) {
            const std::size_t g = static_cast<std::size_t>(&group - outline.groups.data());
            auto [it, inserted] = entry_of.try_emplace({g, key}, group.entries.size());
            if (inserted) {
                group.entries.push_back(Entry{{}, partition ? f.object->partition_of : std::string()});
            }
            group.entries[it->second].findings.push_back(&f);
            continue;
        }
        group.entries.push_back(Entry{{&f}, {}});
    }
    if (outline.database) {
        for (const Section& section : report.sections) {
            if (const std::optional<Group> g = group_of(section)) {
                group_for(std::string(group_heading(*g)), g).sections.push_back(&section);
            }
        }
        // Groups with nothing to say are left out.
        std::erase_if(outline.groups, [](const GroupView& g) {
            return g.entries.empty() && g.sections.empty();
        });
    }
    for (const Section& section : report.sections) {
        const bool placed = std::ranges::any_of(outline.groups, [&](const GroupView& g) {
            return std::ranges::find(g.sections, &section) != g.sections.end();
        });
        if (!placed) outline.loose_sections.push_back(&section);
    }
    if (report.source.kind == "sql") {
        add_lint_actions(outline);
    } else {
        add_actions(outline, report.source.kind == "plan");
    }
    return outline;
}

std::string databases_line(const analyzer::Finding& f) {
    if (f.databases.empty()) return {};
    if (f.databases.size() == 1) return "in database " + f.databases.front();
    std::string names;
    for (const std::string& name : f.databases) names += (names.empty() ? "" : ", ") + name;
    return fmt::format("in {} databases: {} (figures from {})", f.databases.size(), names, f.databases.front());
}

std::string format_duration(double ms) {
    if (!std::isfinite(ms)) return format_number(ms) + " ms";
    const double a = std::fabs(ms);
    if (a < 1000) return format_fixed(ms, a < 10 ? 2 : (a < 100 ? 1 : 0)) + " ms";
    if (a < 60'000) return format_fixed(ms / 1000, 1) + " s";
    if (a < 3'600'000) return format_fixed(ms / 60'000, 1) + " min";
    return format_fixed(ms / 3'600'000, 1) + " h";
}

std::string format_bytes(double bytes) {
    const double a = std::fabs(bytes);
    if (a < 1024) return fmt::format("{:.0f} B", bytes);
    if (a < 1024.0 * 1024) return fmt::format("{:.0f} kB", bytes / 1024);
    if (a < 1024.0 * 1024 * 1024) return fmt::format("{:.1f} MB", bytes / (1024.0 * 1024));
    return fmt::format("{:.1f} GB", bytes / (1024.0 * 1024 * 1024));
}

std::string query_origin(const analyzer::QueryRef& q) {
    if (q.file.empty()) return {};
    std::string origin = q.file;
    if (q.line > 0) origin += fmt::format(":{}", q.line);
    if (q.line > 0 && q.column > 0) origin += fmt::format(":{}", q.column);
    return origin;
}

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
        // Cut at a character boundary: never inside a UTF-8 sequence.
        std::size_t cut = limit;
        while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
        line.resize(cut);
        line += "...";
    }
    return line;
}

std::string plural(std::size_t n, std::string_view singular, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? singular : many);
}

} // namespace dbadvise::reports
