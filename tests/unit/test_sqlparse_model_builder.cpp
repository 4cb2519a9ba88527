// The query model built from libpg_query's parse tree (sqlparse/model_builder.cpp), checked
// through the public parse_statement.
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace dbadvise::sqlparse;

namespace {

Statement model_of(std::string_view sql) {
    ParsedStatement parsed = parse_statement(sql);
    if (parsed.error) {
        FAIL("unexpected parse error: " << parsed.error->message);
    }
    REQUIRE(parsed.statement.has_value());
    return std::move(*parsed.statement);
}

std::string_view text_of(std::string_view sql, Span span) {
    REQUIRE(span.valid());
    return sql.substr(static_cast<std::size_t>(span.begin),
                      static_cast<std::size_t>(span.end - span.begin));
}

int at(std::string_view sql, std::string_view needle, std::size_t from = 0) {
    const auto pos = sql.find(needle, from);
    REQUIRE(pos != std::string_view::npos);
    return static_cast<int>(pos);
}

} // namespace

TEST_CASE("build_statement: relations and joins") {
    SUBCASE("schema, name, alias and offset") {
        const std::string sql = "SELECT 1 FROM shop.orders AS o, customers";
        const Query q = model_of(sql).query;
        REQUIRE(q.relations.size() == 2);
        CHECK(q.relations[0].schema == "shop");
        CHECK(q.relations[0].name == "orders");
        CHECK(q.relations[0].alias == "o");
        CHECK(q.relations[0].ref_name() == "o");
        CHECK(q.relations[0].offset == at(sql, "shop"));
        CHECK(q.relations[1].schema.empty());
        CHECK(q.relations[1].ref_name() == "customers");
        CHECK(q.from_offset == at(sql, "FROM"));
        CHECK(q.joins.empty());
    }
    SUBCASE("join types and conditions") {
        const std::string sql =
            "SELECT 1 FROM a JOIN b ON b.id = a.b_id LEFT JOIN c USING (id) CROSS JOIN d "
            "FULL JOIN e ON true NATURAL RIGHT JOIN f";
        const Query q = model_of(sql).query;
        CHECK(q.relations.size() == 6);
        REQUIRE(q.joins.size() == 5);
        CHECK(q.joins[0].type == Join::Type::inner);
        CHECK(q.joins[0].has_condition);
        CHECK(q.joins[0].offset == at(sql, "JOIN"));
        CHECK(q.joins[1].type == Join::Type::left);
        CHECK(q.joins[1].has_condition);
        CHECK(q.joins[2].type == Join::Type::cross);
        CHECK_FALSE(q.joins[2].has_condition);
        CHECK(q.joins[2].offset == at(sql, "JOIN", at(sql, "CROSS")));
        CHECK(q.joins[3].type == Join::Type::full);
        CHECK(q.joins[4].type == Join::Type::right);
        CHECK(q.joins[4].has_condition);
        REQUIRE(q.join_conditions.size() == 1);
        CHECK(q.join_conditions[0].left.qualifier == "b");
        CHECK(q.join_conditions[0].left.relation == 1);
        CHECK(q.join_conditions[0].right.name == "b_id");
        CHECK(q.join_conditions[0].right.relation == 0);
        CHECK(q.join_conditions[0].op == "=");
    }
    SUBCASE("join conditions from WHERE equalities between two relations") {
        const std::string sql = "SELECT 1 FROM o, c WHERE o.cid = c.id AND o.x = 1 OR o.y = c.y";
        const Query q = model_of(sql).query;
        // The OR makes the whole WHERE one disjunction: no conjunct is a join condition.
        CHECK(q.join_conditions.empty());
        const Query q2 = model_of("SELECT 1 FROM o, c WHERE o.cid = c.id AND o.x = 1").query;
        REQUIRE(q2.join_conditions.size() == 1);
        CHECK(q2.join_conditions[0].left.relation == 0);
        CHECK(q2.join_conditions[0].right.relation == 1);
        REQUIRE(q2.predicates.size() == 1);
        CHECK(q2.predicates[0].column.name == "x");
    }
    SUBCASE("non-join conjuncts of ON are predicates") {
        const Query q = model_of("SELECT 1 FROM a JOIN b ON b.id = a.id AND b.kind = 'x'").query;
        CHECK(q.join_conditions.size() == 1);
        REQUIRE(q.predicates.size() == 1);
        CHECK(q.predicates[0].column.qualifier == "b");
        CHECK(q.predicates[0].column.relation == 1);
        CHECK(q.predicates[0].operand.text == "'x'");
    }
    SUBCASE("CTE references, FROM subqueries and FROM functions") {
        const std::string sql =
            "WITH recent AS (SELECT * FROM orders) SELECT 1 FROM recent r, (SELECT 2 FROM x) AS s, "
            "generate_series(1, 3) g";
        const Statement s = model_of(sql);
        const Query& q = s.query;
        REQUIRE(q.cte_names.size() == 1);
        CHECK(q.cte_names[0] == "recent");
        REQUIRE(q.relations.size() == 3);
        CHECK(q.relations[0].name == "recent");
        CHECK(q.relations[0].is_cte);
        CHECK(q.relations[1].name.empty());
        CHECK(q.relations[1].alias == "s");
        CHECK(q.relations[2].name == "generate_series");
        CHECK(q.relations[0].kind == RelationKind::cte);
        CHECK(q.relations[1].kind == RelationKind::subquery);
        CHECK(q.relations[2].kind == RelationKind::function);
        REQUIRE(q.subqueries.size() == 2);
        CHECK(text_of(sql, q.subqueries[0].span) == "SELECT * FROM orders");
        CHECK_FALSE(q.subqueries[0].relations[0].is_cte);
        CHECK(q.subqueries[1].context == ClauseContext::from);
        CHECK(text_of(sql, q.subqueries[1].span) == "SELECT 2 FROM x");
        CHECK(q.subqueries[1].relations[0].kind == RelationKind::table);
    }
    SUBCASE("a wrapped join key: a predicate on the bare side with an expression operand") {
        const std::string sql = "SELECT a.id FROM a JOIN b ON lower(a.x) = b.y";
        const Query q = model_of(sql).query;
        CHECK(q.join_conditions.empty()); // column = column only
        REQUIRE(q.predicates.size() == 1);
        CHECK(q.predicates[0].column.qualifier == "b");
        CHECK(q.predicates[0].column.name == "y");
        CHECK(q.predicates[0].column.relation == 1);
        CHECK(q.predicates[0].op == "=");
        CHECK(q.predicates[0].operand.kind == OperandKind::expression);
        CHECK(q.predicates[0].operand.text == "lower(a.x)");
    }
    SUBCASE("TABLESAMPLE: the sampled table with its alias") {
        const std::string sql =
            "SELECT o.id FROM shop.orders AS o TABLESAMPLE SYSTEM (10) REPEATABLE (42) "
            "WHERE o.status = 'x'";
        const Query q = model_of(sql).query;
        REQUIRE(q.relations.size() == 1);
        CHECK(q.relations[0].schema == "shop");
        CHECK(q.relations[0].name == "orders");
        CHECK(q.relations[0].alias == "o");
        CHECK(q.relations[0].kind == RelationKind::table);
        CHECK(q.relations[0].offset == at(sql, "shop.orders"));
        REQUIRE(q.predicates.size() == 1);
        CHECK(q.predicates[0].column.relation == 0);
    }
}

