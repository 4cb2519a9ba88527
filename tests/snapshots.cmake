# `dbadvise analyze --snapshot/--since` and `dbadvise snapshot` with no database: bad snapshot
# files, windows that cannot be made, usage errors, and the snapshot files and reports against
# their JSON Schemas. The golden reports are in golden.cmake; the live server's snapshots in
# pg_snapshot.cmake. Each test runs the binary through sh in testdata/snapshots, appends
# "exit=<status>" to the combined output and matches both.

set(dbadvise_snapshots_dir ${PROJECT_SOURCE_DIR}/testdata/snapshots)

# dbadvise_snapshot_test(<name> <exit status> <regex> <shell command line after `dbadvise`>)
function(dbadvise_snapshot_test name status regex arguments)
  add_test(NAME snapshot.${name}
    COMMAND sh -c "\"$<TARGET_FILE:dbadvise>\" ${arguments} 2>&1; echo \"exit=$?\""
    WORKING_DIRECTORY ${dbadvise_snapshots_dir})
  set_tests_properties(snapshot.${name} PROPERTIES LABELS snapshot
    PASS_REGULAR_EXPRESSION "${regex}.*exit=${status}\n")
endfunction()

# Every PostgreSQL version's column set reads back and gives the same recommendation.
foreach(version IN ITEMS 12 13 14 15 16 17)
  dbadvise_snapshot_test(pg${version}_columns 1
    "CREATE INDEX CONCURRENTLY accounts_email_idx ON public.accounts \\(email\\)"
    "analyze --snapshot versions/pg${version}.json --fail-on warning")
endforeach()
dbadvise_snapshot_test(standard_input 0 "\"kind\": ?\"snapshot\""
  "analyze --format json --snapshot - < versions/pg15.json")
dbadvise_snapshot_test(offline_is_unverified 0
  "Recommended indexes \\(unverified: selectivity model\\).*No database server to verify with"
  "analyze --snapshot versions/pg16.json")
dbadvise_snapshot_test(no_statements 0
  "No statement to analyze: snapshot versions/empty.json holds none of database \"app\""
  "analyze --snapshot versions/empty.json")
dbadvise_snapshot_test(output_file 0 "\"window_statements_new\": ?1"
  "analyze --since windows/pg17_before.json --snapshot windows/pg17_after.json.gz --format json -o \"${CMAKE_CURRENT_BINARY_DIR}/window.json\" && cat \"${CMAKE_CURRENT_BINARY_DIR}/window.json\"")

# --queries with a snapshot's catalog: each statement points at its first occurrence in the
# file, in the text, Markdown, HTML and SQL reports, in JSON and as a SARIF physical
# location (docs/workloads.md).
dbadvise_snapshot_test(queries_location_text 0
  "query [0-9a-f]+ at \\.\\./queries/shop_queries\\.sql:3:3 \\(501 calls"
  "analyze --queries ../queries/shop_queries.sql --snapshot shop.json.gz")
dbadvise_snapshot_test(queries_location_json 0
  "\"location\": ?\\{\"file\": ?\"\\.\\./queries/shop_queries\\.sql\", ?\"line\": ?3, ?\"column\": ?3\\}"
  "analyze --queries ../queries/shop_queries.sql --snapshot shop.json.gz --format json | tr -d ' \\n' | sed 's/,/, /g; s/:/: /g'")
dbadvise_snapshot_test(queries_location_sarif 0
  "\"physicalLocation\": ?\\{\"artifactLocation\": ?\\{\"uri\": ?\"\\.\\./queries/shop_queries\\.sql\"\\}, ?\"region\": ?\\{\"startLine\": ?3, ?\"startColumn\": ?3\\}"
  "analyze --queries ../queries/shop_queries.sql --snapshot shop.json.gz --format sarif | tr -d ' \\n' | sed 's/,/, /g; s/:/: /g'")

dbadvise_snapshot_test(queries_location_markdown 0
  "\\*\\*Statement\\*\\* [0-9a-f]+ at \\.\\./queries/shop\\\\_queries\\.sql:3:3: 501 calls"
  "analyze --queries ../queries/shop_queries.sql --snapshot shop.json.gz --format markdown")
dbadvise_snapshot_test(queries_location_html 0
  "Statement [0-9a-f]+ at \\.\\./queries/shop_queries\\.sql:3:3: 501 calls"
  "analyze --queries ../queries/shop_queries.sql --snapshot shop.json.gz --format html")
