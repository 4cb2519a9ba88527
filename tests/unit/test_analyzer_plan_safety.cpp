#include "analyzer/plan_safety.hpp"
#include "test_analyzer_plan_safety_fakes.hpp"

#include <doctest/doctest.h>

using namespace dbadvise;

namespace {

// Judges `sql` against `fake`, where every name not set up otherwise is a harmless built-in.
analyzer::SafetyVerdict judge(const std::string& sql, test::FakeSafetyCatalog fake = {},
                              analyzer::SafetyUse use = analyzer::SafetyUse::execute) {
    const sqlparse::CallInventory inventory = sqlparse::call_inventory(sql);
    analyzer::SafetyQuestions questions;
    analyzer::add_questions(inventory, questions);
    return analyzer::judge_statement(inventory, fake.answer(questions), use);
}

analyzer::SafetyVerdict judge_planning(const std::string& sql, test::FakeSafetyCatalog fake = {}) {
    return judge(sql, std::move(fake), analyzer::SafetyUse::plan);
}

} // namespace

TEST_CASE("judge_statement") {
    SUBCASE("a plain SELECT of immutable and stable functions is safe") {
        test::FakeSafetyCatalog fake;
        fake.function("pg_catalog", "now", 's');
        const auto verdict = judge("SELECT id, lower(name) FROM t WHERE created > now() - $1::interval", fake);
        CHECK(verdict.safe);
        CHECK(verdict.reason.empty());
    }
    SUBCASE("volatile functions, and the harmless volatile built-ins") {
        test::FakeSafetyCatalog fake;
        fake.function("public", "bump", 'v', "plpgsql", false);
        CHECK(judge("SELECT bump()", fake).reason == "it calls bump(): public.bump(), which is volatile");
        test::FakeSafetyCatalog builtin;
        builtin.function("pg_catalog", "random", 'v');
        CHECK(judge("SELECT * FROM t ORDER BY random() LIMIT 5", builtin).safe);
    }
    SUBCASE("the deny list wins over the declared volatility") {
        CHECK(judge("SELECT pg_terminate_backend(pid) FROM pg_stat_activity").reason ==
              "it calls pg_terminate_backend(), which signals another session");
        CHECK(judge("SELECT public.dblink_exec('x', 'y')").reason ==
              "it calls public.dblink_exec(), which runs SQL on another connection");
        CHECK(judge("SELECT txid_current()").reason == "it calls txid_current(), which assigns a transaction id");
        CHECK(judge("SELECT table_to_xml('t', true, true, '')").reason ==
              "it calls table_to_xml(), which runs a query over a whole table");
        CHECK(judge("SELECT lo_get(42)").reason == "it calls lo_get(), which works on large objects");
        CHECK(judge("SELECT pg_try_advisory_xact_lock(1)").reason ==
              "it calls pg_try_advisory_xact_lock(), which takes an advisory lock");
        CHECK(analyzer::denied_function("pg_stat_reset_shared"));
        CHECK_FALSE(analyzer::denied_function("lower"));
    }
    SUBCASE("a STABLE user function whose body calls a denied one") {
        test::FakeSafetyCatalog fake;
        const auto lock = fake.function("pg_catalog", "pg_advisory_lock", 'v');
        const auto sneaky = fake.function("public", "sneaky", 's', "sql", false);
        fake.catalog.functions[sneaky].calls = {lock};
        CHECK(judge("SELECT sneaky(7)", fake).reason ==
              "it calls sneaky(): public.sneaky() calls pg_catalog.pg_advisory_lock(), which takes or releases an "
              "advisory lock");
    }
    SUBCASE("dynamic SQL and languages that cannot be checked") {
        test::FakeSafetyCatalog fake;
        const auto dynamic = fake.function("public", "dyn", 's', "plpgsql", false);
        fake.catalog.functions[dynamic].unchecked_body = "runs dynamic SQL (EXECUTE)";
        CHECK(judge("SELECT dyn()", fake).reason == "it calls dyn(): public.dyn(), which runs dynamic SQL (EXECUTE)");
        test::FakeSafetyCatalog python;
        python.function("public", "py", 'i', "plpython3u", false);
        CHECK(judge("SELECT py()", python).reason ==
              "it calls py(): public.py(), a plpython3u function whose body dbadvise cannot check");
    }
    SUBCASE("views and row-level security policies that call volatile functions") {
        test::FakeSafetyCatalog fake;
        const auto f = fake.function("public", "audit", 'v', "plpgsql", false);
        const auto view = fake.relation("public", "v", 'v');
        fake.catalog.relations[view].calls = {f};
        CHECK(judge("SELECT * FROM v", fake).reason ==
              "it reads view public.v, whose definition calls public.audit(), which is volatile");
        test::FakeSafetyCatalog rls;
        const auto g = rls.function("public", "tenant_ok", 'v', "sql", false);
        const auto table = rls.relation("public", "accounts");
        rls.catalog.relations[table].row_security = true;
        rls.catalog.relations[table].calls = {g};
        CHECK(judge("SELECT * FROM accounts", rls).reason ==
              "it reads table public.accounts, whose row-level security policy calls public.tenant_ok(), which is "
              "volatile");
    }
    SUBCASE("a view over a view, and a foreign table") {
        test::FakeSafetyCatalog fake;
        const auto foreign = fake.relation("public", "remote", 'f');
        const auto view = fake.relation("public", "v", 'v');
        fake.catalog.relations[view].reads = {foreign};
        CHECK(judge("SELECT * FROM v", fake).reason ==
              "it reads view public.v, which reads foreign table public.remote (reading it runs a query on another "
              "server)");
    }
    SUBCASE("aggregates' support functions (an aggregate is always marked immutable)") {
        test::FakeSafetyCatalog fake;
        const auto step = fake.function("public", "agg_step", 'v', "plpgsql", false);
        const auto agg = fake.function("public", "my_agg", 'i', "internal", false);
        fake.catalog.functions[agg].kind = 'a';
        fake.catalog.functions[agg].calls = {step};
        CHECK(judge("SELECT my_agg(x) FROM t", fake).reason ==
              "it calls my_agg(): public.my_agg() calls public.agg_step(), which is volatile");
    }
    SUBCASE("operators, casts and implicit functions") {
        test::FakeSafetyCatalog fake;
        const auto op = fake.function("public", "weird_eq", 'v', "plpgsql", false);
        fake.catalog.operators["==="] = {{"public", op}};
        CHECK(judge("SELECT * FROM t WHERE a === b", fake).reason ==
              "it uses operator ===, implemented by public.weird_eq(), which is volatile");
        test::FakeSafetyCatalog cast;
        const auto in = cast.function("public", "mytype_in", 'v', "c", false);
        cast.catalog.types["mytype"] = {{"public", in}};
        CHECK(judge("SELECT 'x'::mytype", cast).reason ==
              "it casts to mytype, which runs public.mytype_in(), which is volatile");
        test::FakeSafetyCatalog implicit;
        const auto conversion = implicit.function("public", "to_money", 'v', "plpgsql", false);
        implicit.catalog.implicit_functions = {{"the cast from integer to money", conversion}};
        CHECK(judge("SELECT 1", implicit).reason ==
              "it may run the cast from integer to money without naming it, which calls public.to_money(), which is "
              "volatile");
    }
    SUBCASE("attribute notation: t.f may call f(t)") {
        test::FakeSafetyCatalog fake;
        const auto f = fake.function("public", "full_name", 'v', "plpgsql", false);
        fake.catalog.attribute_functions["full_name"] = {{"public", f}};
        CHECK(judge("SELECT p.full_name FROM people p", fake).reason ==
              "`.full_name` may call public.full_name(), which is volatile (attribute notation)");
    }
    SUBCASE("unknown names, schemas and overloads") {
        test::FakeSafetyCatalog fake;
        fake.function("app", "calc", 'i', "sql", false);
        fake.function("other", "calc", 'v', "sql", false);
        // Unqualified: every schema's overloads count, the search_path being unknown.
        CHECK(judge("SELECT calc(1)", fake).reason == "it calls calc(): other.calc(), which is volatile");
        CHECK(judge("SELECT app.calc(1)", fake).safe);
        analyzer::SafetyCatalog empty;
        CHECK(analyzer::judge_statement(sqlparse::call_inventory("SELECT nothing_like_it()"), empty).reason ==
              "it calls nothing_like_it(), which is not in the catalog");
    }
    SUBCASE("statement shapes") {
        CHECK(judge("UPDATE t SET a = 1").reason == "it is not a SELECT");
        CHECK(judge("SELECT 1; SELECT 2").reason == "the text holds 2 statements");
        CHECK(judge("SELECT FROM WHERE (").reason.starts_with("it does not parse: "));
        analyzer::SafetyCatalog cut;
        cut.complete = false;
        CHECK(analyzer::judge_statement(sqlparse::call_inventory("SELECT 1"), cut).reason ==
              "the catalog lookup stopped at its size limit before it covered this statement");
    }
}

