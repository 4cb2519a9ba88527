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

