# Integration tests of analyze's cache and health diagnostics against the throwaway server
# (tests/pg.cmake's `pg_shop` fixture: the shop workload, whose orders and order_items tables
# are larger than the server's 16MB shared_buffers, with track_io_timing off).
#
# This file sorts before pg.cmake, which defines dbadvise_pg_test(); the tests are therefore
# registered at the end of the directory, once every suite file has been read.

function(dbadvise_health_tests)
  if(NOT COMMAND dbadvise_pg_test)
    return()
  endif()
  set(check ${PROJECT_SOURCE_DIR}/tests/health/check_report.py)
  set(analyze_json "$<TARGET_FILE:dbadvise> analyze --dsn '@DSN@' --format json")

  # The JSON report holds the cache section and the cache findings the workload plants:
  # the database reads (hit ratio well under 99%), statements reading orders through scans,
  # the orders table itself, a sort spilling to disk, and track_io_timing off.
  dbadvise_pg_test(health_cache_findings ${DBADVISE_PG_EXPECT}
    --stdout "^ok: " --
    sh -c "${analyze_json} | python3 ${check} \
      --section 'Cache and health' \
      --finding 'rule=database-low-hit-ratio&category=cache' \
      --finding 'rule=statement-low-hit-ratio&category=cache&severity=warning&query.text~FROM orders' \
      --finding 'rule=table-low-hit-ratio&title~public.orders' \
      --finding 'rule=statement-temp-spill&query.text~date_trunc&suggestion.sql~^SET work_mem' \
      --finding 'rule=track-io-timing-off&category=config&severity=info'")

  # A healthy part of the workload stays quiet: primary-key lookups read a few blocks per call
  # and get no cache finding, and fresh statistics give no stale-statistics finding. (The
  # section and one finding are required too, so that an empty report cannot pass.)
  dbadvise_pg_test(health_quiet_where_healthy ${DBADVISE_PG_EXPECT}
    --stdout "^ok: " --
    sh -c "${analyze_json} | python3 ${check} \
      --section 'Cache and health' \
      --finding 'rule=track-io-timing-off' \
      --no-finding 'rule=statement-low-hit-ratio&query.text~WHERE id = [$]1' \
      --no-finding 'rule=statement-low-hit-ratio&query.text~FROM countries' \
      --no-finding 'rule=table-low-hit-ratio&title~public.countries' \
      --no-finding 'rule=stale-statistics' \
      --no-finding 'rule=never-analyzed'")

  # The text report shows the section with the database's hit ratio and shared_buffers.
  dbadvise_pg_test(health_text_section ${DBADVISE_PG_EXPECT}
    --stdout "Cache and health"
    --stdout "Database shop: buffer hit ratio [0-9.]+% .*shared_buffers 16.0 MB"
    --stdout "Tables with the most reads:" --
    $<TARGET_FILE:dbadvise> analyze --dsn @DSN@)

  # --analyze-plans: EXPLAIN (ANALYZE, BUFFERS) of the top SELECTs feeds the plan rules. The
  # customer_orders statement scans orders for one customer: a filter discarding most rows.
  dbadvise_pg_test(health_analyze_plans ${DBADVISE_PG_EXPECT}
    --stdout "^ok: " --
    sh -c "${analyze_json} --analyze-plans | python3 ${check} \
      --section 'Plans (EXPLAIN ANALYZE)' \
      --finding 'rule=seq-scan-filter&category=plan&query.text~FROM orders WHERE customer_id' \
      --no-finding 'rule=analyze-plans-failed&query.text~^(INSERT|UPDATE|DELETE)'")
  # ... and it never ran a data-modifying statement: the tables' counters of written rows stay
  # as they were while their scan counters grow (tests/pg/analyze_plans_never_writes).
  dbadvise_pg_test(health_analyze_plans_never_dml ${PROJECT_SOURCE_DIR}/tests/pg/analyze_plans_never_writes
    $<TARGET_FILE:dbadvise>)
  set_tests_properties(health_analyze_plans_never_dml PROPERTIES DEPENDS health_analyze_plans)
endfunction()

cmake_language(DEFER CALL dbadvise_health_tests)
