# Integration tests against a real, throwaway PostgreSQL 15 (tests/pg/cluster).
#
# Fixture `pg_shop`: the setup test starts the cluster, loads and drives the shop workload
# (testdata/workloads/shop) and creates the `faults` database; the cleanup test always stops
# the cluster. A test joins with dbadvise_pg_test(NAME ...), which sets the fixture, the
# cluster's state file in the environment and the skip code 77 (PostgreSQL not installable).
# Run the command through tests/pg/expect to get @DSN@ substituted and output checked.
# Suites in other files that use dbadvise_pg_test must sort after "pg.cmake" (pg_*.cmake).

set(DBADVISE_PG_DIR ${PROJECT_SOURCE_DIR}/tests/pg)
set(DBADVISE_PG_STATE ${CMAKE_CURRENT_BINARY_DIR}/pg/cluster.state)
set(DBADVISE_PG_EXPECT ${DBADVISE_PG_DIR}/expect)

add_test(NAME pg_setup COMMAND ${DBADVISE_PG_DIR}/setup)
add_test(NAME pg_cleanup COMMAND ${DBADVISE_PG_DIR}/cluster stop)
set_tests_properties(pg_setup PROPERTIES FIXTURES_SETUP pg_shop SKIP_RETURN_CODE 77 TIMEOUT 300
                     ENVIRONMENT "DBADVISE_PG_STATE=${DBADVISE_PG_STATE}")
set_tests_properties(pg_cleanup PROPERTIES FIXTURES_CLEANUP pg_shop
                     ENVIRONMENT "DBADVISE_PG_STATE=${DBADVISE_PG_STATE}")

# dbadvise_pg_test(<name> <command> [<arg>...]): an integration test using the cluster.
function(dbadvise_pg_test name)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED pg_shop SKIP_RETURN_CODE 77
                       TIMEOUT 120 ENVIRONMENT "DBADVISE_PG_STATE=${DBADVISE_PG_STATE}")
endfunction()

# The fixture itself: the shop workload is in pg_stat_statements, HypoPG can be created.
# The driver runs every statement at least 6 times; the one-off checks other tests send to
# the same database under ctest -j are not the workload.
dbadvise_pg_test(pg_shop_workload_driven ${DBADVISE_PG_EXPECT}
  --stdout "^ *1[5-9] *$" --
  psql -X -At -d @DSN@ -c
  "SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel AND calls >= 6 AND query ~* '^(select|insert|update)' AND query NOT LIKE '%pg_stat_statements%'")
dbadvise_pg_test(pg_shop_orders_exceed_shared_buffers ${DBADVISE_PG_EXPECT}
  --stdout "^t$" --
  psql -X -At -d @DSN@ -c
  "SELECT pg_relation_size('orders') > pg_size_bytes(current_setting('shared_buffers'))")
dbadvise_pg_test(pg_shop_hypopg_available ${DBADVISE_PG_EXPECT}
  --stdout "^1$" --
  psql -X -At -d @DSN@ -c
  "SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'")

# (A `;` would split a CMake argument: regular expressions below write `.` instead.)
# --- dbadvise analyze on the shop workload ------------------------------------------------
set(dbadvise_bin $<TARGET_FILE:dbadvise>)

# Existing-index findings planted in the shop workload (testdata/workloads/shop/README.md),
# and none on indexes that enforce constraints or serve statements.
dbadvise_pg_test(pg_analyze_shop_existing_indexes ${DBADVISE_PG_EXPECT}
  --stdout "Unused index customers_created_at_idx on customers"
  --stdout "Redundant index products_category_idx on products"
  --stdout "Foreign key order_items_order_id_fkey on order_items \\(order_id\\) has no index"
  --stdout "Foreign key orders_customer_id_fkey on orders \\(customer_id\\) has no index"
  --no-stdout "Unused index [a-z_]*(_pkey|_key) "
  --no-stdout "Unused index (order_items_product_id_idx|products_category_price_idx) "
  --no-stdout "order_items_product_id_fkey"
  --stderr "^dbadvise: connected to database \"shop\" on .*:5432 as postgres$"
  --stderr "^dbadvise: reading pg_stat_statements$"
  --no-stderr "screening candidates"
  -- ${dbadvise_bin} analyze --dsn @DSN@)

