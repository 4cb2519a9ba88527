#include "analyzer/existing_indexes.hpp"

#include "analyzer/rule_registry.hpp"

#include "analyzer/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

namespace dbadvise::analyzer {

// Findings on indexes that exist.
//
// Rationale: every index costs writes (each INSERT, and each UPDATE that is not HOT, touches
// it), vacuum work and cache space. An index no plan uses, or that another index makes
// unnecessary, is pure cost; an invalid index (a failed CREATE INDEX CONCURRENTLY) is
// maintained on every write yet never read. A foreign key without an index on the
// referencing columns makes every DELETE or key UPDATE on the referenced table scan the
// referencing table, and joins along the key cannot use an index.
//
// PostgreSQL behaviour relied on: a btree index serves any query on a leading prefix of its
// keys, so an index whose keys are a prefix of another's (same predicate) is redundant unless
// it enforces uniqueness; idx_scan in pg_stat_user_indexes counts scans since the statistics
// were last reset; the referenced side of a foreign key always has a unique index.
//
// The cost of an unused or invalid index is put in writes: every row inserted and every update
// that is not HOT adds an entry to each index of the table, and every deleted row leaves one
// that vacuum must remove. pg_stat_user_tables counts them since the statistics were reset
// (n_tup_ins, n_tup_upd - n_tup_hot_upd, n_tup_del); their sum, times an assumed cost per
// index entry, ranks the finding, so that the index costing the most writes comes first.
//
// Known false positives: idx_scan counts only since the last statistics reset, and only on
// this server (a replica's reads are not counted here); an index used monthly looks unused
// after a recent reset. A prefix index is smaller, so a few queries may be a little faster
// with it. An unindexed foreign key is harmless when the referenced rows are never deleted
// or re-keyed and no query joins along the key.

namespace {

std::string qualified(std::string_view schema, std::string_view name) {
    return quote_identifier(schema) + "." + quote_identifier(name);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += separator;
        out += parts[i];
    }
    return out;
}

std::string describe_keys(const CatalogIndex& index) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < index.keys.size(); ++i) {
        const bool descending = i < index.descending.size() && index.descending[i];
        keys.push_back(index.keys[i] + (descending ? " DESC" : ""));
    }
    std::string text = "(" + join(keys, ", ") + ")";
    if (!index.include.empty()) text += " INCLUDE (" + join(index.include, ", ") + ")";
    if (!index.predicate.empty()) text += " WHERE " + index.predicate;
    return text;
}

std::string size_text(std::int64_t bytes) {
    if (bytes >= 1024LL * 1024 * 1024) return fmt::format("{:.1f} GB", bytes / (1024.0 * 1024 * 1024));
    if (bytes >= 1024LL * 1024) return fmt::format("{:.1f} MB", bytes / (1024.0 * 1024));
    return fmt::format("{} kB", bytes / 1024);
}

// Constraint-backed and unique indexes enforce something; dropping them changes behaviour.
bool enforces(const CatalogIndex& index) {
    return index.unique || index.primary || index.is_constraint;
}

bool same_shape(const CatalogIndex& a, const CatalogIndex& b) {
    return a.table_schema == b.table_schema && a.table == b.table && a.method == b.method &&
           a.keys == b.keys && a.descending == b.descending && a.include == b.include &&
           a.predicate == b.predicate;
}

// True when every key of `shorter` leads `longer` in order and direction.
bool is_key_prefix(const CatalogIndex& shorter, const CatalogIndex& longer) {
    if (shorter.keys.size() >= longer.keys.size()) return false;
    for (std::size_t i = 0; i < shorter.keys.size(); ++i) {
        if (shorter.keys[i] != longer.keys[i]) return false;
        const bool d1 = i < shorter.descending.size() && shorter.descending[i];
        const bool d2 = i < longer.descending.size() && longer.descending[i];
        if (d1 != d2) return false;
    }
    return true;
}

