// Parameter typing for PREPARE: types from where each parameter sits, and the bounded search
// against a fake server that rejects what PostgreSQL rejects.
#include "analyzer/advisor/advisor.hpp"
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <functional>

namespace {

using namespace dbadvise::analyzer;
using namespace dbadvise::analyzer::advisor;

Workload lineitem() {
    Workload workload;
    workload.server_version_num = 150004;
    workload.search_path = {"public"};
    CatalogTable table;
    table.schema = "public";
    table.name = "lineitem";
    table.reltuples = 6'000'000;
    table.relpages = 100'000;
    table.columns = {{"l_orderkey", "bigint", 1, true},
                     {"l_discount", "numeric(15,2)", 2, true},
                     {"l_shipdate", "date", 3, true},
                     {"l_returnflag", "character(1)", 4, true},
                     {"l_comment", "character varying(44)", 5, true}};
    workload.tables.push_back(table);
    return workload;
}

// A server that accepts a PREPARE when `accepts(types)` says so, and otherwise answers with
// PostgreSQL's error for the statement (SQLSTATE 42883, a position).
class TypingPlanner final : public Planner {
public:
    std::function<bool(const std::vector<std::string>&)> accepts;
    std::vector<std::vector<std::string>> tried;
    std::expected<std::vector<std::string>, PlannerError>
    describe(const std::string&, const std::vector<std::string>& types) override {
        tried.push_back(types);
        if (accepts(types)) {
            std::vector<std::string> out = types;
            for (std::string& t : out) {
                if (t.empty()) t = "text";
            }
            return out;
        }
        PlannerError error("function sum(text) does not exist", false);
        error.sqlstate = "42883";
        error.position = 7;
        return std::unexpected(error);
    }
    std::expected<PlanResult, PlannerError> plan(const PlanRequest&) override { return PlanResult{}; }
    int planner_calls() const override { return 0; }
    int hypothetical_indexes_created() const override { return 0; }
    bool supports_hypothetical() const override { return true; }
};

struct Fixture {
    Workload workload = lineitem();
    WorkloadStatement source;
    ParsedWorkloadStatement parsed;
    StatementSetup setup;
    explicit Fixture(const std::string& sql) {
        source.queryid = "1";
        source.text = sql;
        source.calls = 1;
        parsed = {&source, dbadvise::sqlparse::parse_statement(sql)};
        setup = setup_statement(workload, parsed, 0);
    }
};

} // namespace

TEST_CASE("inferred_types") {
    SUBCASE("CASE results in sum(): numeric; the compared column's type for the tests") {
        Fixture f("SELECT sum(CASE WHEN l_returnflag = $1 OR l_returnflag = $2 THEN $3 ELSE $4 END) FROM lineitem");
        const auto types = inferred_types(f.setup, TypeMemory{});
        CHECK(types == std::vector<std::string>{"character(1)", "character(1)", "numeric", "numeric"});
    }
    SUBCASE("arithmetic of parameters compared with a numeric column") {
        Fixture f("SELECT 1 FROM lineitem WHERE l_discount BETWEEN $1 - $2 AND $3 + $4");
        const auto types = inferred_types(f.setup, TypeMemory{});
        CHECK(types == std::vector<std::string>{"numeric(15,2)", "numeric(15,2)", "numeric(15,2)", "numeric(15,2)"});
    }
    SUBCASE("date plus a parameter, modulo in a concatenation, generate_series, LIMIT") {
        Fixture f("SELECT $1 % $2 || 'x', generate_series($3, $4) FROM lineitem "
                  "WHERE l_shipdate < date $5 + $6 LIMIT $7");
        // `date $5` is repaired into `$5::date` before the types are read.
        CHECK(f.setup.sql.find("$5::date") != std::string::npos);
        const auto types = inferred_types(f.setup, TypeMemory{});
        REQUIRE(types.size() == 7);
        CHECK(types[0] == "integer");
        CHECK(types[1] == "integer");
        CHECK(types[2] == "bigint");
        CHECK(types[4] == "date");
        CHECK(types[5] == "integer");
        CHECK(types[6] == "bigint");
    }
    SUBCASE("EXTRACT field and substring bounds") {
        Fixture f("SELECT extract($1 FROM l_shipdate), substring(l_comment from $2 for $3) FROM lineitem");
        const auto types = inferred_types(f.setup, TypeMemory{});
        CHECK(types == std::vector<std::string>{"text", "integer", "integer"});
    }
    SUBCASE("arithmetic of parameters as a function's argument: the argument's type") {
        // pg_dump's `substr(o, length('...') + 1)` as pg_stat_statements normalizes it: numeric
        // operands would make it substr(text, numeric), which does not exist.
        Fixture f("SELECT substr(l_comment, $1 + $2), round(l_discount, $3 - $4), "
                  "to_timestamp($5 * $6) FROM lineitem");
        const auto types = inferred_types(f.setup, TypeMemory{});
        CHECK(types == std::vector<std::string>{"integer", "integer", "integer", "integer",
                                                "double precision", "double precision"});
    }
    SUBCASE("overlay, trim and position, whose keywords hide the function's arguments") {
        Fixture f("SELECT overlay(l_comment placing $1 from $2 for $3), trim(both $4 from l_comment), "
                  "position($5 in l_comment) FROM lineitem");
        const auto types = inferred_types(f.setup, TypeMemory{});
        CHECK(types == std::vector<std::string>{"text", "integer", "integer", "text", "text"});
    }
    SUBCASE("what worked before is tried first") {
        Fixture f("SELECT generate_series($1, $2) FROM lineitem");
        TypeMemory memory;
        memory.learned["function generate_series 0/2"] = "numeric";
        CHECK(inferred_types(f.setup, memory).front() == "numeric");
    }
}

