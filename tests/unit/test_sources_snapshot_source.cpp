#include "analyzer/snapshot_json.hpp"
#include "sources/gzip.hpp"
#include "sources/snapshot_source.hpp"
#include "sources/window_source.hpp"

#include <doctest/doctest.h>
#include <memory>
#include <string>

using namespace dbadvise;

namespace {

std::string snapshot_with(int statements) {
    analyzer::Workload w;
    w.database = "shop";
    w.server_version = "15.4";
    w.server_version_num = 150004;
    w.capture.captured_at = "2025-03-01 12:00:00+00";
    for (int i = 0; i < statements; ++i) {
        analyzer::WorkloadStatement s;
        s.queryid = std::to_string(i + 1);
        s.text = "SELECT " + std::to_string(i);
        s.calls = 10 * (i + 1);
        s.total_ms = 100.0 * (i + 1);
        s.mean_ms = 10;
        w.statements.push_back(s);
    }
    return analyzer::write_snapshot(w, "0.1.0");
}

} // namespace

TEST_CASE("parse_snapshot") {
    SUBCASE("plain or gzip, whatever the name") {
        const std::string text = snapshot_with(2);
        CHECK(sources::parse_snapshot(text, "a.json.gz", "0.1.0").has_value());
        const auto packed =
            sources::parse_snapshot(sources::gzip_compress(text), "a.json", "0.1.0");
        REQUIRE(packed.has_value());
        CHECK(packed->statements.size() == 2);
    }
    SUBCASE("errors name the file, and say when a position is in the decompressed document") {
        CHECK(sources::parse_snapshot("{\"snapshot_version\": 1,", "a.json", "0.1.0").error() ==
              "a.json:1:24: invalid JSON: syntax error while parsing object key - unexpected end "
              "of input; expected string literal");
        CHECK(
            sources::parse_snapshot(sources::gzip_compress("{\"snapshot_version\": 1,"),
                                    "a.json.gz", "0.1.0")
                .error() ==
            "a.json.gz:1:24: invalid JSON: syntax error while parsing object key - unexpected end "
            "of input; expected string literal (line and column of the decompressed document)");
        const std::string packed = sources::gzip_compress(snapshot_with(50));
        CHECK(sources::parse_snapshot(std::string_view(packed).substr(0, packed.size() - 20),
                                      "a.json.gz", "0.1.0")
                  .error() ==
              "a.json.gz: truncated gzip data: the file ends before the compressed stream does");
        CHECK(sources::parse_snapshot(" \n", "empty.json", "0.1.0").error() ==
              "empty.json: empty file: expected a snapshot (dbadvise snapshot -o FILE)");
    }
}

TEST_CASE("SnapshotSource") {
    sources::SnapshotSource source("shop.json", snapshot_with(5), "0.1.0");
    CHECK(source.describe() == "snapshot shop.json");
    const auto capture = source.capture({2, 20, 0});
    REQUIRE(capture.has_value());
    CHECK(capture->description.kind == "snapshot");
    CHECK(capture->description.files == std::vector<std::string>{"shop.json"});
    REQUIRE(capture->workload.statements.size() == 2);
    CHECK(capture->workload.statements[0].queryid == "5");
    CHECK(capture->workload.statements[1].queryid == "4");
}

namespace {

// snapshot_with(statements), its row `row` (0-based) with `calls` instead of its own, and
// its first row repeated `repeats` more times at the end.
std::string damaged_snapshot(int statements, int row, std::string_view calls, int repeats = 0,
                             std::string_view captured_at = "2025-03-01 12:00:00+00") {
    std::string text = snapshot_with(statements);
    text.replace(text.find("2025-03-01 12:00:00+00"), 22, captured_at);
    // Typed rows: [userid, toplevel, queryid, query, calls, ...], one per line.
    const std::string prefix =
        "[0, true, " + std::to_string(row + 1) + ", \"SELECT " + std::to_string(row) + "\", ";
    const std::size_t at = text.find(prefix);
    REQUIRE(at != std::string::npos);
    const std::size_t calls_at = at + prefix.size();
    text.replace(calls_at, text.find(',', calls_at) - calls_at, calls);
    const std::size_t first = text.find("[0, true, 1, ");
    const std::string first_row = text.substr(first, text.find(']', first) + 1 - first);
    const std::size_t end = text.find("\n    ]", first);
    for (int i = 0; i < repeats; ++i)
        text.insert(end, ",\n      " + first_row);
    return text;
}

} // namespace

