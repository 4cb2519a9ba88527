#include "db/redact.hpp"

#include <regex>

namespace dbadvise::db {

std::string redact_dsn(std::string_view dsn) {
    std::string text(dsn);
    // URI form: scheme://user:secret@host -> scheme://user:***@host
    static const std::regex k_uri_password(R"(((?:postgres|postgresql)://[^:/@]*:)[^@]*@)",
                                           std::regex::icase);
    text = std::regex_replace(text, k_uri_password, "$1***@");
    // conninfo and URI query form: password=secret, password='se cret', &password=secret
    static const std::regex k_kv_password(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*))",
                                          std::regex::icase);
    return std::regex_replace(text, k_kv_password, "$1***");
}

} // namespace dbadvise::db
