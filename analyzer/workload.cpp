#include "analyzer/workload.hpp"

#include <algorithm>

namespace dbadvise::analyzer {

const CatalogTable* Workload::find_table(std::string_view schema, std::string_view name) const {
    if (!schema.empty()) {
        const auto found = std::ranges::find_if(tables, [&](const CatalogTable& table) {
            return table.schema == schema && table.name == name;
        });
        return found == tables.end() ? nullptr : &*found;
    }
    // Unqualified: the schemas of search_path in order, as the server resolves the name;
    // then a temporary table of this name, then any schema (the statement may have run with
    // another search_path).
    for (const std::string& path_schema : search_path) {
        if (const CatalogTable* table = find_table(path_schema, name)) return table;
    }
    const CatalogTable* fallback = nullptr;
    for (const CatalogTable& table : tables) {
        if (table.name != name) continue;
        if (table.temporary) return &table;
        if (fallback == nullptr) fallback = &table;
    }
    return fallback;
}

const ColumnStats* Workload::find_stats(std::string_view schema, std::string_view table,
                                        std::string_view column) const {
    const CatalogTable* resolved = find_table(schema, table);
    const std::string_view wanted_schema = resolved ? std::string_view(resolved->schema) : schema;
    const auto found = std::ranges::find_if(column_stats, [&](const ColumnStats& stats) {
        return stats.table == table && stats.column == column &&
               (wanted_schema.empty() || stats.schema == wanted_schema);
    });
    return found == column_stats.end() ? nullptr : &*found;
}

const Setting* Workload::find_setting(std::string_view name) const {
    const auto found =
        std::ranges::find_if(settings, [&](const Setting& setting) { return setting.name == name; });
    return found == settings.end() ? nullptr : &*found;
}

bool Workload::has_extension(std::string_view name) const {
    return std::ranges::find(extensions, name) != extensions.end();
}

const RelationLock* Workload::lock_on(std::string_view schema, std::string_view name) const {
    const auto found = std::ranges::find_if(locks, [&](const RelationLock& lock) {
        return lock.table == name && (schema.empty() || lock.schema == schema);
    });
    return found == locks.end() ? nullptr : &*found;
}

} // namespace dbadvise::analyzer
