#include "sources/queries_source.hpp"

#include <fmt/format.h>

namespace dbadvise::sources {

QueriesSource::QueriesSource(QueryInput input, QueryInputOptions options,
                             db::Connection& connection, db::Progress progress)
    : m_input(std::move(input)), m_options(std::move(options)), m_connection(&connection),
      m_progress(std::move(progress)) {}

QueriesSource::QueriesSource(QueryInput input, QueryInputOptions options,
                             std::unique_ptr<analyzer::WorkloadSource> catalog)
    : m_input(std::move(input)), m_options(std::move(options)), m_catalog(std::move(catalog)) {}

std::string QueriesSource::describe() const {
    return fmt::format("queries {} (catalog from {})", m_options.name,
                       m_connection != nullptr ? m_connection->describe() : m_catalog->describe());
}

std::expected<analyzer::Capture, analyzer::SourceError>
QueriesSource::capture(const analyzer::StatementFilter& filter) {
    analyzer::Capture capture;
    // What the catalog's snapshot found wrong with itself (rows left out) still describes it.
    std::vector<analyzer::Finding> catalog_findings;
    if (m_connection != nullptr) {
        db::ReadOptions read;
        read.statements = &m_input.statements;
        auto workload = db::read_workload(*m_connection, read, m_progress);
        if (!workload) {
            return std::unexpected(
                analyzer::SourceError{analyzer::SourceError::Kind::unreadable, workload.error().message});
        }
        capture.workload = std::move(*workload);
    } else {
        auto catalog = m_catalog->capture(analyzer::StatementFilter{0, 0, 0});
        if (!catalog) return std::unexpected(catalog.error());
        capture.workload = std::move(catalog->workload);
        for (std::string& note : catalog->notes) capture.notes.push_back(std::move(note));
        catalog_findings = std::move(catalog->findings);
        capture.workload.statements = std::move(m_input.statements);
        capture.notes.push_back(fmt::format(
            "Catalog and column statistics from {}; its pg_stats cover the columns its own "
            "workload touched, so other columns are estimated with default selectivities.",
            m_catalog->describe()));
    }
    // pg_stat_statements' columns do not apply: the statements have no row of their own.
    capture.workload.statement_columns.clear();
    capture.workload.capture.statement_limit = 0;
    analyzer::select_statements(capture.workload, filter);
    capture.description.kind = "queries";
    capture.description.files.push_back(m_options.name);
    capture.findings = std::move(m_input.findings);
    capture.findings.insert(capture.findings.end(), catalog_findings.begin(), catalog_findings.end());
    for (std::string& note : m_input.notes) capture.notes.push_back(std::move(note));
    capture.stats = std::move(m_input.stats);
    return capture;
}

} // namespace dbadvise::sources
