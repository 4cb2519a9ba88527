#include "db/plan_safety.hpp"

#include "db/workload_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

namespace dbadvise::db {

namespace {

using analyzer::Oid;
using analyzer::SafetyCatalog;

// initdb's objects: below FirstNormalObjectId.
constexpr Oid k_first_normal_oid = 16384;

Oid oid_of(std::string_view text) {
    Oid oid = 0;
    std::from_chars(text.data(), text.data() + text.size(), oid);
    return oid;
}

std::string text_array(const std::set<std::string>& values) {
    return array_literal(std::vector<Param>(values.begin(), values.end()));
}

std::string oid_array(const std::set<Oid>& oids) {
    std::vector<Param> values;
    for (const Oid oid : oids) values.emplace_back(std::to_string(oid));
    return array_literal(values);
}

std::vector<Oid> oid_list(std::string_view literal) {
    std::vector<Oid> out;
    for (const std::string& item : parse_array_literal(literal)) {
        if (const Oid oid = oid_of(item); oid != 0) out.push_back(oid);
    }
    return out;
}

// Why a body cannot be judged by the names it holds; empty when it can. PL/pgSQL's EXECUTE
// (and SQL's, which runs a prepared statement) runs a string dbadvise cannot see.
std::string unchecked_body(const BodyNames& body) {
    if (body.names.contains("execute")) return "runs dynamic SQL (EXECUTE)";
    if (body.unicode_escapes) return "writes names with Unicode escapes (U&\"...\"), which dbadvise does not decode";
    return {};
}

class Reader {
public:
    Reader(Connection& connection, SafetyCatalog& catalog) : m_connection(connection), m_catalog(catalog) {}

    std::expected<void, DbError> seed(const analyzer::SafetyQuestions& questions) {
        if (auto done = named("SELECT p.oid, n.nspname, p.proname FROM pg_catalog.pg_proc p "
                              "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                              "WHERE p.proname = ANY($1::pg_catalog.text[])",
                              questions.functions, m_catalog.functions_by_name, false, "functions by name");
            !done)
            return done;
        if (auto done = named("SELECT p.oid, n.nspname, p.proname FROM pg_catalog.pg_proc p "
                              "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                              "JOIN pg_catalog.pg_type t ON t.oid = p.proargtypes[0] "
                              "WHERE p.proname = ANY($1::pg_catalog.text[]) AND p.pronargs = 1 AND t.typrelid <> 0",
                              questions.attributes, m_catalog.attribute_functions, false,
                              "functions in attribute notation");
            !done)
            return done;
        if (auto done = named("SELECT o.oprcode::pg_catalog.oid, n.nspname, o.oprname FROM pg_catalog.pg_operator o "
                              "JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace "
                              "WHERE o.oprname = ANY($1::pg_catalog.text[]) AND o.oprcode <> 0",
                              questions.operators, m_catalog.operators, false, "operators");
            !done)
            return done;
        if (!questions.types.empty()) {
            if (auto done = seed_types(questions.types); !done) return done;
        }
        if (auto done = named("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c "
                              "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE c.relname = ANY($1::pg_catalog.text[])",
                              questions.relations, m_catalog.relations_by_name, true, "relations by name");
            !done)
            return done;
        // Functions that run without being named where the statement names them (see
        // SafetyCatalog::Implicit): every function a domain's constraints call (built-in ones
        // too), and the user-defined functions behind casts, operators, operator classes and
        // type input.
        auto rows = query(
            "SELECT 'the CHECK constraint of domain ' || k.contypid::pg_catalog.regtype::pg_catalog.text, "
            "CASE WHEN d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass THEN o.oprcode::pg_catalog.oid "
            "ELSE d.refobjid END "
            "FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_depend d "
            "ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid "
            "AND d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, "
            "'pg_catalog.pg_operator'::pg_catalog.regclass) "
            "LEFT JOIN pg_catalog.pg_operator o ON o.oid = d.refobjid WHERE k.contypid <> 0 "
            "UNION SELECT 'the cast from ' || c.castsource::pg_catalog.regtype::pg_catalog.text || ' to ' || "
            "c.casttarget::pg_catalog.regtype::pg_catalog.text, c.castfunc::pg_catalog.oid FROM pg_catalog.pg_cast c "
            "WHERE c.castfunc::pg_catalog.oid >= $1::pg_catalog.oid "
            "UNION SELECT 'operator ' || o.oid::pg_catalog.regoperator::pg_catalog.text, o.oprcode::pg_catalog.oid "
            "FROM pg_catalog.pg_operator o WHERE o.oprcode::pg_catalog.oid >= $1::pg_catalog.oid "
            "UNION SELECT 'the operator class support function ' || a.amproc::pg_catalog.text, "
            "a.amproc::pg_catalog.oid FROM pg_catalog.pg_amproc a WHERE a.amproc::pg_catalog.oid >= $1::pg_catalog.oid "
            "UNION SELECT 'the input function of type ' || t.oid::pg_catalog.regtype::pg_catalog.text, f.f "
            "FROM pg_catalog.pg_type t, LATERAL (VALUES (t.typinput::pg_catalog.oid), (t.typreceive::pg_catalog.oid)) "
            "AS f(f) WHERE f.f >= $1::pg_catalog.oid",
            {std::to_string(k_first_normal_oid)}, "domain constraints, casts, operators and operator classes");
        if (!rows) return std::unexpected(rows.error());
        for (int row = 0; row < rows->rows(); ++row) {
            const Oid oid = oid_of(rows->text(row, 1));
            if (oid == 0) continue;
            m_catalog.implicit_functions.push_back({std::string(rows->text(row, 0)), oid});
            want_function(oid);
        }
        return {};
    }

