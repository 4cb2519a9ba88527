#include "analyzer/finding.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <tuple>

namespace dbadvise::analyzer {

std::string_view to_string(Severity severity) {
    switch (severity) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
    }
    return "info";
}

std::string_view to_string(Category category) {
    switch (category) {
    case Category::index: return "index";
    case Category::rewrite: return "rewrite";
    case Category::plan: return "plan";
    case Category::cache: return "cache";
    case Category::schema: return "schema";
    case Category::config: return "config";
    case Category::input: return "input";
    }
    return "input";
}

std::optional<Severity> parse_severity(std::string_view text) {
    if (text == "info") return Severity::info;
    if (text == "warning") return Severity::warning;
    if (text == "error") return Severity::error;
    return std::nullopt;
}

namespace {

// FNV-1a, 64 bit: tiny, stable across platforms and runs, good enough for ids.
std::uint64_t fnv1a(std::uint64_t hash, std::string_view text) {
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    // A separator byte keeps ("ab", "c") and ("a", "bc") apart.
    hash ^= 0xffU;
    hash *= 0x100000001b3ULL;
    return hash;
}

} // namespace

std::string Finding::id() const {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    hash = fnv1a(hash, rule);
    hash = fnv1a(hash, location ? location->file : std::string_view{});
    hash = fnv1a(hash, subject);
    hash = fnv1a(hash, query ? std::string_view(query->queryid) : std::string_view{});
    return fmt::format("{:016x}", hash);
}

namespace {

auto location_key(const Finding& f) {
    static const Location k_none{};
    const Location& loc = f.location ? *f.location : k_none;
    return std::tie(loc.file, loc.line, loc.column, loc.node, f.rule, f.subject, f.message);
}

} // namespace

void sort_by_location(std::vector<Finding>& findings) {
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        return location_key(a) < location_key(b);
    });
}

void sort_by_rank(std::vector<Finding>& findings) {
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        if (a.rank != b.rank) {
            return a.rank > b.rank;
        }
        return location_key(a) < location_key(b);
    });
}

std::optional<Severity> max_severity(const std::vector<Finding>& findings) {
    std::optional<Severity> result;
    for (const Finding& f : findings) {
        if (!result || f.severity > *result) {
            result = f.severity;
        }
    }
    return result;
}

} // namespace dbadvise::analyzer