TEST_CASE("build_statement: a relation named by a psql variable") {
    // psql substitutes the variable before the server sees the statement: the name the parser
    // saw (a placeholder) says nothing about the table.
    const std::string sql = "SELECT 1 FROM :\"tbl\" a, :tbl b, :sch.orders c, public.:\"t\" d, "
                            "orders e, (SELECT 1 FROM :\"inner\") f";
    const std::vector<ParsedStatement> parsed = parse_script(sql);
    REQUIRE(parsed.size() == 1);
    REQUIRE(parsed[0].statement.has_value());
    const Query& q = parsed[0].statement->query;
    REQUIRE(q.relations.size() == 6);
    CHECK(q.relations[0].psql_variable);
    CHECK(q.relations[0].name == "tbl");
    CHECK(q.relations[1].psql_variable);
    CHECK(q.relations[2].psql_variable);
    CHECK(q.relations[2].name == "orders");
    CHECK(q.relations[3].psql_variable);
    CHECK(!q.relations[4].psql_variable);
    CHECK(!q.relations[5].psql_variable); // the subquery
    REQUIRE(q.subqueries.size() == 1);
    REQUIRE(q.subqueries[0].relations.size() == 1);
    CHECK(q.subqueries[0].relations[0].psql_variable);
}

TEST_CASE("build_statement: column resolution") {
    SUBCASE("qualified by alias or name, unqualified with one relation") {
        const Query q = model_of("SELECT o.a, b FROM orders o WHERE orders_x = 1").query;
        REQUIRE(q.targets.size() == 2);
        CHECK(q.targets[0].column->relation == 0);
        CHECK(q.targets[1].column->relation == 0);
        CHECK(q.predicates.at(0).column.relation == 0);
    }
    SUBCASE("ambiguous or unknown is -1") {
        const Query q = model_of("SELECT a, x.b, c.d FROM t1, t2 c").query;
        CHECK(q.targets[0].column->relation == -1);
        CHECK(q.targets[1].column->relation == -1);
        CHECK(q.targets[2].column->relation == 1);
    }
}