    std::expected<void, DbError> close() {
        for (int round = 0; round < k_safety_rounds; ++round) {
            if (m_pending_functions.empty() && m_pending_relations.empty()) return {};
            if (m_catalog.functions.size() + m_catalog.relations.size() > k_safety_objects) break;
            std::set<Oid> functions;
            std::set<Oid> relations;
            functions.swap(m_pending_functions);
            relations.swap(m_pending_relations);
            if (!functions.empty()) {
                if (auto done = load_functions(functions); !done) return done;
            }
            if (!relations.empty()) {
                if (auto done = load_relations(relations); !done) return done;
            }
        }
        m_catalog.complete = m_pending_functions.empty() && m_pending_relations.empty();
        return {};
    }

private:
    std::expected<Result, DbError> query(std::string_view sql, const std::vector<Param>& params,
                                         std::string_view what) {
        return m_connection.query(sql, params, fmt::format("reading {} for the side-effect check", what));
    }

    // Runs `sql` (rows: oid, schema, name; $1: `names`) and files each row under its name in
    // `into`, the object to be loaded next.
    std::expected<void, DbError> named(std::string_view sql, const std::set<std::string>& names,
                                       std::map<std::string, std::vector<SafetyCatalog::Named>>& into, bool relations,
                                       std::string_view what) {
        if (names.empty()) return {};
        auto rows = query(sql, {text_array(names)}, what);
        if (!rows) return std::unexpected(rows.error());
        for (int row = 0; row < rows->rows(); ++row) {
            const Oid oid = oid_of(rows->text(row, 0));
            into[std::string(rows->text(row, 2))].push_back({std::string(rows->text(row, 1)), oid});
            relations ? want_relation(oid) : want_function(oid);
        }
        return {};
    }

    void want_function(Oid oid) {
        if (oid != 0 && !m_catalog.functions.contains(oid)) m_pending_functions.insert(oid);
    }
    void want_relation(Oid oid) {
        if (oid != 0 && !m_catalog.relations.contains(oid)) m_pending_relations.insert(oid);
    }

