// The streaming JSON writer must spell everything as nlohmann::ordered_json::dump(2) with
// error_handler_t::replace does (the report's bytes are a contract), so nlohmann is the
// oracle here: each case builds the same value both ways and compares the text.
#include "reports/json_writer.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using dbadvise::reports::JsonWriter;
using Json = nlohmann::ordered_json;

namespace {

std::string oracle(const Json& value) {
    return value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

template <class Build>
std::string written(Build build, std::size_t chunk = 64 * 1024) {
    std::string text;
    std::vector<std::size_t> pieces;
    JsonWriter out([&](std::string_view piece) {
        pieces.push_back(piece.size());
        text.append(piece);
    }, chunk);
    build(out);
    out.finish();
    CHECK_FALSE(pieces.empty());
    return text;
}

} // namespace

TEST_CASE("JsonWriter matches nlohmann's dump(2)") {
    SUBCASE("strings: escapes, control bytes, UTF-8 and bytes that are not UTF-8") {
        static constexpr char k_controls[] = "nul \0 and \x01 \x1f \x7f";
        const std::vector<std::string> samples = {
            "",
            "plain ascii",
            "quote \" backslash \\ slash /",
            "tab\tnewline\ncr\rbackspace\bformfeed\f",
            std::string(k_controls, sizeof k_controls - 1),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",        // é € 😀
            "bad \xC3 lead",                                     // truncated sequence
            "overlong \xC0\xAF and \xE0\x80\xAF",                 // overlong forms
            "surrogate \xED\xA0\x80 here",                        // UTF-16 surrogate
            "too high \xF4\x90\x80\x80 and \xF5\x80",             // above U+10FFFF
            "stray \x80\xBF continuation",
            "mixed \xC3\xA9 then bad \xFF and \"quote\"\n",
        };
        for (const std::string& s : samples) {
            CAPTURE(s);
            CHECK(written([&](JsonWriter& out) { out.string(s); }) == oracle(Json(s)));
        }
    }

    SUBCASE("numbers") {
        const std::vector<double> doubles = {0.0,     -0.0,   1.0,      12.5,       0.001,
                                             1e21,    1e-7,   123456.789, -42.125, 3.0e15,
                                             0.1 + 0.2};
        for (const double d : doubles) {
            CAPTURE(d);
            CHECK(written([&](JsonWriter& out) { out.number(d); }) == oracle(Json(d)));
        }
        CHECK(written([](JsonWriter& out) { out.number(std::nan("")); }) == oracle(Json(nullptr)));
        CHECK(written([](JsonWriter& out) {
                  out.number(std::numeric_limits<double>::infinity());
              }) == oracle(Json(nullptr)));
        for (const std::int64_t i : {std::int64_t{0}, std::int64_t{-7}, std::int64_t{1} << 62,
                                     std::numeric_limits<std::int64_t>::min()}) {
            CHECK(written([&](JsonWriter& out) { out.integer(i); }) == oracle(Json(i)));
        }
    }

    SUBCASE("nesting, empty containers and members") {
        Json expected;
        expected["schema_version"] = 1;
        expected["empty_object"] = Json::object();
        expected["empty_array"] = Json::array();
        expected["list"] = Json::array({Json::object(), Json::array(), "x", 2, true, nullptr});
        expected["nested"] = {{"a", Json::array({Json{{"b", false}}, Json{{"c", "d"}}})}};
        const auto build = [](JsonWriter& out) {
            out.begin_object();
            out.member("schema_version", 1);
            out.key("empty_object");
            out.begin_object();
            out.end_object();
            out.key("empty_array");
            out.begin_array();
            out.end_array();
            out.key("list");
            out.begin_array();
            out.begin_object();
            out.end_object();
            out.begin_array();
            out.end_array();
            out.string("x");
            out.integer(2);
            out.boolean(true);
            out.null();
            out.end_array();
            out.key("nested");
            out.begin_object();
            out.key("a");
            out.begin_array();
            out.begin_object();
            out.member("b", false);
            out.end_object();
            out.begin_object();
            out.member("c", "d");
            out.end_object();
            out.end_array();
            out.end_object();
            out.end_object();
        };
        CHECK(written(build) == oracle(expected));
        // Tiny chunks: the text arrives in many pieces and still reads the same.
        CHECK(written(build, 8) == oracle(expected));
    }
}