dbadvise_snapshot_test(queries_location_sql 0
  "-- +statement [0-9a-f]+ at \\.\\./queries/shop_queries\\.sql:3:3 \\(501 calls"
  "analyze --queries ../queries/shop_queries.sql --snapshot shop.json.gz --format sql")

# --queries on a gzip-compressed file and on compressed standard input (a rotated log): read
# as it is decompressed; a compressed file cut short is read up to where it stops, with a
# finding that says so.
set(dbadvise_gzip_queries "${CMAKE_CURRENT_BINARY_DIR}/shop_queries.sql.gz")
add_test(NAME snapshot.queries_gzip_file
  COMMAND sh -c "gzip -c ../queries/shop_queries.sql > \"${dbadvise_gzip_queries}\" && \"$<TARGET_FILE:dbadvise>\" analyze --queries \"${dbadvise_gzip_queries}\" --snapshot shop.json.gz 2>&1; echo \"exit=$?\""
  WORKING_DIRECTORY ${dbadvise_snapshots_dir})
add_test(NAME snapshot.queries_gzip_stdin
  COMMAND sh -c "gzip -c ../queries/shop_queries.sql | \"$<TARGET_FILE:dbadvise>\" analyze --queries - --snapshot shop.json.gz 2>&1; echo \"exit=$?\""
  WORKING_DIRECTORY ${dbadvise_snapshots_dir})
add_test(NAME snapshot.queries_gzip_cut
  COMMAND sh -c "gzip -c ../queries/shop_queries.sql | head -c 150 | \"$<TARGET_FILE:dbadvise>\" analyze --queries - --snapshot shop.json.gz --fail-on warning 2>&1; echo \"exit=$?\""
  WORKING_DIRECTORY ${dbadvise_snapshots_dir})
set_tests_properties(snapshot.queries_gzip_file snapshot.queries_gzip_stdin snapshot.queries_gzip_cut
  PROPERTIES LABELS snapshot)
set_tests_properties(snapshot.queries_gzip_file PROPERTIES
  PASS_REGULAR_EXPRESSION "query [0-9a-f]+ at [^ ]*shop_queries\\.sql\\.gz:3:3 \\(501 calls.*exit=0\n")
set_tests_properties(snapshot.queries_gzip_stdin PROPERTIES
  PASS_REGULAR_EXPRESSION "query [0-9a-f]+ at -:3:3 \\(501 calls.*exit=0\n")
set_tests_properties(snapshot.queries_gzip_cut PROPERTIES
  PASS_REGULAR_EXPRESSION "-:3: warning: A compressed input cut short or corrupt \\[unreadable-line\\].*The gzip stream stops after line 3: truncated gzip data.*queries_executions=500.*exit=1\n")

# Bad snapshot files: a clear message naming the file and where, exit 3.
dbadvise_snapshot_test(missing_file 3
  "dbadvise: error: cannot read 'missing.json': No such file or directory"
  "analyze --snapshot missing.json")
dbadvise_snapshot_test(truncated 3
  "dbadvise: error: bad/truncated.json:350:11: invalid JSON: syntax error while parsing value - invalid string: missing closing quote"
  "analyze --snapshot bad/truncated.json")
dbadvise_snapshot_test(corrupt_gzip 3
  "dbadvise: error: bad/corrupt.json.gz: invalid gzip data: "
  "analyze --snapshot bad/corrupt.json.gz")
dbadvise_snapshot_test(truncated_gzip 3
  "dbadvise: error: bad/truncated.json.gz: truncated gzip data: the file ends before the compressed stream does"
  "analyze --snapshot bad/truncated.json.gz")
dbadvise_snapshot_test(newer_dbadvise 3
  "dbadvise: error: bad/newer.json: written by dbadvise 9.4.0 in snapshot format 2. this dbadvise [0-9.]+ reads snapshot format 1 and older: upgrade dbadvise to read it"
  "analyze --snapshot bad/newer.json")
dbadvise_snapshot_test(wrong_type 3
  "dbadvise: error: bad/wrong_type.json: /tables/0/reltuples: expected a number, got a string"
  "analyze --snapshot bad/wrong_type.json")
dbadvise_snapshot_test(captured_at_not_a_timestamp 3
  "dbadvise: error: bad/captured_at_text.json: /captured_at: \"Monday morning\" is not a timestamp \\(expected ISO 8601"
  "analyze --snapshot bad/captured_at_text.json")
dbadvise_snapshot_test(since_captured_at_not_a_timestamp 3
  "dbadvise: error: bad/captured_at_text.json: /captured_at: \"Monday morning\" is not a timestamp"
  "analyze --since bad/captured_at_text.json --snapshot versions/pg15.json")