    // A cast to a type runs the type's input function (for literals), its typmod input, the
    // cast functions to it and, for a domain, the functions of its CHECK constraints and what
    // its base type runs.
    std::expected<void, DbError> seed_types(const std::set<std::string>& names) {
        auto rows = query("SELECT t.oid, n.nspname, t.typname, t.typinput::pg_catalog.oid AS input, "
                          "t.typmodin::pg_catalog.oid AS modin, t.typbasetype "
                          "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
                          "WHERE t.typname = ANY($1::pg_catalog.text[])",
                          {text_array(names)}, "types");
        if (!rows) return std::unexpected(rows.error());
        std::map<Oid, std::pair<std::string, std::string>> by_oid; // type -> (name, schema)
        std::map<Oid, Oid> base_of;
        for (int row = 0; row < rows->rows(); ++row) {
            const Oid oid = oid_of(rows->text(row, 0));
            const std::string schema(rows->text(row, 1));
            const std::string name(rows->text(row, 2));
            by_oid[oid] = {name, schema};
            auto& list = m_catalog.types[name];
            for (const Oid fn : {oid_of(rows->text(row, "input")), oid_of(rows->text(row, "modin"))}) {
                if (fn != 0) {
                    list.push_back({schema, fn});
                    want_function(fn);
                }
            }
            if (const Oid base = oid_of(rows->text(row, "typbasetype")); base != 0) base_of[oid] = base;
        }
        std::set<Oid> type_oids;
        for (const auto& [oid, named] : by_oid) type_oids.insert(oid);
        for (const auto& [domain, base] : base_of) type_oids.insert(base);
        auto casts = query("SELECT c.casttarget, c.castfunc::pg_catalog.oid FROM pg_catalog.pg_cast c "
                           "WHERE c.casttarget = ANY($1::pg_catalog.oid[]) AND c.castfunc <> 0 "
                           "UNION ALL SELECT k.contypid, d.refobjid FROM pg_catalog.pg_constraint k "
                           "JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass "
                           "AND d.objid = k.oid AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
                           "WHERE k.contypid = ANY($1::pg_catalog.oid[]) "
                           "UNION ALL SELECT t.oid, t.typinput::pg_catalog.oid FROM pg_catalog.pg_type t "
                           "WHERE t.oid = ANY($1::pg_catalog.oid[])",
                           {oid_array(type_oids)}, "casts and domain constraints");
        if (!casts) return std::unexpected(casts.error());
        for (int row = 0; row < casts->rows(); ++row) {
            const Oid target = oid_of(casts->text(row, 0));
            const Oid fn = oid_of(casts->text(row, 1));
            if (fn == 0) continue;
            // A function of a base type counts for the domains on it too.
            for (const auto& [oid, named] : by_oid) {
                const auto base = base_of.find(oid);
                if (oid == target || (base != base_of.end() && base->second == target)) {
                    m_catalog.types[named.first].push_back({named.second, fn});
                    want_function(fn);
                }
            }
        }
        return {};
    }

