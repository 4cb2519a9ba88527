// judge_statement(): the side-effect check for --analyze-plans (see plan_safety.hpp).
//
// The deny list holds functions whose harm a volatility label does not capture: several are
// declared STABLE (txid_current() assigns a transaction id, table_to_xml() runs a query) or
// could be wrapped by a user's function that is declared STABLE. The small allow list holds
// volatile built-in functions that only produce values (random(), clock_timestamp()):
// refusing `ORDER BY random()` would help nobody.
#include "analyzer/plan_safety.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace dbadvise::analyzer {

namespace {

struct Denied {
    std::string_view name; // exact name, or a prefix when it ends with '*'
    std::string_view why;
};

constexpr std::array k_denied = {
    Denied{"pg_terminate_backend", "signals another session"},
    Denied{"pg_cancel_backend", "signals another session"},
    Denied{"pg_reload_conf", "reloads the server configuration"},
    Denied{"pg_rotate_logfile*", "rotates the server log"},
    Denied{"pg_promote", "promotes a standby"},
    Denied{"pg_switch_wal", "switches the WAL file"},
    Denied{"pg_switch_xlog", "switches the WAL file"},
    Denied{"pg_create_restore_point", "writes a WAL restore point"},
    Denied{"pg_start_backup", "starts a backup"},
    Denied{"pg_stop_backup", "stops a backup"},
    Denied{"pg_backup_start", "starts a backup"},
    Denied{"pg_backup_stop", "stops a backup"},
    Denied{"pg_wal_replay_*", "pauses or resumes WAL replay"},
    Denied{"pg_log_backend_memory_contexts", "signals another session"},
    Denied{"pg_notify", "sends a notification to other sessions"},
    Denied{"set_config", "changes a setting of the session"},
    Denied{"setseed", "changes the session's random seed"},
    Denied{"pg_sleep*", "sleeps"},
    Denied{"pg_stat_reset*", "resets statistics"},
    Denied{"pg_stat_statements_reset", "resets pg_stat_statements"},
    Denied{"pg_stat_clear_snapshot", "discards the statistics snapshot"},
    Denied{"pg_qualstats_reset", "resets statistics"},
    Denied{"nextval", "advances a sequence"},
    Denied{"setval", "sets a sequence"},
    Denied{"txid_current", "assigns a transaction id"},
    Denied{"pg_current_xact_id", "assigns a transaction id"},
    Denied{"pg_advisory_*", "takes or releases an advisory lock"},
    Denied{"pg_try_advisory_*", "takes an advisory lock"},
    Denied{"lo_*", "works on large objects"},
    Denied{"loread", "reads a large object"},
    Denied{"lowrite", "writes a large object"},
    Denied{"pg_read_file", "reads a server file"},
    Denied{"pg_read_binary_file", "reads a server file"},
    Denied{"pg_stat_file", "reads server file metadata"},
    Denied{"pg_ls_*", "lists server directories"},
    Denied{"pg_file_*", "writes server files"},
    Denied{"pg_logdir_ls", "lists server directories"},
    Denied{"pg_current_logfile", "reads server file names"},
    Denied{"pg_create_physical_replication_slot", "creates a replication slot"},
    Denied{"pg_create_logical_replication_slot", "creates a replication slot"},
    Denied{"pg_drop_replication_slot", "drops a replication slot"},
    Denied{"pg_copy_*_replication_slot", "creates a replication slot"},
    Denied{"pg_logical_*", "decodes or emits logical replication data"},
    Denied{"pg_replication_slot_advance", "advances a replication slot"},
    Denied{"pg_replication_origin_*", "changes replication origins"},
    Denied{"pg_import_system_collations", "creates collations"},
    Denied{"pg_export_snapshot", "exports a snapshot"},
    Denied{"query_to_xml*", "runs an SQL string"},
    Denied{"query_to_xmlschema", "runs an SQL string"},
    Denied{"cursor_to_xml*", "reads a cursor"},
    Denied{"table_to_xml*", "runs a query over a whole table"},
    Denied{"schema_to_xml*", "runs queries over a whole schema"},
    Denied{"database_to_xml*", "runs queries over the whole database"},
    Denied{"dblink*", "runs SQL on another connection"},
    Denied{"pg_prewarm", "loads a relation into the cache"},
    Denied{"autoprewarm_*", "starts a background worker"},
    Denied{"hypopg*", "changes dbadvise's hypothetical indexes"},
};

// Volatile built-in functions that only compute a value.
constexpr std::array<std::string_view, 5> k_harmless_volatile = {
    "random", "clock_timestamp", "timeofday", "gen_random_uuid", "random_normal"};

bool matches(std::string_view pattern, std::string_view name) {
    if (const auto star = pattern.find('*'); star != std::string_view::npos) {
        return name.size() >= pattern.size() - 1 && name.starts_with(pattern.substr(0, star)) &&
               name.ends_with(pattern.substr(star + 1));
    }
    return pattern == name;
}

std::string_view volatility_word(char v) {
    switch (v) {
    case 'i': return "immutable";
    case 's': return "stable";
    default: return "volatile";
    }
}

class Judge {
public:
    Judge(const SafetyCatalog& catalog, SafetyUse use) : m_catalog(catalog), m_use(use) {}

