# Integration tests of lint on psql scripts produced by the test server's own tools.
# Sorts after pg.cmake, which defines dbadvise_pg_test().

# A real `pg_dump --schema-only` (with \restrict in 15.14+) as --schema: no note, and its
# tables expand SELECT *.
dbadvise_pg_test(pg_lint_schema_from_pg_dump ${DBADVISE_PG_EXPECT}
  --stdout "^ok: pg_dump --schema-only linted as --schema without a note$"
  --stdout "^the dump has .restrict and .unrestrict$"
  -- ${PROJECT_SOURCE_DIR}/tests/pg/lint_pg_dump $<TARGET_FILE:dbadvise> @DSN@)