    std::expected<void, DbError> load_functions(const std::set<Oid>& oids) {
        const std::string list = oid_array(oids);
        auto rows = query(
            "SELECT p.oid, n.nspname, p.proname, p.provolatile, p.prokind, l.lanname, "
            "p.oid < $2::pg_catalog.oid AS builtin, "
            "CASE WHEN p.oid >= $2::pg_catalog.oid AND l.lanname IN ('sql', 'plpgsql') THEN p.prosrc END AS body, "
            "ARRAY(SELECT f FROM unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, "
            "a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn]::pg_catalog.oid[]) AS f "
            "WHERE f <> 0)::pg_catalog.text AS support "
            "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
            "JOIN pg_catalog.pg_language l ON l.oid = p.prolang "
            "LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid WHERE p.oid = ANY($1::pg_catalog.oid[])",
            {list, std::to_string(k_first_normal_oid)}, "functions");
        if (!rows) return std::unexpected(rows.error());
        std::set<std::string> body_words;
        std::map<std::string, std::vector<Oid>> word_users;
        for (int row = 0; row < rows->rows(); ++row) {
            const Oid oid = oid_of(rows->text(row, "oid"));
            SafetyCatalog::Function& f = m_catalog.functions[oid];
            f.schema = rows->text(row, "nspname");
            f.name = rows->text(row, "proname");
            f.volatility = rows->text(row, "provolatile").empty() ? 'v' : rows->text(row, "provolatile").front();
            f.kind = rows->text(row, "prokind").empty() ? 'f' : rows->text(row, "prokind").front();
            f.language = rows->text(row, "lanname");
            f.builtin = rows->boolean(row, "builtin");
            for (const Oid support : oid_list(rows->text(row, "support"))) {
                f.calls.push_back(support);
                want_function(support);
            }
            if (!rows->is_null(row, rows->column("body"))) {
                // What a SQL or PL/pgSQL body calls and reads, by name: every name in it that
                // names a function or a relation anywhere counts (over-approximated: a column
                // named like a function counts too). Operators, casts and domains it may use
                // are in SafetyCatalog::implicit_functions.
                BodyNames body = names_in_body(rows->text(row, "body"));
                f.unchecked_body = unchecked_body(body);
                for (const std::string& word : body.names) {
                    body_words.insert(word);
                    word_users[word].push_back(oid);
                }
            }
        }
        // Functions in `oids` that are not in pg_proc any more stay unknown (judged unsafe).
        auto deps = query(
            "SELECT d.objid, CASE WHEN d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'r' ELSE 'f' END "
            "AS kind, CASE WHEN d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass "
            "THEN o.oprcode::pg_catalog.oid ELSE d.refobjid END AS ref "
            "FROM pg_catalog.pg_depend d LEFT JOIN pg_catalog.pg_operator o ON o.oid = d.refobjid "
            "AND d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass "
            "WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = ANY($1::pg_catalog.oid[]) "
            "AND d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, "
            "'pg_catalog.pg_operator'::pg_catalog.regclass, 'pg_catalog.pg_class'::pg_catalog.regclass)",
            {list}, "function dependencies");
        if (!deps) return std::unexpected(deps.error());
        for (int row = 0; row < deps->rows(); ++row) {
            const Oid owner = oid_of(deps->text(row, 0));
            const Oid ref = oid_of(deps->text(row, "ref"));
            if (ref == 0 || ref == owner || !m_catalog.functions.contains(owner)) continue;
            if (deps->text(row, "kind") == "r") {
                m_catalog.functions[owner].reads.push_back(ref);
                want_relation(ref);
            } else {
                m_catalog.functions[owner].calls.push_back(ref);
                want_function(ref);
            }
        }
        if (!body_words.empty()) {
            auto named = query("SELECT p.oid, p.proname FROM pg_catalog.pg_proc p "
                               "WHERE p.proname = ANY($1::pg_catalog.text[])",
                               {text_array(body_words)}, "functions named in function bodies");
            if (!named) return std::unexpected(named.error());
            for (int row = 0; row < named->rows(); ++row) {
                const Oid oid = oid_of(named->text(row, 0));
                for (const Oid user : word_users[std::string(named->text(row, 1))]) {
                    if (user != oid) {
                        m_catalog.functions[user].calls.push_back(oid);
                        want_function(oid);
                    }
                }
            }
            // Relations it may read: a view calls what its definition calls, a table's
            // row-level security policies what they call, a foreign table another server.
            auto relations = query("SELECT c.oid, c.relname FROM pg_catalog.pg_class c "
                                   "WHERE c.relname = ANY($1::pg_catalog.text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
                                   {text_array(body_words)}, "relations named in function bodies");
            if (!relations) return std::unexpected(relations.error());
            for (int row = 0; row < relations->rows(); ++row) {
                const Oid oid = oid_of(relations->text(row, 0));
                for (const Oid user : word_users[std::string(relations->text(row, 1))]) {
                    m_catalog.functions[user].reads.push_back(oid);
                    want_relation(oid);
                }
            }
        }
        return {};
    }

