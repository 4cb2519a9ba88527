// The queries source: the workload from a file of SQL queries or a PostgreSQL server log
// (sources/query_input), with the catalog and column statistics from a live server (the
// --dsn one, which also plans) or from a snapshot. pg_stat_statements is not read.
#pragma once

#include "analyzer/workload_source.hpp"
#include "db/connection.hpp"
#include "db/workload_reader.hpp"
#include "sources/query_input.hpp"

#include <istream>
#include <memory>

namespace dbadvise::sources {

class QueriesSource final : public analyzer::WorkloadSource {
public:
    /// Statements from `input` (read when capture() is called), catalog from `connection`,
    /// which the caller keeps open while the source lives.
    QueriesSource(std::unique_ptr<std::istream> input, QueryInputOptions options,
                  db::Connection& connection, db::Progress progress);
    /// Statements from `input`, catalog from `catalog` (a snapshot source), whose own
    /// statements are replaced.
    QueriesSource(std::unique_ptr<std::istream> input, QueryInputOptions options,
                  std::unique_ptr<analyzer::WorkloadSource> catalog);

    /// `queries shop.log (catalog from database "shop" on ...)`.
    std::string describe() const override;
    /// The file's statements, grouped and filtered, with the catalog. Fails (unreadable) when
    /// the input cannot be read or its format is unknown, or when the catalog cannot be read.
    std::expected<analyzer::Capture, analyzer::SourceError>
    capture(const analyzer::StatementFilter& filter) override;

private:
    std::unique_ptr<std::istream> m_input;
    QueryInputOptions m_options;
    db::Connection* m_connection = nullptr;
    db::Progress m_progress;
    std::unique_ptr<analyzer::WorkloadSource> m_catalog;
};

} // namespace dbadvise::sources
