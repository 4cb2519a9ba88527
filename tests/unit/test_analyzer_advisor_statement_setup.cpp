// What the advisor reads from each statement: columns traced to base tables through views,
// inlined CTEs, subqueries in FROM, output aliases and ordinals; table sizes; why a statement
// gets no candidate.
#include "analyzer/advisor/advisor.hpp"
#include "sqlparse/parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace {

using namespace dbadvise::analyzer;
using namespace dbadvise::analyzer::advisor;

Workload tickets_workload() {
    Workload workload;
    workload.server_version_num = 150004;
    workload.search_path = {"public"};
    CatalogTable tickets;
    tickets.schema = "public";
    tickets.name = "tickets";
    tickets.reltuples = 300'000;
    tickets.relpages = 3'000;
    tickets.columns = {{"id", "bigint", 1, true},        {"account_id", "integer", 2, true},
                       {"status", "text", 3, true},      {"assignee", "integer", 4, true},
                       {"opened_at", "timestamp with time zone", 5, true}, {"amount", "numeric(10,2)", 6, true}};
    workload.tables.push_back(tickets);
    CatalogTable accounts;
    accounts.schema = "public";
    accounts.name = "accounts";
    accounts.reltuples = 20'000;
    accounts.relpages = 200;
    accounts.columns = {{"id", "integer", 1, true}, {"region", "text", 2, true}};
    workload.tables.push_back(accounts);
    workload.views.push_back(
        {"public", "open_tickets",
         " SELECT tickets.id, tickets.account_id AS acct, tickets.assignee\n   FROM tickets\n  WHERE tickets.status <> 'closed'::text;"});
    return workload;
}

struct Setup {
    Workload workload = tickets_workload();
    WorkloadStatement source;
    ParsedWorkloadStatement parsed;
    StatementSetup setup;
    explicit Setup(const std::string& sql) {
        source.queryid = "1";
        source.text = sql;
        source.calls = 10;
        parsed = {&source, dbadvise::sqlparse::parse_statement(sql)};
        setup = setup_statement(workload, parsed, 0);
    }
    // The union of what the statement does with `table`'s columns over all its uses.
    std::vector<std::string> list(const std::string& table, std::vector<std::string> TableUse::*member) const {
        std::vector<std::string> out;
        for (const TableUse& use : setup.tables) {
            if (use.table->name == table) {
                out.insert(out.end(), (use.*member).begin(), (use.*member).end());
            }
        }
        return out;
    }
    std::vector<std::pair<std::string, bool>> order(const std::string& table) const {
        for (const TableUse& use : setup.tables) {
            if (use.table->name == table && !use.order.empty()) {
                return use.order;
            }
        }
        return {};
    }
};

using List = std::vector<std::string>;

} // namespace