# Rows with values no server produces are left out with a finding naming file, row and field;
# the rest of the snapshot is analyzed, the repeated entry not counted twice (70000 calls, not
# 90000; the row with calls -5000 left out).
dbadvise_snapshot_test(invalid_values_left_out 0
  "workload: 2 statements from pg_stat_statements, 70000 calls.*CREATE INDEX CONCURRENTLY accounts_email_idx ON public.accounts \\(email\\).*warning: bad/invalid_values.json: 1 row repeating a pg_stat_statements entry left out.*warning: bad/invalid_values.json: 2 rows with values no server produces left out"
  "analyze --snapshot bad/invalid_values.json")
dbadvise_snapshot_test(invalid_values_named 0
  "\"message\": \"bad/invalid_values.json: /pg_stat_statements/rows/3 \\(queryid -4211734501391251302, userid 10, toplevel true\\): the same entry as /pg_stat_statements/rows/0: .*\"message\": \"bad/invalid_values.json: /pg_stat_statements/rows/2 \\(queryid 889146330711434577, userid 10, toplevel true\\): calls is -5000: a counter is never negative. bad/invalid_values.json: /column_stats/0 \\(public.accounts.id\\): null_frac is 1.5: a fraction from 0 to 1"
  "analyze --snapshot bad/invalid_values.json --format json")
# --queries with a damaged snapshot as its catalog: what was left out of the catalog is said.
dbadvise_snapshot_test(queries_catalog_invalid_values 0
  "warning: bad/invalid_values.json: 2 rows with values no server produces left out"
  "analyze --queries ../queries/shop_queries.sql --snapshot bad/invalid_values.json")
dbadvise_snapshot_test(a_report_is_not_a_snapshot 3
  "dbadvise: error: ../golden/clean.json: a dbadvise report, not a snapshot"
  "analyze --snapshot ../golden/clean.json")
dbadvise_snapshot_test(a_plan_is_not_a_snapshot 3
  "dbadvise: error: ../plans/healthy.json: /: expected an object \\(a dbadvise snapshot\\), got an array"
  "analyze --snapshot ../plans/healthy.json")
dbadvise_snapshot_test(empty_file 3
  "dbadvise: error: /dev/null: empty file: expected a snapshot"
  "analyze --snapshot /dev/null")

# Windows that cannot be made.
dbadvise_snapshot_test(since_older_than_reset 3
  "dbadvise: error: pg_stat_statements was reset at 2025-03-02 12:30:00\\+00 \\(pg_stat_statements_info.stats_reset\\), after --since versions/pg14.json was captured \\(2025-03-02 12:00:00\\+00\\)"
  "analyze --since versions/pg14.json --snapshot bad/pg14_reset.json")
dbadvise_snapshot_test(since_other_server 3
  "dbadvise: error: --since versions/pg14.json was captured on another server \\(system identifier 7476543210987654321\\) than --snapshot bad/other_server.json \\(7000000000000000001\\)"
  "analyze --since versions/pg14.json --snapshot bad/other_server.json")
dbadvise_snapshot_test(since_newer_than_snapshot 2
  "dbadvise: error: --since windows/pg17_after.json.gz \\(captured 2025-03-02 13:00:00\\+00\\) is newer than --snapshot windows/pg17_before.json"
  "analyze --since windows/pg17_after.json.gz --snapshot windows/pg17_before.json")

# Usage errors: exit 2 before anything is read.
dbadvise_snapshot_test(since_same_file 2
  "dbadvise: error: --since and --snapshot name the same file 'versions/pg14.json'"
  "analyze --since versions/pg14.json --snapshot versions/pg14.json")
dbadvise_snapshot_test(analyze_plans_needs_a_server 2
  "dbadvise: error: --analyze-plans runs statements on a server: with --snapshot, give --dsn"
  "analyze --snapshot versions/pg15.json --analyze-plans")
dbadvise_snapshot_test(hypopg_require_needs_a_server 2
  "dbadvise: error: --hypopg require needs a server to verify on"
  "analyze --snapshot versions/pg15.json --hypopg require")
dbadvise_snapshot_test(snapshot_needs_output 2
  "--output is required"
  "snapshot --dsn 'host=/nonexistent'")

# The snapshots in testdata and the reports analyze writes from them, against the schemas;
# a broken snapshot must be rejected.
add_test(NAME snapshot.files_and_reports_match_schemas
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/snapshots/check_schemas.sh $<TARGET_FILE:dbadvise>
          ${PROJECT_SOURCE_DIR})
set_tests_properties(snapshot.files_and_reports_match_schemas PROPERTIES LABELS snapshot)
