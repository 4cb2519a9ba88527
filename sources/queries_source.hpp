// The queries source: the workload from a file of SQL queries or a PostgreSQL server log
// (sources/query_input), with the catalog and column statistics from a live server (the
// --dsn one, which also plans) or from a snapshot. pg_stat_statements is not read.
#pragma once

#include "analyzer/workload_source.hpp"
#include "db/connection.hpp"
#include "db/workload_reader.hpp"
#include "sources/query_input.hpp"

#include <memory>

namespace dbadvise::sources {

class QueriesSource final : public analyzer::WorkloadSource {
public:
    /// Statements from `input` (read_query_input, called before connecting so that an
    /// unreadable file or a log in another format fails before any connection is made),
    /// catalog from `connection`, which the caller keeps open while the source lives.
    QueriesSource(QueryInput input, QueryInputOptions options, db::Connection& connection,
                  db::Progress progress);
    /// Statements from `input`, catalog from `catalog` (a snapshot source), whose own
    /// statements are replaced.
    QueriesSource(QueryInput input, QueryInputOptions options,
                  std::unique_ptr<analyzer::WorkloadSource> catalog);

    /// `queries shop.log (catalog from database "shop" on ...)`.
    std::string describe() const override;
    /// The file's statements, grouped and filtered, with the catalog. Fails (unreadable) when
    /// the catalog cannot be read. Called once.
    std::expected<analyzer::Capture, analyzer::SourceError>
    capture(const analyzer::StatementFilter& filter) override;

private:
    QueryInput m_input;
    QueryInputOptions m_options;
    db::Connection* m_connection = nullptr;
    db::Progress m_progress;
    std::unique_ptr<analyzer::WorkloadSource> m_catalog;
};

} // namespace dbadvise::sources
