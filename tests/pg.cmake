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
dbadvise_pg_test(pg_shop_workload_driven ${DBADVISE_PG_EXPECT}
  --stdout "^ *1[5-9] *$" --
  psql -X -At -d @DSN@ -c
  "SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel AND query ~* '^(select|insert|update)' AND query NOT LIKE '%pg_stat_statements%'")
dbadvise_pg_test(pg_shop_orders_exceed_shared_buffers ${DBADVISE_PG_EXPECT}
  --stdout "^t$" --
  psql -X -At -d @DSN@ -c
  "SELECT pg_relation_size('orders') > pg_size_bytes(current_setting('shared_buffers'))")
dbadvise_pg_test(pg_shop_hypopg_available ${DBADVISE_PG_EXPECT}
  --stdout "^1$" --
  psql -X -At -d @DSN@ -c
  "SELECT count(*) FROM pg_extension WHERE extname = 'hypopg'")