Finding index_finding(RuleId rule, const CatalogIndex& index, std::string title,
                      std::string message) {
    Finding finding(rule);
    finding.title = std::move(title);
    finding.message = std::move(message);
    finding.subject = index.schema + "." + index.name;
    finding.object = ObjectRef{"index", index.schema, index.name, index.table, {}};
    finding.evidence.emplace_back("index", index.schema + "." + index.name);
    finding.evidence.emplace_back("table", index.table_schema + "." + index.table);
    finding.evidence.emplace_back("definition", index.definition);
    finding.evidence.emplace_back("size_bytes", index.size_bytes);
    finding.evidence.emplace_back("idx_scan", index.idx_scan);
    finding.suggestion.sql = fmt::format("DROP INDEX CONCURRENTLY {};", qualified(index.schema, index.name));
    return finding;
}

// pg_get_indexdef() text turned into the CONCURRENTLY form, to rebuild an invalid index.
std::string concurrently(std::string definition) {
    for (const std::string_view head : {"CREATE UNIQUE INDEX ", "CREATE INDEX "}) {
        if (definition.starts_with(head)) {
            definition.insert(head.size(), "CONCURRENTLY ");
            break;
        }
    }
    return definition + ";";
}

// <table>_<col>_..._idx from plain column names, at most 63 bytes (NAMEDATALEN - 1).
std::string index_name(const ForeignKey& key) {
    const auto plain = [](std::string_view text) {
        std::string out;
        for (const char c : text) {
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '_')
                out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return out;
    };
    std::string name = plain(key.table);
    for (const std::string& column : key.columns) name += "_" + plain(column);
    if (name.size() > 59) name.resize(59);
    return name + "_idx";
}

bool supports_foreign_key(const CatalogIndex& index, const ForeignKey& key) {
    if (!index.valid || !index.predicate.empty()) return false;
    if (index.table_schema != key.table_schema || index.table != key.table) return false;
    if (index.method == "hash") return key.columns.size() == 1 && index.keys.size() == 1 && index.keys[0] == key.columns[0];
    if (index.method != "btree") return false;
    if (index.keys.size() < key.columns.size()) return false;
    // Equality on all key columns: their order among the leading keys does not matter.
    const std::set<std::string> leading(index.keys.begin(),
                                        index.keys.begin() + static_cast<long>(key.columns.size()));
    return leading == std::set<std::string>(key.columns.begin(), key.columns.end());
}

} // namespace

// True when the recommended index `spec` would support the foreign key: a plain btree whose
// leading keys are the key's columns, in any order (the FK check compares all of them), or a
// hash index on the one column of a single-column key (as supports_foreign_key).
bool recommendation_supports(const IndexSpec& spec, const ForeignKey& key) {
    if (spec.method == "hash") {
        return spec.table_schema == key.table_schema && spec.table == key.table && spec.predicate.empty() &&
               key.columns.size() == 1 && spec.keys.size() == 1 && spec.keys[0] == key.columns[0];
    }
    if (spec.table_schema != key.table_schema || spec.table != key.table || spec.method != "btree" ||
        !spec.predicate.empty() || spec.keys.size() < key.columns.size()) {
        return false;
    }
    std::set<std::string> leading;
    for (std::size_t i = 0; i < key.columns.size(); ++i) {
        std::string k = spec.keys[i];
        if (k.ends_with(" DESC")) k.resize(k.size() - 5);
        leading.insert(k);
    }
    return leading == std::set<std::string>(key.columns.begin(), key.columns.end());
}

namespace {

// The writes `index` had to follow since the statistics were reset, as evidence, in the message
// and in the rank; `useless` is how many indexes of its table are reported unused or invalid.
void add_write_cost(Finding& finding, const Workload& workload, const CatalogIndex& index, int useless) {
    const CatalogTable* table = workload.find_table(index.table_schema, index.table);
    if (table == nullptr) return;
    const std::int64_t non_hot = std::max<std::int64_t>(table->n_tup_upd - table->n_tup_hot_upd, 0);
    const std::int64_t writes = table->n_tup_ins + non_hot + table->n_tup_del;
    finding.evidence.emplace_back("table_inserts", table->n_tup_ins);
    finding.evidence.emplace_back("table_non_hot_updates", non_hot);
    finding.evidence.emplace_back("table_deletes", table->n_tup_del);
    finding.evidence.emplace_back("index_writes", writes);
    finding.evidence.emplace_back("unused_or_invalid_on_table", static_cast<std::int64_t>(useless));
    finding.rank = static_cast<double>(writes) * k_index_entry_write_ms;
    if (writes == 0) return;
    finding.message += fmt::format(
        " Since the statistics were reset {} rows were inserted, {} updated other than HOT and {} deleted on {}: "
        "{} index entries written or left for vacuum{}.",
        table->n_tup_ins, non_hot, table->n_tup_del, index.table, writes,
        useless > 1 ? fmt::format(", {} across the table's {} unused or invalid indexes", writes * useless, useless)
                    : std::string());
}

} // namespace

