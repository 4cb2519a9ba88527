#include "reports/report.hpp"

namespace dbadvise::reports {

// Interim: replaced by the full text renderer in the foundation work.
std::string render_text(const Report& report, const TextOptions&) {
    std::string text;
    for (const auto& f : report.findings) {
        text += f.rule + ": " + f.title + "\n";
    }
    return text;
}

std::string render_json(const Report&) { return "{}\n"; }

} // namespace dbadvise::reports