# On a terminal, stderr shows the advisor's progress, one line rewritten in place; not when
# stderr is a file (the test above checks that no progress line is written there).
dbadvise_pg_test(pg_analyze_progress_on_terminal ${DBADVISE_PG_EXPECT}
  --stdout "dbadvise: preparing statements [0-9]+/[0-9]+"
  --stdout "dbadvise: screening candidates [0-9]+/[0-9]+"
  -- script -qec "${dbadvise_bin} analyze --dsn '@DSN@' -o /dev/null" /dev/null)

# --fail-on: the unindexed foreign keys are warnings.
dbadvise_pg_test(pg_analyze_fail_on_warning ${DBADVISE_PG_EXPECT} --code 1
  -- ${dbadvise_bin} analyze --dsn @DSN@ --fail-on warning)

# Without --dsn, libpq's PG* variables and the password file apply, as in psql. The role
# dbadvise_pw needs its password (`secret`, from PGPASSFILE here); it lacks pg_read_all_stats,
# so the run stops after connecting, and the password never shows.
dbadvise_pg_test(pg_analyze_pg_environment ${DBADVISE_PG_EXPECT}
  --stderr "^dbadvise: connected to database \"shop\" on @SOCKET@:5432 as postgres$"
  -- env PGHOST=@SOCKET@ PGPORT=5432 PGUSER=postgres PGDATABASE=shop ${dbadvise_bin} analyze)
dbadvise_pg_test(pg_analyze_pgpass ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: connected to database \"shop\" on @SOCKET@:5432 as dbadvise_pw$"
  --no-stderr "secret" --no-stdout "secret"
  -- sh -c "f=$(mktemp) && chmod 600 $f && echo '*:*:*:dbadvise_pw:secret' > $f && PGPASSFILE=$f ${dbadvise_bin} analyze --dsn '@DSN@ user=dbadvise_pw'; c=$?; rm -f $f; exit $c")

# Every finding analyze reports on the shop, faults and nohypo databases (with and without
# HypoPG, with --analyze-plans) is of a registered rule, at a severity the registry allows.
dbadvise_pg_test(pg_registry_covers_analyze ${DBADVISE_PG_EXPECT}
  --stdout "findings in [0-9]+ reports match the registry"
  -- bash ${PROJECT_SOURCE_DIR}/tests/cli/registry_check.sh ${dbadvise_bin} ${PROJECT_SOURCE_DIR}
     --analyze @DSN@ @DSN:faults@ @DSN:nohypo@)

# --- Faults: each a clear message, exit 3, and never a password -------------------------
dbadvise_pg_test(pg_fault_connection_refused ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: cannot connect to database \"shop\" on 127\\.0\\.0\\.1:1 as [^:]+: .*Connection refused.*. check that the server runs and accepts connections at that host and port"
  -- ${dbadvise_bin} analyze --dsn "host=127.0.0.1 port=1 dbname=shop connect_timeout=5")
dbadvise_pg_test(pg_fault_wrong_password ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: cannot connect to database \"shop\" on .* as dbadvise_pw: .*password authentication failed for user \"dbadvise_pw\". check the password"
  --no-stderr "wrongpass" --no-stdout "wrongpass"
  -- ${dbadvise_bin} analyze --dsn "@DSN@ user=dbadvise_pw password=wrongpass")
dbadvise_pg_test(pg_fault_wrong_password_uri ${DBADVISE_PG_EXPECT} --code 3
  --stderr "password authentication failed for user \"dbadvise_pw\""
  --no-stderr "wrongpass" --no-stdout "wrongpass"
  -- ${dbadvise_bin} analyze --dsn "postgresql://dbadvise_pw:wrongpass@/shop?host=@SOCKET@&port=5432")
dbadvise_pg_test(pg_fault_missing_database ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: cannot connect to database \"nosuchdb\" .*database \"nosuchdb\" does not exist. check dbname in --dsn or PGDATABASE"
  -- ${dbadvise_bin} analyze --dsn "@DSN@ dbname=nosuchdb")
dbadvise_pg_test(pg_fault_extension_not_created ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: pg_stat_statements is not installed in database \"nostats\": run `CREATE EXTENSION pg_stat_statements.` in it"
  -- ${dbadvise_bin} analyze --dsn @DSN:nostats@)
dbadvise_pg_test(pg_fault_missing_pg_read_all_stats ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: role \"dbadvise_limited\" cannot read the text of [0-9]+ statements of other roles in pg_stat_statements \\(shown as <insufficient privilege>\\): run `GRANT pg_read_all_stats TO dbadvise_limited.`"
  -- ${dbadvise_bin} analyze --dsn "@DSN:faults@ user=dbadvise_limited")
