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
};

class Schema {
public:
    /// Adds the tables of CREATE TABLE statements; a later definition of the same table
    /// replaces an earlier one.
    void add_statements(const std::vector<sqlparse::ParsedStatement>& statements);
    void add_table(TableInfo table);
    /// Finds a table by name; an empty schema searches "public" first, then any schema.
    const TableInfo* find(std::string_view schema, std::string_view name) const;
    const std::vector<TableInfo>& tables() const { return m_tables; }

private:
    std::vector<TableInfo> m_tables;
};

} // namespace dbadvise::analyzer
