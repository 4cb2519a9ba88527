#include "analyzer/plan/plan_model.hpp"
#include "plan_test_support.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace dbadvise::analyzer::plan;
using dbadvise::test::read_plan_file;

namespace {

Plan parsed(const std::string& text) {
    auto plan = parse_plan(text);
    REQUIRE_MESSAGE(plan.has_value(), (plan ? std::string() : plan.error().message));
    return std::move(*plan);
}

const PlanNode& at(const Plan& plan, const std::string& path) {
    for (const PlanNode& node : plan.nodes) {
        if (node.path == path) {
            return node;
        }
    }
    FAIL("no node at " << path);
    return plan.nodes.front();
}

std::vector<std::string> shape(const Plan& plan) {
    std::vector<std::string> out;
    for (const PlanNode& node : plan.nodes) {
        out.push_back(node.path + " " + node.node_type + " [" + node.parent_relationship + "] " +
                      node.subplan_name);
    }
    return out;
}

// psql's aligned output of a one-row, multi-line value: header, dashes, " +" marks, footer.
std::string as_psql_output(const std::string& document) {
    std::string out = "                QUERY PLAN\n-------------------------------\n";
    std::size_t start = 0;
    while (start < document.size()) {
        std::size_t end = document.find('\n', start);
        if (end == std::string::npos) {
            end = document.size();
        }
        const std::string line = document.substr(start, end - start);
        const bool last = document.find_first_not_of(" \n", end) == std::string::npos;
        out += " " + line + (last ? "\n" : " +\n");
        if (last) {
            break;
        }
        start = end + 1;
    }
    return out + "(1 row)\n\n";
}

} // namespace

