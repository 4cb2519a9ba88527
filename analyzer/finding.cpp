#include "analyzer/finding.hpp"

#include "analyzer/rule_registry.hpp"
#include "analyzer/workload.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <unordered_map>

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
    case Category::application: return "application";
    case Category::connections: return "connections";
    case Category::maintenance: return "maintenance";
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

std::string ObjectRef::qualified_name() const {
    return schema.empty() ? name : schema + "." + name;
}

Finding::Finding(RuleId which) : rule(which), severity(rule_info(which).severity) {}

std::string_view Finding::rule_id() const {
    return to_string(rule);
}

Category Finding::category() const {
    return rule_info(rule).category;
}

namespace {

// "./a.sql", "a.sql" and "dir/../a.sql" name the same file in a baseline. Lexical only: the
// analyzer does no I/O, and a path must give the same id on another machine.
std::string normalized_file(std::string_view file) {
    if (file.empty() || file == "-") {
        return std::string(file);
    }
    std::string normal = std::filesystem::path(file).lexically_normal().generic_string();
    if (normal.size() > 1 && normal.back() == '/') {
        normal.pop_back();
    }
    return normal;
}

// normalized_file() of the file the last id on this thread was for: a run gives thousands of
// findings the same file, and path normalisation costs more than the rest of the id.
const std::string& normalized_file_cached(std::string_view file) {
    thread_local std::string last_file;
    thread_local std::string last_normal;
    thread_local bool filled = false;
    if (!filled || file != last_file) {
        last_normal = normalized_file(file);
        last_file.assign(file);
        filled = true;
    }
    return last_normal;
}

// The 16 lower-case hex digits of `hash`, as fmt's {:016x} writes them.
std::string hex16(std::uint64_t hash) {
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = "0123456789abcdef"[hash & 0xfU];
        hash >>= 4;
    }
    return out;
}

} // namespace

std::string Finding::id() const {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    hash = fnv1a(hash, rule_id());
    hash = fnv1a(hash, location ? std::string_view(normalized_file_cached(location->file))
                                : std::string_view());
    hash = fnv1a(hash, subject);
    hash = fnv1a(hash, fingerprint);
    return hex16(hash);
}

std::vector<std::string> finding_ids(const std::vector<Finding>& findings) {
    std::vector<std::string> ids;
    ids.reserve(findings.size());
    std::unordered_map<std::string, int> seen;
    for (const Finding& f : findings) {
        std::string id = f.id();
        const int n = ++seen[id];
        if (n > 1) {
            std::uint64_t hash = 0xcbf29ce484222325ULL;
            hash = fnv1a(hash, id);
            hash = fnv1a(hash, std::to_string(n));
            id = hex16(hash);
        }
        ids.push_back(std::move(id));
    }
    return ids;
}

namespace {

auto location_key(const Finding& f) {
    static const Location k_none{};
    const Location& loc = f.location ? *f.location : k_none;
    // RuleId follows id order, so comparing it orders findings by rule id.
    return std::tie(loc.file, loc.line, loc.column, loc.node, f.rule, f.subject, f.message);
}

// Sorts by `less`, stably, moving each finding once: a Finding is a few hundred bytes, and
// a sort that moves whole findings at every step cost more than the comparisons on a lint
// run with tens of thousands of them. Input that is already in order (lint sorts per file,
// the CLI sorts all files again) costs one pass.
template <class Less>
void sort_findings(std::vector<Finding>& findings, Less less) {
    if (std::is_sorted(findings.begin(), findings.end(), less)) {
        return;
    }
    std::vector<std::size_t> order(findings.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return less(findings[a], findings[b]); });
    // Apply the permutation in place, one cycle at a time: position i receives order[i].
    for (std::size_t start = 0; start < order.size(); ++start) {
        if (order[start] == start) {
            continue;
        }
        Finding held = std::move(findings[start]);
        std::size_t at = start;
        while (order[at] != start) {
            const std::size_t from = order[at];
            findings[at] = std::move(findings[from]);
            order[at] = at;
            at = from;
        }
        findings[at] = std::move(held);
        order[at] = at;
    }
}

} // namespace

void sort_by_location(std::vector<Finding>& findings) {
    sort_findings(findings, [](const Finding& a, const Finding& b) {
        return location_key(a) < location_key(b);
    });
}

void sort_by_rank(std::vector<Finding>& findings) {
    sort_findings(findings, [](const Finding& a, const Finding& b) {
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

QueryRef query_ref(const WorkloadStatement& statement) {
    return {statement.queryid,    statement.text,        statement.calls,        statement.total_ms,
            statement.mean_ms,    statement.origin_file, statement.origin_line,  statement.origin_column};
}

} // namespace dbadvise::analyzer
