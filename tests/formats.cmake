# End-to-end tests of the report formats for lint and explain (no database): Markdown through
# a real GFM renderer (cmark-gfm), SARIF through the SARIF JSON Schema and the SARIF multitool,
# HTML in headless Chromium, the SQL script's shape, text wrapping, and baselines. analyze's
# formats are tested against the throwaway server in pg_formats.cmake.
# DBADVISE_TEST_TOOLS: where scripts/test installs the npm packages (playwright-core, the
# SARIF multitool).
set(DBADVISE_TEST_TOOLS ${CMAKE_BINARY_DIR}/test-tools CACHE PATH
    "Directory holding node_modules with playwright-core and @microsoft/sarif-multitool")

set(dbadvise_format_cases
    markdown_renders_as_gfm markdown_size_limit partial_lint_says_so_first sarif_validates html_in_browser sql_script_shape sql_script_one_change_per_index
    text_wraps_to_width
    baseline_ids_survive_edits baseline_fail_on_new_only baseline_from_json_report
    baseline_bad_file also_writes_every_format)
foreach(case IN LISTS dbadvise_format_cases)
  add_test(NAME formats.${case}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/formats_test.sh $<TARGET_FILE:dbadvise>
                   ${PROJECT_SOURCE_DIR} ${DBADVISE_TEST_TOOLS} ${case})
  set_tests_properties(formats.${case} PROPERTIES TIMEOUT 300 LABELS formats)
endforeach()