TEST_CASE("prepare_types") {
    SUBCASE("the server's own inference first: no explicit types when it works") {
        Fixture f("SELECT l_orderkey FROM lineitem WHERE l_orderkey = $1");
        TypingPlanner planner;
        planner.accepts = [](const std::vector<std::string>&) { return true; };
        TypeMemory memory;
        const auto types = prepare_types(planner, f.setup, memory);
        REQUIRE(types);
        CHECK(planner.tried.size() == 1);
        CHECK(f.setup.param_types.empty());
    }
    SUBCASE("inferred types when the server cannot type a parameter") {
        Fixture f("SELECT sum(CASE WHEN l_returnflag = $1 THEN $2 ELSE $3 END) FROM lineitem");
        TypingPlanner planner;
        planner.accepts = [](const std::vector<std::string>& t) { return t.size() == 3 && t[1] == "numeric"; };
        TypeMemory memory;
        const auto types = prepare_types(planner, f.setup, memory);
        REQUIRE(types);
        CHECK(planner.tried.size() == 2);
        CHECK(f.setup.param_types[1] == "numeric");
    }
    SUBCASE("a bounded search over likely types, remembered for the next statement") {
        Fixture f("SELECT generate_series($1, $2) FROM lineitem");
        TypingPlanner planner;
        // Only (integer, ...) is accepted: the guess bigint fails, the search finds integer.
        planner.accepts = [](const std::vector<std::string>& t) { return t.size() == 2 && t[0] == "integer"; };
        TypeMemory memory;
        const auto types = prepare_types(planner, f.setup, memory);
        REQUIRE(types);
        CHECK(f.setup.param_types.front() == "integer");
        CHECK(memory.learned.at("function generate_series 0/2") == "integer");
        CHECK(planner.tried.size() <= 12);
    }
    SUBCASE("what no type fixes fails with the server's error, flagged as a typing failure") {
        Fixture f("SELECT sum(CASE WHEN l_returnflag = $1 THEN $2 ELSE $3 END) FROM lineitem");
        TypingPlanner planner;
        planner.accepts = [](const std::vector<std::string>&) { return false; };
        TypeMemory memory;
        const auto types = prepare_types(planner, f.setup, memory, 6);
        REQUIRE_FALSE(types);
        CHECK(types.error().parameter_types);
        CHECK(types.error().error.message == "function sum(text) does not exist");
        CHECK(types.error().attempts == 6);
        CHECK(planner.tried.size() == 6);
    }
    SUBCASE("an error that is not about types is not searched") {
        Fixture f("SELECT l_orderkey FROM lineitem WHERE l_orderkey = $1");
        class Gone final : public Planner {
        public:
            int describes = 0;
            std::expected<std::vector<std::string>, PlannerError> describe(const std::string&,
                                                                           const std::vector<std::string>&) override {
                ++describes;
                PlannerError error("relation \"lineitem\" does not exist", false);
                error.sqlstate = "42P01";
                return std::unexpected(error);
            }
            std::expected<PlanResult, PlannerError> plan(const PlanRequest&) override { return PlanResult{}; }
            int planner_calls() const override { return 0; }
            int hypothetical_indexes_created() const override { return 0; }
            bool supports_hypothetical() const override { return true; }
        } planner;
        TypeMemory memory;
        const auto types = prepare_types(planner, f.setup, memory);
        REQUIRE_FALSE(types);
        CHECK_FALSE(types.error().parameter_types);
        CHECK(planner.describes == 1);
    }
}
