# End-to-end tests of the dbadvise binary: exit codes, stdin, unreadable and bad inputs, the
# man page against --help, and JSON output against docs/report.schema.json.
# Unit tests compare the JSON report's tool.version with the project version.
target_compile_definitions(dbadvise_unit_tests PRIVATE DBADVISE_TEST_VERSION="${PROJECT_VERSION}")

set(dbadvise_cli_cases
    clean_file_exits_0 fail_on_sets_exit_1 usage_error_exits_2 help_and_version
    missing_file_exits_3 missing_file_others_still_checked directory_exits_3
    unreadable_file_exits_3 stdin_dash stdin_read_in_pieces mixed_good_and_unparsable gzip_inputs binary_garbage non_utf8_bytes
    empty_file ten_megabyte_statement ten_megabyte_string_literal unterminated_string
    unterminated_comment plpgsql_do_block psql_meta_commands_do_not_hide_statements
    psql_variable_tables_unknown
    extension_scripts_parse newer_than_pg15_syntax output_file
    output_checked_before_work output_refuses_inputs output_replaced_atomically
    files_from_and_missing_ok readme_ci_recipe color_only_on_terminal
    rules_catalogue_matches_schema)
foreach(case IN LISTS dbadvise_cli_cases)
  add_test(NAME cli.${case}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_test.sh $<TARGET_FILE:dbadvise>
                   ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(cli.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS cli)
endforeach()

# Every option any --help prints must be documented in man/dbadvise.1.
add_test(NAME cli.man_page_documents_every_option
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/man_options.sh $<TARGET_FILE:dbadvise>
                 ${PROJECT_SOURCE_DIR}/man/dbadvise.1)
set_tests_properties(cli.man_page_documents_every_option PROPERTIES LABELS cli)

# Every finding lint and explain report on the test data is of a registered rule, with its
# category, at a severity the registry allows (analyze: pg.cmake).
add_test(NAME cli.registry_covers_lint_and_explain
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/registry_check.sh $<TARGET_FILE:dbadvise>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.registry_covers_lint_and_explain PROPERTIES LABELS cli TIMEOUT 300)

# docs/rules.md is generated from the registry; DBADVISE_UPDATE_GOLDEN=1 rewrites it.
add_test(NAME cli.rules_doc_up_to_date
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/cli/rules_doc.py $<TARGET_FILE:dbadvise>
                 ${PROJECT_SOURCE_DIR}/docs/rules.md)
set_tests_properties(cli.rules_doc_up_to_date PROPERTIES LABELS cli)

# The examples in README.md and docs/ (reports, explain) that show a command after "$ " give the output shown.
add_test(NAME cli.doc_examples
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/cli/doc_examples.py $<TARGET_FILE:dbadvise>
                 ${PROJECT_SOURCE_DIR} README.md docs/reports.md docs/explain.md)
set_tests_properties(cli.doc_examples PROPERTIES LABELS cli)

# Real `lint --format json` output, on every SQL file under testdata/, against the schema.
add_test(NAME cli.json_output_matches_schema
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/json_schema.sh $<TARGET_FILE:dbadvise>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.json_output_matches_schema PROPERTIES LABELS cli TIMEOUT 300)
