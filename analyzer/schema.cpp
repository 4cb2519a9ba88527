#include "analyzer/schema.hpp"

#include <algorithm>

namespace dbadvise::analyzer {

void Schema::add_table(TableInfo table) {
    if (table.schema.empty()) {
        table.schema = "public";
    }
    auto same = [&](const TableInfo& t) { return t.schema == table.schema && t.name == table.name; };
    if (auto it = std::find_if(m_tables.begin(), m_tables.end(), same); it != m_tables.end()) {
        *it = std::move(table);
    } else {
        m_tables.push_back(std::move(table));
    }
}

void Schema::add_statements(const std::vector<sqlparse::ParsedStatement>& statements) {
    for (const sqlparse::ParsedStatement& parsed : statements) {
        if (!parsed.statement || parsed.statement->kind != sqlparse::StatementKind::create_table) {
            continue;
        }
        const sqlparse::Statement& s = *parsed.statement;
        add_table(TableInfo{s.table_schema, s.table_name, s.columns});
    }
}

const TableInfo* Schema::find(std::string_view schema, std::string_view name) const {
    const TableInfo* any = nullptr;
    for (const TableInfo& t : m_tables) {
        if (t.name != name) {
            continue;
        }
        if (!schema.empty()) {
            if (t.schema == schema) {
                return &t;
            }
            continue;
        }
        if (t.schema == "public") {
            return &t;
        }
        if (!any) {
            any = &t;
        }
    }
    return any;
}

} // namespace dbadvise::analyzer