std::vector<Finding> check_existing_indexes(const Workload& workload, const std::vector<IndexSpec>& recommended) {
    std::vector<Finding> findings;
    // The unused and invalid indexes reported (positions in `findings`), for their write cost.
    std::vector<std::pair<std::size_t, const CatalogIndex*>> useless;
    const std::vector<CatalogIndex>& indexes = workload.indexes;
    std::set<std::size_t> reported_duplicate;

    for (std::size_t i = 0; i < indexes.size(); ++i) {
        const CatalogIndex& index = indexes[i];
        if (!index.valid) {
            Finding finding = index_finding(
                RuleId::invalid_index, index,
                fmt::format("Invalid index {} on {}", index.name, index.table),
                fmt::format("{} is marked invalid (a CREATE INDEX CONCURRENTLY or REINDEX that "
                            "failed or was cancelled): writes still maintain it but no query can "
                            "use it. Drop it and build it again.",
                            index.name));
            finding.suggestion.sql += "\n" + concurrently(index.definition);
            useless.emplace_back(findings.size(), &index);
            findings.push_back(std::move(finding));
            continue;
        }

        // Duplicate: another valid index with the same shape. Keep the one that enforces a
        // constraint, otherwise the first by name; report the rest once.
        for (std::size_t j = 0; j < indexes.size(); ++j) {
            if (j == i || !indexes[j].valid || !same_shape(index, indexes[j])) continue;
            const CatalogIndex& other = indexes[j];
            const bool keep_other = (enforces(other) && !enforces(index)) ||
                                    (enforces(other) == enforces(index) && j < i);
            if (!keep_other || enforces(index) || reported_duplicate.contains(i)) continue;
            reported_duplicate.insert(i);
            Finding finding = index_finding(
                RuleId::duplicate_index, index,
                fmt::format("Duplicate index {} on {}", index.name, index.table),
                fmt::format("{} has the same definition {} as {}; every write maintains both. "
                            "Drop {} ({}).",
                            index.name, describe_keys(index), other.name, index.name,
                            size_text(index.size_bytes)));
            finding.evidence.emplace_back("same_as", other.schema + "." + other.name);
            findings.push_back(std::move(finding));
        }
        if (reported_duplicate.contains(i)) continue;

        // Redundant: a btree whose keys lead a longer btree with the same predicate; its
        // INCLUDE columns must be in the longer one too, or index-only scans would be lost.
        // A redundant index is reported once, as redundant, also when it is unused.
        bool redundant = false;
        if (index.method == "btree" && !enforces(index)) {
            for (const CatalogIndex& other : indexes) {
                if (&other == &index || !other.valid || other.method != "btree" ||
                    other.table_schema != index.table_schema || other.table != index.table ||
                    other.predicate != index.predicate || !is_key_prefix(index, other))
                    continue;
                const bool covered = std::ranges::all_of(index.include, [&](const std::string& c) {
                    return std::ranges::find(other.keys, c) != other.keys.end() ||
                           std::ranges::find(other.include, c) != other.include.end();
                });
                if (!covered) continue;
                Finding finding = index_finding(
                    RuleId::redundant_index, index,
                    fmt::format("Redundant index {} on {}", index.name, index.table),
                    fmt::format("The keys of {} {} are a prefix of {} {}, which serves the same "
                                "queries. Drop {} ({}) to save its writes and cache space.",
                                index.name, describe_keys(index), other.name,
                                describe_keys(other), index.name, size_text(index.size_bytes)));
                finding.evidence.emplace_back("covered_by", other.schema + "." + other.name);
                if (index.idx_scan == 0 && !index.partitioned) {
                    finding.message += " It has not been scanned since the statistics were last reset either.";
                }
                findings.push_back(std::move(finding));
                redundant = true;
                break;
            }
        }

        // Unused: no scan since statistics were reset. Indexes that enforce a constraint are
        // needed even when never scanned; a partitioned table's index has no counters of its
        // own (its partitions' indexes do).
        if (index.idx_scan == 0 && !enforces(index) && !index.partitioned && !redundant) {
            Finding finding = index_finding(
                RuleId::unused_index, index,
                fmt::format("Unused index {} on {}", index.name, index.table),
                fmt::format("{} {} has not been scanned since the statistics were last reset, yet "
                            "every write maintains it. If no replica and no rare job needs it, "
                            "drop it ({}).",
                            index.name, describe_keys(index), size_text(index.size_bytes)));
            useless.emplace_back(findings.size(), &index);
            findings.push_back(std::move(finding));
        }
    }
    for (const auto& [at, index] : useless) {
        const auto on_table = std::ranges::count_if(useless, [&](const auto& other) {
            return other.second->table_schema == index->table_schema && other.second->table == index->table;
        });
        add_write_cost(findings[at], workload, *index, static_cast<int>(on_table));
    }

    for (const ForeignKey& key : workload.foreign_keys) {
        // A locked table's indexes were not read (workload_reader): no verdict on its keys.
        if (workload.lock_on(key.table_schema, key.table) != nullptr) continue;
        if (std::ranges::any_of(indexes, [&](const CatalogIndex& index) {
                return supports_foreign_key(index, key);
            }))
            continue;
        Finding finding(RuleId::unindexed_foreign_key);
        const std::string columns = join(key.columns, ", ");
        finding.title = fmt::format("Foreign key {} on {} ({}) has no index", key.name, key.table,
                                    columns);
        finding.message = fmt::format(
            "No valid index leads with {}.({}): each DELETE or key UPDATE on {} scans {} to check "
            "{}, and joins along the key cannot use an index.",
            key.table, columns, key.referenced_table, key.table, key.name);
        finding.subject = key.table_schema + "." + key.table + "(" + columns + ")";
        finding.object = ObjectRef{"foreign key", key.table_schema, key.name, key.table, {}};
        finding.evidence.emplace_back("constraint", key.name);
        finding.evidence.emplace_back("table", key.table_schema + "." + key.table);
        finding.evidence.emplace_back("columns", columns);
        finding.evidence.emplace_back("referenced_table",
                                      key.referenced_schema + "." + key.referenced_table);
        if (const CatalogTable* table = workload.find_table(key.table_schema, key.table)) {
            finding.evidence.emplace_back("table_size_bytes", table->size_bytes);
        }
        const auto served = std::ranges::find_if(recommended, [&](const IndexSpec& spec) {
            return recommendation_supports(spec, key);
        });
        if (served != recommended.end()) {
            // The advisor's own recommendation covers it: one index, proposed once.
            finding.message += fmt::format(" The recommended index {} {} serves it: create that one, no other "
                                           "index is needed for the key.",
                                           quote_identifier(served->default_name()), served->on_clause());
            finding.evidence.emplace_back("served_by_recommendation", served->on_clause());
        } else {
            finding.suggestion.sql =
                fmt::format("CREATE INDEX CONCURRENTLY {} ON {} ({});", quote_identifier(index_name(key)),
                            qualified(key.table_schema, key.table), columns);
        }
        findings.push_back(std::move(finding));
    }

    // Ordered by table, then index name (or constraint), then rule.
    const auto table_of = [](const Finding& finding) {
        for (const auto& [name, value] : finding.evidence) {
            if (name == "table") return std::get<std::string>(value);
        }
        return std::string();
    };
    std::ranges::stable_sort(findings, [&](const Finding& a, const Finding& b) {
        return std::tuple(table_of(a), a.subject, a.rule) < std::tuple(table_of(b), b.subject, b.rule);
    });
    return findings;
}

} // namespace dbadvise::analyzer
