// Keeps passwords out of everything dbadvise prints.
#pragma once

#include <string>
#include <string_view>

namespace dbadvise::db {

/// `dsn` with any password replaced by "***": both `password=...` in a conninfo string and
/// `user:secret@` in a postgresql:// URI. Other text is unchanged.
std::string redact_dsn(std::string_view dsn);

} // namespace dbadvise::db
