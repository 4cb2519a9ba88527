#include "db/connection.hpp"
#include "db/prepared_explain.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

using namespace dbadvise::db;

TEST_CASE("Connection::open") {
    SUBCASE("no server at the socket: connect error naming the target, not the password") {
        const auto connection = Connection::open(
            "host=/nonexistent-dbadvise-socket port=5999 dbname=shop user=alice "
            "password=topsecret connect_timeout=2");
        REQUIRE_FALSE(connection.has_value());
        CHECK(connection.error().kind == DbError::Kind::connect);
        const std::string& message = connection.error().message;
        CHECK(message.starts_with(
            "cannot connect to database \"shop\" on /nonexistent-dbadvise-socket:5999 as alice: "));
        CHECK(message.find("No such file or directory") != std::string::npos);
        CHECK(message.ends_with("check that the server runs and accepts connections at that host "
                                "and port (--dsn host=... port=..., or PGHOST/PGPORT)"));
        CHECK(message.find("topsecret") == std::string::npos);
    }
    SUBCASE("an unknown service: the service named, and where libpq looks for it") {
        const std::string file = "/tmp/dbadvise-test-" + std::to_string(::getpid()) + ".pg_service.conf";
        std::FILE* out = std::fopen(file.c_str(), "w");
        REQUIRE(out != nullptr);
        std::fputs("[other]\nhost=/nonexistent\ndbname=x\n", out);
        std::fclose(out);
        const char* before = std::getenv("PGSERVICEFILE");
        const std::string saved = before ? before : "";
        ::setenv("PGSERVICEFILE", file.c_str(), 1);
        const auto connection = Connection::open("service=nosuch");
        if (before) {
            ::setenv("PGSERVICEFILE", saved.c_str(), 1);
        } else {
            ::unsetenv("PGSERVICEFILE");
        }
        std::remove(file.c_str());
        REQUIRE_FALSE(connection.has_value());
        const std::string& message = connection.error().message;
        CHECK(message.starts_with("cannot connect to service nosuch: "));
        CHECK(message.find("definition of service \"nosuch\" not found") != std::string::npos);
        CHECK(message.find("check the service name and the service file libpq reads (PGSERVICEFILE") !=
              std::string::npos);
    }
    SUBCASE("a malformed DSN: what is wrong, and nothing of the DSN") {
        const auto connection = Connection::open("host=x password=topsecret bogus");
        REQUIRE_FALSE(connection.has_value());
        CHECK(connection.error().kind == DbError::Kind::connect);
        CHECK(connection.error().message.starts_with(
            "cannot connect: the --dsn value is not a valid connection string: it has a word without '='"));
        CHECK(connection.error().message.find("topsecret") == std::string::npos);
        CHECK(connection.error().message.find("bogus") == std::string::npos);
    }
    SUBCASE("a URI with bad percent-encoding") {
        const auto connection = Connection::open("postgresql://advisor:Hunter2%zzSecret@host/db");
        REQUIRE_FALSE(connection.has_value());
        CHECK(connection.error().message.find("Hunter2") == std::string::npos);
        CHECK(connection.error().message.find("two hexadecimal digits") != std::string::npos);
    }
}

TEST_CASE("is_one_type: PREPARE's type list takes one type per entry, never more SQL") {
    using dbadvise::db::is_one_type;
    for (const char* type : {"int4", "timestamp with time zone", "character varying(20)", "numeric(10,2)",
                             "text[]", "\"OrderStatus\"", "public.\"My Type\"[]", "interval second(3)",
                             "public.\"a)AS SELECT 1;--\""}) {
        INFO(type);
        CHECK(is_one_type(type));
    }
    for (const char* type : {"int4) AS SELECT 1; DROP TABLE t; SELECT (1", "text, int4", "int4; COMMIT",
                             "\"unterminated", "numeric(10", "int4 -- comment", "int4 /* x */", "'text'"}) {
        INFO(type);
        CHECK_FALSE(is_one_type(type));
    }
}