dbadvise_pg_test(pg_fault_hypopg_required ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: --hypopg require: the hypopg extension is not installed in database \"nohypo\": install the server package \\(Debian: postgresql-15-hypopg\\) and run `CREATE EXTENSION hypopg.`"
  -- ${dbadvise_bin} analyze --dsn @DSN:nohypo@ --hypopg require)
dbadvise_pg_test(pg_fault_not_preloaded ${DBADVISE_PG_DIR}/not_preloaded ${dbadvise_bin})
if(EXISTS ${PROJECT_SOURCE_DIR}/reports/json_report.cpp)
  dbadvise_pg_test(pg_fault_server_stops ${DBADVISE_PG_DIR}/server_stops ${dbadvise_bin} --check-json)
else()
  dbadvise_pg_test(pg_fault_server_stops ${DBADVISE_PG_DIR}/server_stops ${dbadvise_bin})
endif()

# A statement on a table dropped since it ran, and one on another session's temporary table,
# are reported (the JSON check below holds the server's messages); the run goes on.
dbadvise_pg_test(pg_fault_statement_no_longer_plans ${DBADVISE_PG_EXPECT}
  --stdout "Statement could not be planned"
  --stdout "Unused index events_2025b_at_idx"
  -- ${dbadvise_bin} analyze --dsn @DSN:faults@)

# The faults database: quoted identifiers, other schemas, a partitioned table (its parent's
# index has no counters of its own), utility statements, a statement longer than
# track_activity_query_size, a dropped table and a temporary table's statement.
dbadvise_pg_test(pg_fault_odd_workload_text ${DBADVISE_PG_EXPECT}
  --stdout "Unused index events_2025b_at_idx on events_2025b"
  --no-stdout "Unused index events_at_idx "
  --no-stdout "parse-error|does not parse|looks truncated"
  -- ${dbadvise_bin} analyze --dsn @DSN:faults@)

# Checks on the JSON report, once its renderer (reports/json_report.cpp) has landed.
if(EXISTS ${PROJECT_SOURCE_DIR}/reports/json_report.cpp)
  # JSON: the source, the stats (statements, planner calls, hypothetical indexes, elapsed
  # time) and the suggested SQL. --top and --min-calls narrow the workload that is read.
  dbadvise_pg_test(pg_analyze_shop_json ${DBADVISE_PG_EXPECT}
    --stdout "\"schema_version\": ?1"
    --stdout "\"kind\": ?\"database\""
    --stdout "\"server_version\": ?\"15\\."
    --stdout "\"statements\": ?[1-9][0-9]*"
    --stdout "\"planner_calls\": ?[0-9]+"
    --stdout "\"hypothetical_indexes\": ?[0-9]+"
    --stdout "\"elapsed_ms\": ?[0-9]+"
    --stdout "CREATE INDEX CONCURRENTLY order_items_order_id_idx ON public.order_items \\(order_id\\)."
    --stdout "DROP INDEX CONCURRENTLY public.customers_created_at_idx."
    -- ${dbadvise_bin} analyze --dsn @DSN@ --format json)
  dbadvise_pg_test(pg_analyze_top ${DBADVISE_PG_EXPECT}
    --stdout "\"statements\": ?3,"
    -- ${dbadvise_bin} analyze --dsn @DSN@ --top 3 --format json)
  dbadvise_pg_test(pg_analyze_min_calls ${DBADVISE_PG_EXPECT}
    --stdout "\"statements\": ?3,"
    -- ${dbadvise_bin} analyze --dsn @DSN@ --min-calls 1000 --format json)

  # The faults database: quoted identifiers, other schemas, a partitioned table, utility
  # statements, a long statement, a dropped table and a temporary table's statement.
  dbadvise_pg_test(pg_fault_odd_workload ${DBADVISE_PG_EXPECT}
    --stdout "\"utility_statements\": ?[3-9]"
    --stdout "Unused index events_2025b_at_idx on events_2025b"
    --no-stdout "Unused index events_at_idx "
    --no-stdout "parse-error"
    --stdout "relation .{1,2}gone.{1,2} does not exist"
    --stdout "relation .{1,2}scratch.{1,2} does not exist"
    -- ${dbadvise_bin} analyze --dsn @DSN:faults@ --format json)
endif()
