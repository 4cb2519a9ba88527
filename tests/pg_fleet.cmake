# analyze of a fleet of databases on the throwaway server (the pg_shop fixture of pg.cmake,
# which sorts before this file): tests/pg/fleet creates the tenant databases of each case.
if(NOT COMMAND dbadvise_pg_test)
  return()
endif()
foreach(case IN ITEMS partial formats fail_on bad_fleet_file)
  dbadvise_pg_test(pg_fleet_${case} ${DBADVISE_PG_DIR}/fleet $<TARGET_FILE:dbadvise>
    ${PROJECT_SOURCE_DIR} ${DBADVISE_TEST_TOOLS} ${case})
  # A fleet's formats come from separate runs compared with each other, and its findings
  # include server-wide ones (sessions, locks, prepared transactions): no test that plants
  # such state runs meanwhile (RESOURCE_LOCK pg_cluster_activity).
  set_tests_properties(pg_fleet_${case} PROPERTIES TIMEOUT 300 RESOURCE_LOCK pg_cluster_activity)
endforeach()
