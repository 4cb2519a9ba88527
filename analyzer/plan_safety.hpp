// Is a statement of the workload safe to execute under EXPLAIN ANALYZE (--analyze-plans)?
//
// A READ ONLY transaction that is rolled back stops writes to tables, but not what functions
// do on their own: pg_terminate_backend() kills a session, pg_stat_statements_reset() wipes
// statistics, dblink_exec() commits on another connection, pg_advisory_lock() and FOR UPDATE
// block other sessions, nextval() moves a sequence, lo_import() and pg_read_file() touch
// files, set_config() and pg_notify() reach other sessions or this one. So a statement runs
// only when it is proven harmless: a single SELECT without row locks, INTO or data-modifying
// WITH, and every function it can reach is immutable or stable (pg_proc.provolatile) and not
// on the deny list below. "Reach" covers the functions it names, the functions behind the
// operators it uses (including the comparisons sorting and grouping imply), behind the casts
// and typed literals it writes (cast functions, input functions, domain checks), the
// aggregates' support functions, the functions the views it reads call (their rules, in
// turn), the row-level security policies of the tables it reads, functions it could call in
// attribute notation (`t.f`), and what user-defined SQL and PL/pgSQL functions call in their
// bodies (by name, over-approximated). Whatever cannot be resolved, or is written in another
// language, counts as unsafe.
//
// Unqualified names are resolved in every schema, because the application's search_path is
// unknown: an overload anywhere that is volatile makes the name unsafe. This is conservative
// by design; the finding names what was found.
#pragma once

#include "analyzer/workload.hpp"
#include "sqlparse/call_inventory.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dbadvise::analyzer {

using Oid = std::uint32_t;

/// The names a set of statements needs resolved, for db/ to look up.
struct SafetyQuestions {
    std::set<std::string> functions; // function names (schemas are checked against the answers)
    std::set<std::string> operators;
    std::set<std::string> types;
    std::set<std::string> relations;
    std::set<std::string> attributes; // functions callable in attribute notation
};

/// Adds what `inventory` needs to `questions`.
void add_questions(const sqlparse::CallInventory& inventory, SafetyQuestions& questions);

/// What the server's catalog says about the objects a statement may reach, with the edges
/// between them. Filled by db/plan_safety.cpp; plain data.
struct SafetyCatalog {
    struct Function {
        std::string schema;
        std::string name;
        char volatility = 'v'; // provolatile: i, s, v
        char kind = 'f';       // prokind: f, a, w, p
        std::string language;  // internal, c, sql, plpgsql, ...
        bool builtin = false;  // created by initdb (oid below 16384)
        /// Why the body cannot be checked by the names it holds: it runs dynamic SQL (EXECUTE)
        /// or writes names with Unicode escapes. Empty when it can.
        std::string unchecked_body;
        std::vector<Oid> calls;   // functions it calls: support functions, body references
        std::vector<Oid> reads;   // relations its body reads
    };
    struct Relation {
        std::string schema;
        std::string name;
        char kind = 'r';          // relkind
        bool row_security = false;
        std::vector<Oid> calls;   // functions its view rule or RLS policies call
        std::vector<Oid> reads;   // relations its view rule or policies read
    };
    struct Named {
        std::string schema;
        Oid oid = 0;
    };
    std::map<Oid, Function> functions;
    std::map<Oid, Relation> relations;
    std::map<std::string, std::vector<Named>> functions_by_name;  // every schema
    std::map<std::string, std::vector<Named>> operators;          // operator name -> its functions
    std::map<std::string, std::vector<Named>> types;              // type name -> functions a cast to it runs
    std::map<std::string, std::vector<Named>> relations_by_name;  // every schema
    std::map<std::string, std::vector<Named>> attribute_functions; // f(composite) by name
    /// A function that can run without a statement or function body naming it: a domain's
    /// CHECK constraint (a cast, a parameter or variable of the domain type, a composite
    /// column), a user-defined cast or operator (inside function bodies, which are checked by
    /// the names they hold), an operator class's support function, a user type's input
    /// function. One that is not safe makes every statement unsafe.
    struct Implicit {
        std::string what; // "the CHECK constraint of domain public.d", "operator public.===", ...
        Oid oid = 0;
    };
    std::vector<Implicit> implicit_functions;
    bool complete = true; // false when the lookup stopped at its size limit
};

struct SafetyVerdict {
    bool safe = false;
    std::string reason; // when unsafe: what was found, e.g. "calls pg_terminate_backend(), which signals other sessions"
};

/// What a statement is judged for.
enum class SafetyUse {
    /// EXPLAIN ANALYZE executes it (--analyze-plans): everything it reaches must be harmless.
    execute,
    /// EXPLAIN plans it, and the planner runs the immutable and stable functions it can fold
    /// (calls with constant arguments, also inside views and inlined SQL functions, and stable
    /// ones to estimate selectivity), never a volatile one: every immutable or stable function
    /// it reaches must be harmless, with everything that function calls. The statement may be
    /// of any kind, but must be one statement.
    plan,
};

/// Judges one statement. Pure.
SafetyVerdict judge_statement(const sqlparse::CallInventory& inventory, const SafetyCatalog& catalog,
                              SafetyUse use = SafetyUse::execute);

/// What judging every statement of `workload` for planning needs looked up.
SafetyQuestions planning_questions(const Workload& workload);

/// The statements of `workload` that planning would make run something harmful (a function
/// declared IMMUTABLE or STABLE with side effects), by queryid, with the reason. Pure.
std::map<std::string, std::string> unsafe_to_plan(const Workload& workload, const SafetyCatalog& catalog);

/// Why `name` is refused whatever its declared volatility (admin, signalling, dblink,
/// sequence, advisory lock, large object, file, SQL-executing functions, ...); nullopt when it
/// is not on the deny list.
std::optional<std::string> denied_function(std::string_view name);

} // namespace dbadvise::analyzer