TEST_CASE("parse_json_plan") {
    SUBCASE("captured sequential scan with ANALYZE and BUFFERS") {
        const Plan plan = parsed(read_plan_file("seq_scan_filter.json"));
        CHECK(plan.format == PlanFormat::json);
        REQUIRE(plan.statements.size() == 1);
        REQUIRE(plan.nodes.size() == 1);
        const PlanNode& node = plan.nodes[0];
        CHECK(node.path == "Plan");
        CHECK(node.line == 3);
        CHECK(node.node_type == "Seq Scan");
        CHECK(node.relation == "orders");
        CHECK(node.alias == "orders");
        CHECK(node.label() == "Seq Scan on orders");
        CHECK(node.has_actual);
        CHECK(node.has_timing);
        CHECK(node.actual_rows == 199);
        CHECK(node.actual_loops == 1);
        CHECK(node.rows_removed_by_filter == 199801);
        CHECK(node.filter == "((amount > '10'::numeric) AND (status = 'lost'::text))");
        CHECK(node.has_buffers);
        CHECK(node.buffers.shared.hit == 1915);
        CHECK(node.buffers.shared.read == 0);
        CHECK(node.io_read_ms == 0.0);
        CHECK(node.inclusive_ms == doctest::Approx(node.actual_total_ms));
        CHECK(node.exclusive_ms == doctest::Approx(node.inclusive_ms));
        CHECK(plan.statements[0].planning_ms.has_value());
        CHECK(plan.statements[0].execution_ms.has_value());
        CHECK(plan.statements[0].total_ms == *plan.statements[0].execution_ms);
        CHECK(plan.analyzed);
        CHECK(plan.has_timing);
    }
    SUBCASE("InitPlan, SubPlan and CTE children with VERBOSE, SETTINGS and WAL") {
        const Plan plan = parsed(read_plan_file("subplans.json"));
        CHECK(shape(plan) == std::vector<std::string>{
                                 "Plan Hash Join [] ",
                                 "Plan/Plans[0] Aggregate [InitPlan] CTE top_customers",
                                 "Plan/Plans[0]/Plans[0] Seq Scan [Outer] ",
                                 "Plan/Plans[1] Aggregate [InitPlan] InitPlan 3 (returns $2)",
                                 "Plan/Plans[1]/Plans[0] Seq Scan [Outer] ",
                                 "Plan/Plans[2] CTE Scan [Outer] ",
                                 "Plan/Plans[3] Hash [Inner] ",
                                 "Plan/Plans[3]/Plans[0] Index Only Scan [Outer] ",
                                 "Plan/Plans[4] Aggregate [SubPlan] SubPlan 2",
                                 "Plan/Plans[4]/Plans[0] Bitmap Heap Scan [Outer] ",
                                 "Plan/Plans[4]/Plans[0]/Plans[0] Bitmap Index Scan [Outer] ",
                             });
        const PlanNode& join = at(plan, "Plan");
        const PlanNode& cte = at(plan, "Plan/Plans[0]");
        const PlanNode& initplan = at(plan, "Plan/Plans[1]");
        const PlanNode& cte_scan = at(plan, "Plan/Plans[2]");
        const PlanNode& hash = at(plan, "Plan/Plans[3]");
        const PlanNode& subplan = at(plan, "Plan/Plans[4]");
        CHECK(cte.strategy == "Hashed");
        CHECK(cte.hash_batches == 5);
        CHECK(cte.peak_memory_kb.has_value());
        CHECK(cte.disk_usage_kb.has_value());
        CHECK(cte_scan.cte_name == "top_customers");
        CHECK(cte_scan.alias == "t");
        CHECK(cte_scan.filter == "(t.total > $2)");
        CHECK(at(plan, "Plan/Plans[0]/Plans[0]").schema == "public");
        CHECK(subplan.inclusive_ms == doctest::Approx(subplan.actual_total_ms * 50));
        // The CTE runs inside the CTE Scan that reads it, and the InitPlan inside the CTE
        // Scan's filter that uses $2: both are charged to the CTE Scan, not to the join.
        CHECK(cte_scan.exclusive_ms ==
              doctest::Approx(cte_scan.inclusive_ms - cte.inclusive_ms - initplan.inclusive_ms));
        CHECK(join.exclusive_ms == doctest::Approx(join.inclusive_ms - cte_scan.inclusive_ms -
                                                   hash.inclusive_ms - subplan.inclusive_ms));
        CHECK(join.exclusive_ms > 0);
        CHECK(cte_scan.exclusive_buffers.shared.hit == 0);
        REQUIRE(!plan.statements[0].settings.empty());
        CHECK(plan.statements[0].settings[0] == std::pair<std::string, std::string>{"jit", "off"});
    }
    SUBCASE("parallel workers divide the time below Gather") {
        const Plan plan = parsed(read_plan_file("parallel_workers.json"));
        const PlanNode& gather = at(plan, "Plan/Plans[0]");
        const PlanNode& partial = at(plan, "Plan/Plans[0]/Plans[0]");
        const PlanNode& scan = at(plan, "Plan/Plans[0]/Plans[0]/Plans[0]");
        CHECK(gather.workers_planned == 2);
        CHECK(gather.workers_launched == 2);
        CHECK(scan.parallel_aware);
        CHECK(scan.actual_loops == 3);
        // Three processes (leader and two workers): time x loops / 3.
        CHECK(partial.inclusive_ms == doctest::Approx(partial.actual_total_ms));
        CHECK(gather.exclusive_ms == doctest::Approx(gather.inclusive_ms - partial.inclusive_ms));
        double sum = 0;
        for (const PlanNode& node : plan.nodes) {
            sum += node.exclusive_ms;
        }
        CHECK(sum == doctest::Approx(at(plan, "Plan").inclusive_ms));
    }
    SUBCASE("JIT figures") {
        const Plan plan = parsed(read_plan_file("jit_dominates.json"));
        REQUIRE(plan.statements[0].jit.has_value());
        const Jit& jit = *plan.statements[0].jit;
        CHECK(jit.functions == 5);
        CHECK(jit.generation_ms == doctest::Approx(0.979));
        CHECK(jit.inlining_ms == doctest::Approx(136.934));
        CHECK(jit.optimization_ms == doctest::Approx(41.619));
        CHECK(jit.emission_ms == doctest::Approx(45.189));
        CHECK(jit.total_ms == doctest::Approx(224.721));
    }
    SUBCASE("estimates only (no ANALYZE)") {
        const Plan plan = parsed(read_plan_file("estimate_only.json"));
        CHECK_FALSE(plan.analyzed);
        CHECK_FALSE(plan.has_timing);
        CHECK(plan.nodes.size() == 5);
        CHECK(plan.nodes[0].sort_key == std::vector<std::string>{"o.amount"});
        CHECK(plan.nodes[1].join_type == "Inner");
        CHECK(plan.nodes[1].hash_cond == "(o.customer_id = c.id)");
        CHECK(plan.nodes[0].total_cost > 0);
        CHECK(plan.total_ms() == 0);
    }
    SUBCASE("ANALYZE with TIMING OFF") {
        const Plan plan = parsed(read_plan_file("timing_off.json"));
        CHECK(plan.analyzed);
        CHECK_FALSE(plan.has_timing);
        CHECK(plan.nodes[0].actual_rows == 199);
        CHECK(plan.nodes[0].exclusive_ms == 0);
    }
    SUBCASE("several statements in one array") {
        const Plan plan = parsed(R"([
  {"Plan": {"Node Type": "Result", "Actual Total Time": 1.5, "Actual Rows": 1, "Actual Loops": 1},
   "Execution Time": 2.0},
  {"Plan": {"Node Type": "Seq Scan", "Relation Name": "t", "Actual Total Time": 3.0,
            "Actual Rows": 5, "Actual Loops": 1}}
])");
        REQUIRE(plan.statements.size() == 2);
        CHECK(plan.nodes[0].path == "[0]/Plan");
        CHECK(plan.nodes[1].path == "[1]/Plan");
        CHECK(plan.nodes[1].statement == 1);
        CHECK(plan.nodes[0].line == 2);
        CHECK(plan.nodes[1].line == 4);
        CHECK(plan.statements[0].total_ms == 2.0);
        CHECK(plan.statements[1].total_ms == 3.0);
        CHECK(plan.total_ms() == 5.0);
    }
    SUBCASE("documents one after the other, as psql prints a script of EXPLAINs") {
        const std::string first = read_plan_file("sort_spill.json");
        const std::string second = read_plan_file("hash_batches.json");
        const Plan plan = parsed(first + second);
        REQUIRE(plan.statements.size() == 2);
        CHECK(plan.nodes[0].path == "[0]/Plan");
        CHECK(plan.nodes[2].path == "[1]/Plan");
        CHECK(plan.nodes[2].node_type == "Hash Join");
        CHECK(plan.nodes[2].line ==
              3 + static_cast<int>(std::count(first.begin(), first.end(), '\n')));
        const auto broken = parse_plan(first + "]");
        REQUIRE_FALSE(broken.has_value());
        CHECK(broken.error().message.starts_with(
            "invalid JSON: syntax error while parsing value - unexpected ']'"));
        CHECK(broken.error().line ==
              1 + static_cast<int>(std::count(first.begin(), first.end(), '\n')));
        CHECK(broken.error().column == 1);
    }
    SUBCASE("a single statement object, unknown fields and node types") {
        const Plan plan = parsed(R"({"Plan": {"Node Type": "Quantum Scan", "Future Field":
            {"nested": [1, {"deeper": [true, null]}]}, "Relation Name": "t",
            "Future List": ["a", "b"], "Plan Rows": 10,
            "Plans": [{"Node Type": "Seq Scan", "Relation Name": "u", "Parallel Aware": true}]},
            "Serialization": {"Time": 1.0}, "Execution Time": 1.25})");
        REQUIRE(plan.nodes.size() == 2);
        CHECK(plan.nodes[0].node_type == "Quantum Scan");
        CHECK(plan.nodes[0].relation == "t");
        CHECK(plan.nodes[0].plan_rows == 10);
        CHECK(plan.nodes[1].relation == "u");
        CHECK(plan.nodes[1].parallel_aware);
        CHECK(plan.statements[0].execution_ms == 1.25);
    }
    SUBCASE("psql's aligned output around the JSON document") {
        const std::string document = read_plan_file("hash_batches.json");
        const Plan plan = parsed(as_psql_output(document));
        REQUIRE(plan.nodes.size() == 4);
        CHECK(plan.nodes[2].node_type == "Hash");
        CHECK(plan.nodes[2].hash_batches == 128);
        CHECK(plan.nodes[2].line == parsed(document).nodes[2].line + 2);
    }
}

