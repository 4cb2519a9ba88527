# End-to-end tests of `dbadvise explain` on the plans captured from PostgreSQL 15 in
# testdata/plans (see testdata/plans/capture.sh) and on bad input in testdata/plans/bad.
# Each test runs the binary through sh, appends "exit=<status>" to the combined output and
# matches both; no database is needed.

set(dbadvise_plans_dir ${PROJECT_SOURCE_DIR}/testdata/plans)

# dbadvise_explain_test(<name> <exit status> <regex> <shell arguments of `dbadvise explain`>)
# passes when the output (stdout and stderr) matches <regex> followed, later, by the exit
# status. FAIL_REGEX, when set in the caller, must not appear.
function(dbadvise_explain_test name status regex arguments)
  add_test(NAME explain_${name}
    COMMAND sh -c "\"$<TARGET_FILE:dbadvise>\" explain ${arguments} 2>&1; echo \"exit=$?\""
    WORKING_DIRECTORY ${dbadvise_plans_dir})
  set_tests_properties(explain_${name} PROPERTIES
    PASS_REGULAR_EXPRESSION "${regex}.*exit=${status}\n")
  if(DEFINED FAIL_REGEX)
    set_tests_properties(explain_${name} PROPERTIES FAIL_REGULAR_EXPRESSION "${FAIL_REGEX}")
  endif()
endfunction()

# Each rule on the plan captured to provoke it: reported, and --fail-on info exits 1.
foreach(case_rule IN ITEMS
    seq_scan_filter.json=seq-scan-filter
    seq_scan_filter_text.txt=seq-scan-filter
    row_misestimate.json=row-misestimate
    row_misestimate_stale.json=row-misestimate
    sort_spill.json=sort-spill
    sort_spill_text.txt=sort-spill
    hash_batches.json=hash-batches
    hash_batches_text.txt=hash-batches
    nested_loop_inner_seq.json=nested-loop-inner-scan
    index_only_heap_fetches.json=index-only-heap-fetches
    lossy_bitmap.json=lossy-bitmap
    low_cache_hit.json=low-cache-hit
    workers_not_launched.json=workers-not-launched
    index_filter.json=index-filter
    jit_dominates.json=jit-dominates)
  string(REPLACE "=" ";" pair ${case_rule})
  list(GET pair 0 file)
  list(GET pair 1 rule)
  string(REGEX REPLACE "\\.(json|txt)$" "" name ${file})
  dbadvise_explain_test(${name}_reports_${rule} 1 "${rule}" "--fail-on info ${file}")
endforeach()

# Healthy plans: no finding at all, so even --fail-on info exits 0.
foreach(file IN ITEMS healthy.json healthy_text.txt parallel_workers.json estimate_only.json)
  string(REGEX REPLACE "\\.(json|txt)$" "" name ${file})
  dbadvise_explain_test(${name}_no_finding 0 "" "--fail-on info ${file}")
endforeach()

# Exit codes and options.
dbadvise_explain_test(findings_without_fail_on 0 "sort-spill" "sort_spill.json")
dbadvise_explain_test(fail_on_above_severity 0 "lossy-bitmap" "--fail-on warning lossy_bitmap.json")
dbadvise_explain_test(fail_on_warning 1 "sort-spill" "--fail-on warning sort_spill.json")
dbadvise_explain_test(json_format 0 "\"rule\": *\"hash-batches\"" "--format json hash_batches.json")
dbadvise_explain_test(json_hot_nodes 0 "\"hot_nodes\"" "--format json sort_spill.json")
dbadvise_explain_test(standard_input 1 "seq-scan-filter" "--fail-on warning - < seq_scan_filter_text.txt")
dbadvise_explain_test(output_file 0 "jit-dominates"
  "-o \"${CMAKE_CURRENT_BINARY_DIR}/explain_output.txt\" jit_dominates.json && cat \"${CMAKE_CURRENT_BINARY_DIR}/explain_output.txt\"")
dbadvise_explain_test(unwritable_output 3 "cannot write '/nonexistent/dir/out.txt'"
  "-o /nonexistent/dir/out.txt sort_spill.json")
