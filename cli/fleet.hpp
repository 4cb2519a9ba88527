// A fleet: the databases one `dbadvise analyze` run covers, from repeated --dsn options and a
// --fleet file (one libpq connection string, URI or `service=name` per line).
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::cli {

/// One database of a fleet.
struct FleetEntry {
    std::string dsn;    // as given; may hold a password, so never printed
    std::string origin; // where it was given, for messages: "--dsn 2", "tenants.txt:4"
    std::string name;   // "host:port/dbname" (db::dsn_target), unique within the fleet
};

/// The entries of a --fleet file named `file` holding `text`: one connection string per line;
/// blank lines and lines whose first non-blank character is `#` are skipped, surrounding
/// white space (and a CR of CRLF line ends) is dropped. Fails with `FILE:LINE: what is wrong`
/// for a malformed connection string (the message quotes no part of it) and for a line that
/// repeats an earlier one; with `FILE: ...` when the file lists no database.
std::expected<std::vector<FleetEntry>, std::string> parse_fleet_file(std::string_view text,
                                                                     const std::string& file);

/// The fleet of `dsns` (--dsn, in order) then `file_entries`, each named by db::dsn_target;
/// names that two entries share get the entry's origin added: "local:5432/shop (--dsn 2)".
/// Fails with a message naming the option when a --dsn value is malformed.
std::expected<std::vector<FleetEntry>, std::string> make_fleet(const std::vector<std::string>& dsns,
                                                               std::vector<FleetEntry> file_entries);

/// --jobs: `requested`, or when 0 min(databases, 4); never more than `databases`, at least 1.
std::size_t fleet_jobs(std::size_t requested, std::size_t databases);

} // namespace dbadvise::cli
