#include "cli/fleet.hpp"

#include "db/redact.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace dbadvise::cli {

namespace {

std::string_view trim(std::string_view text) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
    while (!text.empty() && space(text.front())) text.remove_prefix(1);
    while (!text.empty() && space(text.back())) text.remove_suffix(1);
    return text;
}

// db::dsn_secrets speaks of "the --dsn value" or "the --dsn URI"; in a fleet file it is the line.
std::string about_line(std::string message) {
    for (const auto& [option, line] : {std::pair<std::string_view, std::string_view>{"the --dsn value", "the line"},
                                       {"the --dsn URI", "the line's URI"}}) {
        if (message.starts_with(option)) return std::string(line) + message.substr(option.size());
    }
    return message;
}

} // namespace

std::expected<std::vector<FleetEntry>, std::string> parse_fleet_file(std::string_view text,
                                                                     const std::string& file) {
    std::vector<FleetEntry> entries;
    std::map<std::string, int, std::less<>> seen; // connection string -> its line
    int number = 0;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++number;
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        if (line.find('\0') != std::string_view::npos)
            return std::unexpected(fmt::format("{}:{}: the line holds a NUL byte: a fleet file is "
                                               "text, one connection string per line",
                                               file, number));
        if (auto secrets = db::dsn_secrets(line); !secrets)
            return std::unexpected(fmt::format("{}:{}: {}", file, number, about_line(secrets.error())));
        if (const auto it = seen.find(line); it != seen.end())
            return std::unexpected(fmt::format("{}:{}: the same connection string as line {}: each "
                                               "database is listed once",
                                               file, number, it->second));
        seen.emplace(std::string(line), number);
        entries.push_back({std::string(line), fmt::format("{}:{}", file, number), {}});
    }
    if (entries.empty())
        return std::unexpected(fmt::format("{}: lists no database: give one libpq connection string "
                                           "or service=NAME per line",
                                           file));
    return entries;
}

std::expected<std::vector<FleetEntry>, std::string> make_fleet(const std::vector<std::string>& dsns,
                                                               std::vector<FleetEntry> file_entries) {
    std::vector<FleetEntry> fleet;
    for (std::size_t i = 0; i < dsns.size(); ++i) {
        if (auto secrets = db::dsn_secrets(dsns[i]); !secrets)
            return std::unexpected(fmt::format("--dsn number {}: {}", i + 1, secrets.error()));
        fleet.push_back({dsns[i], fmt::format("--dsn {}", i + 1), {}});
    }
    for (FleetEntry& entry : file_entries) fleet.push_back(std::move(entry));
    std::map<std::string, int> uses;
    for (FleetEntry& entry : fleet) {
        entry.name = db::dsn_target(entry.dsn);
        ++uses[entry.name];
    }
    for (FleetEntry& entry : fleet) {
        if (uses[entry.name] > 1) entry.name += " (" + entry.origin + ")";
    }
    return fleet;
}

std::size_t fleet_jobs(std::size_t requested, std::size_t databases) {
    const std::size_t jobs = requested > 0 ? requested : std::min<std::size_t>(databases, 4);
    return std::clamp<std::size_t>(jobs, 1, std::max<std::size_t>(databases, 1));
}

} // namespace dbadvise::cli
