# analyze --queries on server logs captured from a real PostgreSQL in each format (stderr,
# csvlog, jsonlog; duration lines and auto_explain plans) and on a queries file. The test
# starts a throwaway cluster of its own (tests/queries/live.sh) with the logging collector
# on, which the shared pg_shop fixture cannot turn on without a restart; the bad-input
# cases below use the shared fixture.
add_test(NAME pg_queries_live_logs
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/queries/live.sh $<TARGET_FILE:dbadvise> ${PROJECT_SOURCE_DIR})
set_tests_properties(pg_queries_live_logs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)

# A log in no known format stops the run, naming file and line, before anything connects:
# no progress line says so, and a --dsn where nothing listens is never tried.
dbadvise_pg_test(pg_queries_unknown_format ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: .*/unknown_format.log:2: unknown log format"
  --no-stderr "connect"
  -- $<TARGET_FILE:dbadvise> analyze --queries ${PROJECT_SOURCE_DIR}/testdata/queries/unknown_format.log --dsn @DSN@)
dbadvise_pg_test(pg_queries_unknown_format_before_connecting ${DBADVISE_PG_EXPECT} --code 3
  --stderr "^dbadvise: error: .*/unknown_format.log:2: unknown log format"
  --no-stderr "connect"
  -- $<TARGET_FILE:dbadvise> analyze --queries ${PROJECT_SOURCE_DIR}/testdata/queries/unknown_format.log
     --dsn "host=@SOCKET@ port=1 dbname=nowhere connect_timeout=2")
# Bad lines and statements are findings at file:line; the rest of the log is analyzed.
dbadvise_pg_test(pg_queries_bad_lines ${DBADVISE_PG_EXPECT} --code 0
  --stdout "bad_lines.log:3: warning: A line that is not a log record"
  --stdout "bad_lines.log:5: warning: Statement does not parse"
  --stdout "bad_lines.log:7: warning: A duration line that cannot be read"
  --stdout "\\[unreadable-line\\]"
  --stdout "\\[parse-error\\]"
  --stdout "queries_executions=3"
  -- $<TARGET_FILE:dbadvise> analyze --queries ${PROJECT_SOURCE_DIR}/testdata/queries/bad_lines.log --dsn @DSN@ --fail-on error)
# --queries with --since: usage error.
dbadvise_pg_test(pg_queries_with_since ${DBADVISE_PG_EXPECT} --code 2
  --stderr "^dbadvise: error: --queries and --since cannot be combined"
  -- $<TARGET_FILE:dbadvise> analyze --queries ${PROJECT_SOURCE_DIR}/testdata/queries/bad_lines.log --since x.json)