TEST_CASE("build_statement: predicates") {
    SUBCASE("column-left normalisation commutes the operator") {
        const std::string sql = "SELECT 1 FROM t WHERE $1 = id AND 10 < amount AND 5 >= t.qty";
        const Query q = model_of(sql).query;
        REQUIRE(q.predicates.size() == 3);
        CHECK(q.predicates[0].column.name == "id");
        CHECK(q.predicates[0].op == "=");
        CHECK(q.predicates[0].operand.kind == OperandKind::parameter);
        CHECK(q.predicates[0].operand.param_number == 1);
        CHECK(q.predicates[0].operand.text == "$1");
        CHECK(q.predicates[1].op == ">");
        CHECK(q.predicates[1].operand.text == "10");
        CHECK(q.predicates[2].op == "<=");
        CHECK(text_of(sql, q.predicates[2].span) == "5 >= t.qty");
        CHECK(q.predicates[2].offset == at(sql, ">="));
    }
    SUBCASE("wrapped columns: function, cast, arithmetic, collate") {
        const std::string sql =
            "SELECT 1 FROM u WHERE lower(email) = 'a@b.c' AND created::date = $2 AND "
            "score + 1 > 10 AND name COLLATE \"C\" = 'x' AND plain = 1";
        const Query q = model_of(sql).query;
        REQUIRE(q.predicates.size() == 5);
        CHECK(q.predicates[0].wrap == WrapKind::function);
        CHECK(q.predicates[0].wrapper == "lower");
        CHECK(q.predicates[0].wrapped_text == "lower(email)");
        CHECK(q.predicates[0].column.name == "email");
        CHECK(q.predicates[0].operand.type_name == "string");
        CHECK(q.predicates[1].wrap == WrapKind::cast);
        CHECK(q.predicates[1].wrapper == "date");
        CHECK(q.predicates[1].wrapped_text == "created::date");
        CHECK(q.predicates[2].wrap == WrapKind::arithmetic);
        CHECK(q.predicates[2].wrapper == "+");
        CHECK(q.predicates[2].wrapped_text == "score + 1");
        CHECK(q.predicates[3].wrap == WrapKind::collate);
        CHECK(q.predicates[3].wrapper == "C");
        CHECK(q.predicates[4].wrap == WrapKind::none);
        CHECK(q.predicates[4].wrapped_text.empty());
    }
    SUBCASE("operand kinds") {
        const std::string sql =
            "SELECT 1 FROM t WHERE a = NULL AND b = 'x' AND c = 1.5 AND d = true AND "
            "e = now() - interval '1 day' AND f = '2024-01-01'::date AND g = $3::int AND "
            "h = t.k";
        const Query q = model_of(sql).query;
        REQUIRE(q.predicates.size() == 8);
        CHECK(q.predicates[0].operand.kind == OperandKind::null);
        CHECK(q.predicates[0].operand.text == "NULL");
        CHECK(q.predicates[1].operand.kind == OperandKind::constant);
        CHECK(q.predicates[1].operand.type_name == "string");
        CHECK(q.predicates[2].operand.type_name == "float");
        CHECK(q.predicates[3].operand.type_name == "boolean");
        CHECK(q.predicates[4].operand.kind == OperandKind::expression);
        CHECK(q.predicates[4].operand.text == "now() - interval '1 day'");
        CHECK(q.predicates[4].operand.offset == at(sql, "now()"));
        CHECK(q.predicates[5].operand.kind == OperandKind::constant);
        CHECK(q.predicates[5].operand.type_name == "date");
        CHECK(q.predicates[5].operand.text == "'2024-01-01'::date");
        CHECK(q.predicates[6].operand.kind == OperandKind::parameter);
        CHECK(q.predicates[6].operand.param_number == 3);
        CHECK(q.predicates[6].operand.type_name == "int");
        CHECK(q.predicates[7].operand.kind == OperandKind::column);
        CHECK(q.predicates[7].operand.column->name == "k");
    }
    SUBCASE("IN lists, ANY arrays, BETWEEN, IS NULL, LIKE") {
        const std::string sql =
            "SELECT 1 FROM t WHERE a IN (1, 2, 3) AND b NOT IN ('x') AND c = ANY(ARRAY[1,2]) AND "
            "d = ANY($1) AND e BETWEEN 1 AND $2 AND f NOT BETWEEN 3 AND 4 AND g IS NULL AND "
            "h IS NOT NULL AND i LIKE '%x' AND j NOT ILIKE 'y%'";
        const Query q = model_of(sql).query;
        REQUIRE(q.predicates.size() == 10);
        CHECK(q.predicates[0].op == "IN");
        CHECK(q.predicates[0].operand.kind == OperandKind::list);
        CHECK(q.predicates[0].operand.list_length == 3);
        CHECK(q.predicates[0].operand.text == "(1, 2, 3)");
        CHECK(q.predicates[1].op == "NOT IN");
        CHECK(q.predicates[1].operand.list_length == 1);
        CHECK(q.predicates[2].op == "= ANY");
        CHECK(q.predicates[2].operand.kind == OperandKind::list);
        CHECK(q.predicates[2].operand.list_length == 2);
        CHECK(q.predicates[3].op == "= ANY");
        CHECK(q.predicates[3].operand.kind == OperandKind::parameter);
        CHECK(q.predicates[4].op == "BETWEEN");
        CHECK(q.predicates[4].operand.text == "1");
        REQUIRE(q.predicates[4].operand2.has_value());
        CHECK(q.predicates[4].operand2->kind == OperandKind::parameter);
        CHECK(text_of(sql, q.predicates[4].span) == "e BETWEEN 1 AND $2");
        CHECK(q.predicates[5].op == "NOT BETWEEN");
        CHECK(q.predicates[6].op == "IS NULL");
        CHECK(q.predicates[6].operand.kind == OperandKind::null);
        CHECK(q.predicates[6].operand.text.empty());
        CHECK(text_of(sql, q.predicates[6].span) == "g IS NULL");
        CHECK(q.predicates[7].op == "IS NOT NULL");
        CHECK(text_of(sql, q.predicates[7].span) == "h IS NOT NULL");
        CHECK(q.predicates[8].op == "LIKE");
        CHECK(q.predicates[9].op == "NOT ILIKE");
        REQUIRE(q.likes.size() == 2);
        CHECK(q.likes[0].column.name == "i");
        CHECK(q.likes[0].pattern == "%x");
        CHECK_FALSE(q.likes[0].case_insensitive);
        CHECK(q.likes[0].offset == at(sql, "LIKE"));
        CHECK(q.likes[1].case_insensitive);
        CHECK(q.likes[1].negated);
        CHECK(q.likes[1].pattern == "y%");
    }
    SUBCASE("OR and NOT flags") {
        const Query q = model_of("SELECT 1 FROM t WHERE a = 1 AND (b = 2 OR c = 3) AND NOT d = 4").query;
        REQUIRE(q.predicates.size() == 4);
        CHECK_FALSE(q.predicates[0].in_or);
        CHECK(q.predicates[1].in_or);
        CHECK(q.predicates[2].in_or);
        CHECK(q.predicates[3].negated);
        CHECK_FALSE(q.predicates[3].in_or);
        CHECK(q.where_has_or);
        CHECK_FALSE(model_of("SELECT 1 FROM t WHERE a = 1 AND b = 2").query.where_has_or);
    }
    SUBCASE("has_where and where_offset") {
        const std::string sql = "SELECT 1 FROM t WHERE a = 1";
        const Query q = model_of(sql).query;
        CHECK(q.has_where);
        CHECK(q.where_offset == at(sql, "a = 1"));
        CHECK_FALSE(model_of("SELECT 1 FROM t").query.has_where);
    }
    SUBCASE("HAVING predicates") {
        const Query q = model_of("SELECT a FROM t GROUP BY a HAVING a > 3").query;
        REQUIRE(q.having.size() == 1);
        CHECK(q.having[0].op == ">");
        CHECK(q.predicates.empty());
    }
}

