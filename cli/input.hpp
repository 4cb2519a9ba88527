// Reading input files for the subcommands, and the checks every text input passes before it
// is analyzed: binary content, invalid UTF-8, emptiness. The checks produce findings of
// category `input` so that they appear in the report with a location, like parse errors.
#pragma once

#include "analyzer/finding.hpp"

#include <expected>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dbadvise::cli {

/// Reads all of `path`, or all of `in` when `path` is "-". On failure returns the message
/// `cannot read '<path>': <reason>` (reason from the system: "No such file or directory",
/// "Is a directory", "Permission denied", ...).
std::expected<std::string, std::string> read_input(const std::string& path, std::istream& in);

/// The id, category, severity and explanation of an input check, listed by `dbadvise rules`.
struct InputCheck {
    std::string_view id;
    analyzer::Category category;
    analyzer::Severity severity;
    std::string_view summary;
    std::string_view rationale;
};

/// The input checks: binary-input, invalid-utf8, empty-input, and parse-error,
/// body-parse-error, not-checked and psql-unknown-command (reported by the lint driver;
/// listed here so that `dbadvise rules` documents them).
std::span<const InputCheck> input_checks();

/// The `binary-input` finding when `text` holds a NUL byte (no SQL or plan text does, and the
/// parser would stop reading at it), located at that byte; nullopt otherwise.
std::optional<analyzer::Finding> check_binary(std::string_view file, std::string_view text);

/// The `invalid-utf8` finding located at the first invalid byte; nullopt for valid UTF-8.
std::optional<analyzer::Finding> check_utf8(std::string_view file, std::string_view text);

/// The `empty-input` finding for a file that holds no statement (nothing, whitespace or
/// comments only), located at the file.
analyzer::Finding empty_input(std::string_view file, std::string_view what);

/// `text` without a leading UTF-8 byte order mark; editors do not count the mark as a column,
/// and the parser would reject it.
std::string_view strip_bom(std::string_view text);

} // namespace dbadvise::cli