dbadvise_explain_test(usage_no_file 2 "PLAN is required" "")
dbadvise_explain_test(usage_bad_format 2 "--format: xml not in" "--format xml healthy.json")
dbadvise_explain_test(usage_bad_fail_on 2 "--fail-on: fatal not in" "--fail-on fatal healthy.json")

# Bad input: a clear message with its location and exit 3; tolerated oddities still work.
dbadvise_explain_test(missing_file 3
  "dbadvise: error: cannot read 'missing.json': No such file or directory" "missing.json")
dbadvise_explain_test(truncated_json 3
  "dbadvise: error: bad/truncated.json:20:36: invalid JSON: syntax error while parsing object key - unexpected end of input; expected string literal"
  "bad/truncated.json")
dbadvise_explain_test(json_not_a_plan 3
  "dbadvise: error: bad/not_a_plan.json: not an EXPLAIN plan: no object with a \"Plan\" member"
  "bad/not_a_plan.json")
dbadvise_explain_test(empty_input 3
  "dbadvise: error: bad/empty.json: empty input: expected an EXPLAIN plan in JSON or text format"
  "bad/empty.json")
dbadvise_explain_test(empty_standard_input 3 "dbadvise: error: -: empty input" "- < /dev/null")
dbadvise_explain_test(text_not_a_plan 3
  "dbadvise: error: bad/garbage.txt:1:1: not an EXPLAIN plan: expected a plan node, found \"this is not a plan\""
  "bad/garbage.txt")
dbadvise_explain_test(directory_input 3 "dbadvise: error: cannot read 'bad'" "bad")
# EXPLAIN's YAML and XML formats (captured from PostgreSQL 15, also as psql's aligned table):
# not read, and the message says which format it is and what to capture instead.
dbadvise_explain_test(yaml_plan_named 3
  "dbadvise: error: bad/yaml_plan.txt:1:1: EXPLAIN \\(FORMAT YAML\\) output is not read: capture the plan with FORMAT JSON"
  "bad/yaml_plan.txt")
dbadvise_explain_test(yaml_plan_pasted_named 3
  "dbadvise: error: bad/yaml_plan_aligned.txt:3:2: EXPLAIN \\(FORMAT YAML\\) output is not read"
  "bad/yaml_plan_aligned.txt")
dbadvise_explain_test(xml_plan_named 3
  "dbadvise: error: bad/xml_plan.txt:1:1: EXPLAIN \\(FORMAT XML\\) output is not read"
  "bad/xml_plan.txt")
dbadvise_explain_test(unknown_fields_tolerated 1 "seq-scan-filter" "--fail-on warning bad/unknown_fields.json")
dbadvise_explain_test(odd_indentation_tolerated 1 "sort-spill" "--fail-on warning bad/odd_indent.txt")