TEST_CASE("parse_json_plan errors") {
    SUBCASE("truncated document") {
        const std::string text = read_plan_file("seq_scan_filter.json").substr(0, 300);
        const auto plan = parse_plan(text);
        REQUIRE_FALSE(plan.has_value());
        CHECK(plan.error().message ==
              "invalid JSON: syntax error while parsing object key - invalid string: missing "
              "closing quote; last read: '\"Actual Startup Tim'; expected string literal");
        CHECK(plan.error().line == 13);
        CHECK(plan.error().column == 26); // just past the last character read
    }
    SUBCASE("a syntax error in the middle") {
        const auto plan = parse_plan("[{\"Plan\": {\"Node Type\": \"Seq Scan\",\n  }}]");
        REQUIRE_FALSE(plan.has_value());
        CHECK(plan.error().message.starts_with(
            "invalid JSON: syntax error while parsing object key"));
        CHECK(plan.error().line == 2);
        CHECK(plan.error().column == 3);
    }
    SUBCASE("JSON that is not a plan") {
        for (const char* text : {"{\"a\": 1}", "[1, 2]", "[]", "{\"Plan\": 3}"}) {
            CAPTURE(text);
            const auto plan = parse_plan(text);
            REQUIRE_FALSE(plan.has_value());
            CHECK(plan.error().message ==
                  "not an EXPLAIN plan: no object with a \"Plan\" member (expected the output "
                  "of EXPLAIN (FORMAT JSON))");
            CHECK(plan.error().line == 0);
        }
    }
    SUBCASE("a node without a type") {
        const auto plan = parse_plan("[{\"Plan\": {\"Plans\": [{\"Node Type\": \"Result\"}]}}]");
        REQUIRE_FALSE(plan.has_value());
        CHECK(plan.error().message == "not an EXPLAIN plan: the node at Plan has no \"Node Type\"");
        CHECK(plan.error().line == 1);
    }
    SUBCASE("empty input") {
        for (const char* text : {"", "  \n\t\n"}) {
            const auto plan = parse_plan(text);
            REQUIRE_FALSE(plan.has_value());
            CHECK(plan.error().message ==
                  "empty input: expected an EXPLAIN plan in JSON or text format");
        }
    }
    SUBCASE("deep nesting does not exhaust the stack") {
        const std::string text =
            "[{\"Plan\": {\"Node Type\": \"Result\", \"X\": " + std::string(100000, '[') +
            std::string(100000, ']') + "}}]";
        const Plan plan = parsed(text);
        CHECK(plan.nodes.size() == 1);
    }
}

