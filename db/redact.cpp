#include "db/redact.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <regex>

namespace dbadvise::db {

namespace {

bool is_uri(std::string_view dsn) {
    const auto starts = [&](std::string_view prefix) {
        if (dsn.size() < prefix.size()) {
            return false;
        }
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(dsn[i])) != prefix[i]) {
                return false;
            }
        }
        return true;
    };
    return starts("postgresql://") || starts("postgres://");
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

constexpr std::string_view k_uri_fix =
    "; in a postgresql:// URI, write these characters of a user name or password "
    "percent-encoded: @ as %40, / as %2F, % as %25, : in a user name as %3A (or pass the password "
    "in PGPASSWORD or ~/.pgpass instead)";

// libpq's URI parser takes the credentials up to the first '@' before the first '/': a
// password holding '@' or '/' puts the rest of it into the host or port, which libpq's
// messages then quote. Such URIs, and bad percent-encoding (libpq's message quotes the whole
// token), are refused here with a message that quotes nothing.
std::optional<std::string> uri_problem(std::string_view dsn) {
    const std::string_view rest = dsn.substr(dsn.find("://") + 3);
    const auto ats = std::count(rest.begin(), rest.end(), '@');
    const std::size_t slash = rest.find('/');
    const std::size_t first_at = rest.find('@');
    if (ats > 1) {
        return "the --dsn URI has more than one '@'" + std::string(k_uri_fix);
    }
    if (ats == 1 && slash != std::string_view::npos && first_at > slash) {
        return "the --dsn URI has an '@' after a '/'" + std::string(k_uri_fix);
    }
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] != '%') {
            continue;
        }
        if (i + 2 >= rest.size() || hex_value(rest[i + 1]) < 0 || hex_value(rest[i + 2]) < 0) {
            return "the --dsn URI has a '%' that is not followed by two hexadecimal digits" +
                   std::string(k_uri_fix);
        }
        if (rest[i + 1] == '0' && rest[i + 2] == '0') {
            return std::string("the --dsn URI holds %00, which libpq accepts in no value");
        }
    }
    return std::nullopt;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
            hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// The password of a URI's userinfo as written (percent-encoded) and decoded.
void uri_password(std::string_view dsn, std::vector<std::string>& secrets) {
    const std::string_view rest = dsn.substr(dsn.find("://") + 3);
    const std::size_t at = rest.find('@');
    if (at == std::string_view::npos) {
        return;
    }
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
        return;
    }
    const std::string_view password = userinfo.substr(colon + 1);
    if (!password.empty()) {
        secrets.emplace_back(password);
        secrets.push_back(percent_decode(password));
    }
}

// What libpq's parse error means, in words that quote no part of the DSN.
std::string parse_problem(std::string_view libpq_message, bool uri) {
    const auto has = [&](std::string_view part) {
        return libpq_message.find(part) != std::string_view::npos;
    };
    std::string what;
    if (has("missing \"=\"")) {
        what = "a word without '=' (every part is key=value; a value with spaces must be in single "
               "quotes, e.g. password='two words', and a quote or backslash in it escaped with a "
               "backslash)";
    } else if (has("invalid connection option") || has("invalid URI query parameter")) {
        what = "an unknown key (the keys are libpq's connection parameters: host, port, dbname, "
               "user, password, sslmode, options, ...)";
    } else if (has("unterminated quoted string")) {
        what = "a single quote that is never closed";
    } else if (has("percent-encoded")) {
        what = "a '%' that is not followed by two hexadecimal digits";
    } else if (has("key/value separator")) {
        what = "a query parameter that is not key=value";
    } else if (has("IPv6")) {
        what = "a malformed [IPv6] host address";
    } else {
        what = uri ? "a malformed URI" : "malformed key=value pairs";
    }
    return "the --dsn value is not a valid " + std::string(uri ? "postgresql:// URI" : "connection string") +
           ": it has " + what;
}

} // namespace

