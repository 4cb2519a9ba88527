#include "analyzer/existing_indexes.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace dbadvise::analyzer;

namespace {

CatalogIndex make_index(std::string name, std::string table, std::vector<std::string> keys,
                        std::int64_t idx_scan = 100) {
    CatalogIndex index;
    index.schema = "public";
    index.name = std::move(name);
    index.table_schema = "public";
    index.table = std::move(table);
    index.keys = std::move(keys);
    index.descending.assign(index.keys.size(), false);
    index.method = "btree";
    index.definition = "CREATE INDEX " + index.name + " ON public." + index.table + " USING btree (...)";
    index.size_bytes = 2 * 1024 * 1024;
    index.idx_scan = idx_scan;
    return index;
}

CatalogIndex primary_key(std::string table) {
    CatalogIndex index = make_index(table + "_pkey", table, {"id"});
    index.unique = index.primary = index.is_constraint = true;
    return index;
}

std::vector<std::string> rules_of(const std::vector<Finding>& findings) {
    std::vector<std::string> out;
    for (const Finding& finding : findings) out.push_back(std::string(finding.rule_id()) + " " + finding.subject);
    return out;
}

std::string evidence_text(const Finding& finding, const std::string& name) {
    for (const auto& [key, value] : finding.evidence) {
        if (key == name) return std::get<std::string>(value);
    }
    return {};
}

std::int64_t evidence_integer(const Finding& finding, const std::string& name) {
    for (const auto& [key, value] : finding.evidence) {
        if (key == name) return std::get<std::int64_t>(value);
    }
    return -1;
}

} // namespace

