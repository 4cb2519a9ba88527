#include "sources/live_source.hpp"

namespace dbadvise::sources {

std::expected<ServerIdentity, std::string> identify_server(db::Connection& connection) {
    auto result = connection.query(
        "SELECT current_database() AS database, current_setting('server_version') AS version, "
        "current_setting('server_version_num') AS version_num, "
        "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg') AS hypopg",
        {}, "reading the server version");
    if (!result)
        return std::unexpected(result.error().message);
    ServerIdentity identity;
    identity.description = connection.describe();
    if (result->rows() == 1) {
        identity.database = std::string(result->text(0, "database"));
        identity.server_version = std::string(result->text(0, "version"));
        identity.server_version_num = static_cast<int>(result->int64(0, "version_num"));
        identity.hypopg = result->boolean(0, "hypopg");
    }
    return identity;
}

LiveSource::LiveSource(db::Connection& connection, db::Progress progress, bool include_values)
    : m_connection(connection), m_progress(std::move(progress)), m_include_values(include_values) {}

std::string LiveSource::describe() const {
    return m_connection.describe();
}

std::expected<analyzer::Capture, analyzer::SourceError>
LiveSource::capture(const analyzer::StatementFilter& filter) {
    db::ReadOptions read;
    read.top = filter.top;
    read.min_calls = filter.min_calls;
    read.min_mean_ms = filter.min_mean_ms;
    read.include_values = m_include_values;
    auto workload = db::read_workload(m_connection, read, m_progress);
    if (!workload) {
        return std::unexpected(analyzer::SourceError{analyzer::SourceError::Kind::unreadable,
                                                     workload.error().message});
    }
    analyzer::Capture capture;
    capture.workload = std::move(*workload);
    analyzer::select_statements(capture.workload, filter);
    capture.description.kind = "database";
    return capture;
}

} // namespace dbadvise::sources