    // Why reaching `oid` from the statement itself (not from inside a function) is unsafe. For
    // planning, a volatile function, an aggregate or a window function is never run.
    std::optional<std::string> reached(Oid oid) {
        if (m_use == SafetyUse::plan) {
            const auto it = m_catalog.functions.find(oid);
            if (it != m_catalog.functions.end() &&
                (it->second.volatility == 'v' || it->second.kind == 'a' || it->second.kind == 'w')) {
                return std::nullopt;
            }
        }
        return function(oid);
    }

    // Why reading relation `oid` from the statement itself is unsafe. For planning, a view's
    // functions count as the statement's own (the planner inlines the view), and a foreign
    // table is only asked for estimates.
    std::optional<std::string> reached_relation(Oid oid) {
        if (m_use == SafetyUse::execute) {
            return relation(oid);
        }
        if (!m_planned_relations.insert(oid).second) {
            return std::nullopt;
        }
        const auto it = m_catalog.relations.find(oid);
        if (it == m_catalog.relations.end()) {
            return fmt::format("relation oid {}, which the catalog lookup did not return", oid);
        }
        const SafetyCatalog::Relation& r = it->second;
        const std::string name = r.schema + "." + r.name;
        for (const Oid call : r.calls) {
            if (auto inner = reached(call)) {
                return fmt::format("{} {}, whose {} calls {}", r.kind == 'v' ? "view" : "table", name,
                                   r.kind == 'v' ? "definition" : "row-level security policy", *inner);
            }
        }
        for (const Oid read : r.reads) {
            if (auto inner = reached_relation(read)) {
                return fmt::format("{} {}, which reads {}", r.kind == 'v' ? "view" : "table", name, *inner);
            }
        }
        return std::nullopt;
    }

    // Why calling `oid` is unsafe (following what it calls and reads); nullopt when safe.
    std::optional<std::string> function(Oid oid, int depth = 0) {
        if (const auto seen = m_functions.find(oid); seen != m_functions.end()) {
            return seen->second;
        }
        m_functions[oid] = std::nullopt; // cycles (recursive functions) are judged by their other parts
        const auto it = m_catalog.functions.find(oid);
        std::optional<std::string> why;
        if (it == m_catalog.functions.end()) {
            why = fmt::format("reaches function oid {}, which the catalog lookup did not return", oid);
        } else {
            why = own(it->second);
            for (std::size_t i = 0; !why && i < it->second.calls.size(); ++i) {
                if (auto inner = function(it->second.calls[i], depth + 1)) {
                    why = fmt::format("{} calls {}", display(it->second), *inner);
                }
            }
            for (std::size_t i = 0; !why && i < it->second.reads.size(); ++i) {
                if (auto inner = relation(it->second.reads[i], depth + 1)) {
                    why = fmt::format("{} reads {}", display(it->second), *inner);
                }
            }
        }
        m_functions[oid] = why;
        return why;
    }