TEST_CASE("setup_statement traces columns to base tables") {
    SUBCASE("through a view, its own conditions included") {
        Setup s("SELECT id FROM open_tickets WHERE assignee = $1 AND acct = $2");
        CHECK(s.list("tickets", &TableUse::equality) == List{"assignee", "account_id"});
        // The parameter's value comes from the base column behind the view's alias.
        REQUIRE(s.setup.parameters.size() == 2);
        CHECK(s.setup.parameters[1].table->name == "tickets");
        CHECK(s.setup.parameters[1].column == "account_id");
    }
    SUBCASE("through a CTE PostgreSQL inlines") {
        Setup s("WITH t AS (SELECT account_id, amount FROM tickets) SELECT sum(amount) FROM t WHERE account_id = $1");
        CHECK(s.list("tickets", &TableUse::equality) == List{"account_id"});
    }
    SUBCASE("not through a MATERIALIZED or twice-referenced CTE: the condition stays outside") {
        Setup m("WITH t AS MATERIALIZED (SELECT account_id FROM tickets) SELECT * FROM t WHERE account_id = $1");
        CHECK(m.list("tickets", &TableUse::equality).empty());
        Setup twice("WITH t AS (SELECT account_id FROM tickets) SELECT * FROM t a JOIN t b USING (account_id) "
                    "WHERE a.account_id = $1");
        CHECK(twice.list("tickets", &TableUse::equality).empty());
    }
    SUBCASE("through a subquery in FROM, not past its LIMIT") {
        Setup s("SELECT s.id FROM (SELECT id, opened_at AS at FROM tickets) s WHERE s.at > $1");
        CHECK(s.list("tickets", &TableUse::range) == List{"opened_at"});
        Setup limited("SELECT s.id FROM (SELECT id, opened_at FROM tickets LIMIT 10) s WHERE s.opened_at > $1");
        CHECK(limited.list("tickets", &TableUse::range).empty());
    }
    SUBCASE("ORDER BY an output alias and GROUP BY an ordinal name real columns, never the alias") {
        Setup s("SELECT assignee AS n, count(*) FROM tickets WHERE account_id = $1 GROUP BY 1 ORDER BY n");
        CHECK(s.list("tickets", &TableUse::group) == List{"assignee"});
        CHECK(s.order("tickets") == std::vector<std::pair<std::string, bool>>{{"assignee", false}});
        Setup expression("SELECT lower(status) AS n FROM tickets ORDER BY n, 1");
        CHECK(expression.order("tickets").empty());
    }
    SUBCASE("unqualified join columns of two tables are a join") {
        Setup s("SELECT 1 FROM tickets, accounts WHERE account_id = region AND id = $1");
        CHECK(s.list("tickets", &TableUse::join) == List{"account_id"});
        CHECK(s.list("accounts", &TableUse::join) == List{"region"});
    }
    SUBCASE("a correlated subquery's key is looked up like a join key, on either side of =") {
        Setup qualified("SELECT id FROM accounts a WHERE EXISTS (SELECT 1 FROM tickets t "
                        "WHERE a.id = t.account_id AND t.status = $1)");
        CHECK(qualified.list("tickets", &TableUse::join) == List{"account_id"});
        CHECK(qualified.list("tickets", &TableUse::equality) == List{"status"});
        CHECK(qualified.list("accounts", &TableUse::join).empty());
        Setup unqualified("SELECT region FROM accounts WHERE EXISTS (SELECT 1 FROM tickets "
                          "WHERE account_id = accounts.id) OR region = $1");
        CHECK(unqualified.list("tickets", &TableUse::join) == List{"account_id"});
        Setup scalar("SELECT a.id, (SELECT max(opened_at) FROM tickets WHERE assignee = a.id) FROM accounts a");
        CHECK(scalar.list("tickets", &TableUse::join) == List{"assignee"});
    }
    SUBCASE("a correlated inequality is no lookup key") {
        Setup s("SELECT id FROM accounts a WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.account_id <> a.id)");
        CHECK(s.list("tickets", &TableUse::join).empty());
    }
    SUBCASE("an expression holding a parameter is no key") {
        Setup s("SELECT 1 FROM accounts WHERE substring(region from $1 for $2) = $3 AND lower(accounts.region) = $4");
        CHECK(s.list("accounts", &TableUse::expressions) == List{"lower(region)"});
    }
}

