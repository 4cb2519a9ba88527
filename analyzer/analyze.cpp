// The analyze driver: parses the workload's statements, runs the lint rules on each, the
// index advisor, the existing-index checks and the health checks, and ranks findings by the measured time of
// the statement they concern.
#include "analyzer/analyze.hpp"

#include "analyzer/existing_indexes.hpp"
#include "analyzer/health.hpp"
#include "analyzer/index_advisor.hpp"
#include "analyzer/operations.hpp"
#include "analyzer/rule.hpp"
#include "analyzer/rule_registry.hpp"
#include "analyzer/schema.hpp"
#include "analyzer/statement_columns.hpp"
#include "sqlparse/parser.hpp"
#include "sqlparse/source_text.hpp"
#include "util/saturating.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace dbadvise::analyzer {

namespace {

void append(std::vector<Finding>& to, std::vector<Finding> from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// The catalog as the lint rules see it (SELECT * expansion, column resolution).
Schema schema_from_catalog(const Workload& workload) {
    Schema schema;
    for (const CatalogTable& table : workload.tables) {
        TableInfo info{table.schema, table.name, {}, {}};
        for (const CatalogColumn& column : table.columns)
            info.columns.push_back({column.name, column.type_name, column.not_null});
        // Unique indexes on plain columns, valid and total, identify rows; the primary key first.
        for (const CatalogIndex& index : workload.indexes) {
            if (index.table_schema != table.schema || index.table != table.name || !index.unique ||
                !index.valid || !index.predicate.empty() ||
                !std::all_of(index.keys.begin(), index.keys.end(),
                             [&](const std::string& key) { return info.column(key) != nullptr; }))
                continue;
            if (index.primary)
                info.unique_keys.insert(info.unique_keys.begin(), index.keys);
            else
                info.unique_keys.push_back(index.keys);
        }
        schema.add_table(std::move(info));
    }
    return schema;
}

// A statement whose text does not parse is reported and left out of the analysis. When
// the text is as long as track_activity_query_size allows, the likely cause is a cut.
Finding unparsable(const WorkloadStatement& statement, const sqlparse::ParseError& error,
                   std::int64_t limit) {
    Finding finding(RuleId::parse_error);
    // The server ran the statement: only its recorded text cannot be analyzed (an error in
    // lint, where the file itself would fail).
    finding.severity = Severity::warning;
    finding.query = query_ref(statement);
    finding.rank = statement.total_ms;
    finding.location = Location{};
    finding.location->offset = error.offset;
    if (statement.truncated) {
        finding.title = fmt::format("Statement text looks truncated (queryid {})", statement.queryid);
        finding.message = fmt::format(
            "The text is {} bytes long, the limit of track_activity_query_size ({} bytes), and "
            "does not parse ({}): the server cut it, so this statement cannot be analyzed. "
            "Raise track_activity_query_size (needs a restart) and run the workload again.",
            statement.text.size(), limit, error.message);
        finding.suggestion.sql = "ALTER SYSTEM SET track_activity_query_size = '16kB';";
    } else if (error.kind == sqlparse::ParseError::Kind::too_large) {
        finding.title = fmt::format("Statement too large to analyze (queryid {})", statement.queryid);
        finding.message = fmt::format("{}; the statement is left out of the analysis.", error.message);
        // The report need not repeat megabytes of text: its start names the statement.
        constexpr std::size_t k_shown = 2000;
        if (finding.query->text.size() > k_shown) {
            std::size_t cut = k_shown;
            while (cut > 0 && (static_cast<unsigned char>(finding.query->text[cut]) & 0xC0) == 0x80) --cut;
            finding.query->text = finding.query->text.substr(0, cut) + " ...";
        }
    } else {
        finding.title = fmt::format("Statement does not parse (queryid {})", statement.queryid);
        finding.message = fmt::format(
            "{} holds text the parser rejects ({}); the statement is left out of the analysis.",
            statement.origin_file.empty() ? std::string("pg_stat_statements") : statement.origin_file,
            error.message);
    }
    finding.evidence.emplace_back("text_bytes", static_cast<std::int64_t>(statement.text.size()));
    finding.evidence.emplace_back("truncated", statement.truncated);
    return finding;
}

// The first table `query` (or a subquery of it) reads that another session locks.
const RelationLock* locked_table(const Workload& workload, const sqlparse::Query& query) {
    for (const sqlparse::Relation& relation : query.relations) {
        if (relation.kind != sqlparse::RelationKind::table) continue;
        if (const RelationLock* lock = workload.lock_on(relation.schema, relation.name)) return lock;
    }
    for (const sqlparse::Query& subquery : query.subqueries) {
        if (const RelationLock* lock = locked_table(workload, subquery)) return lock;
    }
    return nullptr;
}

// A table another session locks (a migration's ACCESS EXCLUSIVE, say): its indexes were not
// read and its statements not planned, because both would wait behind the lock.
Finding table_locked(const RelationLock& lock, int statements, double total_ms) {
    Finding finding(RuleId::table_locked);
    const std::string table = lock.schema + "." + lock.table;
    finding.subject = table;
    finding.object = ObjectRef{"table", lock.schema, lock.table, {}, {}};
    finding.title = fmt::format("Table {} is locked by session {} ({}{})", table, lock.pid, lock.mode,
                                lock.granted ? "" : ", waiting");
    finding.message = fmt::format(
        "Session {} {} {} on {}{}, which would make dbadvise wait: reading the definitions of its indexes, "
        "planning a statement on it and running one all need a lock that conflicts with it. So its indexes "
        "were not read (no index findings for it) and the {} statement{} that read it were not planned. "
        "Run dbadvise again when the other session has finished (a migration, a VACUUM FULL, a REINDEX); "
        "pg_stat_activity shows what it runs.",
        lock.pid, lock.granted ? "holds" : "waits for", lock.mode, table,
        lock.on.empty() ? std::string() : fmt::format(" (on {})", lock.on), statements, statements == 1 ? "" : "s");
    finding.evidence.emplace_back("table", table);
    finding.evidence.emplace_back("pid", static_cast<std::int64_t>(lock.pid));
    finding.evidence.emplace_back("mode", lock.mode);
    finding.evidence.emplace_back("granted", lock.granted);
    finding.evidence.emplace_back("statements_not_planned", static_cast<std::int64_t>(statements));
    // Ranked by the measured time of the statements it kept from the analysis.
    finding.rank = total_ms;
    finding.suggestion.sql = fmt::format(
        "SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE pid = {};", lock.pid);
    return finding;
}

void lint_statement(const ParsedWorkloadStatement& statement, const Schema& schema,
                    std::vector<Finding>& out) {
    const RuleContext context{statement.source->text, &schema};
    std::vector<Finding> found;
    for (const Rule& rule : lint_rules()) rule.check(*statement.parsed.statement, context, found);
    const sqlparse::SourceText source(statement.source->text);
    for (Finding& finding : found) {
        if (finding.location && finding.location->offset >= 0) {
            const sqlparse::LineColumn at = source.locate(finding.location->offset);
            finding.location->line = at.line;
            finding.location->column = at.column;
        }
        finding.query = query_ref(*statement.source);
        finding.rank = statement.source->total_ms;
        out.push_back(std::move(finding));
    }
}

// The overview of buffer hits: the database, then the tables and the indexes with the most
// reads (the ones a hit-ratio chart should show).
std::vector<CacheCounters> cache_counters(const Workload& workload) {
    constexpr std::size_t k_listed = 10;
    std::vector<CacheCounters> out;
    const DatabaseStats& db = workload.database_stats;
    if (util::saturating_add(db.blks_hit, db.blks_read) > 0)
        out.push_back({"database", workload.database, db.blks_hit, db.blks_read});
    std::vector<CacheCounters> tables;
    for (const CatalogTable& table : workload.tables) {
        if (util::saturating_add(table.heap_blks_hit, table.heap_blks_read) > 0)
            tables.push_back({"table", table.schema + "." + table.name, table.heap_blks_hit,
                              table.heap_blks_read});
    }
    std::vector<CacheCounters> indexes;
    for (const CatalogIndex& index : workload.indexes) {
        if (util::saturating_add(index.idx_blks_hit, index.idx_blks_read) > 0)
            indexes.push_back({"index", index.schema + "." + index.name, index.idx_blks_hit,
                               index.idx_blks_read});
    }
    for (std::vector<CacheCounters>* list : {&tables, &indexes}) {
        std::stable_sort(list->begin(), list->end(), [](const CacheCounters& a, const CacheCounters& b) {
            return a.reads != b.reads ? a.reads > b.reads : a.name < b.name;
        });
        if (list->size() > k_listed) list->resize(k_listed);
        out.insert(out.end(), list->begin(), list->end());
    }
    return out;
}

} // namespace

std::string statement_fingerprint(std::string_view text) {
    const sqlparse::ParsedStatement parsed = sqlparse::parse_statement(text);
    if (parsed.statement && !parsed.statement->fingerprint.empty())
        return parsed.statement->fingerprint;
    // Text that does not parse (cut at track_activity_query_size, say): FNV-1a of the text
    // with runs of white space as one space.
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    bool space = false;
    for (const char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = true;
            continue;
        }
        if (space) {
            hash = (hash ^ ' ') * 0x100000001b3ULL;
            space = false;
        }
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", hash);
}

void complete_findings(const Workload& workload, std::vector<Finding>& findings) {
    std::unordered_map<std::string, std::string> by_text;
    for (Finding& finding : findings) {
        if (finding.query && finding.fingerprint.empty()) {
            auto [it, inserted] = by_text.try_emplace(finding.query->text);
            if (inserted) it->second = statement_fingerprint(finding.query->text);
            finding.fingerprint = it->second;
        }
        if (finding.object && finding.object->partition_of.empty()) {
            ObjectRef& object = *finding.object;
            const std::string& table = object.table.empty() ? object.name : object.table;
            if (object.kind == "table" || object.kind == "index" || object.kind == "foreign key") {
                if (const CatalogTable* found = workload.find_table(object.schema, table))
                    object.partition_of = found->partition_root;
            }
        }
    }
}

AnalyzeResult analyze(const Workload& workload, Planner* planner, const AnalyzeOptions& options) {
    AnalyzeResult result;
    const Schema schema = schema_from_catalog(workload);
    const std::int64_t limit = track_activity_query_size(workload);

    std::vector<ParsedWorkloadStatement> parsed;
    parsed.reserve(workload.statements.size()); // no doubling of 20,000 parse trees on growth
    std::int64_t utility = 0;
    std::int64_t unparsable_count = 0;
    std::map<std::string, std::string> not_analyzed;
    for (const WorkloadStatement& statement : workload.statements) {
        ParsedWorkloadStatement entry{&statement, sqlparse::parse_statement(statement.text)};
        if (entry.parsed.error || !entry.parsed.statement) {
            ++unparsable_count;
            not_analyzed[statement.queryid] = statement.truncated ? "its text was cut at track_activity_query_size"
                                                                  : "its text does not parse";
            if (entry.parsed.error)
                result.findings.push_back(unparsable(statement, *entry.parsed.error, limit));
            continue;
        }
        // BEGIN, SET, VACUUM, ...: nothing to index or rewrite.
        if (entry.parsed.statement->kind == sqlparse::StatementKind::utility) {
            ++utility;
            continue;
        }
        lint_statement(entry, schema, result.findings);
        parsed.push_back(std::move(entry));
    }

    // Statements on a locked table stay out of planning: PREPARE would wait for the lock. The
    // parse trees are copied only when some are left out (a copy of every statement's tree
    // was a third of the peak memory of a 20,000-statement analysis).
    std::vector<ParsedWorkloadStatement> unlocked;
    std::vector<bool> is_locked(parsed.size(), false);
    std::map<std::string, std::pair<int, double>> locked_statements; // schema.table -> count, total ms
    for (std::size_t i = 0; i < parsed.size(); ++i) {
        const ParsedWorkloadStatement& entry = parsed[i];
        if (const RelationLock* lock = locked_table(workload, entry.parsed.statement->query)) {
            auto& [count, ms] = locked_statements[lock->schema + "." + lock->table];
            ++count;
            ms += entry.source->total_ms;
            is_locked[i] = true;
            not_analyzed[entry.source->queryid] =
                fmt::format("{}.{} is locked by another session ({}), so it was not planned", lock->schema,
                            lock->table, lock->mode);
        }
    }
    if (!locked_statements.empty()) {
        for (std::size_t i = 0; i < parsed.size(); ++i) {
            if (!is_locked[i]) unlocked.push_back(parsed[i]);
        }
    }
    const std::vector<ParsedWorkloadStatement>& plannable = locked_statements.empty() ? parsed : unlocked;
    std::set<std::string> reported;
    for (const RelationLock& lock : workload.locks) {
        const std::string table = lock.schema + "." + lock.table;
        if (reported.insert(table).second) {
            const auto& [count, ms] = locked_statements[table];
            result.findings.push_back(table_locked(lock, count, ms));
        }
    }

    AdvisorResult advice = advise_indexes(workload, plannable, planner, options);
    // The health checks tie a statement's reads to the index that removes them.
    const std::vector<Finding> recommendations = advice.findings;
    append(result.findings, std::move(advice.findings));
    for (ReportSection& section : advice.sections) result.sections.push_back(std::move(section));
    for (std::string& note : advice.notes) result.notes.push_back(std::move(note));
    result.partial = advice.partial;

    for (const auto& [queryid, outcome] : advice.outcomes) {
        if (outcome.status == StatementOutcome::Status::not_planned) {
            not_analyzed[queryid] = "the server could not plan it: " + outcome.reason;
        } else if (outcome.status == StatementOutcome::Status::not_reached) {
            not_analyzed[queryid] = outcome.reason;
        }
    }
    // Planning stopped (the connection was lost) before these were reached: nothing is known
    // about their indexes either.
    if (advice.partial) {
        for (const ParsedWorkloadStatement& entry : plannable) {
            if (!advice.outcomes.contains(entry.source->queryid))
                not_analyzed.try_emplace(entry.source->queryid, "planning stopped early, before it was reached");
        }
    }
    result.index_candidates = advice.candidate_list;
    result.index_selection_stopped_by = advice.stopped_by;

    OperationsResult operations = check_operations(workload, parsed, advice.plans);
    append(result.findings, std::move(operations.findings));
    for (std::string& note : operations.notes) result.notes.push_back(std::move(note));

    append(result.findings, check_existing_indexes(workload, advice.recommended));
    HealthResult health = check_health(workload, recommendations, not_analyzed);
    append(result.findings, std::move(health.findings));
    for (ReportSection& section : health.sections) result.sections.push_back(std::move(section));

    complete_findings(workload, result.findings);
    sort_by_rank(result.findings);
    for (const WorkloadStatement& statement : workload.statements) {
        result.workload_total_ms += statement.total_ms;
        StatementSummary& summary = result.statements.emplace_back(StatementSummary{
            query_ref(statement), statement.rows, statement.shared_blks_hit, statement.shared_blks_read});
        // What the index advisor made of it (nothing for BEGIN, SET, ...).
        if (const auto it = not_analyzed.find(statement.queryid); it != not_analyzed.end()) {
            summary.index_advice = {"not-analyzed", it->second};
        } else if (const auto outcome = advice.outcomes.find(statement.queryid); outcome != advice.outcomes.end()) {
            switch (outcome->second.status) {
            case StatementOutcome::Status::not_planned:
                summary.index_advice = {"not-analyzed", "the server could not plan it: " + outcome->second.reason};
                break;
            case StatementOutcome::Status::not_reached:
                summary.index_advice = {"not-analyzed", outcome->second.reason};
                break;
            case StatementOutcome::Status::no_candidate:
                summary.index_advice = {"no-candidate", outcome->second.reason};
                break;
            case StatementOutcome::Status::no_saving:
                summary.index_advice = {"no-saving", "candidates were costed; none saves enough"};
                break;
            case StatementOutcome::Status::helped:
                summary.index_advice = {"recommended", outcome->second.reason};
                break;
            }
        }
    }
    result.cache = cache_counters(workload);
    result.stats.emplace_back("statements", static_cast<std::int64_t>(workload.statements.size()));
    result.stats.emplace_back("statements_analyzed", static_cast<std::int64_t>(parsed.size()));
    result.stats.emplace_back("utility_statements", utility);
    result.stats.emplace_back("unparsable_statements", unparsable_count);
    result.stats.emplace_back("statements_planned", static_cast<std::int64_t>(advice.statements_planned));
    result.stats.emplace_back("statements_not_planned", static_cast<std::int64_t>(advice.statements_failed));
    result.stats.emplace_back("index_candidates", static_cast<std::int64_t>(advice.candidates));
    result.stats.emplace_back("recommendations_verified", advice.verified);
    result.stats.emplace_back("planner_calls",
                              static_cast<std::int64_t>(planner ? planner->planner_calls() : 0));
    result.stats.emplace_back(
        "hypothetical_indexes",
        static_cast<std::int64_t>(planner ? planner->hypothetical_indexes_created() : 0));
    return result;
}

} // namespace dbadvise::analyzer
