// The rule registry's table: one row per rule, in id order, in the order of RuleId. Each
// rule's file (analyzer/rules/<id>.cpp, analyzer/plan/rules/<id>.cpp, analyzer/health/...)
// opens with the long rationale, the PostgreSQL behaviour it relies on and its known false
// positives; the row here is what users read in `dbadvise rules`, the man page and SARIF.
#include "analyzer/rule_registry.hpp"

#include <algorithm>
#include <array>

namespace dbadvise::analyzer {

namespace {

using S = Severity;
using C = Category;

// The severities a row may list per command.
constexpr SeveritySet k_info{S::info};
constexpr SeveritySet k_warning{S::warning};
constexpr SeveritySet k_error{S::error};
constexpr SeveritySet k_info_or_warning{S::info, S::warning};
constexpr SeveritySet k_warning_or_error{S::warning, S::error};

constexpr std::array k_rules = std::to_array<RuleInfo>({
    {.rule = RuleId::analyze_plans_failed,
     .id = "analyze-plans-failed",
     .category = C::input,
     .severity = S::info,
     .analyze = k_info,
     .title = "--analyze-plans could not get a plan for a statement",
     .rationale = "The server's message says why (a timeout, a parameter it could not type); the "
                  "other statements are still analyzed.",
     .help = "Read the server's message in the finding. A statement_timeout means the statement "
             "is slow enough to look at with EXPLAIN (ANALYZE, BUFFERS) by hand."},
    {.rule = RuleId::analyze_plans_skipped,
     .id = "analyze-plans-skipped",
     .category = C::input,
     .severity = S::info,
     .analyze = k_info,
     .title = "--analyze-plans did not run a statement: a locked table, a parameter without a "
              "value, the time budget",
     .rationale = "A statement on a table another session locks would wait behind the lock; a "
                  "parameter without a value the workload supports (or in OFFSET) would need a "
                  "NULL stand-in, whose plan means nothing (`x = NULL` matches no row).",
     .help = "The reason is in the finding: run dbadvise again when the lock is gone, raise "
             "--analyze-plans-budget, or EXPLAIN the statement by hand with real values."},
    {.rule = RuleId::analyze_plans_unsafe,
     .id = "analyze-plans-unsafe",
     .category = C::input,
     .severity = S::info,
     .analyze = k_info,
     .title = "--analyze-plans did not run a statement that may have side effects",
     .rationale = "EXPLAIN ANALYZE executes the statement, and a read-only transaction does not "
                  "stop volatile, admin, signalling, dblink, sequence, advisory-lock, "
                  "large-object, file or SQL-executing functions, nor row locks; only statements "
                  "proven free of them run.",
     .help = "The finding names the function, view, operator or clause. If the statement is "
             "harmless after all, EXPLAIN (ANALYZE, BUFFERS) it by hand and feed the plan to "
             "dbadvise explain."},
    {.rule = RuleId::autovacuum_lag,
     .id = "autovacuum-lag",
     .category = C::maintenance,
     .severity = S::warning,
     .analyze = k_info_or_warning,
     .title = "Dead tuples at twice a table's own autovacuum trigger, with autovacuum off or no vacuum "
              "for an hour",
     .rationale = "Autovacuum should have vacuumed the table at its trigger (threshold + scale factor x "
                  "rows, the table's own settings first); until it does scans read the dead rows and "
                  "the table grows.",
     .help = "VACUUM the table (the finding's SQL); turn autovacuum back on for it, or give it a lower "
             "trigger and a higher cost limit of its own.",
     .severity_note = "info while autovacuum is on and the table has fewer dead than live tuples"},
    {.rule = RuleId::batchable_lookup,
     .id = "batchable-lookup",
     .category = C::application,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A sub-millisecond lookup of one row by key called thousands of times (N+1): fetch "
              "the keys of a request in one statement with = ANY($1)",
     .rationale = "Each call pays a network round trip and the per-statement overhead, which for a "
                  "sub-millisecond lookup cost as much as the lookup; one statement with an array "
                  "of keys uses the same index in one round trip.",
     .help = "Collect the keys of one request and run the finding's rewritten statement once with "
             "an array of them; add the key to the select list to match rows to keys."},
    {.rule = RuleId::binary_input,
     .id = "binary-input",
     .category = C::input,
     .severity = S::error,
     .lint = k_error,
     .title = "The input holds NUL bytes: it is binary, not SQL or plan text",
     .rationale = "No SQL script or EXPLAIN output contains a NUL byte, and the parser stops "
                  "reading at one; the file is skipped so that a wrong path or a compressed "
                  "dump is noticed.",
     .help = "Check the path, or decompress the file first."},
    {.rule = RuleId::body_parse_error,
     .id = "body-parse-error",
     .category = C::input,
     .severity = S::error,
     .lint = k_error,
     .title = "A function body (PL/pgSQL, or SQL in a string) the PostgreSQL 15 parsers reject",
     .rationale = "CREATE FUNCTION checks the body when it runs (check_function_bodies is on by "
                  "default), so the script would fail there; the body is reported with the "
                  "parser's message at its location in the file, and the rest of the file is "
                  "still checked.",
     .help = "Fix the syntax at the reported position inside the body."},
    {.rule = RuleId::cacheable_result,
     .id = "cacheable-result",
     .category = C::application,
     .severity = S::info,
     .analyze = k_info,
     .title = "A frequent SELECT on tables that are rarely written: cache its result with a TTL",
     .rationale = "A result that changes far less often than it is asked for is recomputed for "
                  "nothing; an application cache answers the repeats without a round trip.",
     .help = "Cache the result keyed by the statement's parameters with the finding's TTL (half "
             "the mean interval between writes to its tables), or invalidate it on write; for a "
             "parameterless aggregate a materialized view refreshed at that interval also serves."},
    {.rule = RuleId::cartesian_product,
     .id = "cartesian-product",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_warning,
     .analyze = k_warning,
     .title = "FROM items with no join condition between them",
     .rationale = "Relations listed in FROM without a condition relating them are joined as a "
                  "cross product, whose size is the product of theirs; usually a join condition "
                  "was forgotten.",
     .help = "Add the missing join condition, or write CROSS JOIN when the product is "
             "intended."},
    {.rule = RuleId::connection_churn,
     .id = "connection-churn",
     .category = C::connections,
     .severity = S::warning,
     .analyze = k_info_or_warning,
     .title = "Many short sessions: the application connects per request instead of using a pool",
     .rationale = "Every new session forks a backend, authenticates and warms its caches, which "
                  "costs milliseconds of server time and adds that latency to each request.",
     .help = "Keep connections open in the driver's pool, or put PgBouncer in transaction mode "
             "between the application and the server, with the finding's pool size.",
     .severity_note = "info when fewer than one new session a second arrives on average"},
    {.rule = RuleId::connections_near_limit,
     .id = "connections-near-limit",
     .category = C::connections,
     .severity = S::warning,
     .analyze = k_warning_or_error,
     .title = "Client sessions fill most of the connection slots (max_connections)",
     .rationale = "At the limit new connections fail with \"too many clients\"; before it, many "
                  "mostly idle backends cost memory and slow snapshots.",
     .help = "Put a transaction-mode pooler (PgBouncer) in front, sized by the measured active "
             "concurrency (the finding's pool size) and within 2-4 times the CPU cores.",
     .severity_note = "error from 95% of the slots"},
    {.rule = RuleId::count_for_existence,
     .id = "count-for-existence",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_warning,
     .analyze = k_warning,
     .title = "count(*) > 0 as an existence test -> EXISTS",
     .rationale = "Counting visits every matching row to answer a question the first row "
                  "answers; EXISTS stops at the first match.",
     .help = "Write EXISTS (SELECT 1 FROM ... WHERE ...) instead of comparing a count with 0 "
             "or 1."},
    {.rule = RuleId::database_low_hit_ratio,
     .id = "database-low-hit-ratio",
     .category = C::cache,
     .severity = S::warning,
     .analyze = k_info_or_warning,
     .title = "Database buffer hit ratio below 99% with many reads",
     .rationale = "Block reads from outside shared_buffers make queries wait; OS page-cache hits "
                  "count as reads too.",
     .help = "Fix the statements that read the most first (their findings say how); raise "
             "shared_buffers when the hot tables and indexes do not fit.",
     .severity_note = "info when the ratio is 90% or more, or the whole database fits in "
                      "shared_buffers"},
    {.rule = RuleId::deep_offset,
     .id = "deep-offset",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_info_or_warning,
     .analyze = k_info_or_warning,
     .title = "OFFSET >= 1000 (or $n) -> keyset pagination",
     .rationale = "OFFSET produces and discards every skipped row, so deep pages cost more and "
                  "more; keyset pagination seeks straight to the page through an index.",
     .help = "Remember the last row's sort keys and ask for the rows after them: WHERE (keys) > "
             "(last values) ORDER BY keys LIMIT n, served by an index on the keys.",
     .severity_note = "info when the OFFSET is a parameter ($n): its depth is unknown"},
    {.rule = RuleId::duplicate_index,
     .id = "duplicate-index",
     .category = C::index,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "An index with the same definition as another index of the table",
     .rationale = "Every write maintains both copies, and both take cache space, for no read "
                  "that one of them would not serve.",
     .help = "Drop the duplicate with DROP INDEX CONCURRENTLY (the finding's SQL); the one that "
             "enforces a constraint is kept."},
    {.rule = RuleId::empty_input,
     .id = "empty-input",
     .category = C::input,
     .severity = S::info,
     .lint = k_info,
     .title = "The input holds no statement (empty, or whitespace and comments only)",
     .rationale = "An empty file in a list of inputs is usually a wrong path or a failed export; "
                  "it is reported so that a check that found nothing is not mistaken for a clean "
                  "result.",
     .help = "Check the path, or the step that produced the file."},
    {.rule = RuleId::hash_batches,
     .id = "hash-batches",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Hash or hashed aggregate split into several batches: the work_mem that would fit "
              "it",
     .rationale = "A hash that exceeds work_mem x hash_mem_multiplier is processed in batches "
                  "through temporary files; with enough memory it runs in one pass.",
     .help = "Set work_mem to the finding's value for this statement's session or role, not "
             "globally."},
    {.rule = RuleId::idle_in_transaction,
     .id = "idle-in-transaction",
     .category = C::connections,
     .severity = S::warning,
     .analyze = k_info_or_warning,
     .title = "A session idle inside an open transaction",
     .rationale = "It keeps every lock it took, so writers of the same rows and DDL wait behind "
                  "it, and its snapshot can keep vacuum from removing dead rows.",
     .help = "Commit or roll back as soon as the work is done; set "
             "idle_in_transaction_session_timeout for the application's role (the finding's SQL).",
     .severity_note = "info while idle for less than a minute and holding no snapshot"},
    {.rule = RuleId::in_subquery,
     .id = "in-subquery",
     .category = C::rewrite,
     .severity = S::info,
     .lint = k_info,
     .analyze = k_info,
     .title = "IN (subquery) -> correlated EXISTS",
     .rationale = "EXISTS states the correlation, allows an index probe per outer row where a "
                  "non-pulled-up IN hashes or re-scans the subquery, and negates safely.",
     .help = "Use the rewritten query: EXISTS (SELECT 1 FROM ... WHERE inner = outer)."},
    {.rule = RuleId::index_bloat,
     .id = "index-bloat",
     .category = C::maintenance,
     .severity = S::info,
     .analyze = k_info_or_warning,
     .title = "A btree index of 1,000 pages or more, half of it or more empty space by an estimate "
              "from statistics",
     .rationale = "VACUUM frees a btree page only once it is empty: after mass deletes or page "
                  "splits an index keeps its size, which scans walk, the cache holds and every "
                  "write maintains.",
     .help = "Measure it (pgstatindex), then rebuild it online with REINDEX INDEX CONCURRENTLY "
             "(it needs the index's size in free disk space while it runs).",
     .severity_note = "warning when 80% or more of it, or 1 GiB or more, is empty space"},
    {.rule = RuleId::index_filter,
     .id = "index-filter",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Index scan whose Filter discards most rows the index found: extend the index",
     .rationale = "Rows an index finds but the Filter rejects cost a heap visit each; adding the "
                  "filtered columns to the index lets it skip them.",
     .help = "Create the index the finding suggests: the index's keys followed by the filtered "
             "columns, equality columns first."},
    {.rule = RuleId::index_only_heap_fetches,
     .id = "index-only-heap-fetches",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Index-only scan with many heap fetches: VACUUM to set the visibility map",
     .rationale = "An index-only scan skips the heap only on pages the visibility map marks "
                  "all-visible; VACUUM sets those bits.",
     .help = "VACUUM the table, and make autovacuum visit it more often (a lower "
             "autovacuum_vacuum_insert_scale_factor for insert-mostly tables)."},
    {.rule = RuleId::integer_key_near_max,
     .id = "integer-key-near-max",
     .category = C::maintenance,
     .severity = S::warning,
     .analyze = k_warning_or_error,
     .title = "A smallint or integer key without a sequence of its own whose values, by the statistics, "
              "reach most of its type's range",
     .rationale = "Once a new key passes the type's maximum every INSERT of one fails; sequence-near-max "
                  "cannot see a key no sequence of its own feeds, and widening the column rewrites the table.",
     .help = "Check the exact maximum (the finding's first statement) and widen the column, and the "
             "columns referencing it, to bigint before it runs out.",
     .severity_note = "error from 90% of the range"},
    {.rule = RuleId::invalid_index,
     .id = "invalid-index",
     .category = C::index,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "An index marked invalid by a failed CREATE INDEX CONCURRENTLY or REINDEX",
     .rationale = "Writes still maintain an invalid index but no query can use it.",
     .help = "Drop it and build it again, both CONCURRENTLY (the finding's SQL)."},
    {.rule = RuleId::invalid_utf8,
     .id = "invalid-utf8",
     .category = C::input,
     .severity = S::warning,
     .lint = k_warning,
     .title = "The input holds bytes that are not valid UTF-8",
     .rationale = "A UTF8 database rejects such bytes with `invalid byte sequence for encoding "
                  "\"UTF8\"`; the statements are still checked, but columns on the affected "
                  "line may be off.",
     .help = "Convert the file to UTF-8, for example with iconv -f LATIN1 -t UTF-8."},
    {.rule = RuleId::jit_dominates,
     .id = "jit-dominates",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "JIT compilation taking a quarter or more of the execution time",
     .rationale = "JIT pays off for long analytical queries; for cheap ones compiling takes "
                  "longer than running, which happens when the JIT cost thresholds are low or "
                  "costs are misestimated.",
     .help = "Raise jit_above_cost (or turn jit off for the statement's role), or fix the "
             "misestimate that made a cheap statement look expensive."},
    {.rule = RuleId::leading_wildcard_like,
     .id = "leading-wildcard-like",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_warning,
     .analyze = k_warning,
     .title = "LIKE/ILIKE with a leading wildcard -> pg_trgm GIN index",
     .rationale = "A pattern starting with % or _ has no prefix a btree can seek to, so every "
                  "row is scanned; a pg_trgm GIN index serves such searches.",
     .help = "CREATE EXTENSION pg_trgm and create a GIN index with gin_trgm_ops on the column "
             "(the finding's SQL)."},
    {.rule = RuleId::lock_wait,
     .id = "lock-wait",
     .category = C::connections,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "Sessions waiting for a lock, with the session at the head of the chain",
     .rationale = "A lock wait is time a statement does nothing; one session holding a lock (or a "
                  "migration queued for ACCESS EXCLUSIVE) can stall everything behind it.",
     .help = "Look at what the blocking session runs (the finding's SQL); commit sooner, lock rows "
             "in a consistent order, and run DDL with a short lock_timeout."},
    {.rule = RuleId::long_in_list,
     .id = "long-in-list",
     .category = C::rewrite,
     .severity = S::info,
     .lint = k_info,
     .analyze = k_info,
     .title = "IN list of 50 or more values -> = ANY($1::type[])",
     .rationale = "Literal lists make a new statement per length (parsed, planned and tracked "
                  "separately); one array parameter gives one reusable statement.",
     .help = "Bind one array parameter: col = ANY($1::type[]) (NOT IN becomes <> ALL)."},
    {.rule = RuleId::long_transaction,
     .id = "long-transaction",
     .category = C::connections,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A transaction open for a minute or more, or holding the xmin horizon 100,000 "
              "transactions back",
     .rationale = "While it runs vacuum cannot remove rows deleted or updated since its snapshot, "
                  "in any table, nor freeze past it: tables and indexes bloat.",
     .help = "Split long work into shorter transactions, run long reports on a replica, and bound "
             "them with statement_timeout."},
    {.rule = RuleId::lossy_bitmap,
     .id = "lossy-bitmap",
     .category = C::plan,
     .severity = S::info,
     .explain = k_info,
     .analyze = k_info,
     .title = "Lossy bitmap heap scan: the work_mem for an exact bitmap",
     .rationale = "A bitmap larger than work_mem degrades to whole pages whose every row must "
                  "be rechecked; a little more work_mem keeps it exact.",
     .help = "Set work_mem to the finding's value for this statement's session or role."},
    {.rule = RuleId::low_cache_hit,
     .id = "low-cache-hit",
     .category = C::plan,
     .severity = S::info,
     .explain = k_info,
     .analyze = k_info,
     .title = "Node reading many blocks from outside shared buffers (hit ratio below 90%)",
     .rationale = "Blocks missing from shared_buffers cost I/O; a node reading thousands of "
                  "them either reads more than it needs or its working set does not fit in "
                  "memory.",
     .help = "Make the node read less (an index, a narrower scan); if it already reads only "
             "what it needs, give the working set more shared_buffers."},
    {.rule = RuleId::many_dead_tuples,
     .id = "many-dead-tuples",
     .category = C::schema,
     .severity = S::warning,
     .analyze = k_info_or_warning,
     .title = "Dead tuples above autovacuum's vacuum threshold",
     .rationale = "Dead row versions make scans read more pages and the cache hold less live "
                  "data.",
     .help = "VACUUM the table and check why autovacuum falls behind (long transactions, "
             "autovacuum_vacuum_cost_limit, per-table settings).",
     .severity_note = "info while the table has fewer dead than live tuples"},
    {.rule = RuleId::missing_index,
     .id = "missing-index",
     .category = C::index,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "An index that would speed up the workload's statements",
     .rationale = "The statements it serves read far more rows than they return; the index is "
                  "verified with HypoPG's hypothetical indexes when available, otherwise "
                  "estimated from pg_stats and marked unverified.",
     .help = "Review the statements it helps and its size, then run the finding's CREATE INDEX "
             "CONCURRENTLY outside a transaction block."},
    {.rule = RuleId::missing_limit,
     .id = "missing-limit",
     .category = C::rewrite,
     .severity = S::info,
     .lint = k_info,
     .analyze = k_info,
     .title = "ORDER BY without LIMIT on a top-level SELECT",
     .rationale = "Sorting a whole result that the client pages through wastes a sort and the "
                  "transfer; LIMIT enables top-N sorts and index scans that stop early.",
     .help = "Add LIMIT (or FETCH FIRST) with the number of rows the caller shows."},
    {.rule = RuleId::multixact_wraparound,
     .id = "multixact-wraparound",
     .category = C::maintenance,
     .severity = S::warning,
     .analyze = k_warning_or_error,
     .title = "A table or database whose multixact ID age is past autovacuum_multixact_freeze_max_age",
     .rationale = "Rows locked by several transactions at once (FOR SHARE, foreign key checks) get "
                  "multixact IDs, which wrap around like transaction IDs: near 2^31 the server "
                  "refuses new ones; past autovacuum_multixact_freeze_max_age autovacuum has not kept up.",
     .help = "VACUUM (FREEZE) the table (the finding's SQL) and end the long or prepared "
             "transactions that keep the oldest multixact from advancing.",
     .severity_note = "error from an age of 2^30 (half the IDs before wraparound)"},
    {.rule = RuleId::nested_loop_inner_scan,
     .id = "nested-loop-inner-scan",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Nested loop rescanning an unindexed inner table many times: index the join "
              "column",
     .rationale = "A Nested Loop runs its inner side once per outer row; a Seq Scan there costs "
                  "outer rows x inner rows, an index lookup a few pages per loop.",
     .help = "Create an index on the inner table's join column (the finding's SQL)."},
    {.rule = RuleId::never_analyzed,
     .id = "never-analyzed",
     .category = C::plan,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A table with rows but no statistics",
     .rationale = "Without ANALYZE the planner guesses row counts and value distributions.",
     .help = "ANALYZE the table, and check that autovacuum runs on it."},
    {.rule = RuleId::non_sargable_predicate,
     .id = "non-sargable-predicate",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_warning,
     .analyze = k_warning,
     .title = "Function, cast or arithmetic on a column in WHERE/JOIN -> expression index or "
              "sargable rewrite",
     .rationale = "An index on a column cannot serve a condition on an expression of it; the "
                  "expression is computed for every row unless it is indexed or rewritten.",
     .help = "Rewrite the condition so the column stands alone (a range instead of a cast to "
             "date), or create an index on the expression."},
    {.rule = RuleId::not_checked,
     .id = "not-checked",
     .category = C::input,
     .severity = S::info,
     .lint = k_info,
     .title = "SQL lint cannot check, though PostgreSQL may accept it",
     .rationale = "A statement built from psql variables that hold SQL (`:query;`, `EXPLAIN :q`) "
                  "does not parse with a placeholder in their place; libpg_query's PL/pgSQL "
                  "parser compiles without a database, so it stops at what needs the catalog "
                  "(cursors, fields of row and record variables, RETURNS TABLE columns, ALIAS FOR "
                  "$n). Such SQL is not checked, and this says so instead of staying silent.",
     .help = "Nothing to fix in the SQL. To have the statement checked, write it out in the file "
             "rather than in a variable, or lint the body's statements on their own."},
    {.rule = RuleId::not_in_subquery,
     .id = "not-in-subquery",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_warning,
     .analyze = k_warning,
     .title = "NOT IN (subquery) -> NOT EXISTS (NULL semantics, no anti-join)",
     .rationale = "One NULL from the subquery makes NOT IN return no rows, and NOT IN cannot be "
                  "planned as an anti-join; NOT EXISTS has the intended meaning and plan.",
     .help = "Use the rewritten query: NOT EXISTS (SELECT 1 FROM ... WHERE inner = outer)."},
    {.rule = RuleId::null_comparison,
     .id = "null-comparison",
     .category = C::rewrite,
     .severity = S::error,
     .lint = k_error,
     .analyze = k_error,
     .title = "`= NULL` / `<> NULL` never matches; use IS [NOT] NULL",
     .rationale = "Comparing with NULL yields NULL, so the condition filters out every row; IS "
                  "NULL and IS NOT NULL test for missing values.",
     .help = "Write IS NULL or IS NOT NULL (or IS [NOT] DISTINCT FROM to compare with a "
             "value that may be NULL)."},
    {.rule = RuleId::or_across_columns,
     .id = "or-across-columns",
     .category = C::rewrite,
     .severity = S::info,
     .lint = k_info,
     .analyze = k_info,
     .title = "OR between conditions on different columns -> separate indexes or UNION ALL",
     .rationale = "No single index serves `a = x OR b = y`; PostgreSQL needs an index per "
                  "column for a BitmapOr, or the query split into UNION ALL branches.",
     .help = "Give each column its own index, or split the query into UNION ALL branches that "
             "each use one."},
    {.rule = RuleId::order_by_random,
     .id = "order-by-random",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_warning,
     .analyze = k_warning,
     .title = "ORDER BY random() sorts the whole table to pick rows",
     .rationale = "Random order cannot come from an index: every row is read and sorted, so the "
                  "cost grows with the table rather than with the rows kept.",
     .help = "Sample with TABLESAMPLE SYSTEM or BERNOULLI, or pick a random key and read the "
             "first row at or after it through the primary key."},
    {.rule = RuleId::parse_error,
     .id = "parse-error",
     .category = C::input,
     .severity = S::error,
     .lint = k_error,
     .analyze = k_warning,
     .title = "A statement the PostgreSQL 15 parser rejects",
     .rationale = "In a SQL file the statement would fail on the server (or uses syntax newer "
                  "than PostgreSQL 15); in analyze the server ran it, so its recorded text is "
                  "cut (track_activity_query_size) or newer than the parser. The other "
                  "statements are still checked.",
     .help = "Fix the syntax at the reported position. In analyze, raise "
             "track_activity_query_size when the finding says the text looks truncated.",
     .severity_note = "warning in analyze: the statement ran on the server, only its recorded "
                      "text cannot be analyzed"},
    {.rule = RuleId::partition_candidate,
     .id = "partition-candidate",
     .category = C::schema,
     .severity = S::info,
     .analyze = k_info_or_warning,
     .title = "A table larger than shared_buffers, filtered by a time or tenant column in most of "
              "its statements' time and deleted from in bulk by it: partition by that column",
     .rationale = "A retention DELETE writes WAL, dead tuples and index entries for every row and "
                  "leaves the space in the table; dropping a partition is a catalog change. "
                  "Partition pruning lets statements that filter by the key read only the "
                  "partitions they need, and keeps the recent ones cached.",
     .help = "Range-partition by the time column (list or hash by the tenant column) with the "
             "interval the finding derives, and replace the DELETEs by DETACH PARTITION and DROP "
             "TABLE; unique keys must include the partition key.",
     .severity_note = "warning when the table is also larger than effective_cache_size"},
    {.rule = RuleId::planning_time,
     .id = "planning-time",
     .category = C::plan,
     .severity = S::info,
     .analyze = k_info_or_warning,
     .title = "Planning takes a large share of a statement's time: prepare it once and reuse it",
     .rationale = "A statement planned on every call pays the planner each time; a prepared "
                  "statement reused across calls switches to a cached generic plan.",
     .help = "Use server-side prepared statements or the driver's statement cache for the "
             "statement (PgJDBC prepareThreshold, psycopg prepare_threshold).",
     .severity_note = "warning when planning is half the statement's time or more"},
    {.rule = RuleId::prepared_transaction_open,
     .id = "prepared-transaction-open",
     .category = C::connections,
     .severity = S::warning,
     .analyze = k_warning_or_error,
     .title = "A transaction prepared for two-phase commit and left open for a minute or more, or "
              "holding the xmin horizon 100,000 transactions back",
     .rationale = "It has no session, survives restarts and no timeout ends it; until COMMIT or "
                  "ROLLBACK PREPARED it keeps its locks and vacuum cannot remove or freeze rows past "
                  "it, in any database.",
     .help = "Ask the transaction manager that prepared it which outcome it decided; end it from its "
             "database with COMMIT PREPARED or ROLLBACK PREPARED (the finding's SQL).",
     .severity_note = "error once it holds the horizon back by autovacuum_freeze_max_age or more"},
    {.rule = RuleId::psql_unknown_command,
     .id = "psql-unknown-command",
     .category = C::input,
     .severity = S::warning,
     .lint = k_warning,
     .title = "A backslash command psql does not know",
     .rationale = "psql answers `invalid command` and skips the rest of the line (and stops there "
                  "with ON_ERROR_STOP); usually a typo such as \\gst for \\gset. The rest of "
                  "the file is still checked.",
     .help = "Correct the command's name; `psql -c '\\?'` lists the commands psql knows."},
    {.rule = RuleId::redundant_index,
     .id = "redundant-index",
     .category = C::index,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A btree index whose keys are a prefix of another index's keys",
     .rationale = "The longer index serves every query the shorter one serves, while both cost "
                  "writes and cache space.",
     .help = "Drop the shorter index with DROP INDEX CONCURRENTLY (the finding's SQL); indexes "
             "that enforce a constraint are never reported."},
    {.rule = RuleId::row_misestimate,
     .id = "row-misestimate",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Row estimate off by 10x or more: ANALYZE, or CREATE STATISTICS for correlated "
              "columns",
     .rationale = "The planner picks join methods, join order and memory from row estimates; a "
                  "10x error at a node misleads every decision above it.",
     .help = "ANALYZE the table; for columns filtered together, CREATE STATISTICS (dependencies, "
             "mcv) on them (the finding's SQL)."},
    {.rule = RuleId::scalar_subquery_in_select,
     .id = "scalar-subquery-in-select",
     .category = C::rewrite,
     .severity = S::warning,
     .lint = k_warning,
     .analyze = k_warning,
     .title = "Correlated scalar subquery in the select list -> JOIN / LATERAL",
     .rationale = "A correlated subquery in the select list runs once per output row; a join or "
                  "LATERAL subquery lets the planner process the inner table once.",
     .help = "Join to a grouped derived table, or use LEFT JOIN LATERAL (SELECT ...) ON true."},
    {.rule = RuleId::select_star,
     .id = "select-star",
     .category = C::rewrite,
     .severity = S::info,
     .lint = k_info,
     .analyze = k_info,
     .title = "SELECT * -> explicit column list",
     .rationale = "Selecting every column fetches data the caller does not use, prevents "
                  "index-only scans and breaks when the table changes.",
     .help = "List the columns the caller reads; with --schema (or in analyze) the rewritten "
             "query lists them all, ready to trim."},
    {.rule = RuleId::seq_scan_filter,
     .id = "seq-scan-filter",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Sequential scan discarding most of the rows it reads: index the filter's columns",
     .rationale = "A Seq Scan reads the whole table; when its Filter rejects 90% or more of the "
                  "rows, an index on the filtered columns reads only the rows the query needs.",
     .help = "Create an index on the filtered columns (the finding's SQL), equality columns "
             "first."},
    {.rule = RuleId::sequence_near_max,
     .id = "sequence-near-max",
     .category = C::maintenance,
     .severity = S::warning,
     .analyze = k_warning_or_error,
     .title = "A sequence has used most of its range, or of its integer column's",
     .rationale = "When it runs out every INSERT that takes a value from it fails; widening an "
                  "integer column rewrites the table, which takes long on a big one.",
     .help = "Widen the column and the sequence to bigint (the finding's SQL) before it runs out; "
             "on a large table plan the rewrite.",
     .severity_note = "error from 90% of the range"},
    {.rule = RuleId::shared_buffers_below_working_set,
     .id = "shared-buffers-below-working-set",
     .category = C::config,
     .severity = S::info,
     .analyze = k_info,
     .title = "shared_buffers smaller than the hot tables and their indexes",
     .rationale = "Hot tables that do not fit evict each other, and every pass reads them "
                  "again.",
     .help = "Raise shared_buffers (a restart is needed) if the server has the memory, or make "
             "the statements read less."},
    {.rule = RuleId::single_row_insert,
     .id = "single-row-insert",
     .category = C::application,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "An INSERT of one row per statement called thousands of times: insert many rows per "
              "statement, or COPY",
     .rationale = "Each statement pays a round trip, parse and executor start-up and, in "
                  "autocommit, a commit; a multi-row INSERT or COPY pays them once per batch.",
     .help = "Insert a batch of rows with one INSERT ... SELECT FROM unnest($1::type[], ...) or "
             "VALUES list, or COPY, in one transaction."},
    {.rule = RuleId::snapshot_duplicate_statements,
     .id = "snapshot-duplicate-statements",
     .category = C::input,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A snapshot repeats a pg_stat_statements entry (analyze --snapshot/--since)",
     .rationale = "pg_stat_statements keeps one entry per userid, dbid, queryid and (14+) "
                  "toplevel, so a snapshot it wrote has one row for each. A second row for "
                  "the same entry comes from a file edited or put together by hand: counting "
                  "both would double the statement's calls and time. The first row is kept, "
                  "the others are left out.",
     .help = "Take the snapshot again with `dbadvise snapshot`, or remove the repeated rows "
             "the finding names."},
    {.rule = RuleId::snapshot_invalid_values,
     .id = "snapshot-invalid-values",
     .category = C::input,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "Rows of a snapshot hold values no server produces, and were left out (analyze "
              "--snapshot/--since)",
     .rationale = "pg_stat_statements' counters (calls, times, rows, blocks) count up from zero "
                  "and are never empty; pg_stats' null_frac and most_common_freqs are fractions, "
                  "n_distinct is at least -1, correlation lies between -1 and 1. A row that says "
                  "otherwise was damaged or edited, and would turn into negative weights or "
                  "impossible selectivities: it is left out, with its JSON pointer, and the "
                  "rest of the snapshot is analyzed (a statement without its row is not "
                  "analyzed; a column without its statistics is estimated with defaults).",
     .help = "Take the snapshot again with `dbadvise snapshot`, or correct the values the "
             "finding names."},
    {.rule = RuleId::sort_spill,
     .id = "sort-spill",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Sort spilling to disk: the work_mem that would fit it",
     .rationale = "An external merge sort writes and re-reads temporary files; with enough "
                  "work_mem the same sort runs in memory.",
     .help = "Set work_mem to the finding's value for this statement's session or role, not "
             "globally."},
    {.rule = RuleId::stale_statistics,
     .id = "stale-statistics",
     .category = C::plan,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "Rows modified since the last ANALYZE above twice autovacuum's share",
     .rationale = "Statistics that drift from the data give misestimates and wrong plans.",
     .help = "ANALYZE the table; for tables that change quickly, lower "
             "autovacuum_analyze_scale_factor on them."},
    {.rule = RuleId::statement_low_hit_ratio,
     .id = "statement-low-hit-ratio",
     .category = C::cache,
     .severity = S::warning,
     .analyze = k_info_or_warning,
     .title = "A statement reads many blocks from outside shared_buffers",
     .rationale = "Tied to its fix: the recommended index that removes the reads, else more "
                  "memory.",
     .help = "Apply the index the finding names; without one, look at the statement's plan "
             "(explain) for what it reads.",
     .severity_note = "info when the statement's hit ratio is 90% or more"},
    {.rule = RuleId::statement_not_planned,
     .id = "statement-not-planned",
     .category = C::input,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A workload statement the server could not plan, or dbadvise would not",
     .rationale = "The index advisor leaves it out; the server's message says why (a table "
                  "dropped since the statement ran, another session's temporary table, a "
                  "parameter it could not type). dbadvise also does not plan a statement "
                  "whose planning could run a function with side effects: the planner "
                  "evaluates immutable and stable functions with constant arguments, "
                  "trusting their declared volatility.",
     .help = "The message says which case it is (evidence `cause`). A dropped or renamed "
             "object: reset the statement's pg_stat_statements entry if it is obsolete. "
             "Parameter types dbadvise could not find: a limit of dbadvise, not a fault of "
             "the statement (a query file with its literal values plans it). A function with "
             "side effects: declare it VOLATILE. A locked table: run again when the lock is "
             "released."},
    {.rule = RuleId::statement_temp_spill,
     .id = "statement-temp-spill",
     .category = C::cache,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A statement writes temp files: a sort or hash exceeded work_mem",
     .rationale = "Disk I/O replaces an in-memory operation; set work_mem for that statement's "
                  "session or role.",
     .help = "Set work_mem to the finding's value for the statement's session or role, not "
             "globally."},
    {.rule = RuleId::statement_too_large,
     .id = "statement-too-large",
     .category = C::input,
     .severity = S::warning,
     .lint = k_warning,
     .title = "A statement longer than 1 MiB is not checked",
     .rationale = "Parsing a statement takes some 100 times its size in memory (PostgreSQL's "
                  "parse tree, the tree dbadvise reads from it, the query model): an IN list "
                  "of 140,000 values, 1 MB of SQL, needs 100 MB. Lint skips statements over "
                  "1 MiB so memory stays bounded, says so here, and checks the rest of the file.",
     .help = "Load large data with COPY, and pass long value lists as an array parameter "
             "(`= ANY($1)`) or through a temporary table rather than as SQL text."},
    {.rule = RuleId::table_bloat,
     .id = "table-bloat",
     .category = C::maintenance,
     .severity = S::info,
     .analyze = k_info_or_warning,
     .title = "A table of 1,000 pages or more, half of it or more empty space by an estimate from "
              "statistics",
     .rationale = "VACUUM makes dead rows' space reusable but does not give it back: scans, the cache "
                  "and backups carry the empty pages until the table is rewritten.",
     .help = "Measure it (pgstattuple_approx), then rewrite the table: VACUUM FULL at a quiet time "
             "(it locks the table) or pg_repack online.",
     .severity_note = "warning when 80% or more of it is empty space"},
    {.rule = RuleId::table_locked,
     .id = "table-locked",
     .category = C::input,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "Another session holds or awaits an ACCESS EXCLUSIVE lock on a table of the "
              "workload",
     .rationale = "Reading the table's index definitions, planning and running its statements "
                  "need a lock that conflicts with it, and would wait behind it (a migration, "
                  "VACUUM FULL, REINDEX); dbadvise skips them and names the session instead.",
     .help = "Run dbadvise again when the other session has finished; the finding's SQL shows "
             "what that session runs."},
    {.rule = RuleId::table_low_hit_ratio,
     .id = "table-low-hit-ratio",
     .category = C::cache,
     .severity = S::info,
     .analyze = k_info,
     .title = "A table or its indexes read mostly from outside shared_buffers",
     .rationale = "Shows where the database's reads concentrate; large tables scanned "
                  "sequentially never stay cached.",
     .help = "Look at the statement findings on this table: they carry the fix."},
    {.rule = RuleId::track_io_timing_off,
     .id = "track-io-timing-off",
     .category = C::config,
     .severity = S::info,
     .analyze = k_info,
     .title = "track_io_timing is off",
     .rationale = "Reads are counted but not timed, so page-cache hits cannot be told from disk "
                  "reads.",
     .help = "ALTER SYSTEM SET track_io_timing = on; SELECT pg_reload_conf(); "
             "(pg_test_timing shows what timing costs on the machine)."},
    {.rule = RuleId::track_planning_off,
     .id = "track-planning-off",
     .category = C::config,
     .severity = S::info,
     .analyze = k_info,
     .title = "pg_stat_statements.track_planning is off while short statements run thousands of "
              "times",
     .rationale = "Without it planning time per statement is invisible, so statements that should "
                  "be prepared once cannot be found.",
     .help = "ALTER SYSTEM SET pg_stat_statements.track_planning = on; SELECT pg_reload_conf();"},
    {.rule = RuleId::unfiltered_write,
     .id = "unfiltered-write",
     .category = C::rewrite,
     .severity = S::error,
     .lint = k_error,
     .analyze = k_error,
     .title = "UPDATE or DELETE without WHERE changes every row",
     .rationale = "A missing WHERE clause rewrites or deletes the whole table and locks every "
                  "row; it is almost always a mistake.",
     .help = "Add the missing WHERE; write WHERE true when the whole table is meant, or "
             "TRUNCATE to empty it."},
    {.rule = RuleId::unindexed_foreign_key,
     .id = "unindexed-foreign-key",
     .category = C::index,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A foreign key with no index on its referencing columns",
     .rationale = "Each DELETE or key UPDATE on the referenced table scans the referencing "
                  "table, and joins along the key cannot use an index.",
     .help = "Create the index the finding suggests, unless referenced rows are never deleted "
             "or re-keyed and no query joins along the key."},
    {.rule = RuleId::union_vs_union_all,
     .id = "union-vs-union-all",
     .category = C::rewrite,
     .severity = S::info,
     .lint = k_info,
     .analyze = k_info,
     .title = "UNION de-duplicates; UNION ALL is cheaper when duplicates cannot occur",
     .rationale = "UNION sorts or hashes the whole result to remove duplicates; UNION ALL skips "
                  "that when the branches are disjoint or duplicates are harmless.",
     .help = "Write UNION ALL when the branches cannot overlap or duplicates do not matter."},
    {.rule = RuleId::unreadable_line,
     .id = "unreadable-line",
     .category = C::input,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "A line of a query file or server log that cannot be read",
     .rationale = "analyze --queries reads server logs line by line: a line cut in the middle, "
                  "another program's output in the log, a record in another format or a "
                  "weight comment it cannot read is skipped, and the rest of the file is "
                  "read. The workload is then missing what that line held.",
     .help = "Check the line at the reported position; give --queries-format when the format "
             "is not detected, and keep lc_messages = 'C' on the server so that log messages "
             "are in English."},
    {.rule = RuleId::unused_index,
     .id = "unused-index",
     .category = C::index,
     .severity = S::info,
     .analyze = k_info,
     .title = "An index not scanned since the statistics were last reset",
     .rationale = "Every write maintains it; idx_scan counts only since the last statistics "
                  "reset and only on this server, so check replicas and rare jobs first.",
     .help = "If no replica and no rare job uses it, drop it with DROP INDEX CONCURRENTLY (the "
             "finding's SQL)."},
    {.rule = RuleId::variable_time,
     .id = "variable-time",
     .category = C::plan,
     .severity = S::warning,
     .analyze = k_info_or_warning,
     .title = "A slow statement whose execution time varies widely (standard deviation above half "
              "the mean)",
     .rationale = "The mean hides the slow calls; the spread usually comes from parameter values "
                  "that need different plans, or a cached plan that fits only some of them.",
     .help = "Read the finding's plans: analyze compares the statement's generic plan with its "
             "custom plans for representative values. A generic plan that differs and that a "
             "prepared statement keeps: plan_cache_mode = force_custom_plan for its sessions. "
             "Custom plans that differ: better statistics on the skewed column and an index on the "
             "filter. One plan for all: look at lock waits and reads from disk instead.",
     .severity_note = "info while the standard deviation is under twice the mean"},
    {.rule = RuleId::window_statements_evicted,
     .id = "window-statements-evicted",
     .category = C::input,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "pg_stat_statements evicted entries during the window (analyze --since)",
     .rationale = "When pg_stat_statements is full (pg_stat_statements.max) it drops its least "
                  "used entries; pg_stat_statements_info.dealloc counts them (14+). What an "
                  "evicted statement ran before it went is lost, and one that comes back counts "
                  "from zero, so the window under-counts them.",
     .help = "Raise pg_stat_statements.max (a restart is needed) so that the workload fits; the "
             "finding's SQL doubles it."},
    {.rule = RuleId::window_statements_reset,
     .id = "window-statements-reset",
     .category = C::input,
     .severity = S::warning,
     .analyze = k_warning,
     .title = "Statements reset or re-entered pg_stat_statements during the window (analyze "
              "--since)",
     .rationale = "A statement whose counters went down between the two captures, or whose "
                  "stats_since (17+) is after the earlier one, was reset with "
                  "pg_stat_statements_reset() or evicted and created again. Its later counters "
                  "are all that is known of the window: it counts whole, and may rank lower "
                  "than it should.",
     .help = "Take the start of the window after the reset, or leave pg_stat_statements alone "
             "between the captures."},
    {.rule = RuleId::window_statistics_reset,
     .id = "window-statistics-reset",
     .category = C::input,
     .severity = S::info,
     .analyze = k_info,
     .title = "Table and index statistics were reset during the window (analyze --since)",
     .rationale = "pg_stat_database.stats_reset after the earlier capture, or counters of a "
                  "table that went down (pg_stat_reset_single_table_counters(), a crash): those "
                  "counters restarted from zero, so the cache and table figures cover only the "
                  "time since the reset.",
     .help = "Read the cache and table figures as covering the time since the reset; the "
             "statements' figures are not affected."},
    {.rule = RuleId::workers_not_launched,
     .id = "workers-not-launched",
     .category = C::plan,
     .severity = S::warning,
     .explain = k_warning,
     .analyze = k_warning,
     .title = "Parallel workers planned but not launched: max_parallel_workers / "
              "max_worker_processes",
     .rationale = "A parallel plan is costed for its workers; when the pool is exhausted the "
                  "leader runs the plan alone, often slower than a serial plan.",
     .help = "Raise max_parallel_workers (and max_worker_processes, which needs a restart), or "
             "lower max_parallel_workers_per_gather so that concurrent queries share the pool."},
    {.rule = RuleId::xid_wraparound,
     .id = "xid-wraparound",
     .category = C::maintenance,
     .severity = S::warning,
     .analyze = k_warning_or_error,
     .title = "A table or database whose transaction ID age is past autovacuum_freeze_max_age",
     .rationale = "Rows must be frozen before their transaction IDs are 2^31 transactions old or "
                  "the server stops accepting writes; past autovacuum_freeze_max_age autovacuum has "
                  "not kept up or cannot freeze.",
     .help = "VACUUM (FREEZE) the table (the finding's SQL) and end what holds the horizon back: "
             "old transactions, prepared transactions, stale replication slots.",
     .severity_note = "error from an age of 2^30 (half the IDs before wraparound)"},
});

// The table must follow RuleId (rule_info() indexes it) and id order (find_rule() searches
// it); a row out of place fails the build here.
consteval bool follows_rule_ids() {
    for (std::size_t i = 0; i < k_rules.size(); ++i) {
        if (k_rules[i].rule != static_cast<RuleId>(i)) {
            return false;
        }
        if (i > 0 && !(k_rules[i - 1].id < k_rules[i].id)) {
            return false;
        }
    }
    return k_rules.back().rule == RuleId::xid_wraparound;
}
static_assert(follows_rule_ids(), "rule registry rows must follow RuleId, in id order");

} // namespace

std::string_view to_string(Command command) {
    switch (command) {
    case Command::lint: return "lint";
    case Command::explain: return "explain";
    case Command::analyze: return "analyze";
    }
    return "analyze";
}

SeveritySet RuleInfo::severities(Command command) const {
    switch (command) {
    case Command::lint: return lint;
    case Command::explain: return explain;
    case Command::analyze: return analyze;
    }
    return {};
}

std::span<const RuleInfo> rule_registry() {
    return k_rules;
}

const RuleInfo& rule_info(RuleId rule) {
    return k_rules[static_cast<std::size_t>(rule)];
}

std::string_view to_string(RuleId rule) {
    return rule_info(rule).id;
}

const RuleInfo* find_rule(std::string_view id) {
    const auto found = std::lower_bound(
        k_rules.begin(), k_rules.end(), id,
        [](const RuleInfo& rule, std::string_view wanted) { return rule.id < wanted; });
    return found != k_rules.end() && found->id == id ? &*found : nullptr;
}

std::string commands_text(const RuleInfo& rule) {
    std::string text;
    for (const Command command : k_commands) {
        if (rule.reported_by(command)) {
            text += (text.empty() ? "" : ", ") + std::string(to_string(command));
        }
    }
    return text;
}

std::string help_path(const RuleInfo& rule) {
    return "docs/rules.md#" + std::string(rule.id);
}

} // namespace dbadvise::analyzer
