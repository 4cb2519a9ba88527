// The live source: the workload of the database a connection is open to, read by db/ in one
// read-only, repeatable-read transaction (pg_stat_statements, catalogs, pg_stats, statistics
// views, settings).
#pragma once

#include "analyzer/workload_source.hpp"
#include "db/connection.hpp"
#include "db/workload_reader.hpp"

namespace dbadvise::sources {

/// The server a connection is open to, as reports name the one that verified a workload.
struct ServerIdentity {
    std::string description; // `database "shop" on /run/postgresql:5432 as advisor`
    std::string database;
    std::string server_version; // "15.4"
    int server_version_num = 0; // 150004
    bool hypopg = false;        // the hypopg extension is created in the database
};

/// Asks the server who it is. Fails with db/'s message when the query fails.
std::expected<ServerIdentity, std::string> identify_server(db::Connection& connection);

class LiveSource final : public analyzer::WorkloadSource {
public:
    /// Reads through `connection`, which the caller keeps open while the source lives.
    /// `include_values` reads pg_stats' values (off for snapshot --no-values).
    LiveSource(db::Connection& connection, db::Progress progress, bool include_values = true);

    /// `database "shop" on /run/postgresql:5432 as advisor`.
    std::string describe() const override;
    /// The statements that pass `filter` (applied in the query: at most filter.top rows are
    /// read), or every statement with a default filter. Fails with db/'s message (missing
    /// extension, permission, connection lost, ...), kind unreadable.
    std::expected<analyzer::Capture, analyzer::SourceError>
    capture(const analyzer::StatementFilter& filter) override;

private:
    db::Connection& m_connection;
    db::Progress m_progress;
    bool m_include_values;
};

} // namespace dbadvise::sources