# Plans as people paste them (testdata/plans/pasted, captured by capture.sh pasted): every
# layout of psql and the quoted rows of pgAdmin and DBeaver, from standard input, give the
# plan's 10 nodes. (test_analyzer_plan_pasted.cpp compares them with EXPLAIN's own output.)
file(GLOB dbadvise_pasted_plans RELATIVE ${dbadvise_plans_dir}/pasted
     CONFIGURE_DEPENDS ${dbadvise_plans_dir}/pasted/*_*.txt)
foreach(file IN LISTS dbadvise_pasted_plans)
  string(REGEX REPLACE "\\.txt$" "" name ${file})
  dbadvise_explain_test(pasted_${name} 0 "\"nodes\": *10" "--format json - < pasted/${file}")
endforeach()
# Plans as auto_explain writes them to the server log (testdata/plans/auto_explain: text and
# JSON, ANALYZE on and off) and a psql session pasted with its prompts (psql_session/), both
# captured by capture.sh: read as the plan of 10 nodes, and the statement that came with it
# shown as the report's Statement section (`.?`: auto_explain keeps the `;`, psql's prompt
# line loses it; a `;` in the regex would split it, as CMake reads `;` as a list separator).
file(GLOB dbadvise_plans_with_query RELATIVE ${dbadvise_plans_dir}
     CONFIGURE_DEPENDS ${dbadvise_plans_dir}/auto_explain/*.txt ${dbadvise_plans_dir}/psql_session/*.txt)
foreach(file IN LISTS dbadvise_plans_with_query)
  string(REGEX REPLACE "\\.txt$" "" name ${file})
  string(REPLACE "/" "_" name ${name})
  dbadvise_explain_test(${name} 0
    "\"nodes\": *10,.*\"title\": *\"Statement\",.*\"GROUP BY c.region_code ORDER BY 2 DESC LIMIT 5.?\""
    "--format json ${file}")
endforeach()
# The same from standard input, in the text report: the statement is shown under its heading.
dbadvise_explain_test(auto_explain_statement_shown 0
  "Statement\n  SELECT c.region_code, count\\(\\*\\) AS orders\n  FROM orders o JOIN customers c"
  "- < auto_explain/text_analyze_on.txt")
# Markdown shows it as a SQL block under its own heading, HTML as preformatted text.
dbadvise_explain_test(auto_explain_statement_markdown 0
  "### Statement\n\n```sql\nSELECT c.region_code, count\\(\\*\\) AS orders\nFROM orders o JOIN customers c"
  "--format markdown auto_explain/text_analyze_on.txt")
dbadvise_explain_test(auto_explain_statement_html 0
  "<h2>Statement</h2><pre>SELECT c.region_code, count\\(\\*\\) AS orders\nFROM orders o JOIN customers c"
  "--format html auto_explain/text_analyze_on.txt")

# A psql table cut short: the error points at the pasted file's own line and column.
dbadvise_explain_test(truncated_psql_table 3
  "dbadvise: error: bad/truncated_aligned.txt:40:29: invalid JSON: syntax error while parsing object key - unexpected end of input"
  "bad/truncated_aligned.txt")

# A 50 MB plan (generated by the benchmark program) goes through without trouble.
if(DBADVISE_BENCH)
  add_test(NAME explain_50mb_plan
    COMMAND sh -c "\"$<TARGET_FILE:plan_bench>\" --mb 50 --generate-only --keep \"${CMAKE_CURRENT_BINARY_DIR}/plan_50mb.json\" >/dev/null && \"$<TARGET_FILE:dbadvise>\" explain --format json -o \"${CMAKE_CURRENT_BINARY_DIR}/plan_50mb_report.json\" \"${CMAKE_CURRENT_BINARY_DIR}/plan_50mb.json\"; status=$?; rm -f \"${CMAKE_CURRENT_BINARY_DIR}/plan_50mb.json\"; grep -c seq-scan-filter \"${CMAKE_CURRENT_BINARY_DIR}/plan_50mb_report.json\" >/dev/null; echo \"exit=$status\"")
  set_tests_properties(explain_50mb_plan PROPERTIES PASS_REGULAR_EXPRESSION "exit=0\n" TIMEOUT 120)
endif()

# Partitions: the same finding on every partition under one Append is one finding about the
# partitioned table, whose SQL builds the index ON ONLY the parent, each partition's
# CONCURRENTLY, and attaches them; never one suggestion per partition.
set(FAIL_REGEX "Seq Scan on measurements_202[45] discards")
dbadvise_explain_test(partitions_grouped_per_parent 0
  "1 finding.*Seq Scan on 2 partitions of measurements discards.*CREATE INDEX measurements_sensor_idx ON ONLY measurements \\(sensor\\);.*ALTER INDEX measurements_sensor_idx ATTACH PARTITION measurements_2025_sensor_idx;"
  "partitioned_seq_scan.json")
# Scanned under an alias (`FROM measurements m`): the plan names the scans m_1, m_2 and
# holds no name of the partitioned table; `m` is not taken for it (the partitions are not
# named m_...), so the finding names the partitions and suggests no SQL on a guessed table.
dbadvise_explain_test(partitions_under_alias_no_guessed_parent 0
  "Seq Scan on 2 partitions discards.*its name is not in the plan"
  "partitioned_seq_scan_alias.json")
unset(FAIL_REGEX)