TEST_CASE("parse_text_plan") {
    SUBCASE("captured sequential scan as psql prints it") {
        const Plan text = parsed(read_plan_file("seq_scan_filter_text.txt"));
        CHECK(text.format == PlanFormat::text);
        REQUIRE(text.nodes.size() == 1);
        const PlanNode& node = text.nodes[0];
        CHECK(node.line == 3);
        CHECK(node.node_type == "Seq Scan");
        CHECK(node.relation == "orders");
        CHECK(node.plan_rows == 204);
        CHECK(node.plan_width == 10);
        CHECK(node.total_cost == 4915.0);
        CHECK(node.actual_rows == 199);
        CHECK(node.actual_loops == 1);
        CHECK(node.actual_total_ms == doctest::Approx(40.443));
        CHECK(node.rows_removed_by_filter == 199801);
        CHECK(node.filter == "((amount > '10'::numeric) AND (status = 'lost'::text))");
        CHECK(node.buffers.shared.hit == 1915);
        CHECK(text.statements[0].planning_ms == doctest::Approx(0.588));
        CHECK(text.statements[0].execution_ms == doctest::Approx(40.537));
    }
    SUBCASE("hash join: children, hash batches and settings") {
        const Plan plan = parsed(read_plan_file("hash_batches_text.txt"));
        CHECK(shape(plan) == std::vector<std::string>{
                                 "Plan Hash Join [] ",
                                 "Plan/Plans[0] Seq Scan [Outer] ",
                                 "Plan/Plans[1] Hash [Inner] ",
                                 "Plan/Plans[1]/Plans[0] Seq Scan [Outer] ",
                             });
        const PlanNode& join = plan.nodes[0];
        CHECK(join.join_type == "Inner");
        CHECK(join.hash_cond == "(o.customer_id = c.id)");
        CHECK(join.buffers.temp_read == 834);
        CHECK(join.buffers.temp_written == 834);
        CHECK(join.temp_io_read_ms == doctest::Approx(9.818));
        CHECK(plan.nodes[1].alias == "o");
        const PlanNode& hash = plan.nodes[2];
        CHECK(hash.hash_buckets == 512);
        CHECK(hash.original_hash_buckets == 512);
        CHECK(hash.hash_batches == 128);
        CHECK(hash.original_hash_batches == 64);
        CHECK(hash.peak_memory_kb == 61);
        CHECK(plan.statements[0].settings.size() == 6);
        CHECK(plan.statements[0].settings[2] ==
              std::pair<std::string, std::string>{"hash_mem_multiplier", "1"});
        CHECK(plan.statements[0].execution_ms == doctest::Approx(148.542));
    }
    SUBCASE("the same tree as the JSON format, subplans included") {
        const Plan text = parsed(read_plan_file("subplans_text.txt"));
        const Plan json = parsed(read_plan_file("subplans.json"));
        CHECK(shape(text) == shape(json));
        const PlanNode& cte = at(text, "Plan/Plans[0]");
        CHECK(cte.hash_batches == 5);
        CHECK(cte.peak_memory_kb == 8241);
        CHECK(cte.disk_usage_kb == 752);
        CHECK(at(text, "Plan/Plans[3]/Plans[0]").heap_fetches == 0);
        CHECK(at(text, "Plan/Plans[4]/Plans[0]").exact_heap_blocks == 500);
        CHECK(at(text, "Plan/Plans[4]/Plans[0]/Plans[0]").index_name == "orders_customer_id_idx");
        const PlanNode& cte_scan = at(text, "Plan/Plans[2]");
        CHECK(cte_scan.cte_name == "top_customers");
        CHECK(cte_scan.exclusive_ms == doctest::Approx(cte_scan.inclusive_ms - cte.inclusive_ms -
                                                       at(text, "Plan/Plans[1]").inclusive_ms));
    }
    SUBCASE("VERBOSE per-worker lines do not overwrite the node's figures") {
        const Plan plan = parsed(read_plan_file("parallel_workers_text.txt"));
        REQUIRE(plan.nodes.size() == 4);
        CHECK(plan.nodes[0].partial_mode == "Finalize");
        CHECK(plan.nodes[1].workers_planned == 2);
        CHECK(plan.nodes[1].workers_launched == 2);
        CHECK(plan.nodes[2].partial_mode == "Partial");
        CHECK(plan.nodes[2].buffers.shared.hit == 1915);
        const PlanNode& scan = plan.nodes[3];
        CHECK(scan.parallel_aware);
        CHECK(scan.node_type == "Seq Scan");
        CHECK(scan.schema == "public");
        CHECK(scan.relation == "orders");
        CHECK(scan.actual_loops == 3);
        CHECK(scan.rows_removed_by_filter == 33303);
        CHECK(scan.buffers.shared.hit == 1915);
    }
    SUBCASE("sort method and space") {
        const Plan plan = parsed(read_plan_file("sort_spill_text.txt"));
        CHECK(plan.nodes[0].sort_method == "external merge");
        CHECK(plan.nodes[0].sort_space_type == "Disk");
        CHECK(plan.nodes[0].sort_space_kb == 4168);
        CHECK(plan.nodes[0].sort_key == std::vector<std::string>{"amount"});
    }
    SUBCASE("odd indentation, tabs, no header, bitmap and index-only details") {
        const Plan plan = parsed(
            "Aggregate  (cost=1.00..2.00 rows=1 width=8) (actual time=0.5..0.6 rows=1 loops=1)\n"
            "\t->  Bitmap Heap Scan on \"Order Items\" oi  (cost=0.1..1.0 rows=10 width=0) (actual "
            "time=0.1..0.4 rows=10 loops=1)\n"
            "\t\t  Recheck Cond: (id < 10)\n"
            "\t\t  Rows Removed by Index Recheck: 75534\n"
            "\t\t  Heap Blocks: exact=877 lossy=1038\n"
            "\t\t  ->  Bitmap Index Scan on oi_pkey  (cost=0.00..0.1 rows=10 width=0) (actual "
            "time=0.05..0.05 rows=10 loops=1)\n"
            "\t\t\t\tIndex Cond: (id < 10)\n"
            "\t->  Index Only Scan Backward using t_pkey on public.t  (cost=0.1..1.0 rows=10 "
            "width=4) (never executed)\n"
            "\t\t  Heap Fetches: 12\n"
            "   Planning Time: 0.1 ms\n"
            "   Execution Time: 0.7 ms\n");
        REQUIRE(plan.nodes.size() == 4);
        const PlanNode& heap = plan.nodes[1];
        CHECK(heap.relation == "Order Items");
        CHECK(heap.alias == "oi");
        CHECK(heap.parent == 0);
        CHECK(heap.recheck_cond == "(id < 10)");
        CHECK(heap.rows_removed_by_index_recheck == 75534);
        CHECK(heap.exact_heap_blocks == 877);
        CHECK(heap.lossy_heap_blocks == 1038);
        CHECK(plan.nodes[2].parent == 1);
        CHECK(plan.nodes[2].index_name == "oi_pkey");
        CHECK(plan.nodes[2].index_cond == "(id < 10)");
        const PlanNode& ios = plan.nodes[3];
        CHECK(ios.parent == 0);
        CHECK(ios.parent_relationship == "Inner");
        CHECK(ios.node_type == "Index Only Scan");
        CHECK(ios.scan_direction == "Backward");
        CHECK(ios.index_name == "t_pkey");
        CHECK(ios.schema == "public");
        CHECK(ios.never_executed);
        CHECK(ios.heap_fetches == 12);
        CHECK(plan.statements[0].execution_ms == doctest::Approx(0.7));
    }
    SUBCASE("join types and costs-off root") {
        const Plan plan = parsed("Nested Loop Left Join\n"
                                 "  ->  Seq Scan on a\n"
                                 "  ->  Hash Right Anti Join\n"
                                 "        ->  HashAggregate\n"
                                 "        ->  Hash\n"
                                 "              ->  Function Scan on generate_series g\n");
        REQUIRE(plan.nodes.size() == 6);
        CHECK(plan.nodes[0].node_type == "Nested Loop");
        CHECK(plan.nodes[0].join_type == "Left");
        CHECK(plan.nodes[2].node_type == "Hash Join");
        CHECK(plan.nodes[2].join_type == "Right Anti");
        CHECK(plan.nodes[3].node_type == "Aggregate");
        CHECK(plan.nodes[3].strategy == "Hashed");
        CHECK(plan.nodes[4].node_type == "Hash");
        CHECK(plan.nodes[5].function_name == "generate_series");
        CHECK(plan.nodes[5].alias == "g");
        CHECK(plan.nodes[5].path == "Plan/Plans[1]/Plans[1]/Plans[0]");
    }
    SUBCASE("JIT, triggers and settings sections") {
        const Plan plan = parsed(
            " Aggregate  (cost=10.56..10.57 rows=1 width=40) (actual time=223.896..223.898 rows=1 "
            "loops=1)\n"
            "   ->  Index Scan using orders_pkey on orders  (cost=0.42..10.08 rows=95 width=6) "
            "(actual time=0.069..0.096 rows=100 loops=1)\n"
            "         Index Cond: (id <= 100)\n"
            " Settings: jit_above_cost = '0', work_mem = '64kB'\n"
            " Planning Time: 0.802 ms\n"
            " Trigger for constraint orders_customer_fk: time=1.5 calls=100\n"
            " JIT:\n"
            "   Functions: 5\n"
            "   Options: Inlining true, Optimization true, Expressions true, Deforming true\n"
            "   Timing: Generation 0.979 ms (Deform 0.1 ms), Inlining 136.934 ms, Optimization "
            "41.619 ms, Emission 45.189 ms, Total 224.721 ms\n"
            " Execution Time: 543.233 ms\n");
        REQUIRE(plan.nodes.size() == 2);
        const PlanStatement& statement = plan.statements[0];
        REQUIRE(statement.jit.has_value());
        CHECK(statement.jit->functions == 5);
        CHECK(statement.jit->generation_ms == doctest::Approx(0.979));
        CHECK(statement.jit->inlining_ms == doctest::Approx(136.934));
        CHECK(statement.jit->total_ms == doctest::Approx(224.721));
        CHECK(statement.execution_ms == doctest::Approx(543.233));
        CHECK(statement.settings == std::vector<std::pair<std::string, std::string>>{
                                        {"jit_above_cost", "0"}, {"work_mem", "64kB"}});
        CHECK(plan.nodes[1].index_cond == "(id <= 100)");
    }
    SUBCASE("two plans one after the other") {
        const std::string one = read_plan_file("healthy_text.txt");
        const Plan plan = parsed(one + one);
        REQUIRE(plan.statements.size() == 2);
        CHECK(plan.nodes[1].path == "[1]/Plan");
        CHECK(plan.nodes[1].line == 12);
    }
    SUBCASE("not a plan") {
        const auto plan = parse_plan("hello world\nsecond line\n");
        REQUIRE_FALSE(plan.has_value());
        CHECK(plan.error().message ==
              "not an EXPLAIN plan: expected a plan node, found \"hello world\"");
        CHECK(plan.error().line == 1);
        CHECK(plan.error().column == 1);
        const auto header_only = parse_plan(" QUERY PLAN \n------------\n(0 rows)\n");
        REQUIRE_FALSE(header_only.has_value());
        CHECK(header_only.error().message.starts_with(
            "not an EXPLAIN plan: no plan node line found"));
    }
}