TEST_CASE("build_statement: targets, sort, group, limit") {
    SUBCASE("star, qualified star, aliases and aggregates") {
        const std::string sql = "SELECT *, t.*, a AS x, count(*), sum(b) FILTER (WHERE c), lower(d) FROM t";
        const Query q = model_of(sql).query;
        REQUIRE(q.targets.size() == 6);
        CHECK(q.targets[0].is_star);
        CHECK(q.targets[0].star_qualifier.empty());
        CHECK(q.targets[0].offset == 7);
        CHECK(text_of(sql, q.targets[0].span) == "*");
        CHECK(q.targets[1].is_star);
        CHECK(q.targets[1].star_qualifier == "t");
        CHECK(q.targets[1].text == "t.*");
        CHECK(q.targets[2].alias == "x");
        CHECK(q.targets[2].column->name == "a");
        CHECK(q.targets[3].is_aggregate);
        CHECK(q.targets[3].function_name == "count");
        CHECK(q.targets[3].text == "count(*)");
        CHECK(q.targets[4].is_aggregate);
        CHECK(q.targets[4].text == "sum(b) FILTER (WHERE c)");
        CHECK_FALSE(q.targets[5].is_aggregate);
        CHECK(q.targets[5].function_name == "lower");
        CHECK(q.has_aggregate);
        CHECK_FALSE(model_of("SELECT count(*) OVER () FROM t").query.has_aggregate);
    }
    SUBCASE("order by keys with direction, nulls and function calls") {
        const std::string sql = "SELECT 1 FROM t ORDER BY a DESC NULLS LAST, b ASC, c NULLS FIRST, random()";
        const Query q = model_of(sql).query;
        REQUIRE(q.order_by.size() == 4);
        CHECK(q.order_by[0].column->name == "a");
        CHECK(q.order_by[0].descending);
        CHECK(q.order_by[0].nulls_first == std::optional<bool>(false));
        CHECK_FALSE(q.order_by[1].descending);
        CHECK_FALSE(q.order_by[1].nulls_first.has_value());
        CHECK(q.order_by[2].nulls_first == std::optional<bool>(true));
        CHECK(q.order_by[3].is_function_call);
        CHECK(q.order_by[3].function_name == "random");
        CHECK(q.order_by[3].text == "random()");
        CHECK(q.order_by[3].offset == at(sql, "random"));
        CHECK_FALSE(q.has_limit);
    }
    SUBCASE("group by keys") {
        const Query q = model_of("SELECT a, date_trunc('day', b) FROM t GROUP BY a, date_trunc('day', b)").query;
        REQUIRE(q.group_by.size() == 2);
        CHECK(q.group_by[0].column->name == "a");
        CHECK(q.group_by[1].is_function_call);
        CHECK(q.group_by[1].text == "date_trunc('day', b)");
    }
    SUBCASE("constant LIMIT and OFFSET") {
        const std::string sql = "SELECT 1 FROM t LIMIT 20 OFFSET 100000";
        const Query q = model_of(sql).query;
        CHECK(q.has_limit);
        CHECK(q.limit_value == std::optional<std::int64_t>(20));
        CHECK(q.has_offset);
        CHECK(q.offset_value == std::optional<std::int64_t>(100000));
        CHECK(q.offset_offset == at(sql, "100000"));
        CHECK_FALSE(q.offset_is_parameter);
    }
    SUBCASE("parameter LIMIT and OFFSET, FETCH FIRST, LIMIT ALL") {
        const Query q = model_of("SELECT 1 FROM t LIMIT $1 OFFSET $2").query;
        CHECK(q.limit_is_parameter);
        CHECK_FALSE(q.limit_value.has_value());
        CHECK(q.offset_is_parameter);
        const Query fetch = model_of("SELECT 1 FROM t FETCH FIRST 5 ROWS ONLY").query;
        CHECK(fetch.limit_value == std::optional<std::int64_t>(5));
        CHECK_FALSE(model_of("SELECT 1 FROM t LIMIT ALL").query.has_limit);
    }
    SUBCASE("DISTINCT") {
        CHECK(model_of("SELECT DISTINCT a FROM t").query.has_distinct);
        CHECK_FALSE(model_of("SELECT a FROM t").query.has_distinct);
    }
}

