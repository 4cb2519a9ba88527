// Keeps passwords out of everything dbadvise prints. A DSN can carry a password in several
// places (conninfo `password=`, a URI's `user:secret@`, `password=` inside `options`), and
// libpq can take one from PGPASSWORD, a service file or a password file; libpq's own messages
// quote parts of a malformed DSN. So dbadvise checks the DSN itself before libpq parses it,
// explains a malformed one without quoting it, and scrubs every known password from every
// message it prints.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace dbadvise::db {

/// The passwords `dsn` carries (decoded and, for URIs, as written), for scrubbing; empty for
/// an empty DSN. Fails when the DSN is malformed, with a message that says what is wrong and
/// how to fix it but quotes no part of the DSN: a URI with a stray `@` (a user name or password
/// holding `@` must write it as %40), a `%` not followed by two hex digits, a conninfo word
/// without `=`, an unterminated quote, an unknown keyword.
std::expected<std::vector<std::string>, std::string> dsn_secrets(std::string_view dsn);

/// Where `dsn` (as dsn_secrets accepts it) connects to, for naming a database in a fleet:
/// "host:port/dbname", with libpq's defaults and PG* variables for what the DSN leaves out
/// ("local" for the default Unix socket directory); "service NAME" when a pg_service.conf
/// service gives the host or database. Never holds a password.
std::string dsn_target(std::string_view dsn);

/// `dsn` with any password replaced by "***": both `password=...` in a conninfo string (also
/// inside `options`) and `user:secret@` in a postgresql:// URI. Other text is unchanged.
std::string redact_dsn(std::string_view dsn);

/// `text` with every non-empty string of `secrets` replaced by "***", then redact_dsn().
std::string redact(std::string text, const std::vector<std::string>& secrets);

} // namespace dbadvise::db