// Regression guard for bad input: every prefix of every captured plan, and copies with
// bytes overwritten, either parse or fail with a located message; none crashes.
TEST_CASE("parse_plan survives truncated and corrupted plans") {
    for (const char* file : {"subplans.json", "hash_batches.json", "jit_dominates.json",
                             "subplans_text.txt", "parallel_workers_text.txt"}) {
        CAPTURE(file);
        const std::string text = read_plan_file(file);
        const bool json = text.front() == '[';
        for (std::size_t cut = 1; cut + 8 < text.size(); cut += 61) {
            CAPTURE(cut);
            const auto plan = parse_plan(text.substr(0, cut));
            if (json) {
                REQUIRE_FALSE(plan.has_value());
                CHECK(plan.error().line > 0);
                CHECK(plan.error().column > 0);
            } else if (plan) {
                CHECK_FALSE(plan->nodes.empty());
            }
        }
        std::uint32_t seed = 12345;
        for (int round = 0; round < 200; ++round) {
            std::string corrupted = text;
            for (int flips = 0; flips < 3; ++flips) {
                seed = seed * 1103515245U + 12345U;
                const std::size_t at = (seed >> 8) % corrupted.size();
                corrupted[at] = "{}[]\",:0 x\n\\"[(seed >> 4) % 13];
            }
            const auto plan = parse_plan(corrupted);
            if (!plan) {
                CHECK_FALSE(plan.error().message.empty());
            }
        }
    }
}