TEST_CASE("build_statement: sublinks") {
    SUBCASE("IN and NOT IN subqueries") {
        const std::string sql =
            "SELECT 1 FROM c WHERE c.id IN (SELECT o.cid FROM o) AND c.x NOT IN ( SELECT y FROM z )";
        const Query q = model_of(sql).query;
        REQUIRE(q.sublinks.size() == 2);
        const SubLink& in = q.sublinks[0];
        CHECK(in.kind == SubLinkKind::in);
        CHECK(in.context == ClauseContext::where);
        CHECK(in.test_text == "c.id");
        CHECK(in.test_column->name == "id");
        CHECK(in.test_column->relation == 0);
        CHECK(in.op == "=");
        CHECK(in.offset == at(sql, "IN"));
        CHECK(text_of(sql, in.span) == "c.id IN (SELECT o.cid FROM o)");
        CHECK(text_of(sql, in.subquery_span) == "SELECT o.cid FROM o");
        REQUIRE(in.query_index >= 0);
        CHECK(q.subqueries[static_cast<std::size_t>(in.query_index)].relations.at(0).name == "o");
        const SubLink& not_in = q.sublinks[1];
        CHECK(not_in.kind == SubLinkKind::not_in);
        CHECK(text_of(sql, not_in.span) == "c.x NOT IN ( SELECT y FROM z )");
        CHECK(text_of(sql, not_in.subquery_span) == "SELECT y FROM z");
        CHECK(q.subqueries[static_cast<std::size_t>(not_in.query_index)].relations.at(0).name == "z");
        REQUIRE(q.predicates.size() == 2);
        CHECK(q.predicates[0].op == "IN");
        CHECK(q.predicates[0].operand.kind == OperandKind::subquery);
        CHECK(q.predicates[1].op == "NOT IN");
        CHECK(q.predicates[1].operand.kind == OperandKind::subquery);
        CHECK(q.predicates[1].operand.text == "SELECT y FROM z");
    }
    SUBCASE("EXISTS, NOT EXISTS, ANY, ALL, scalar and ARRAY") {
        const std::string sql =
            "SELECT (SELECT max(x) FROM m WHERE m.id = t.id) AS mx, ARRAY(SELECT 1) FROM t WHERE "
            "EXISTS (SELECT 1 FROM e) AND NOT EXISTS (SELECT 1 FROM ne) AND a > ANY (SELECT 1) "
            "AND b <> ALL (SELECT 2)";
        const Query q = model_of(sql).query;
        REQUIRE(q.sublinks.size() == 6);
        CHECK(q.sublinks[0].kind == SubLinkKind::scalar);
        CHECK(q.sublinks[0].context == ClauseContext::select_list);
        CHECK(text_of(sql, q.sublinks[0].span) == "(SELECT max(x) FROM m WHERE m.id = t.id)");
        CHECK(text_of(sql, q.sublinks[0].subquery_span) == "SELECT max(x) FROM m WHERE m.id = t.id");
        CHECK(q.sublinks[1].kind == SubLinkKind::array);
        CHECK(q.sublinks[2].kind == SubLinkKind::exists);
        CHECK_FALSE(q.sublinks[2].negated);
        CHECK(q.sublinks[3].kind == SubLinkKind::exists);
        CHECK(q.sublinks[3].negated);
        CHECK(text_of(sql, q.sublinks[3].span) == "NOT EXISTS (SELECT 1 FROM ne)");
        CHECK(q.sublinks[4].kind == SubLinkKind::any);
        CHECK(q.sublinks[4].op == ">");
        CHECK(q.sublinks[5].kind == SubLinkKind::all);
        CHECK(q.sublinks[5].op == "<>");
        const Query& scalar = q.subqueries.at(static_cast<std::size_t>(q.sublinks[0].query_index));
        CHECK(scalar.context == ClauseContext::select_list);
        REQUIRE(scalar.join_conditions.size() == 1);
        CHECK(scalar.join_conditions[0].right.relation == -1); // t is the outer query's
    }
    SUBCASE("nesting: sublinks of a subquery live in that subquery") {
        const Query q = model_of("SELECT 1 FROM a WHERE a.x IN (SELECT b.x FROM b WHERE EXISTS (SELECT 1 FROM c))").query;
        REQUIRE(q.sublinks.size() == 1);
        const Query& inner = q.subqueries.at(0);
        REQUIRE(inner.sublinks.size() == 1);
        CHECK(inner.sublinks[0].kind == SubLinkKind::exists);
        CHECK(inner.subqueries.at(0).relations.at(0).name == "c");
    }
}

