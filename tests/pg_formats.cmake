# analyze's report formats against the throwaway server (the pg_shop fixture of pg.cmake, which
# sorts before this file): each format checked by a real consumer (tests/pg/analyze_formats),
# and the --format sql script run with psql in a database of its own (tests/pg/sql_script).
if(NOT COMMAND dbadvise_pg_test)
  return()
endif()
foreach(case IN ITEMS text_summary_first json_schema markdown sarif html ids_stable)
  dbadvise_pg_test(pg_formats_analyze_${case} ${DBADVISE_PG_DIR}/analyze_formats $<TARGET_FILE:dbadvise>
    ${PROJECT_SOURCE_DIR} ${DBADVISE_TEST_TOOLS} ${case} ${CMAKE_CURRENT_BINARY_DIR}/html-report.png)
  set_tests_properties(pg_formats_analyze_${case} PROPERTIES TIMEOUT 300)
endforeach()
# ids_stable compares two runs: server-wide state planted meanwhile (tests/pg/beyond_sessions:
# idle sessions, a lock chain, a prepared transaction; tests/pg/locked_table: a lock and a
# queue behind it) would appear in one run and not the other. (The other cases compare the
# formats of one run, written with --also.)
set_tests_properties(pg_formats_analyze_ids_stable PROPERTIES RESOURCE_LOCK pg_cluster_activity)
dbadvise_pg_test(pg_formats_sql_script_runs ${DBADVISE_PG_DIR}/sql_script $<TARGET_FILE:dbadvise>)
set_tests_properties(pg_formats_sql_script_runs PROPERTIES TIMEOUT 300)
