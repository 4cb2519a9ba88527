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