TEST_CASE("SnapshotSource: rows left out for their values are findings naming file and row") {
    SUBCASE("an impossible counter and a repeated entry") {
        sources::SnapshotSource source("shop.json", damaged_snapshot(3, 1, "-20", 1), "0.1.0");
        const auto capture = source.capture({});
        REQUIRE(capture.has_value());
        CHECK(capture->workload.statements.size() == 2);
        REQUIRE(capture->findings.size() == 2);
        const analyzer::Finding& invalid = capture->findings[0];
        CHECK(invalid.rule_id() == "snapshot-invalid-values");
        CHECK(invalid.severity == analyzer::Severity::warning);
        CHECK(invalid.title == "shop.json: 1 row with values no server produces left out");
        CHECK(invalid.message ==
              "shop.json: /pg_stat_statements/rows/1 (queryid 2, userid 0, toplevel true): calls "
              "is -20: a counter is never negative. The rest of the snapshot is analyzed without "
              "them.");
        const analyzer::Finding& duplicate = capture->findings[1];
        CHECK(duplicate.rule_id() == "snapshot-duplicate-statements");
        CHECK(duplicate.title == "shop.json: 1 row repeating a pg_stat_statements entry left out");
        CHECK(duplicate.message.starts_with(
            "shop.json: /pg_stat_statements/rows/3 (queryid 1, userid 0, toplevel true): the "
            "same entry as /pg_stat_statements/rows/0"));
    }
    SUBCASE("many: the first five, and how many more") {
        sources::SnapshotSource source("shop.json", damaged_snapshot(2, 0, "1", 8), "0.1.0");
        const auto capture = source.capture({});
        REQUIRE(capture.has_value());
        CHECK(capture->workload.statements.size() == 2);
        REQUIRE(capture->findings.size() == 1);
        CHECK(capture->findings[0].title ==
              "shop.json: 8 rows repeating a pg_stat_statements entry left out");
        CHECK(capture->findings[0].message.find("; and 3 more. The first row of each entry is "
                                                "kept") != std::string::npos);
    }
    SUBCASE("a window keeps the findings of both its captures") {
        sources::WindowSource window(
            std::make_unique<sources::SnapshotSource>("a.json", damaged_snapshot(3, 2, "null"),
                                                      "0.1.0"),
            "--since a.json",
            std::make_unique<sources::SnapshotSource>(
                "b.json", damaged_snapshot(3, 0, "10", 1, "2025-03-01 13:00:00+00"), "0.1.0"),
            "b.json");
        const auto capture = window.capture({});
        REQUIRE_MESSAGE(capture.has_value(), (capture ? std::string() : capture.error().message));
        std::vector<std::string> titles;
        for (const analyzer::Finding& finding : capture->findings)
            titles.push_back(finding.title);
        REQUIRE(titles.size() >= 2);
        CHECK(titles[0] == "a.json: 1 row with values no server produces left out");
        CHECK(titles[1] == "b.json: 1 row repeating a pg_stat_statements entry left out");
    }
}