TEST_CASE("build_statement: functions and aggregate comparisons") {
    SUBCASE("function calls with context") {
        const std::string sql = "SELECT count(*) FROM t WHERE lower(a) = 'x' ORDER BY random()";
        const Query q = model_of(sql).query;
        REQUIRE(q.functions.size() == 3);
        CHECK(q.functions[0].name == "count");
        CHECK(q.functions[0].star);
        CHECK(q.functions[0].context == ClauseContext::select_list);
        CHECK(q.functions[1].name == "lower");
        CHECK(q.functions[1].context == ClauseContext::where);
        CHECK(q.functions[2].name == "random");
        CHECK(q.functions[2].context == ClauseContext::order_by);
        CHECK(q.functions[2].offset == at(sql, "random"));
    }
    SUBCASE("count(*) > 0 in HAVING and (SELECT count(*) ...) > 0") {
        const std::string sql =
            "SELECT a FROM t GROUP BY a HAVING count(*) > 0; ";
        const Query q = model_of(sql).query;
        REQUIRE(q.aggregate_comparisons.size() == 1);
        CHECK(q.aggregate_comparisons[0].function_name == "count");
        CHECK(q.aggregate_comparisons[0].op == ">");
        CHECK(q.aggregate_comparisons[0].constant == "0");
        CHECK(q.aggregate_comparisons[0].subquery_index == -1);
        CHECK(q.aggregate_comparisons[0].offset == at(sql, ">"));
        const std::string sub = "SELECT 1 FROM u WHERE 0 < (SELECT count(*) FROM o WHERE o.u = u.id)";
        const Query q2 = model_of(sub).query;
        REQUIRE(q2.aggregate_comparisons.size() == 1);
        CHECK(q2.aggregate_comparisons[0].op == ">");
        CHECK(q2.aggregate_comparisons[0].constant == "0");
        REQUIRE(q2.aggregate_comparisons[0].subquery_index >= 0);
        CHECK(q2.subqueries.at(static_cast<std::size_t>(q2.aggregate_comparisons[0].subquery_index))
                  .relations.at(0).name == "o");
        CHECK(model_of("SELECT 1 FROM t WHERE a > 0").query.aggregate_comparisons.empty());
    }
}

