// The window source: what ran between an earlier capture (a snapshot, `analyze --since`) and
// a later one (the live server, or another snapshot). Reads both whole and subtracts them
// (analyzer/window.hpp), then filters the window's statements.
#pragma once

#include "analyzer/workload_source.hpp"

#include <memory>

namespace dbadvise::sources {

class WindowSource final : public analyzer::WorkloadSource {
public:
    /// `earlier_name` and `later_name` name the captures in messages ("--since a.json").
    WindowSource(std::unique_ptr<analyzer::WorkloadSource> earlier, std::string earlier_name,
                 std::unique_ptr<analyzer::WorkloadSource> later, std::string later_name);

    /// `the window from snapshot a.json to database "shop" on ...`.
    std::string describe() const override;
    /// The window's workload, statements filtered after subtracting. Fails when either
    /// capture fails, or as analyzer::subtract_captures does (another server or database, a
    /// reset of pg_stat_statements in between, captures the wrong way round).
    std::expected<analyzer::Capture, analyzer::SourceError>
    capture(const analyzer::StatementFilter& filter) override;

private:
    std::unique_ptr<analyzer::WorkloadSource> m_earlier;
    std::string m_earlier_name;
    std::unique_ptr<analyzer::WorkloadSource> m_later;
    std::string m_later_name;
};

} // namespace dbadvise::sources
