#include "sources/session_table.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

using dbadvise::sources::SessionTable;

TEST_CASE("SessionTable finds, inserts, removes and revives as a map does") {
    // Sessions of every length the table reads differently (none, 1-3, 4-7 and 8 bytes, and
    // longer), among them texts that differ only in bytes its head does not hold (after the
    // eighth) or that share a head and differ in length.
    std::vector<std::string> sessions = {"", "1", "12", "123", "1234", "12345", "1234567", "12345678",
                                         "123456789", "1234567890", "12345678901234567", "12345678901234568",
                                         "22345678901234567", "a\tb", "\x01\x02", std::string(3, '\0'),
                                         std::string(2, '\0'), std::string(1, '\0')};
    std::mt19937 random(11);
    for (int i = 0; i < 3000; ++i) sessions.push_back(std::to_string(random() % 100000));
    std::ranges::sort(sessions);
    sessions.erase(std::unique(sessions.begin(), sessions.end()), sessions.end());

    SessionTable<int> table;
    std::map<std::string, int> live;                 // what the table should hold
    std::map<std::string, int> left;                 // the value each removed session left
    for (int step = 0; step < 200000; ++step) {
        const std::string& session = sessions[random() % sessions.size()];
        const std::size_t found = table.find(session);
        const auto expected = live.find(session);
        REQUIRE((found == table.npos) == (expected == live.end()));
        if (found != table.npos) {
            REQUIRE(table[found] == expected->second);
            if (random() % 3 == 0) { // the statement ends
                left[session] = table[found];
                table.remove(found);
                live.erase(expected);
            } else {
                table[found] = step;
                expected->second = step;
            }
        } else {
            const std::size_t index = table.insert(session);
            // As the session left it, unless its entry was dropped since.
            if (const auto before = left.find(session); before != left.end() && table[index] != 0)
                CHECK(table[index] == before->second);
            table[index] = step;
            live[session] = step;
        }
        REQUIRE(table.size() == live.size());
        REQUIRE(table.empty() == live.empty());
        if (step % 50000 == 49999) {
            std::map<std::string, int> seen;
            table.for_each([&seen](std::string_view name, int& value) { seen.emplace(std::string(name), value); });
            CHECK(seen == live);
        }
    }
    table.clear();
    CHECK(table.empty());
    for (const auto& [session, value] : live) CHECK(table.find(session) == table.npos);
}

TEST_CASE("SessionTable keeps a removed session's value, and memory follows the live entries") {
    SessionTable<std::string> table;
    table[table.insert("main")] = "SELECT 1";
    table.remove(table.find("main"));
    CHECK(table.find("main") == table.npos);
    CHECK(table[table.insert("main")] == "SELECT 1"); // its value as left: the text's memory is reused
    CHECK(table.insert("main") == table.find("main")); // live already: the same entry
    CHECK(table.size() == 1);

    // A log of many short connections: a million sessions, each live for one statement,
    // 20 at once. The removed ones are dropped as they come: every live one stays found.
    for (int pid = 1; pid <= 1000000; ++pid) {
        table[table.insert(std::to_string(pid))] = "x";
        if (pid > 20) table.remove(table.find(std::to_string(pid - 20)));
    }
    CHECK(table.size() == 21); // main and the last 20
    CHECK(table.find("main") != table.npos);
    for (int pid = 1000000 - 19; pid <= 1000000; ++pid) CHECK(table.find(std::to_string(pid)) != table.npos);
    CHECK(table.find("999980") == table.npos);
    CHECK(table.entries() <= 2 * table.size() + 1024);
}

TEST_CASE("SessionTable: values stay with their sessions when removed entries are dropped; clear") {
    SessionTable<std::string> table;
    // 50 sessions stay live throughout, each with a value of its own, while 100,000 short ones
    // come and go: the table drops the removed entries many times over.
    for (int pid = 0; pid < 50; ++pid) table[table.insert("keep" + std::to_string(pid))] = "value " + std::to_string(pid);
    for (int pid = 0; pid < 100000; ++pid) {
        const std::string name = "short" + std::to_string(pid);
        table[table.insert(name)] = name;
        table.remove(table.find(name));
    }
    CHECK(table.size() == 50);
    CHECK(table.entries() <= 2 * 50 + 1024);
    for (int pid = 0; pid < 50; ++pid) {
        const std::size_t found = table.find("keep" + std::to_string(pid));
        REQUIRE(found != table.npos);
        CHECK(table[found] == "value " + std::to_string(pid));
    }
    // A recent short one not dropped yet comes back with its value.
    CHECK(table[table.insert("short99999")] == "short99999");

    // clear() removes every live entry; inserting one again gives it back.
    table.clear();
    CHECK(table.empty());
    CHECK(table.find("keep7") == table.npos);
    CHECK(table[table.insert("keep7")] == "value 7");
    CHECK(table.size() == 1);
    std::size_t seen = 0;
    table.for_each([&seen](std::string_view name, std::string& value) {
        ++seen;
        CHECK(name == "keep7");
        CHECK(value == "value 7");
    });
    CHECK(seen == 1);
}