TEST_CASE("build_statement: set operations") {
    SUBCASE("UNION and UNION ALL branches are subqueries") {
        const std::string sql = "SELECT a FROM x UNION SELECT a FROM y UNION ALL SELECT a FROM z ORDER BY 1";
        const Query q = model_of(sql).query;
        REQUIRE(q.set_operations.size() == 2);
        CHECK(q.set_operations[0].op == SetOperation::Op::union_);
        CHECK_FALSE(q.set_operations[0].all);
        CHECK(q.set_operations[0].offset == at(sql, "UNION"));
        CHECK(q.set_operations[1].all);
        CHECK(q.set_operations[1].offset == at(sql, "UNION ALL"));
        REQUIRE(q.subqueries.size() == 3);
        CHECK(q.subqueries[0].relations.at(0).name == "x");
        CHECK(text_of(sql, q.subqueries[1].span) == "SELECT a FROM y");
        CHECK(q.subqueries[2].relations.at(0).name == "z");
        CHECK(q.order_by.size() == 1);
    }
    SUBCASE("INTERSECT and EXCEPT") {
        const Query q = model_of("SELECT 1 INTERSECT SELECT 2 EXCEPT ALL SELECT 3").query;
        REQUIRE(q.set_operations.size() == 2);
        CHECK(q.set_operations[0].op == SetOperation::Op::intersect);
        CHECK(q.set_operations[1].op == SetOperation::Op::except);
        CHECK(q.set_operations[1].all);
    }
}

TEST_CASE("build_statement: DML") {
    SUBCASE("INSERT ... SELECT") {
        const std::string sql = "INSERT INTO s.t (a) SELECT a FROM u WHERE b = 1";
        const Statement st = model_of(sql);
        CHECK(st.kind == StatementKind::insert);
        CHECK(st.node_type == "InsertStmt");
        REQUIRE(st.query.relations.size() == 1);
        CHECK(st.query.relations[0].schema == "s");
        CHECK(st.query.relations[0].name == "t");
        REQUIRE(st.query.subqueries.size() == 1);
        CHECK(text_of(sql, st.query.subqueries[0].span) == "SELECT a FROM u WHERE b = 1");
        CHECK(st.query.subqueries[0].predicates.size() == 1);
    }
    SUBCASE("UPDATE: target first, FROM, WHERE") {
        const Statement st = model_of("UPDATE t SET a = 1 FROM u WHERE t.id = u.id AND u.k = 2 RETURNING t.a");
        CHECK(st.kind == StatementKind::update);
        REQUIRE(st.query.relations.size() == 2);
        CHECK(st.query.relations[0].name == "t");
        CHECK(st.query.relations[1].name == "u");
        CHECK(st.query.has_where);
        CHECK(st.query.join_conditions.size() == 1);
        CHECK(st.query.predicates.size() == 1);
        CHECK(st.query.targets.size() == 1);
        CHECK_FALSE(model_of("UPDATE t SET a = 1").query.has_where);
    }
    SUBCASE("DELETE: USING and WHERE") {
        const Statement st = model_of("DELETE FROM t USING u WHERE t.a = u.a");
        CHECK(st.kind == StatementKind::delete_);
        REQUIRE(st.query.relations.size() == 2);
        CHECK(st.query.relations[1].name == "u");
        CHECK(st.query.has_where);
        CHECK(st.query.join_conditions.size() == 1);
        CHECK_FALSE(model_of("DELETE FROM t").query.has_where);
    }
}

