#include "db/connection.hpp"
#include "db/redact.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace dbadvise::db;

namespace {

bool holds(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

// Every form in which a DSN carries a password. For each: the password is known for scrubbing
// (or the DSN is refused), and no message dbadvise builds from it quotes the password.
TEST_CASE("dsn_secrets") {
    struct Case {
        const char* name;
        std::string dsn;
        std::vector<std::string> secrets; // expected, in order; empty with `refused`
        bool refused = false;
        const char* message = ""; // part of the refusal message
    };
    const std::vector<Case> cases = {
        {"conninfo", "host=db user=advisor password=Hunter2Secret dbname=shop", {"Hunter2Secret"}},
        {"conninfo, quoted with a space", "host=db password='Hunter2 Secret' dbname=shop", {"Hunter2 Secret"}},
        {"conninfo, quoted with an escaped quote", R"(password='Hun\'ter2' dbname=shop)", {"Hun'ter2"}},
        {"URI", "postgresql://advisor:Hunter2Secret@db/shop", {"Hunter2Secret", "Hunter2Secret", "Hunter2Secret"}},
        {"URI, percent-encoded", "postgresql://advisor:Hunter2%40Secret@db/shop",
         {"Hunter2%40Secret", "Hunter2@Secret", "Hunter2@Secret"}},
        {"URI, password as a query parameter", "postgres://advisor@db/shop?password=Hunter2Secret", {"Hunter2Secret"}},
        {"password= inside options", "host=db options='-c app.password=Hunter2Secret' dbname=shop", {"Hunter2Secret"}},
        {"no password", "host=db dbname=shop", {}},
        {"a database name alone", "shop", {}},
        {"empty", "", {}},
        {"URI, bad percent-encoding", "postgresql://advisor:Hunter2%zzSecret@db/shop", {}, true,
         "a '%' that is not followed by two hexadecimal digits"},
        {"URI, % at the end", "postgresql://advisor:Hunter2Secret%@db/shop", {}, true, "two hexadecimal digits"},
        {"URI, %00", "postgresql://advisor:Hunter2%00Secret@db/shop", {}, true, "%00"},
        {"URI, unescaped @ in the password", "postgresql://advisor:Hunter2@Secret@db/shop", {}, true,
         "more than one '@'"},
        {"URI, unescaped / in the password", "postgresql://advisor:Hunter2/Secret@db/shop", {}, true,
         "an '@' after a '/'"},
        {"conninfo, unquoted space", "host=db password=Hunter2 Secret dbname=shop", {}, true, "a word without '='"},
        {"conninfo, unterminated quote", "host=db password='Hunter2Secret dbname=shop", {}, true,
         "a single quote that is never closed"},
        {"conninfo, unknown keyword", "host=db Hunter2Secret=x", {}, true, "an unknown key"},
        {"URI, unknown query parameter", "postgresql://db/shop?Hunter2Secret=x", {}, true, "an unknown key"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        const auto secrets = dsn_secrets(c.dsn);
        if (c.refused) {
            REQUIRE_FALSE(secrets.has_value());
            CHECK(holds(secrets.error(), c.message));
            CHECK_FALSE(holds(secrets.error(), "Hunter2"));
            CHECK_FALSE(holds(secrets.error(), "Secret"));
            continue;
        }
        REQUIRE(secrets.has_value());
        // A URI's password is recorded as written, decoded, and as libpq parsed it.
        for (const std::string& expected : c.secrets) {
            CHECK(std::find(secrets->begin(), secrets->end(), expected) != secrets->end());
        }
        if (c.secrets.empty()) {
            CHECK(secrets->empty());
        }
        // Whatever echoes the DSN or the password is scrubbed.
        const std::string echoed = redact("connection string " + c.dsn + " failed; password " +
                                              (c.secrets.empty() ? std::string() : c.secrets.back()),
                                          *secrets);
        CHECK_FALSE(holds(echoed, "Hunter2"));
    }
}

TEST_CASE("redact_dsn") {
    SUBCASE("conninfo and URI passwords even when the password is unknown") {
        CHECK(redact_dsn("host=h password=abc dbname=d") == "host=h password=*** dbname=d");
        CHECK(redact_dsn("host=h password='a b' dbname=d") == "host=h password=*** dbname=d");
        CHECK(redact_dsn("postgresql://u:abc@h/d") == "postgresql://u:***@h/d");
        CHECK(redact_dsn("postgres://u:a@b@h/d?password=x") == "postgres://u:***@h/d?password=***");
        CHECK(redact_dsn("options='-c app.password=abc'") == "options='-c app.password=***'");
    }
    SUBCASE("other text unchanged") {
        CHECK(redact_dsn("connection refused") == "connection refused");
        CHECK(redact_dsn("postgresql://u@h/d") == "postgresql://u@h/d");
    }
}

TEST_CASE("redact") {
    SUBCASE("every secret, longest first") {
        CHECK(redact("FATAL: role \"hunter2x\" rejected hunter2x", {"hunter2x"}) == "FATAL: role \"***\" rejected ***");
        CHECK(redact("ab abc", {"ab", "abc"}) == "*** ***");
    }
    SUBCASE("no secrets: only redact_dsn") {
        CHECK(redact("host=h password=abc", {}) == "host=h password=***");
        CHECK(redact("connection refused", {"", ""}) == "connection refused");
    }
}

TEST_CASE("array_literal") {
    CHECK(array_literal({}) == "{}");
    CHECK(array_literal({"a", std::nullopt, "b \"c\" \\d"}) == R"({"a",NULL,"b \"c\" \\d"})");
}
