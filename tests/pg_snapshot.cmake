# dbadvise snapshot and analyze --snapshot/--since against the live shop workload (fixture
# pg_shop, tests/pg.cmake). Cases are in tests/snapshots/live.sh; faults below go through
# tests/pg/expect.
foreach(case IN ITEMS snapshot_matches_live no_values verify_with_dsn window_live writes_nothing)
  dbadvise_pg_test(pg_snapshot_${case} bash ${PROJECT_SOURCE_DIR}/tests/snapshots/live.sh
                   $<TARGET_FILE:dbadvise> ${PROJECT_SOURCE_DIR} ${case})
endforeach()

dbadvise_pg_test(pg_snapshot_extension_not_created ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: pg_stat_statements is not installed in database \"nostats\""
  -- $<TARGET_FILE:dbadvise> snapshot --dsn @DSN:nostats@ -o /dev/null)
dbadvise_pg_test(pg_snapshot_unwritable_output ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: cannot write '/nonexistent/dir/shop.json': No such file or directory"
  -- $<TARGET_FILE:dbadvise> snapshot --dsn @DSN@ -o /nonexistent/dir/shop.json)
# The snapshot's server is another one than the live server's (a fixture from another
# cluster): the window is refused, naming both.
dbadvise_pg_test(pg_snapshot_since_other_server ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: --since .*/versions/pg15.json was captured on another server \\(system identifier 7476543210987654321\\) than the live server \\([0-9]+\\): a window needs two captures of the same database$"
  -- $<TARGET_FILE:dbadvise> analyze --since ${PROJECT_SOURCE_DIR}/testdata/snapshots/versions/pg15.json --dsn @DSN@)
