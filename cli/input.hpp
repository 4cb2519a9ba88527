// Reading input files for the subcommands, and the checks every text input passes before it
// is analyzed: binary content, invalid UTF-8, emptiness. The checks produce findings of
// category `input` so that they appear in the report with a location, like parse errors.
#pragma once

#include "analyzer/finding.hpp"

#include <expected>
#include <istream>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::cli {

/// Reads all of `path`, or all of `in` when `path` is "-". On failure returns the message
/// `cannot read '<path>': <reason>` (reason from the system: "No such file or directory",
/// "Is a directory", "Permission denied", ...).
std::expected<std::string, std::string> read_input(const std::string& path, std::istream& in);

/// A stream that reads `path` ("-": `in`, not owned) as it goes, for inputs too large to hold
/// (server logs). Fails as read_input does when the file cannot be opened or is a directory.
std::expected<std::unique_ptr<std::istream>, std::string> open_input_stream(const std::string& path,
                                                                           std::istream& in);

/// The file names listed in `path` ("-": `in`), for --files-from: NUL-terminated when the list
/// holds a NUL byte (`git diff -z`, `find -print0`), otherwise one per line (a trailing CR is
/// dropped). Empty names are skipped, so an empty list gives no names. Fails as read_input.
std::expected<std::vector<std::string>, std::string> read_file_list(const std::string& path,
                                                                    std::istream& in);

/// True when `path` does not exist (also through a dangling symlink or a component that is
/// no longer a directory): what --missing-ok skips.
bool is_missing(const std::string& path);

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
