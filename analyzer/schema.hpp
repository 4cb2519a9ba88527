// Tables and columns dbadvise knows about: from --schema DDL files (lint) or the catalog
// (analyze). Used to expand SELECT * and to resolve unqualified columns.
#pragma once

#include "sqlparse/query_model.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::analyzer {

struct TableInfo {
    std::string schema; // "public" when the DDL did not say
    std::string name;
    std::vector<sqlparse::ColumnDefinition> columns;
    /// Column sets whose values are unique: PRIMARY KEY, UNIQUE constraints, unique indexes
    /// on plain columns without a predicate. With NOT NULL columns they identify a row.
    std::vector<std::vector<std::string>> unique_keys;
    bool schema_assumed = false; // the DDL did not say: "public" is a guess

    const sqlparse::ColumnDefinition* column(std::string_view column_name) const;
    /// The first unique key whose columns are all NOT NULL (the primary key, usually);
    /// null when there is none.
    const std::vector<std::string>* row_key() const;
};

class Schema {
public:
    /// Adds the tables of CREATE TABLE statements, and the keys of ALTER TABLE ... ADD
    /// PRIMARY KEY / UNIQUE and CREATE UNIQUE INDEX to tables already added (pg_dump's
    /// order); a later definition of the same table replaces an earlier one.
    void add_statements(const std::vector<sqlparse::ParsedStatement>& statements);
    void add_table(TableInfo table);
    /// Finds a table by name; an empty schema searches "public" first, then any schema.
    const TableInfo* find(std::string_view schema, std::string_view name) const;
    /// The table a FROM item reads; null for a CTE, for a name that is a psql variable (its
    /// placeholder names no table: which one psql substitutes is unknown) and for a table
    /// the schema lacks. Rules resolve relations through this, never by their name alone.
    const TableInfo* find(const sqlparse::Relation& relation) const;
    const std::vector<TableInfo>& tables() const { return m_tables; }

private:
    // Index in m_tables of the table find() returns, -1 when none.
    std::ptrdiff_t index_of(std::string_view schema, std::string_view name) const;

    std::vector<TableInfo> m_tables;
};

} // namespace dbadvise::analyzer
