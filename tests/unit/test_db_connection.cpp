#include "db/connection.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace dbadvise::db;

TEST_CASE("scrub_password") {
    SUBCASE("the DSN's password anywhere in a message") {
        CHECK(scrub_password("FATAL: role \"hunter2x\" rejected hunter2x", "hunter2x") ==
              "FATAL: role \"***\" rejected ***");
    }
    SUBCASE("conninfo and URI passwords even when the password is unknown") {
        CHECK(scrub_password("host=h password=abc dbname=d", "") == "host=h password=*** dbname=d");
        CHECK(scrub_password("postgresql://u:abc@h/d", "") == "postgresql://u:***@h/d");
    }
    SUBCASE("no password: text unchanged") {
        CHECK(scrub_password("connection refused", "") == "connection refused");
    }
}

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
    SUBCASE("a malformed DSN") {
        const auto connection = Connection::open("host=x password=topsecret bogus");
        REQUIRE_FALSE(connection.has_value());
        CHECK(connection.error().kind == DbError::Kind::connect);
        CHECK(connection.error().message.find("check the --dsn syntax") != std::string::npos);
        CHECK(connection.error().message.find("topsecret") == std::string::npos);
    }
}