TEST_CASE("table_size") {
    Workload workload = tickets_workload();
    CatalogTable& table = workload.tables[0];
    SUBCASE("reltuples after ANALYZE") {
        const TableSize size = table_size(workload, table);
        CHECK(size.rows == 300'000);
        CHECK(size.source == "reltuples");
    }
    SUBCASE("never analyzed: the live tuple count, never empty") {
        table.reltuples = -1;
        table.relpages = 0;
        table.n_live_tup = 100'000;
        const TableSize size = table_size(workload, table);
        CHECK(size.known);
        CHECK(size.rows == 100'000);
        CHECK(size.source == "n_live_tup");
        CHECK(size.pages > 10);
    }
    SUBCASE("nothing tells: unknown, not empty") {
        table.reltuples = -1;
        table.relpages = 0;
        CHECK_FALSE(table_size(workload, table).known);
    }
    SUBCASE("a partitioned table is the sum of its partitions") {
        CatalogTable parent;
        parent.schema = "public";
        parent.name = "events";
        parent.kind = 'p';
        parent.reltuples = -1;
        parent.relpages = -1;
        workload.tables.push_back(parent);
        for (int q = 1; q <= 2; ++q) {
            CatalogTable part;
            part.schema = "public";
            part.name = "events_q" + std::to_string(q);
            part.is_partition = true;
            part.parent_schema = "public";
            part.parent_name = "events";
            part.reltuples = 1000 * q;
            part.relpages = 10 * q;
            workload.tables.push_back(part);
        }
        const TableSize size = table_size(workload, workload.tables[2]);
        CHECK(size.rows == 3000);
        CHECK(size.pages == 30);
        CHECK(size.source == "partitions");
    }
    SUBCASE("a partition cycle (a hand-edited snapshot) ends, never overflows the stack") {
        for (const char* name : {"a", "b"}) {
            CatalogTable t;
            t.schema = "public";
            t.name = name;
            t.kind = 'p';
            t.is_partition = true;
            t.parent_schema = "public";
            t.parent_name = std::string(name) == "a" ? "b" : "a";
            workload.tables.push_back(t);
        }
        const CatalogTable& a = workload.tables[workload.tables.size() - 2];
        CHECK(partitions_of(workload, a).size() == 33);
        CHECK(table_size(workload, a).rows == 0);
    }
}

TEST_CASE("generate_candidates says why a statement got none") {
    Workload workload = tickets_workload();
    CatalogIndex pkey;
    pkey.schema = pkey.table_schema = "public";
    pkey.table = "tickets";
    pkey.name = "tickets_pkey";
    pkey.keys = {"id"};
    pkey.descending = {false};
    pkey.method = "btree";
    workload.indexes.push_back(pkey);
    workload.tables[1].reltuples = 10;
    workload.tables[1].relpages = 1;
    std::vector<WorkloadStatement> sources(4);
    const std::vector<std::string> texts = {"SELECT * FROM tickets WHERE id = $1", "SELECT * FROM accounts WHERE region = $1",
                                            "SELECT g FROM generate_series(1, 3) g", "SELECT count(*) FROM tickets"};
    std::vector<ParsedWorkloadStatement> parsed;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        sources[i].queryid = std::to_string(i);
        sources[i].text = texts[i];
        parsed.push_back({&sources[i], dbadvise::sqlparse::parse_statement(texts[i])});
    }
    std::vector<StatementSetup> setups;
    for (std::size_t i = 0; i < parsed.size(); ++i) {
        setups.push_back(setup_statement(workload, parsed[i], static_cast<int>(i)));
    }
    std::vector<std::string> notes;
    std::map<int, std::string> why;
    const auto candidates = generate_candidates(workload, setups, notes, &why);
    CHECK(candidates.empty());
    CHECK(why.at(0) == "existing indexes already serve the columns it filters, joins and sorts on (tickets_pkey)");
    CHECK(why.at(1) == "its tables are too small for an index to pay (public.accounts: 10 rows)");
    CHECK(why.at(2).starts_with("it reads no table the catalog knows"));
    CHECK(why.at(3).starts_with("it filters, joins, groups and sorts on no plain column"));
}

TEST_CASE("setup_statement reads join-key groups, OR arms and constants") {
    SUBCASE("two join keys meeting the same relation form a group on each side") {
        Setup s("SELECT 1 FROM tickets t JOIN accounts a ON t.account_id = a.id AND t.status = a.region WHERE a.id = $1");
        REQUIRE(s.setup.tables.size() == 2);
        CHECK(s.setup.tables[0].join_groups == std::vector<List>{{"account_id", "status"}});
        CHECK(s.setup.tables[1].join_groups == std::vector<List>{{"id", "region"}});
        Setup one("SELECT 1 FROM tickets t JOIN accounts a ON t.account_id = a.id");
        CHECK(one.setup.tables[0].join_groups.empty());
    }
    SUBCASE("equalities under OR are arms, not conjuncts") {
        Setup s("SELECT id FROM tickets WHERE assignee = $1 OR account_id = $2");
        CHECK(s.list("tickets", &TableUse::or_equality) == List{"assignee", "account_id"});
        CHECK(s.list("tickets", &TableUse::equality).empty());
    }
    SUBCASE("a column compared with a constant keeps the constant's text") {
        Setup s("SELECT id FROM tickets WHERE status = 'escalated' AND opened_at > $1");
        REQUIRE(s.setup.tables.size() == 1);
        CHECK(s.setup.tables[0].constants ==
              std::vector<std::pair<std::string, std::string>>{{"status", "'escalated'"}});
        Setup parameter("SELECT id FROM tickets WHERE status = $1");
        CHECK(parameter.setup.tables[0].constants.empty());
    }
}

namespace {

// Candidates for `texts` on the tickets workload, with pg_stats for tickets' columns.
struct Generated {
    Workload workload = tickets_workload();
    std::vector<WorkloadStatement> sources;
    std::vector<ParsedWorkloadStatement> parsed;
    std::vector<StatementSetup> setups;
    std::vector<Candidate> candidates;
    Generated(const std::vector<std::string>& texts, const std::vector<std::string>& without = {}) {
        auto stats = [&](std::string column, double n_distinct, std::vector<std::string> values, std::vector<double> freqs) {
            ColumnStats s;
            s.schema = "public";
            s.table = "tickets";
            s.column = std::move(column);
            s.n_distinct = n_distinct;
            s.most_common_vals = std::move(values);
            s.most_common_freqs = std::move(freqs);
            workload.column_stats.push_back(std::move(s));
        };
        stats("status", 3, {"open", "closed", "escalated"}, {0.6, 0.38, 0.02});
        stats("account_id", 20'000, {}, {});
        stats("assignee", 50, {}, {});
        sources.resize(texts.size());
        for (std::size_t i = 0; i < texts.size(); ++i) {
            sources[i].queryid = std::to_string(i);
            sources[i].text = texts[i];
            parsed.push_back({&sources[i], dbadvise::sqlparse::parse_statement(texts[i])});
        }
        for (std::size_t i = 0; i < parsed.size(); ++i) {
            setups.push_back(setup_statement(workload, parsed[i], static_cast<int>(i)));
        }
        std::vector<std::string> notes;
        candidates = generate_candidates(workload, setups, notes, nullptr, without);
    }
    const Candidate* find(const std::string& on_clause) const {
        for (const Candidate& c : candidates) {
            if (canonical(c.spec) == on_clause) {
                return &c;
            }
        }
        return nullptr;
    }
};

} // namespace

TEST_CASE("generate_candidates: join pairs, OR arms, partial indexes on rare constants") {
    SUBCASE("a pair of join keys is one composite, the more selective key first") {
        Generated g({"SELECT 1 FROM accounts a JOIN tickets t ON t.status = a.region AND t.account_id = a.id "
                     "WHERE a.region = $1"});
        const Candidate* pair = g.find("ON public.tickets (account_id, status)");
        REQUIRE(pair);
        CHECK(pair->kind == CandidateKind::join_pair);
        CHECK(g.find("ON public.tickets (account_id)"));
    }
    SUBCASE("the filtered side's equality column followed by the join key") {
        // Equality first, so the same index also serves the filter alone (a hash join's
        // inner scan); a join key first served only the nested loop and was credited with
        // statements it cannot help (shop: order_items (product_id, order_id)).
        Generated g({"SELECT 1 FROM accounts a JOIN tickets t ON t.account_id = a.id WHERE t.assignee = $1"});
        const Candidate* both = g.find("ON public.tickets (assignee, account_id)");
        REQUIRE(both);
        CHECK(both->kind == CandidateKind::composite);
        CHECK_FALSE(g.find("ON public.tickets (account_id, assignee)"));
    }
    SUBCASE("each arm of an OR gets its own index, for a BitmapOr") {
        Generated g({"SELECT id FROM tickets WHERE assignee = $1 OR account_id = $2"});
        REQUIRE(g.find("ON public.tickets (assignee)"));
        REQUIRE(g.find("ON public.tickets (account_id)"));
        CHECK(g.find("ON public.tickets (assignee)")->kind == CandidateKind::or_arm);
    }
    SUBCASE("a rare constant becomes a partial index over the other keys; a common one does not") {
        Generated rare({"SELECT id FROM tickets WHERE status = 'escalated' AND opened_at > $1"});
        const Candidate* partial = rare.find("ON public.tickets (opened_at) WHERE status = 'escalated'");
        REQUIRE(partial);
        CHECK(partial->kind == CandidateKind::partial);
        Generated cast({"SELECT id FROM tickets WHERE status = 'escalated'::text ORDER BY opened_at"});
        CHECK(cast.find("ON public.tickets (opened_at) WHERE status = 'escalated'::text"));
        Generated common({"SELECT id FROM tickets WHERE status = 'open' AND opened_at > $1"});
        for (const Candidate& c : common.candidates) {
            CHECK(c.spec.predicate.empty());
        }
        Generated expression({"SELECT id FROM tickets WHERE status = 'esc' || 'alated' AND opened_at > $1"});
        for (const Candidate& c : expression.candidates) {
            CHECK(c.spec.predicate.empty());
        }
    }
    SUBCASE("kinds left out are not generated") {
        Generated g({"SELECT 1 FROM accounts a JOIN tickets t ON t.status = a.region AND t.account_id = a.id "
                     "WHERE a.region = $1",
                     "SELECT id FROM tickets WHERE assignee = $1 OR account_id = $2"},
                    {"join-pair", "or-arm"});
        CHECK_FALSE(g.find("ON public.tickets (account_id, status)"));
        CHECK_FALSE(g.find("ON public.tickets (assignee)"));
        CHECK(g.find("ON public.tickets (account_id)")); // the join key itself stays
    }
}

TEST_CASE("representative_params: a column's values stand only for parameters of its kind") {
    const auto with_stats = [](Setup& s) {
        ColumnStats opened;
        opened.schema = "public";
        opened.table = "tickets";
        opened.column = "opened_at";
        opened.histogram_bounds = {"2024-01-01 00:00:00+00", "2024-06-01 00:00:00+00", "2025-01-01 00:00:00+00"};
        s.workload.column_stats.push_back(opened);
    };
    SUBCASE("the timestamp itself: the column's histogram") {
        Setup s("SELECT count(*) FROM tickets WHERE opened_at > $1");
        with_stats(s);
        const auto sets = representative_params(s.workload, s.setup, {"timestamp with time zone"});
        REQUIRE_FALSE(sets.empty());
        REQUIRE(sets.front().values.size() == 1);
        CHECK(sets.front().values[0].value_or("").starts_with("202"));
    }
    SUBCASE("an interval inside an expression compared with the timestamp: an interval") {
        // `now() - interval '1 hour' * 5` as pg_stat_statements keeps it.
        Setup s("SELECT count(*) FROM tickets WHERE opened_at > now() - $1::interval * $2");
        with_stats(s);
        const auto sets = representative_params(s.workload, s.setup, {"interval", "integer"});
        REQUIRE_FALSE(sets.empty());
        for (const ParamSet& set : sets) {
            REQUIRE(set.values.size() == 2);
            CAPTURE(set.values[0].value_or("NULL"));
            CHECK(set.values[0].value_or("").find(" day") != std::string::npos);
        }
    }
    SUBCASE("a number in the same place: no timestamp for it either, the generic plan") {
        Setup s("SELECT count(*) FROM tickets WHERE opened_at > now() - $1 * interval '1 day'");
        with_stats(s);
        const auto sets = representative_params(s.workload, s.setup, {"numeric"});
        for (const ParamSet& set : sets) {
            REQUIRE(set.values.size() == 1);
            CHECK_FALSE(set.values[0].value_or("").starts_with("202"));
        }
    }
}