TEST_CASE("a plan nested 20000 levels deep") {
    std::string text = "[{\"Plan\": ";
    const int depth = 20000;
    for (int i = 0; i < depth; ++i) {
        text += "{\"Node Type\": \"Hash Join\", \"Plan Rows\": 1, \"Actual Rows\": 5000, "
                "\"Actual Loops\": 1, \"Actual Total Time\": 1.0, \"Plans\": [";
    }
    text += "{\"Node Type\": \"Seq Scan\", \"Relation Name\": \"t\"}";
    for (int i = 0; i < depth; ++i) {
        text += "]}";
    }
    text += "}]";
    const Plan plan = parsed(text);
    REQUIRE(plan.nodes.size() == depth + 1);
    CHECK(plan.nodes.back().depth == depth);
    // Paths stay short past 100 levels: named by index below the deepest named ancestor.
    CHECK(plan.nodes[100].path.ends_with("/Plans[0]"));
    CHECK(plan.nodes[101].path == plan.nodes[100].path + "/.../node 101");
    CHECK(plan.nodes.back().path == plan.nodes[100].path + "/.../node 20000");
}

TEST_CASE("plan_shape") {
    const auto plan = parse_json_plan(R"([{"Plan": {"Node Type": "Hash Join", "Plans": [
        {"Node Type": "Seq Scan", "Relation Name": "orders", "Alias": "o", "Parallel Aware": true},
        {"Node Type": "Hash", "Plans": [{"Node Type": "Index Scan", "Relation Name": "customers",
                                         "Index Name": "customers_pkey", "Alias": "customers"}]}]}}])");
    REQUIRE(plan);
    CHECK(plan_shape(*plan) ==
          "Hash Join (Parallel Seq Scan on orders o, Hash > Index Scan using customers_pkey on customers)");
    CHECK(plan_shape(Plan{}).empty());
}
