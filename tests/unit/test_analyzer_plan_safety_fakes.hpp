// A fake catalog for the side-effect check: every name resolves to harmless built-in objects
// unless a test says otherwise.
#pragma once

#include "analyzer/plan_safety.hpp"

#include <string>
#include <vector>

namespace dbadvise::test {

class FakeSafetyCatalog {
public:
    /// Adds a function and returns its oid.
    analyzer::Oid function(const std::string& schema, const std::string& name, char volatility = 'i',
                           std::string language = "internal", bool builtin = true) {
        const analyzer::Oid oid = m_next++;
        analyzer::SafetyCatalog::Function& f = catalog.functions[oid];
        f.schema = schema;
        f.name = name;
        f.volatility = volatility;
        f.language = std::move(language);
        f.builtin = builtin;
        catalog.functions_by_name[name].push_back({schema, oid});
        return oid;
    }
    analyzer::Oid relation(const std::string& schema, const std::string& name, char kind = 'r') {
        const analyzer::Oid oid = m_next++;
        analyzer::SafetyCatalog::Relation& r = catalog.relations[oid];
        r.schema = schema;
        r.name = name;
        r.kind = kind;
        catalog.relations_by_name[name].push_back({schema, oid});
        return oid;
    }
    /// Every name of `questions` not known yet resolves to an immutable built-in function (for
    /// functions, operators and types) or a plain table.
    analyzer::SafetyCatalog answer(const analyzer::SafetyQuestions& questions) {
        for (const std::string& name : questions.functions) {
            if (!catalog.functions_by_name.contains(name)) function("pg_catalog", name);
        }
        for (const std::string& name : questions.operators) {
            if (!catalog.operators.contains(name)) {
                const analyzer::Oid oid = m_next++;
                catalog.functions[oid] = {"pg_catalog", "op_" + name, 'i', 'f', "internal", true, {}, {}, {}};
                catalog.operators[name].push_back({"pg_catalog", oid});
            }
        }
        for (const std::string& name : questions.types) {
            if (!catalog.types.contains(name)) catalog.types[name] = {};
        }
        for (const std::string& name : questions.relations) {
            if (!catalog.relations_by_name.contains(name)) relation("public", name);
        }
        return catalog;
    }

    analyzer::SafetyCatalog catalog;

private:
    analyzer::Oid m_next = 20000;
};

} // namespace dbadvise::test