    std::optional<std::string> relation(Oid oid, int depth = 0) {
        if (const auto seen = m_relations.find(oid); seen != m_relations.end()) {
            return seen->second;
        }
        m_relations[oid] = std::nullopt;
        const auto it = m_catalog.relations.find(oid);
        std::optional<std::string> why;
        if (it == m_catalog.relations.end()) {
            why = fmt::format("relation oid {}, which the catalog lookup did not return", oid);
        } else {
            const SafetyCatalog::Relation& r = it->second;
            const std::string name = r.schema + "." + r.name;
            if (r.kind == 'f') {
                why = fmt::format("foreign table {} (reading it runs a query on another server)", name);
            }
            for (std::size_t i = 0; !why && i < r.calls.size(); ++i) {
                if (auto inner = function(r.calls[i], depth + 1)) {
                    why = fmt::format("{} {}, whose {} calls {}", r.kind == 'v' ? "view" : "table", name,
                                      r.kind == 'v' ? "definition" : "row-level security policy", *inner);
                }
            }
            for (std::size_t i = 0; !why && i < r.reads.size(); ++i) {
                if (r.reads[i] == oid) {
                    continue;
                }
                if (auto inner = relation(r.reads[i], depth + 1)) {
                    why = fmt::format("{} {}, which reads {}", r.kind == 'v' ? "view" : "table", name, *inner);
                }
            }
        }
        m_relations[oid] = why;
        return why;
    }

private:
    static std::string display(const SafetyCatalog::Function& f) {
        return fmt::format("{}.{}()", f.schema, f.name);
    }

    // What the function is by itself, without what it calls.
    static std::optional<std::string> own(const SafetyCatalog::Function& f) {
        if (auto denied = denied_function(f.name)) {
            return fmt::format("{}, which {}", display(f), *denied);
        }
        if (f.volatility != 'i' && f.volatility != 's') {
            const bool harmless = f.builtin && f.schema == "pg_catalog" &&
                                  std::find(k_harmless_volatile.begin(), k_harmless_volatile.end(), f.name) !=
                                      k_harmless_volatile.end();
            if (!harmless) {
                return fmt::format("{}, which is {}", display(f), volatility_word(f.volatility));
            }
        }
        if (f.kind == 'p') {
            return fmt::format("{}, which is a procedure", display(f));
        }
        if (!f.builtin) {
            static const std::array<std::string_view, 4> k_checked = {"sql", "plpgsql", "c", "internal"};
            if (std::find(k_checked.begin(), k_checked.end(), f.language) == k_checked.end()) {
                return fmt::format("{}, a {} function whose body dbadvise cannot check", display(f), f.language);
            }
            if (!f.unchecked_body.empty()) {
                return fmt::format("{}, which {}", display(f), f.unchecked_body);
            }
        }
        return std::nullopt;
    }

    const SafetyCatalog& m_catalog;
    SafetyUse m_use;
    std::set<Oid> m_planned_relations;
    std::map<Oid, std::optional<std::string>> m_functions;
    std::map<Oid, std::optional<std::string>> m_relations;
};

// The candidates of a name reference: those in its schema when qualified, else all.
std::vector<Oid> candidates(const std::map<std::string, std::vector<SafetyCatalog::Named>>& by_name,
                            const sqlparse::QualifiedName& name) {
    std::vector<Oid> out;
    if (const auto it = by_name.find(name.name); it != by_name.end()) {
        for (const SafetyCatalog::Named& named : it->second) {
            if (name.schema.empty() || named.schema == name.schema) {
                out.push_back(named.oid);
            }
        }
    }
    return out;
}

} // namespace

std::optional<std::string> denied_function(std::string_view name) {
    for (const Denied& denied : k_denied) {
        if (matches(denied.name, name)) {
            return std::string(denied.why);
        }
    }
    return std::nullopt;
}

void add_questions(const sqlparse::CallInventory& inventory, SafetyQuestions& questions) {
    for (const auto& f : inventory.functions) questions.functions.insert(f.name);
    for (const auto& o : inventory.operators) questions.operators.insert(o.name);
    for (const auto& t : inventory.types) questions.types.insert(t.name);
    for (const auto& r : inventory.relations) questions.relations.insert(r.name);
    for (const auto& a : inventory.attributes) questions.attributes.insert(a);
}

