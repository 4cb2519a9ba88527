// util::BoxedOptional behaves as the std::optional it replaces in Finding, with a deep copy;
// util::tune_allocator keeps mid-sized blocks out of their own mappings.
#include "analyzer/finding.hpp"
#include "analyzer/rule_registry.hpp"
#include "util/allocator.hpp"
#include "util/boxed_optional.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using dbadvise::util::BoxedOptional;

namespace {
struct Value {
    std::string text;
    int n = 0;
    bool operator==(const Value&) const = default;
};
} // namespace

TEST_CASE("BoxedOptional: empty, set, reset, emplace") {
    BoxedOptional<Value> box;
    CHECK_FALSE(box.has_value());
    CHECK_FALSE(static_cast<bool>(box));
    CHECK(box == std::nullopt);
    CHECK_THROWS_AS(box.value(), std::bad_optional_access);

    box = Value{"a", 1};
    REQUIRE(box.has_value());
    CHECK(box->text == "a");
    CHECK((*box).n == 1);
    box->n = 2; // assigning into the held value keeps the same box
    CHECK(box.value().n == 2);

    box = std::nullopt;
    CHECK_FALSE(box);
    box.emplace(Value{"b", 3});
    CHECK(box->text == "b");
    box.reset();
    CHECK_FALSE(box);

    const std::optional<Value> from_optional = Value{"c", 4};
    const BoxedOptional<Value> converted = from_optional;
    CHECK(converted->text == "c");
    const BoxedOptional<Value> from_empty = std::optional<Value>();
    CHECK_FALSE(from_empty);
}

TEST_CASE("BoxedOptional: copies are deep, moves take the value, equality compares values") {
    BoxedOptional<Value> a = Value{"x", 1};
    BoxedOptional<Value> b = a;
    b->text = "y";
    CHECK(a->text == "x"); // the copy has its own value
    CHECK(b->text == "y");
    CHECK_FALSE(a == b);
    b->text = "x";
    CHECK(a == b);
    CHECK(&*a != &*b);

    BoxedOptional<Value> c = std::move(a);
    CHECK(c->text == "x");
    a = c; // assignable again after the move
    CHECK(a == c);
    a = a; // self-assignment keeps the value
    CHECK(a->text == "x");

    const BoxedOptional<Value> empty;
    CHECK_FALSE(a == empty);
    CHECK(empty == BoxedOptional<Value>());
}

TEST_CASE("Finding: the analyze-only members are boxed, and copy with the finding") {
    using namespace dbadvise::analyzer;
    // Lint's findings leave query and object empty: they cost a pointer each.
    CHECK(sizeof(Finding) <= 448);
    Finding f(RuleId::select_star);
    CHECK_FALSE(f.query);
    CHECK_FALSE(f.object);
    f.query = QueryRef{"123", "SELECT 1", 5, 1.5, 0.3, "", 0, 0};
    f.object = ObjectRef{"table", "public", "t", "", ""};
    Finding copy = f;
    copy.query->text = "SELECT 2";
    CHECK(f.query->text == "SELECT 1");
    CHECK(copy.object->qualified_name() == "public.t");
    Finding moved = std::move(copy);
    CHECK(moved.query->text == "SELECT 2");
}

#if defined(__GLIBC__)
TEST_CASE("tune_allocator: a block of 16 MB comes from the heap, not a mapping of its own") {
    // glibc's defaults map a block of 16 MB when the heap's free top cannot hold it (in a
    // fresh process, as `dbadvise_unit_tests -tc='tune_allocator*'` runs it); the settings
    // grow the heap instead.
    dbadvise::util::tune_allocator();
    const auto mapped_before = mallinfo2().hblkhd;
    void* block = std::malloc(std::size_t{16} << 20);
    REQUIRE(block != nullptr);
    CHECK(mallinfo2().hblkhd == mapped_before);
    std::free(block);
}
#endif
