# "Safe to point at production": terminal-safe output, no password in any message, no side
# effects of --analyze-plans, no footprint in pg_stat_statements, no wait behind a user's lock,
# no hang on a stopped backend. The integration tests use the throwaway server of pg.cmake
# (this file sorts after it); each works in databases of its own so that the shop workload the
# other suites check stays as it is.

# Hostile plan files and file names: text output and error messages escape control
# characters, JSON keeps them exact. No server needed.
add_test(NAME cli.terminal_safety
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/terminal_safety.sh $<TARGET_FILE:dbadvise>)
set_tests_properties(cli.terminal_safety PROPERTIES LABELS cli TIMEOUT 60)

if(NOT COMMAND dbadvise_pg_test)
  return()
endif()
set(dbadvise_bin $<TARGET_FILE:dbadvise>)

# Every form of DSN that carries a password (conninfo, URI with bad percent-encoding or a
# stray @ or /, PGPASSWORD, service file, password file, password= inside options): no part
# of the password in standard output or standard error.
dbadvise_pg_test(pg_secrets_never_printed ${DBADVISE_PG_DIR}/secrets ${dbadvise_bin})

# The fixture of this file: the role dbadvise_monitor (pg_monitor, pg_read_all_stats, SELECT on
# the tables) and the database `many` (600 distinct statements, track = top).
add_test(NAME pg_safety_setup COMMAND ${DBADVISE_PG_DIR}/safety_setup)
set_tests_properties(pg_safety_setup PROPERTIES FIXTURES_SETUP pg_safety FIXTURES_REQUIRED pg_shop
                     SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "DBADVISE_PG_STATE=${DBADVISE_PG_STATE}")
function(dbadvise_safety_test name)
  dbadvise_pg_test(${name} ${ARGN})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "pg_shop;pg_safety")
endfunction()

# --analyze-plans executes no statement with side effects (pg_terminate_backend, dblink_exec,
# pg_stat_statements_reset, nextval, pg_advisory_lock, a volatile PL/pgSQL function, a STABLE
# function and a view that lock, large objects, set_config, pg_notify, query_to_xml, FOR
# UPDATE, a data-modifying WITH): each is reported with its reason, the harmless one runs, and
# sessions, data, locks and statistics stay as they were.
dbadvise_safety_test(pg_analyze_plans_no_side_effects ${DBADVISE_PG_DIR}/analyze_plans_side_effects ${dbadvise_bin})
# Its before/after state counts server-wide advisory locks and sessions.
set_tests_properties(pg_analyze_plans_no_side_effects PROPERTIES RESOURCE_LOCK pg_cluster_activity)

# Footprint in pg_stat_statements of one run: none as a superuser; a fixed set of normalized,
# marked entries without values for a pg_monitor role; the workload's counters unmoved.
dbadvise_safety_test(pg_analyze_footprint ${DBADVISE_PG_DIR}/footprint ${dbadvise_bin})
# It counts pg_stat_statements entries of `many` before and after one run, and
# pg_analyze_backend_stopped stops a backend of `many`: never both at once under ctest -j.
set_tests_properties(pg_analyze_footprint PROPERTIES TIMEOUT 300 RESOURCE_LOCK pg_many)

# Nothing is written: every statement dbadvise sent (as a role pg_stat_statements tracks; a
# superuser's are not recorded at all) is one of the read-only kinds, and there are some.
dbadvise_safety_test(pg_analyze_writes_nothing ${DBADVISE_PG_EXPECT}
  --stdout "^0[|]true$"
  -- sh -c "${dbadvise_bin} analyze --dsn '@DSN@ user=dbadvise_monitor' --analyze-plans >/dev/null && psql -X -At -d '@DSN@' -c \"SELECT count(*) FILTER (WHERE query !~* '^/[*] dbadvise [*]/ *(SELECT|SET|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|EXPLAIN|PREPARE|DEALLOCATE|EXECUTE|DO|WITH)') || '|' || (count(*) > 0) FROM pg_stat_statements WHERE query LIKE '/* dbadvise */%'\"")

# A session holds (then awaits) ACCESS EXCLUSIVE on a table: analyze finishes, names the table
# and the session, and plans nothing on it.
dbadvise_safety_test(pg_analyze_locked_table ${DBADVISE_PG_DIR}/locked_table ${dbadvise_bin})
# Its sessions (a lock held, a reader's open transaction, a queued lock) are server-wide state
# that other tests' reports would see: see RESOURCE_LOCK pg_cluster_activity in
# tests/pg_fleet.cmake.
set_tests_properties(pg_analyze_locked_table PROPERTIES RESOURCE_LOCK pg_cluster_activity)

# dbadvise's backend stopped with SIGSTOP: the run ends with a partial report and exit 3
# within --timeout + 6 s.
dbadvise_safety_test(pg_analyze_backend_stopped ${DBADVISE_PG_DIR}/backend_stopped ${dbadvise_bin})
# A stopped backend is a long-running session that other tests' reports would see.
set_tests_properties(pg_analyze_backend_stopped PROPERTIES RESOURCE_LOCK "pg_many;pg_cluster_activity")

# Escape sequences planted in a pg_stat_statements entry and in a table name: escaped in the
# text report, exact in JSON.
dbadvise_safety_test(pg_analyze_terminal_safety ${DBADVISE_PG_DIR}/terminal_safety ${dbadvise_bin})

# Side effects hidden from a check by names: domain CHECK constraints (through a view's cast, a
# parameter type, a PL/pgSQL variable, a composite column), a user operator and an explicit
# cast inside a function body, calls a naive scan of a body misses (after an apostrophe in a
# comment, after E'\'', quoted and U&-escaped names), a view read by a body, and an IMMUTABLE
# function the planner itself would run while folding constants.
dbadvise_safety_test(pg_analyze_hidden_calls ${DBADVISE_PG_DIR}/hidden_calls ${dbadvise_bin})

# Casts to types whose names hold SQL (and mixed case): dbadvise's own parameter typing sends
# them to PREPARE quoted, plans the statements, and runs nothing from the names.
dbadvise_safety_test(pg_analyze_hostile_type_names ${DBADVISE_PG_DIR}/hostile_type_names ${dbadvise_bin})

# Functions and operators planted in a schema of the search path that match dbadvise's own
# statements better than the built-ins (CVE-2018-1058's trap) are never called.
dbadvise_safety_test(pg_analyze_search_path_shadowing ${DBADVISE_PG_DIR}/search_path_shadowing ${dbadvise_bin})
