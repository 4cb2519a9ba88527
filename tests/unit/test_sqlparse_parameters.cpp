#include "sqlparse/parameters.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace {

using dbadvise::sqlparse::ParameterPeer;
using dbadvise::sqlparse::ParameterSite;
using dbadvise::sqlparse::parameter_sites;

const ParameterSite& site_of(const std::vector<ParameterSite>& sites, int number) {
    const auto it = std::find_if(sites.begin(), sites.end(), [&](const ParameterSite& s) { return s.number == number; });
    REQUIRE(it != sites.end());
    return *it;
}

} // namespace

TEST_CASE("parameter_sites") {
    SUBCASE("comparisons: the column on the other side, bounds") {
        const auto sites = parameter_sites(
            "SELECT * FROM t WHERE a = $1 AND $2 < b AND c BETWEEN $3 AND $4 AND d IN ($5, $6) AND e LIKE $7");
        CHECK(site_of(sites, 1).kind == ParameterSite::Kind::comparison);
        CHECK(site_of(sites, 1).peer.kind == ParameterPeer::Kind::column);
        CHECK(site_of(sites, 1).peer.column.name == "a");
        CHECK(site_of(sites, 2).left);
        CHECK_FALSE(site_of(sites, 2).upper_bound); // $2 < b: a lower bound of b
        CHECK(site_of(sites, 3).op == "BETWEEN");
        CHECK_FALSE(site_of(sites, 3).upper_bound);
        CHECK(site_of(sites, 4).upper_bound);
        CHECK(site_of(sites, 6).op == "IN");
        CHECK(site_of(sites, 6).peer.column.name == "d");
        CHECK(site_of(sites, 7).op == "LIKE");
    }
    SUBCASE("arithmetic inside a comparison knows the column it is compared with") {
        const auto sites = parameter_sites("SELECT 1 FROM l WHERE l.discount BETWEEN $4 - $5 AND $6 + $7");
        const ParameterSite& four = site_of(sites, 4);
        CHECK(four.kind == ParameterSite::Kind::arithmetic);
        CHECK(four.op == "-");
        CHECK(four.left);
        CHECK(four.peer.kind == ParameterPeer::Kind::parameter);
        CHECK(four.context.column.qualifier == "l");
        CHECK(four.context.column.name == "discount");
        CHECK(four.context_op == "BETWEEN");
        CHECK_FALSE(site_of(sites, 5).left);
        CHECK(site_of(sites, 7).upper_bound);
    }
    SUBCASE("CASE results inside an aggregate, with their siblings") {
        const auto sites = parameter_sites("SELECT sum(CASE WHEN x = $1 OR x = $2 THEN $3 ELSE $4 END) FROM t");
        CHECK(site_of(sites, 1).kind == ParameterSite::Kind::comparison);
        CHECK(site_of(sites, 3).kind == ParameterSite::Kind::case_result);
        CHECK(site_of(sites, 3).aggregate == "sum");
        CHECK(site_of(sites, 4).peer.kind == ParameterPeer::Kind::none); // no sibling but parameters
    }
    SUBCASE("functions, SQL-syntax calls, casts, LIMIT and OFFSET") {
        const auto sites = parameter_sites(
            "SELECT generate_series($1, $2), substring(p from $3 for $4), $5 % $6 || $7, $8::date "
            "FROM t LIMIT $9 OFFSET $10");
        CHECK(site_of(sites, 1).function == "generate_series");
        CHECK(site_of(sites, 2).argument == 1);
        CHECK(site_of(sites, 3).function == "substring");
        CHECK(site_of(sites, 3).argument == 1);
        CHECK(site_of(sites, 3).peer.column.name == "p");
        CHECK(site_of(sites, 5).kind == ParameterSite::Kind::arithmetic);
        CHECK(site_of(sites, 5).op == "%");
        CHECK(site_of(sites, 7).kind == ParameterSite::Kind::concatenation);
        CHECK(site_of(sites, 8).kind == ParameterSite::Kind::cast);
        CHECK(site_of(sites, 8).cast_type == "date");
        CHECK(site_of(sites, 9).kind == ParameterSite::Kind::limit);
        CHECK(site_of(sites, 10).kind == ParameterSite::Kind::offset);
    }
    SUBCASE("cast types are spelled as PREPARE must read them: quoted unless plain") {
        const auto sites = parameter_sites(
            "SELECT $1::\"OrderStatus\", $2::\"char\", $3::char(1), $4::varchar(20)[], $5::public.\"a)AS SELECT 1;--\", "
            "$6::interval, $7::numeric(10,2)");
        CHECK(site_of(sites, 1).cast_type == "\"OrderStatus\"");
        CHECK(site_of(sites, 2).cast_type == "\"char\"");
        CHECK(site_of(sites, 3).cast_type == "bpchar(1)");
        CHECK(site_of(sites, 4).cast_type == "varchar(20)[]");
        CHECK(site_of(sites, 5).cast_type == "public.\"a)AS SELECT 1;--\"");
        CHECK(site_of(sites, 6).cast_type == "interval");
        CHECK(site_of(sites, 7).cast_type == "numeric(10,2)");
    }
    SUBCASE("a value compared with a function of a column") {
        const auto sites = parameter_sites("SELECT 1 FROM c WHERE lower(email) = lower($1 || $2)");
        const ParameterSite& one = site_of(sites, 1);
        CHECK(one.kind == ParameterSite::Kind::concatenation);
        CHECK(one.context.column.name == "email");
        CHECK(one.context.wrapper == "lower");
        CHECK(one.context_function == "lower");
    }
    SUBCASE("text that does not parse has no sites") {
        CHECK(parameter_sites("SELEC $1").empty());
    }
}