TEST_CASE("SnapshotSource: server activity, or a note naming the checks it skips") {
    SUBCASE("a snapshot without activity: the note names the file and every check that needs it") {
        sources::SnapshotSource source("old.json", snapshot_with(1), "0.1.0");
        const auto capture = source.capture({});
        REQUIRE(capture.has_value());
        CHECK_FALSE(capture->workload.activity.has_value());
        REQUIRE(capture->notes.size() == 1);
        const std::string& note = capture->notes[0];
        CHECK(note.starts_with("snapshot old.json (written before snapshots recorded it) has no server activity"));
        for (const char* rule : {"connections-near-limit", "connection-churn", "idle-in-transaction",
                                 "long-transaction", "lock-wait", "prepared-transaction-open", "xid-wraparound",
                                 "multixact-wraparound", "autovacuum-lag", "sequence-near-max",
                                 "integer-key-near-max", "table-bloat", "index-bloat", "cacheable-result"}) {
            CAPTURE(rule);
            CHECK(note.find(rule) != std::string::npos);
        }
    }
    SUBCASE("a snapshot with activity: read back, no note") {
        auto workload = analyzer::read_snapshot(snapshot_with(1), "0.1.0");
        REQUIRE(workload.has_value());
        workload->activity.emplace();
        workload->activity->stats_window_s = 60;
        sources::SnapshotSource source("new.json", analyzer::write_snapshot(*workload, "0.1.0"), "0.1.0");
        const auto capture = source.capture({});
        REQUIRE(capture.has_value());
        REQUIRE(capture->workload.activity.has_value());
        CHECK(capture->workload.activity->stats_window_s == 60);
        CHECK(capture->notes.empty());
    }
}

TEST_CASE("select_statements") {
    analyzer::Workload w;
    const auto add = [&](std::string id, std::int64_t calls, double total,
                         std::int64_t userid = 1) {
        analyzer::WorkloadStatement s;
        s.queryid = std::move(id);
        s.calls = calls;
        s.total_ms = total;
        s.mean_ms = calls > 0 ? total / static_cast<double>(calls) : 0;
        s.userid = userid;
        w.statements.push_back(s);
    };
    add("10", 5, 50);
    add("-3", 1, 50);
    add("9", 100, 10);
    add("10", 5, 50, 0);
    SUBCASE("order: total time, then queryid as a number, then userid") {
        analyzer::select_statements(w, {});
        CHECK(w.statements[0].queryid == "-3");
        CHECK(w.statements[1].queryid == "10");
        CHECK(w.statements[1].userid == 0);
        CHECK(w.statements[3].queryid == "9");
    }
    SUBCASE("filters, then top") {
        analyzer::select_statements(w, {1, 2, 5});
        REQUIRE(w.statements.size() == 1);
        CHECK(w.statements[0].queryid == "10");
    }
}

TEST_CASE("parse_snapshot: damaged input is an error, never a crash") {
    // Deterministic damage to a valid snapshot, plain and gzip: truncation, flipped bytes,
    // bytes removed and inserted. Every outcome is a Workload or a message naming the file.
    const std::string valid = snapshot_with(3);
    const std::string packed = sources::gzip_compress(valid);
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    const auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int errors = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string bytes = round % 3 == 0 ? packed : valid;
        switch (next() % 4) {
        case 0:
            bytes.resize(next() % bytes.size());
            break;
        case 1:
            for (int i = 0; i < 4; ++i)
                bytes[next() % bytes.size()] = static_cast<char>(next());
            break;
        case 2:
            bytes.erase(next() % bytes.size(), 1 + next() % 16);
            break;
        default:
            bytes.insert(next() % bytes.size(),
                         std::string(1 + next() % 8, static_cast<char>(next())));
            break;
        }
        const auto parsed = sources::parse_snapshot(bytes, "damaged.json", "0.1.0");
        if (!parsed) {
            ++errors;
            CHECK(parsed.error().starts_with("damaged.json"));
        }
    }
    CHECK(errors > 1000);
}

TEST_CASE("parse_snapshot: deeply nested JSON") {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const auto parsed = sources::parse_snapshot(deep, "deep.json", "0.1.0");
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error() == "deep.json: /: expected an object (a dbadvise snapshot), got an array");
}