std::expected<std::vector<std::string>, std::string> dsn_secrets(std::string_view dsn) {
    std::vector<std::string> secrets;
    const bool uri = is_uri(dsn);
    if (uri) {
        if (auto problem = uri_problem(dsn)) {
            return std::unexpected(*problem);
        }
        uri_password(dsn, secrets);
    }
    // Like libpq: a value that is neither a URI nor holds '=' is a database name
    // (`--dsn shop`, as `psql shop`).
    if (!uri && dsn.find('=') == std::string_view::npos) {
        return secrets;
    }
    const std::string text(dsn);
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
    std::string message = error != nullptr ? error : "";
    if (error != nullptr) {
        PQfreemem(error);
    }
    if (options == nullptr) {
        return std::unexpected(parse_problem(message, uri));
    }
    for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (option->val == nullptr || *option->val == '\0') {
            continue;
        }
        const std::string_view keyword = option->keyword;
        if (keyword == "password") {
            secrets.emplace_back(option->val);
        } else if (keyword == "options") {
            // `-c app.password=x`, `--db_password=x`: the value of any setting named like a
            // password. The server's message for a bad setting quotes its value.
            static const std::regex k_setting(R"(([A-Za-z0-9_.]*password[A-Za-z0-9_.]*)\s*=\s*(\S+))",
                                              std::regex::icase);
            const std::string value = option->val;
            for (auto it = std::sregex_iterator(value.begin(), value.end(), k_setting);
                 it != std::sregex_iterator(); ++it) {
                secrets.push_back((*it)[2].str());
            }
        }
    }
    PQconninfoFree(options);
    return secrets;
}

std::string dsn_target(std::string_view dsn) {
    std::map<std::string, std::string, std::less<>> given;
    if (!is_uri(dsn) && dsn.find('=') == std::string_view::npos) {
        if (!dsn.empty()) given["dbname"] = std::string(dsn);
    } else {
        const std::string text(dsn);
        char* error = nullptr;
        PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
        if (error != nullptr) PQfreemem(error);
        for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
            if (o->val != nullptr && *o->val != '\0') given[o->keyword] = o->val;
        }
        if (options != nullptr) PQconninfoFree(options);
    }
    const auto value = [&given](std::string_view key) {
        const auto it = given.find(key);
        return it == given.end() ? std::string() : it->second;
    };
    const std::string service = value("service");
    if (!service.empty() && (value("host").empty() || value("dbname").empty())) return "service " + service;
    // What the DSN leaves out comes from libpq's defaults (PGHOST, PGPORT, PGDATABASE, PGUSER).
    std::map<std::string, std::string, std::less<>> defaults;
    if (PQconninfoOption* options = PQconndefaults()) {
        for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
            if (o->val != nullptr && *o->val != '\0') defaults[o->keyword] = o->val;
        }
        PQconninfoFree(options);
    }
    const auto pick = [&](std::string_view key) {
        if (std::string v = value(key); !v.empty()) return v;
        const auto it = defaults.find(key);
        return it == defaults.end() ? std::string() : it->second;
    };
    std::string host = pick("host");
    if (host.empty()) host = pick("hostaddr");
    if (host.empty()) host = "local";
    std::string port = pick("port");
    if (port.empty()) port = "5432";
    std::string dbname = pick("dbname");
    if (dbname.empty()) dbname = pick("user");
    return host + ":" + port + "/" + dbname;
}

std::string redact_dsn(std::string_view dsn) {
    std::string text(dsn);
    // URI form: scheme://user:secret@host -> scheme://user:***@host. Up to the last '@' of the
    // authority, so that a password holding an unencoded '@' is covered whole.
    static const std::regex k_uri_password(R"(((?:postgres|postgresql)://[^:/@\s]*:)[^/\s]*@)",
                                           std::regex::icase);
    text = std::regex_replace(text, k_uri_password, "$1***@");
    // conninfo and URI query form: password=secret, password='se cret', &password=secret, and
    // settings inside options: -c app.password=secret.
    static const std::regex k_kv_password(
        R"(([A-Za-z0-9_.]*password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&']*))", std::regex::icase);
    return std::regex_replace(text, k_kv_password, "$1***");
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
    // Longest first, so that a password containing another is replaced whole.
    std::vector<std::string> sorted(secrets.begin(), secrets.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const std::string& secret : sorted) {
        if (secret.empty()) {
            continue;
        }
        for (std::size_t at = text.find(secret); at != std::string::npos;
             at = text.find(secret, at + 3)) {
            text.replace(at, secret.size(), "***");
        }
    }
    return redact_dsn(text);
}

} // namespace dbadvise::db