TEST_CASE("check_existing_indexes") {
    Workload workload;
    workload.search_path = {"public"};

    SUBCASE("unused: idx_scan 0, but never a primary key or unique index") {
        CatalogIndex pkey = primary_key("customers");
        pkey.idx_scan = 0;
        CatalogIndex unique = make_index("customers_email_key", "customers", {"email"}, 0);
        unique.unique = true;
        workload.indexes = {pkey, unique, make_index("customers_created_at_idx", "customers",
                                                     {"created_at"}, 0),
                            make_index("customers_name_idx", "customers", {"name"}, 5)};
        const auto findings = check_existing_indexes(workload);
        REQUIRE(rules_of(findings) ==
                std::vector<std::string>{"unused-index public.customers_created_at_idx"});
        const Finding& finding = findings.front();
        CHECK(finding.category() == Category::index);
        CHECK(finding.severity == Severity::info);
        CHECK(finding.title == "Unused index customers_created_at_idx on customers");
        CHECK(finding.suggestion.sql == "DROP INDEX CONCURRENTLY public.customers_created_at_idx;");
        CHECK(finding.message.find("(2.0 MB)") != std::string::npos);
    }

    SUBCASE("unused: an index of a partitioned table has no counters and is not reported") {
        CatalogIndex parent = make_index("events_at_idx", "events", {"at"}, 0);
        parent.partitioned = true;
        workload.indexes = {parent};
        CHECK(check_existing_indexes(workload).empty());
    }

    SUBCASE("duplicate: same keys, method and predicate; the constraint index is kept") {
        CatalogIndex unique = make_index("products_sku_key", "products", {"sku"});
        unique.unique = unique.is_constraint = true;
        workload.indexes = {unique, make_index("products_sku_idx", "products", {"sku"}),
                            make_index("products_sku_idx2", "products", {"sku"})};
        const auto findings = check_existing_indexes(workload);
        CHECK(rules_of(findings) ==
              std::vector<std::string>{"duplicate-index public.products_sku_idx",
                                       "duplicate-index public.products_sku_idx2"});
        CHECK(evidence_text(findings[0], "same_as") == "public.products_sku_key");
        CHECK(findings[0].suggestion.sql == "DROP INDEX CONCURRENTLY public.products_sku_idx;");
    }

    SUBCASE("not duplicate: a different predicate, method, direction or INCLUDE") {
        CatalogIndex partial = make_index("orders_status_idx2", "orders", {"status"});
        partial.predicate = "status <> 'delivered'::text";
        CatalogIndex hash = make_index("orders_status_hash", "orders", {"status"});
        hash.method = "hash";
        CatalogIndex covering = make_index("orders_status_cover", "orders", {"status"});
        covering.include = {"total"};
        CatalogIndex descending = make_index("orders_status_desc", "orders", {"status"});
        descending.descending = {true};
        workload.indexes = {make_index("orders_status_idx", "orders", {"status"}), partial, hash,
                            covering, descending};
        const auto findings = check_existing_indexes(workload);
        // orders_status_idx is a prefix of nothing; the covering index holds its key.
        for (const Finding& finding : findings) CHECK(finding.rule_id() != "duplicate-index");
    }

    SUBCASE("redundant prefix: keys lead a longer btree with the same predicate") {
        workload.indexes = {make_index("products_category_idx", "products", {"category"}, 0),
                            make_index("products_category_price_idx", "products",
                                       {"category", "price"})};
        const auto findings = check_existing_indexes(workload);
        // Reported once: redundant, and the message says it is unused too.
        REQUIRE(rules_of(findings) == std::vector<std::string>{"redundant-index public.products_category_idx"});
        CHECK(evidence_text(findings[0], "covered_by") == "public.products_category_price_idx");
        CHECK(findings[0].message ==
              "The keys of products_category_idx (category) are a prefix of "
              "products_category_price_idx (category, price), which serves the same queries. "
              "Drop products_category_idx (2.0 MB) to save its writes and cache space. It has not been "
              "scanned since the statistics were last reset either.");
    }

    SUBCASE("not redundant: unique, other predicate, other direction, lost INCLUDE column") {
        CatalogIndex unique = make_index("t_a_key", "t", {"a"});
        unique.unique = true;
        CatalogIndex partial = make_index("t_b_part", "t", {"b"});
        partial.predicate = "b > 0";
        CatalogIndex include = make_index("t_c_incl", "t", {"c"});
        include.include = {"z"};
        CatalogIndex descending = make_index("t_d_desc", "t", {"d"});
        descending.descending = {true};
        workload.indexes = {unique,
                            make_index("t_a_x", "t", {"a", "x"}),
                            partial,
                            make_index("t_b_x", "t", {"b", "x"}),
                            include,
                            make_index("t_c_x", "t", {"c", "x"}),
                            descending,
                            make_index("t_d_x", "t", {"d", "x"})};
        CHECK(check_existing_indexes(workload).empty());
    }

    SUBCASE("invalid: drop and build again, concurrently") {
        CatalogIndex invalid = make_index("orders_created_at_idx", "orders", {"created_at"}, 0);
        invalid.valid = false;
        invalid.definition = "CREATE INDEX orders_created_at_idx ON public.orders USING btree (created_at)";
        workload.indexes = {invalid};
        const auto findings = check_existing_indexes(workload);
        REQUIRE(rules_of(findings) ==
                std::vector<std::string>{"invalid-index public.orders_created_at_idx"});
        CHECK(findings[0].severity == Severity::warning);
        CHECK(findings[0].suggestion.sql ==
              "DROP INDEX CONCURRENTLY public.orders_created_at_idx;\n"
              "CREATE INDEX CONCURRENTLY orders_created_at_idx ON public.orders USING btree "
              "(created_at);");
    }

    SUBCASE("foreign key without a supporting index") {
        workload.foreign_keys = {
            {"order_items_order_id_fkey", "public", "order_items", {"order_id"}, "public",
             "orders", {"id"}},
            {"order_items_product_id_fkey", "public", "order_items", {"product_id"}, "public",
             "products", {"id"}},
            {"orders_customer_id_fkey", "public", "orders", {"customer_id"}, "public",
             "customers", {"id"}},
            {"Lines_fkey", "Sales", "Lines", {"\"Order Id\"", "kind"}, "Sales", "Orders",
             {"id", "kind"}},
        };
        CatalogIndex partial = make_index("order_items_order_id_part", "order_items", {"order_id"});
        partial.predicate = "quantity > 1";
        CatalogIndex invalid = make_index("order_items_order_id_bad", "order_items", {"order_id"});
        invalid.valid = false;
        CatalogIndex lines = make_index("lines_kind_order", "Lines", {"kind", "\"Order Id\"", "x"});
        lines.table_schema = "Sales";
        workload.indexes = {partial, invalid,
                            make_index("order_items_product_id_idx", "order_items", {"product_id"}),
                            make_index("orders_customer_id_created_at_idx", "orders",
                                       {"customer_id", "created_at"}),
                            lines};
        const auto findings = check_existing_indexes(workload);
        std::vector<std::string> fk;
        for (const Finding& finding : findings) {
            if (finding.rule_id() == "unindexed-foreign-key") fk.push_back(finding.subject);
        }
        // A partial or invalid index does not count; a composite leading with the key does,
        // in any order of the key's columns.
        REQUIRE(fk == std::vector<std::string>{"public.order_items(order_id)"});
        const auto it = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
            return f.rule_id() == "unindexed-foreign-key";
        });
        CHECK(it->title == "Foreign key order_items_order_id_fkey on order_items (order_id) has no index");
        CHECK(it->suggestion.sql ==
              "CREATE INDEX CONCURRENTLY order_items_order_id_idx ON public.order_items (order_id);");
    }

    SUBCASE("a foreign key a recommended index serves: said once, no second CREATE INDEX") {
        workload.foreign_keys = {
            {"orders_customer_id_fkey", "public", "orders", {"customer_id"}, "public", "customers", {"id"}},
            {"order_items_order_id_fkey", "public", "order_items", {"order_id"}, "public", "orders", {"id"}},
        };
        IndexSpec composite;
        composite.table_schema = "public";
        composite.table = "orders";
        composite.keys = {"customer_id", "created_at DESC"};
        IndexSpec other;
        other.table_schema = "public";
        other.table = "order_items";
        other.keys = {"product_id", "order_id"};
        const auto findings = check_existing_indexes(workload, {composite, other});
        std::vector<const Finding*> fk;
        for (const Finding& finding : findings) {
            if (finding.rule_id() == "unindexed-foreign-key") fk.push_back(&finding);
        }
        REQUIRE(fk.size() == 2);
        // order_items (product_id, order_id) does not lead with order_id: its own suggestion.
        CHECK(fk[0]->subject == "public.order_items(order_id)");
        CHECK(fk[0]->suggestion.sql ==
              "CREATE INDEX CONCURRENTLY order_items_order_id_idx ON public.order_items (order_id);");
        CHECK(fk[1]->subject == "public.orders(customer_id)");
        CHECK(fk[1]->suggestion.sql.empty());
        CHECK(fk[1]->message.ends_with(
            "The recommended index orders_customer_id_created_at_desc_idx ON public.orders (customer_id, "
            "created_at DESC) serves it: create that one, no other index is needed for the key."));
        CHECK(evidence_text(*fk[1], "served_by_recommendation") == "ON public.orders (customer_id, created_at DESC)");
    }

    SUBCASE("generated SQL quotes names that need it") {
        workload.foreign_keys = {{"fk", "Sales", "Order", {"\"Customer\""}, "Sales", "Customer", {"id"}}};
        CatalogIndex unused = make_index("Order Idx", "Order", {"x"}, 0);
        unused.schema = unused.table_schema = "Sales";
        workload.indexes = {unused};
        const auto findings = check_existing_indexes(workload);
        REQUIRE(findings.size() == 2);
        CHECK(findings[0].suggestion.sql == "DROP INDEX CONCURRENTLY \"Sales\".\"Order Idx\";");
        CHECK(findings[1].suggestion.sql ==
              "CREATE INDEX CONCURRENTLY order_customer_idx ON \"Sales\".\"Order\" (\"Customer\");");
    }

    SUBCASE("ordered by table, then index") {
        workload.indexes = {make_index("z_idx", "b_table", {"z"}, 0),
                            make_index("a_idx", "b_table", {"a"}, 0),
                            make_index("m_idx", "a_table", {"m"}, 0)};
        CHECK(rules_of(check_existing_indexes(workload)) ==
              std::vector<std::string>{"unused-index public.m_idx", "unused-index public.a_idx",
                                       "unused-index public.z_idx"});
    }

    SUBCASE("unused and invalid indexes carry the writes they follow, and rank by them") {
        CatalogTable orders;
        orders.schema = "public";
        orders.name = "orders";
        orders.n_tup_ins = 10'000;
        orders.n_tup_upd = 5'000;
        orders.n_tup_hot_upd = 4'000; // 1,000 updates touched the indexes
        orders.n_tup_del = 500;
        CatalogTable quiet;
        quiet.schema = "public";
        quiet.name = "quiet";
        workload.tables = {orders, quiet};
        CatalogIndex invalid = make_index("orders_note_idx", "orders", {"note"}, 0);
        invalid.valid = false;
        workload.indexes = {primary_key("orders"), make_index("orders_at_idx", "orders", {"at"}, 0), invalid,
                            make_index("orders_used_idx", "orders", {"used"}, 9),
                            make_index("quiet_x_idx", "quiet", {"x"}, 0)};
        const auto findings = check_existing_indexes(workload);
        REQUIRE(rules_of(findings) == std::vector<std::string>{"unused-index public.orders_at_idx",
                                                               "invalid-index public.orders_note_idx",
                                                               "unused-index public.quiet_x_idx"});
        for (const Finding* finding : {&findings[0], &findings[1]}) {
            CHECK(evidence_integer(*finding, "index_writes") == 11'500);
            CHECK(evidence_integer(*finding, "table_non_hot_updates") == 1'000);
            CHECK(evidence_integer(*finding, "unused_or_invalid_on_table") == 2);
            CHECK(finding->rank == doctest::Approx(11'500 * k_index_entry_write_ms));
            CHECK(finding->message.find("10000 rows were inserted, 1000 updated other than HOT and 500 deleted on "
                                        "orders: 11500 index entries written or left for vacuum, 23000 across the "
                                        "table's 2 unused or invalid indexes.") != std::string::npos);
        }
        // A table nobody writes: no cost in the message, rank 0.
        CHECK(evidence_integer(findings[2], "index_writes") == 0);
        CHECK(findings[2].rank == 0);
        CHECK(findings[2].message.find("index entries") == std::string::npos);
        // Updates counted without their HOT share (an older snapshot): never negative.
        workload.tables[0].n_tup_hot_upd = 6'000;
        CHECK(evidence_integer(check_existing_indexes(workload)[0], "table_non_hot_updates") == 0);
    }
}