SafetyVerdict judge_statement(const sqlparse::CallInventory& inventory, const SafetyCatalog& catalog, SafetyUse use) {
    const auto unsafe = [](std::string reason) { return SafetyVerdict{false, std::move(reason)}; };
    const bool execute = use == SafetyUse::execute;
    if (!inventory.parsed) {
        return unsafe("it does not parse: " + inventory.error);
    }
    if (inventory.statements != 1) {
        return unsafe(fmt::format("the text holds {} statements", inventory.statements));
    }
    if (execute) {
        if (inventory.statement_type != "SelectStmt") {
            return unsafe("it is not a SELECT");
        }
        if (inventory.data_modifying) {
            return unsafe("it modifies data (INSERT, UPDATE, DELETE or MERGE in a WITH query)");
        }
        if (inventory.row_locks) {
            return unsafe("it takes row locks (FOR UPDATE/SHARE), which would block other sessions");
        }
        if (inventory.select_into) {
            return unsafe("it creates a table (SELECT INTO)");
        }
        if (!inventory.unknown_nodes.empty()) {
            return unsafe(fmt::format("it uses {}, which dbadvise does not check", *inventory.unknown_nodes.begin()));
        }
        if (!catalog.complete) {
            return unsafe("the catalog lookup stopped at its size limit before it covered this statement");
        }
    }
    Judge judge(catalog, use);
    for (const SafetyCatalog::Implicit& implicit : catalog.implicit_functions) {
        if (auto why = judge.reached(implicit.oid)) {
            return unsafe(fmt::format("it may run {} without naming it, which calls {}", implicit.what, *why));
        }
    }
    for (const sqlparse::QualifiedName& name : inventory.functions) {
        if (auto denied = denied_function(name.name); denied && execute) {
            return unsafe(fmt::format("it calls {}(), which {}", name.text(), *denied));
        }
        const std::vector<Oid> found = candidates(catalog.functions_by_name, name);
        if (found.empty() && execute) {
            return unsafe(fmt::format("it calls {}(), which is not in the catalog", name.text()));
        }
        for (const Oid oid : found) {
            if (auto why = judge.reached(oid)) {
                return unsafe(fmt::format("it calls {}(): {}", name.text(), *why));
            }
        }
    }
    for (const sqlparse::QualifiedName& name : inventory.operators) {
        const std::vector<Oid> found = candidates(catalog.operators, name);
        if (found.empty() && execute) {
            return unsafe(fmt::format("it uses operator {}, which is not in the catalog", name.text()));
        }
        for (const Oid oid : found) {
            if (auto why = judge.reached(oid)) {
                return unsafe(fmt::format("it uses operator {}, implemented by {}", name.text(), *why));
            }
        }
    }
    for (const sqlparse::QualifiedName& name : inventory.types) {
        if (!catalog.types.contains(name.name) && execute) {
            return unsafe(fmt::format("it casts to type {}, which is not in the catalog", name.text()));
        }
        for (const Oid oid : candidates(catalog.types, name)) {
            if (auto why = judge.reached(oid)) {
                return unsafe(fmt::format("it casts to {}, which runs {}", name.text(), *why));
            }
        }
    }
    for (const sqlparse::QualifiedName& name : inventory.relations) {
        const std::vector<Oid> found = candidates(catalog.relations_by_name, name);
        if (found.empty() && execute) {
            return unsafe(fmt::format("it reads {}, which is not in the catalog", name.text()));
        }
        for (const Oid oid : found) {
            if (auto why = judge.reached_relation(oid)) {
                return unsafe(fmt::format("it reads {}", *why));
            }
        }
    }
    for (const std::string& name : inventory.attributes) {
        if (const auto it = catalog.attribute_functions.find(name); it != catalog.attribute_functions.end()) {
            for (const SafetyCatalog::Named& named : it->second) {
                if (auto why = judge.reached(named.oid)) {
                    return unsafe(fmt::format("`.{}` may call {} (attribute notation)", name, *why));
                }
            }
        }
    }
    return SafetyVerdict{true, {}};
}

SafetyQuestions planning_questions(const Workload& workload) {
    SafetyQuestions questions;
    for (const WorkloadStatement& statement : workload.statements) {
        add_questions(sqlparse::call_inventory(statement.text), questions);
    }
    return questions;
}

std::map<std::string, std::string> unsafe_to_plan(const Workload& workload, const SafetyCatalog& catalog) {
    std::map<std::string, std::string> out;
    for (const WorkloadStatement& statement : workload.statements) {
        const sqlparse::CallInventory inventory = sqlparse::call_inventory(statement.text);
        // A text that does not parse is not planned anyway; the lint rules report it.
        if (!inventory.parsed) {
            continue;
        }
        if (SafetyVerdict verdict = judge_statement(inventory, catalog, SafetyUse::plan); !verdict.safe) {
            out.emplace(statement.queryid, std::move(verdict.reason));
        }
    }
    return out;
}

} // namespace dbadvise::analyzer
