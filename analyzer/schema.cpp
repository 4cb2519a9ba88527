#include "analyzer/schema.hpp"

#include <algorithm>

namespace dbadvise::analyzer {

void Schema::add_table(TableInfo table) {
    if (table.schema.empty()) {
        table.schema = "public";
        table.schema_assumed = true;
    }
    auto same = [&](const TableInfo& t) { return t.schema == table.schema && t.name == table.name; };
    if (auto it = std::find_if(m_tables.begin(), m_tables.end(), same); it != m_tables.end()) {
        *it = std::move(table);
    } else {
        m_tables.push_back(std::move(table));
    }
}

const sqlparse::ColumnDefinition* TableInfo::column(std::string_view column_name) const {
    for (const sqlparse::ColumnDefinition& c : columns) {
        if (c.name == column_name) {
            return &c;
        }
    }
    return nullptr;
}

const std::vector<std::string>* TableInfo::row_key() const {
    for (const std::vector<std::string>& key : unique_keys) {
        if (std::all_of(key.begin(), key.end(), [&](const std::string& key_column) {
                const sqlparse::ColumnDefinition* c = column(key_column);
                return c != nullptr && c->not_null;
            })) {
            return &key;
        }
    }
    return nullptr;
}

namespace {

void add_key(TableInfo& table, const sqlparse::KeyDefinition& key) {
    if (key.primary) {
        for (sqlparse::ColumnDefinition& c : table.columns) {
            if (std::find(key.columns.begin(), key.columns.end(), c.name) != key.columns.end()) {
                c.not_null = true;
            }
        }
        // The primary key first: it is the key people expect to see named.
        table.unique_keys.insert(table.unique_keys.begin(), key.columns);
    } else {
        table.unique_keys.push_back(key.columns);
    }
}

} // namespace

void Schema::add_statements(const std::vector<sqlparse::ParsedStatement>& statements) {
    for (const sqlparse::ParsedStatement& parsed : statements) {
        if (!parsed.statement) {
            continue;
        }
        const sqlparse::Statement& s = *parsed.statement;
        if (s.kind == sqlparse::StatementKind::create_table) {
            TableInfo table{s.table_schema, s.table_name, s.columns, {}};
            for (const sqlparse::KeyDefinition& key : s.keys) {
                add_key(table, key);
            }
            add_table(std::move(table));
            continue;
        }
        const std::ptrdiff_t at = index_of(s.table_schema, s.table_name);
        if (at < 0) {
            continue;
        }
        TableInfo* table = &m_tables[static_cast<std::size_t>(at)];
        for (const sqlparse::KeyDefinition& key : s.keys) {
            add_key(*table, key);
        }
        if (s.index && s.index->unique && !s.index->expressions && !s.index->partial) {
            add_key(*table, sqlparse::KeyDefinition{s.index->columns, false});
        }
    }
}

const TableInfo* Schema::find(const sqlparse::Relation& relation) const {
    if (relation.is_cte || relation.psql_variable || relation.name.empty()) {
        return nullptr;
    }
    return find(relation.schema, relation.name);
}

const TableInfo* Schema::find(std::string_view schema, std::string_view name) const {
    const std::ptrdiff_t at = index_of(schema, name);
    return at < 0 ? nullptr : &m_tables[static_cast<std::size_t>(at)];
}

std::ptrdiff_t Schema::index_of(std::string_view schema, std::string_view name) const {
    std::ptrdiff_t any = -1;
    for (std::size_t i = 0; i < m_tables.size(); ++i) {
        const TableInfo& t = m_tables[i];
        if (t.name != name) {
            continue;
        }
        if (!schema.empty()) {
            if (t.schema == schema) {
                return static_cast<std::ptrdiff_t>(i);
            }
            continue;
        }
        if (t.schema == "public") {
            return static_cast<std::ptrdiff_t>(i);
        }
        if (any < 0) {
            any = static_cast<std::ptrdiff_t>(i);
        }
    }
    return any;
}

} // namespace dbadvise::analyzer