TEST_CASE("judge_statement for planning: only what the planner may evaluate counts") {
    SUBCASE("volatile functions, the deny list's volatile ones and aggregates are never run by the planner") {
        test::FakeSafetyCatalog fake;
        fake.function("public", "bump", 'v', "plpgsql", false);
        fake.function("pg_catalog", "pg_terminate_backend", 'v');
        CHECK(judge_planning("UPDATE t SET n = bump() WHERE id = $1", fake).safe);
        CHECK(judge_planning("SELECT pg_terminate_backend(pid) FROM pg_stat_activity FOR UPDATE", fake).safe);
    }
    SUBCASE("an IMMUTABLE function that calls a volatile one is unsafe, in views too") {
        test::FakeSafetyCatalog fake;
        const auto evil = fake.function("public", "evil", 'v', "plpgsql", false);
        const auto folded = fake.function("public", "folded", 'i', "plpgsql", false);
        fake.catalog.functions[folded].calls = {evil};
        CHECK(judge_planning("SELECT * FROM t WHERE id = folded(pi()::int)", fake).reason ==
              "it calls folded(): public.folded() calls public.evil(), which is volatile");
        const auto view = fake.relation("public", "v", 'v');
        fake.catalog.relations[view].calls = {folded};
        CHECK(judge_planning("DELETE FROM t WHERE id IN (SELECT id FROM v)", fake).reason ==
              "it reads view public.v, whose definition calls public.folded() calls public.evil(), which is volatile");
    }
    SUBCASE("a STABLE built-in on the deny list is unsafe: the planner evaluates stable functions to estimate") {
        test::FakeSafetyCatalog fake;
        fake.function("pg_catalog", "txid_current", 's');
        CHECK(judge_planning("SELECT * FROM t WHERE x = txid_current()", fake).reason ==
              "it calls txid_current(): pg_catalog.txid_current(), which assigns a transaction id");
    }
    SUBCASE("more than one statement is never planned") {
        CHECK(judge_planning("SELECT 1; SELECT 2").reason == "the text holds 2 statements");
    }
    SUBCASE("a name the catalog does not know is left to the server") {
        test::FakeSafetyCatalog fake;
        fake.catalog.functions_by_name["gone"] = {};
        CHECK(judge_planning("SELECT gone()", fake).safe);
    }
}
