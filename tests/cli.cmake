# End-to-end tests of the dbadvise binary: exit codes, stdin, unreadable and bad inputs, the
# man page against --help, and JSON output against docs/report.schema.json.
# Unit tests compare the JSON report's tool.version with the project version.
target_compile_definitions(dbadvise_unit_tests PRIVATE DBADVISE_TEST_VERSION="${PROJECT_VERSION}")