TEST_CASE("build_statement: DDL") {
    SUBCASE("CREATE TABLE columns with type text and NOT NULL") {
        const Statement st = model_of(
            "CREATE TABLE shop.users (id bigint PRIMARY KEY, email varchar(80) NOT NULL, "
            "score double precision, created timestamp with time zone DEFAULT now(), tags text[], "
            "UNIQUE (email))");
        CHECK(st.kind == StatementKind::create_table);
        CHECK(st.table_schema == "shop");
        CHECK(st.table_name == "users");
        REQUIRE(st.columns.size() == 5);
        CHECK(st.columns[0].name == "id");
        CHECK(st.columns[0].type_name == "bigint");
        CHECK(st.columns[0].not_null);
        CHECK(st.columns[1].type_name == "varchar(80)");
        CHECK(st.columns[1].not_null);
        CHECK(st.columns[2].type_name == "double precision");
        CHECK_FALSE(st.columns[2].not_null);
        CHECK(st.columns[3].type_name == "timestamp with time zone");
        CHECK(st.columns[4].type_name == "text[]");
    }
    SUBCASE("table-level primary key makes its columns NOT NULL") {
        const Statement st = model_of("CREATE TABLE t (a int, b int, PRIMARY KEY (a))");
        CHECK(st.columns[0].not_null);
        CHECK_FALSE(st.columns[1].not_null);
    }
    SUBCASE("CREATE INDEX") {
        const Statement st = model_of(
            "CREATE UNIQUE INDEX CONCURRENTLY users_email ON shop.users USING btree (lower(email), id)");
        CHECK(st.kind == StatementKind::create_index);
        REQUIRE(st.index.has_value());
        CHECK(st.index->name == "users_email");
        CHECK(st.index->schema == "shop");
        CHECK(st.index->table == "users");
        CHECK(st.index->unique);
        CHECK(st.index->method == "btree");
        REQUIRE(st.index->columns.size() == 2);
        CHECK(st.index->columns[0] == "lower(email)");
        CHECK(st.index->columns[1] == "id");
        const Statement gin = model_of("CREATE INDEX ON t USING gin (doc)");
        CHECK(gin.index->method == "gin");
        CHECK(gin.index->name.empty());
        CHECK(model_of("CREATE INDEX i ON t (a)").index->method == "btree");
    }
    SUBCASE("EXPLAIN models the explained query") {
        const Statement st = model_of("EXPLAIN SELECT * FROM t WHERE a = 1");
        CHECK(st.kind == StatementKind::explain);
        CHECK(st.query.relations.at(0).name == "t");
        CHECK(st.query.predicates.size() == 1);
    }
}

TEST_CASE("build_statement: extents in a statement longer than 64 kB") {
    // The builder maps offsets to tokens through a 16-bit table up to 64 kB of statement and
    // searches the tokens beyond that: both must give the same extents.
    const auto check = [](std::size_t list_length) {
        std::string list = "0";
        while (list.size() < list_length) {
            list += ", 0";
        }
        const std::string sql = "SELECT 1 FROM t WHERE (a + b) * 2 > $1 AND c IN (" + list +
                                ") AND lower(CASE WHEN d THEN e END) = 'x' AND coalesce(f[1], 0) = 2";
        CAPTURE(sql.size());
        const Query q = model_of(sql).query;
        REQUIRE(q.predicates.size() == 4);
        CHECK(text_of(sql, q.predicates[0].span) == "(a + b) * 2 > $1");
        CHECK(q.predicates[0].wrapped_text == "(a + b) * 2");
        CHECK(q.predicates[1].op == "IN");
        CHECK(q.predicates[1].offset == at(sql, "IN"));
        CHECK(text_of(sql, q.predicates[1].span) == "c IN (" + list + ")");
        CHECK(q.predicates[2].wrapped_text == "lower(CASE WHEN d THEN e END)");
        CHECK(text_of(sql, q.predicates[2].span) == "lower(CASE WHEN d THEN e END) = 'x'");
        CHECK(text_of(sql, q.predicates[3].span) == "coalesce(f[1], 0) = 2");
        CHECK(q.predicates[3].wrapped_text == "coalesce(f[1], 0)");
        CHECK(q.predicates[3].offset == at(sql, "= 2"));
    };
    SUBCASE("short") { check(10); }
    SUBCASE("just under 64 kB") { check(65400); }
    SUBCASE("beyond 64 kB") { check(70000); }
}