    std::expected<void, DbError> load_relations(const std::set<Oid>& oids) {
        const std::string list = oid_array(oids);
        auto rows = query("SELECT c.oid, n.nspname, c.relname, c.relkind::pg_catalog.text AS relkind, c.relrowsecurity "
                          "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE c.oid = ANY($1::pg_catalog.oid[])",
                          {list}, "relations");
        if (!rows) return std::unexpected(rows.error());
        for (int row = 0; row < rows->rows(); ++row) {
            SafetyCatalog::Relation& r = m_catalog.relations[oid_of(rows->text(row, 0))];
            r.schema = rows->text(row, 1);
            r.name = rows->text(row, 2);
            r.kind = rows->text(row, "relkind").empty() ? 'r' : rows->text(row, "relkind").front();
            r.row_security = rows->boolean(row, "relrowsecurity");
        }
        // What a view's SELECT rule and a table's SELECT policies refer to.
        auto deps = query(
            "SELECT s.owner, CASE WHEN d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'r' ELSE 'f' END "
            "AS kind, CASE WHEN d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass "
            "THEN o.oprcode::pg_catalog.oid ELSE d.refobjid END AS ref "
            "FROM (SELECT r.ev_class AS owner, 'pg_catalog.pg_rewrite'::pg_catalog.regclass AS classid, r.oid AS objid "
            "FROM pg_catalog.pg_rewrite r WHERE r.ev_class = ANY($1::pg_catalog.oid[]) AND r.ev_type = '1' "
            "UNION ALL SELECT p.polrelid, 'pg_catalog.pg_policy'::pg_catalog.regclass, p.oid FROM pg_catalog.pg_policy p "
            "WHERE p.polrelid = ANY($1::pg_catalog.oid[]) AND p.polcmd IN ('r', '*')) AS s "
            "JOIN pg_catalog.pg_depend d ON d.classid = s.classid AND d.objid = s.objid "
            "LEFT JOIN pg_catalog.pg_operator o ON o.oid = d.refobjid "
            "AND d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass "
            "WHERE d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, "
            "'pg_catalog.pg_operator'::pg_catalog.regclass, 'pg_catalog.pg_class'::pg_catalog.regclass)",
            {list}, "view definitions and row-level security policies");
        if (!deps) return std::unexpected(deps.error());
        for (int row = 0; row < deps->rows(); ++row) {
            const Oid owner = oid_of(deps->text(row, 0));
            const Oid ref = oid_of(deps->text(row, "ref"));
            if (ref == 0 || ref == owner || !m_catalog.relations.contains(owner)) continue;
            SafetyCatalog::Relation& r = m_catalog.relations[owner];
            if (deps->text(row, "kind") == "r") {
                if (std::find(r.reads.begin(), r.reads.end(), ref) == r.reads.end()) r.reads.push_back(ref);
                want_relation(ref);
            } else {
                if (std::find(r.calls.begin(), r.calls.end(), ref) == r.calls.end()) r.calls.push_back(ref);
                want_function(ref);
            }
        }
        return {};
    }

    Connection& m_connection;
    SafetyCatalog& m_catalog;
    std::set<Oid> m_pending_functions;
    std::set<Oid> m_pending_relations;
};

} // namespace

BodyNames names_in_body(std::string_view body) {
    BodyNames out;
    const auto word_start = [](unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; };
    const auto word_char = [&](unsigned char c) { return word_start(c) || std::isdigit(c) || c == '$'; };
    for (std::size_t i = 0; i < body.size();) {
        const auto c = static_cast<unsigned char>(body[i]);
        if (c == '"') {
            // The quoted name as written; the scan goes on inside it, so that a quote that is
            // really inside a string or comment hides nothing.
            std::string name;
            for (std::size_t j = i + 1; j < body.size(); ++j) {
                if (body[j] == '"') {
                    if (j + 1 < body.size() && body[j + 1] == '"') {
                        name += '"';
                        ++j;
                        continue;
                    }
                    break;
                }
                name += body[j];
            }
            if (!name.empty()) out.names.insert(std::move(name));
            if (i >= 2 && body[i - 1] == '&' && (body[i - 2] == 'u' || body[i - 2] == 'U')) out.unicode_escapes = true;
            ++i;
        } else if (word_start(c)) {
            std::string word;
            while (i < body.size() && word_char(static_cast<unsigned char>(body[i]))) {
                word += static_cast<char>(std::tolower(static_cast<unsigned char>(body[i++])));
            }
            out.names.insert(std::move(word));
        } else {
            ++i;
        }
    }
    return out;
}

std::expected<analyzer::SafetyCatalog, DbError> read_safety_catalog(Connection& connection,
                                                                    const analyzer::SafetyQuestions& questions) {
    analyzer::SafetyCatalog catalog;
    if (auto begun = connection.execute(fmt::format("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY{}{}",
                                                    k_next_statement, k_catalog_search_path),
                                        "starting a read-only transaction");
        !begun)
        return std::unexpected(begun.error());
    Reader reader(connection, catalog);
    auto done = reader.seed(questions);
    if (done) done = reader.close();
    if (!done) {
        if (connection.alive()) (void)connection.execute("ROLLBACK", "ending the read-only transaction");
        return std::unexpected(done.error());
    }
    if (auto ended = connection.execute("COMMIT", "ending the read-only transaction"); !ended)
        return std::unexpected(ended.error());
    return catalog;
}

} // namespace dbadvise::db
