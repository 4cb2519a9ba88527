#include "cli/fleet.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;

TEST_CASE("parse_fleet_file") {
    SUBCASE("one connection string per line; comments, blank lines and white space skipped") {
        const std::string text = "# tenants\n"
                                 "\n"
                                 "  host=db1 port=5433 dbname=t1  \r\n"
                                 "\t# not this one\n"
                                 "postgresql://advisor:secret@db2:5432/t2\n"
                                 "service=reporting\n"
                                 "shop";
        const auto entries = cli::parse_fleet_file(text, "tenants.txt");
        REQUIRE(entries.has_value());
        REQUIRE(entries->size() == 4);
        CHECK((*entries)[0].dsn == "host=db1 port=5433 dbname=t1");
        CHECK((*entries)[0].origin == "tenants.txt:3");
        CHECK((*entries)[1].dsn == "postgresql://advisor:secret@db2:5432/t2");
        CHECK((*entries)[1].origin == "tenants.txt:5");
        CHECK((*entries)[2].dsn == "service=reporting");
        CHECK((*entries)[2].origin == "tenants.txt:6");
        CHECK((*entries)[3].dsn == "shop");
        CHECK((*entries)[3].origin == "tenants.txt:7");
    }
    SUBCASE("a malformed line is named by file and line, its text never quoted") {
        const auto entries = cli::parse_fleet_file("host=a\nhost=b port password=hunter2\n", "f.txt");
        REQUIRE_FALSE(entries.has_value());
        CHECK(entries.error().starts_with("f.txt:2: the line is not a valid connection string"));
        CHECK(entries.error().find("hunter2") == std::string::npos);
    }
    SUBCASE("an unknown keyword and an unterminated quote") {
        auto entries = cli::parse_fleet_file("\n\nhots=a\n", "f.txt");
        REQUIRE_FALSE(entries.has_value());
        CHECK(entries.error().starts_with("f.txt:3: "));
        entries = cli::parse_fleet_file("host=a\nhost='b\n", "f.txt");
        REQUIRE_FALSE(entries.has_value());
        CHECK(entries.error().starts_with("f.txt:2: "));
    }
    SUBCASE("a malformed URI") {
        const auto entries = cli::parse_fleet_file("postgresql://u:p@ss@host/db\n", "f.txt");
        REQUIRE_FALSE(entries.has_value());
        CHECK(entries.error().starts_with("f.txt:1: the line's URI has more than one '@'"));
        CHECK(entries.error().find("p@ss") == std::string::npos);
    }
    SUBCASE("a line that repeats an earlier one") {
        const auto entries = cli::parse_fleet_file("dbname=t1\n# x\ndbname=t1\n", "f.txt");
        REQUIRE_FALSE(entries.has_value());
        CHECK(entries.error() == "f.txt:3: the same connection string as line 1: each database is listed once");
    }
    SUBCASE("a NUL byte") {
        const auto entries = cli::parse_fleet_file(std::string("dbname=a\ndbname=\0b\n", 19), "f.txt");
        REQUIRE_FALSE(entries.has_value());
        CHECK(entries.error().starts_with("f.txt:2: the line holds a NUL byte"));
    }
    SUBCASE("a file with no database") {
        for (const char* text : {"", "\n\n", "# only\n  # comments\n"}) {
            const auto entries = cli::parse_fleet_file(text, "empty.txt");
            REQUIRE_FALSE(entries.has_value());
            CHECK(entries.error() == "empty.txt: lists no database: give one libpq connection string or "
                                     "service=NAME per line");
        }
    }
}

TEST_CASE("make_fleet") {
    SUBCASE("--dsn first, then the file; named host:port/dbname without the password") {
        const auto fleet = cli::make_fleet({"host=h1 port=6000 dbname=a password=pw1",
                                            "postgresql://u:pw2@h2:6001/b"},
                                           {{"host=h3 port=6002 dbname=c", "f.txt:2", {}}});
        REQUIRE(fleet.has_value());
        REQUIRE(fleet->size() == 3);
        CHECK((*fleet)[0].name == "h1:6000/a");
        CHECK((*fleet)[0].origin == "--dsn 1");
        CHECK((*fleet)[1].name == "h2:6001/b");
        CHECK((*fleet)[1].origin == "--dsn 2");
        CHECK((*fleet)[2].name == "h3:6002/c");
        CHECK((*fleet)[2].origin == "f.txt:2");
    }
    SUBCASE("a service without host or database is named by the service") {
        const auto fleet = cli::make_fleet({"service=reporting", "host=h port=1 dbname=d"}, {});
        REQUIRE(fleet.has_value());
        CHECK((*fleet)[0].name == "service reporting");
    }
    SUBCASE("two entries for the same database get their origin") {
        const auto fleet = cli::make_fleet({"host=h port=1 dbname=d user=a", "host=h port=1 dbname=d user=b"}, {});
        REQUIRE(fleet.has_value());
        CHECK((*fleet)[0].name == "h:1/d (--dsn 1)");
        CHECK((*fleet)[1].name == "h:1/d (--dsn 2)");
    }
    SUBCASE("a malformed --dsn is named by its position") {
        const auto fleet = cli::make_fleet({"dbname=a", "host=b port"}, {});
        REQUIRE_FALSE(fleet.has_value());
        CHECK(fleet.error().starts_with("--dsn number 2: the --dsn value is not a valid connection string"));
    }
}

TEST_CASE("fleet_jobs") {
    CHECK(cli::fleet_jobs(0, 1) == 1);
    CHECK(cli::fleet_jobs(0, 3) == 3);
    CHECK(cli::fleet_jobs(0, 10) == 4);
    CHECK(cli::fleet_jobs(8, 10) == 8);
    CHECK(cli::fleet_jobs(8, 3) == 3);
    CHECK(cli::fleet_jobs(2, 10) == 2);
}
