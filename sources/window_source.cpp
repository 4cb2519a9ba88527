#include "sources/window_source.hpp"

#include "analyzer/window.hpp"

namespace dbadvise::sources {

WindowSource::WindowSource(std::unique_ptr<analyzer::WorkloadSource> earlier,
                           std::string earlier_name,
                           std::unique_ptr<analyzer::WorkloadSource> later, std::string later_name)
    : m_earlier(std::move(earlier)), m_earlier_name(std::move(earlier_name)),
      m_later(std::move(later)), m_later_name(std::move(later_name)) {}

std::string WindowSource::describe() const {
    return "the window from " + m_earlier->describe() + " to " + m_later->describe();
}

std::expected<analyzer::Capture, analyzer::SourceError>
WindowSource::capture(const analyzer::StatementFilter& filter) {
    // Both whole: a statement outside the later top N may still have run in the window.
    const analyzer::StatementFilter everything{};
    auto earlier = m_earlier->capture(everything);
    if (!earlier)
        return std::unexpected(earlier.error());
    auto later = m_later->capture(everything);
    if (!later)
        return std::unexpected(later.error());
    auto window = analyzer::subtract_captures(earlier->workload, later->workload,
                                              {m_earlier_name, m_later_name});
    if (!window)
        return std::unexpected(window.error());
    // What the later capture noticed about itself (a snapshot without server activity, ...)
    // holds for the window, whose gauges are the later capture's.
    window->notes.insert(window->notes.begin(), later->notes.begin(), later->notes.end());
    // What either capture found wrong with itself (rows of a snapshot left out) holds for the
    // window: those statements are missing from both ends of it.
    std::vector<analyzer::Finding> own = std::move(earlier->findings);
    own.insert(own.end(), later->findings.begin(), later->findings.end());
    window->findings.insert(window->findings.begin(), own.begin(), own.end());
    analyzer::select_statements(window->workload, filter);
    window->description.kind = "window";
    window->description.files = earlier->description.files;
    for (std::string& file : later->description.files)
        window->description.files.push_back(std::move(file));
    return window;
}

} // namespace dbadvise::sources
