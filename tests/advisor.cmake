# Integration tests of the index advisor against the throwaway server (tests/pg.cmake's
# `pg_shop` fixture). The driver is bench/analyze_bench, which reads the workload and runs
# advise_indexes through the live planner exactly as `dbadvise analyze` does, and prints one
# `CREATE INDEX CONCURRENTLY ...` line per recommendation.
#
# This file sorts before pg.cmake, which defines dbadvise_pg_test(); the tests are therefore
# registered at the end of the directory, once every suite file has been read.

function(dbadvise_advisor_tests)
  if(NOT COMMAND dbadvise_pg_test OR NOT DBADVISE_BENCH)
    return()
  endif()
  set(bench $<TARGET_FILE:analyze_bench>)

  # Every planted need of testdata/workloads/shop/README.md is recommended, verified.
  dbadvise_pg_test(advisor_shop_needs ${DBADVISE_PG_EXPECT}
    --stdout "Recommended indexes \\(verified with HypoPG\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.orders \\(customer_id, created_at( DESC)?\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.order_items \\(order_id\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.customers \\(\\(lower\\(email\\)\\)\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.orders (USING brin )?\\(created_at[,)]"
    -- ${bench} @DSN@)

  # No trap gets an index: primary keys, the tiny countries table, the 90% status predicate,
  # the statements existing indexes already serve.
  dbadvise_pg_test(advisor_shop_traps ${DBADVISE_PG_EXPECT}
    --stdout "CREATE INDEX CONCURRENTLY"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.[a-z_]+ \\(id[,) ]"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.countries"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.orders \\(status"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.products"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.order_items \\(product_id"
    --no-stdout "statement-not-planned"
    -- ${bench} @DSN@)

  # Without HypoPG the same needs come from the selectivity model, each marked unverified.
  dbadvise_pg_test(advisor_hypopg_off_unverified ${DBADVISE_PG_EXPECT}
    --stdout "Recommended indexes \\(unverified: selectivity model\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.order_items \\(order_id\\).*\\(unverified\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.orders \\(customer_id[,)]"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.orders (USING brin )?\\(created_at[,)]"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.customers \\(\\(lower\\(email\\)\\)\\)"
    --stdout "verified: false"
    --stdout "note: --hypopg off: index recommendations come from a selectivity model"
    --no-stdout "verified with HypoPG"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.(countries|products)"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.orders \\(status"
    -- ${bench} @DSN@ --hypopg off)

  # A statement on a table dropped since it ran is reported with the server's message, and
  # the run goes on.
  dbadvise_pg_test(advisor_dropped_table_reported ${DBADVISE_PG_EXPECT}
    --stdout "\\[statement-not-planned\\] Statement could not be planned"
    --stdout "server_message: relation \"gone\" does not exist"
    --stdout "statements analyzed: [0-9]+ \\(failed [1-9]"
    -- ${bench} @DSN:faults@)

  # The analytics workload (testdata/workloads/analytics/README.md): needs reached through a
  # view, an inlined CTE and a subquery in FROM, on a never-analyzed table and on a partitioned
  # table's parent; every statement planned although normalization broke their typing.
  dbadvise_pg_test(advisor_analytics_needs ${DBADVISE_PG_EXPECT}
    --stdout "Recommended indexes \\(verified with HypoPG\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.tickets \\(assignee\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.tickets \\(account_id[,)]"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.tickets (USING brin )?\\(opened_at[,)]"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.imports \\(batch_id\\)"
    --stdout "ON (ONLY )?public\\.events \\(kind\\)"
    --stdout "ON (ONLY )?public\\.events \\(account_id[,)]"
    --stdout "statements analyzed: [0-9]+ \\(failed 0\\)"
    -- ${bench} @DSN:analytics@)

  # Its traps: nothing on the view, on the output alias n, with a parameter in a key, on a
  # primary key, or on a single partition.
  dbadvise_pg_test(advisor_analytics_traps ${DBADVISE_PG_EXPECT}
    --stdout "CREATE INDEX CONCURRENTLY"
    --no-stdout "open_tickets \\("
    --no-stdout "CREATE INDEX[^(]*\\((.*, )?n[,)]"
    --no-stdout "CREATE INDEX.*\\$[0-9]"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.[a-z_]+ \\(id[,) ]"
    --no-stdout "CREATE INDEX CONCURRENTLY [a-z_0-9]+ ON public\\.events_2025q"
    --no-stdout "statement-not-planned"
    -- ${bench} @DSN:analytics@)

  # The partitioned table's index is built on the parent without blocking writes: ON ONLY
  # the parent, CONCURRENTLY on each partition, attached; the other partitions likewise.
  dbadvise_pg_test(advisor_analytics_partitioned_sql ${DBADVISE_PG_EXPECT}
    --stdout "CREATE INDEX events_kind_idx ON ONLY public\\.events \\(kind\\)."
    --stdout "CREATE INDEX CONCURRENTLY events_2025q1_kind_idx ON public\\.events_2025q1 \\(kind\\)."
    --stdout "ALTER INDEX public\\.events_kind_idx ATTACH PARTITION public\\.events_2025q4_kind_idx."
    --stdout "events is partitioned: the index is created on"
    -- $<TARGET_FILE:dbadvise> analyze --dsn @DSN:analytics@)

  # An inheritance parent (INHERITS, not partitioned) holds no row: it is sized with its
  # children, and its index is created on it and on each child, concurrently (an index on a
  # parent covers none of its children). That index serves the statement on one child too,
  # which gets no recommendation of its own.
  dbadvise_pg_test(advisor_analytics_inheritance ${DBADVISE_PG_EXPECT}
    --stdout "CREATE INDEX CONCURRENTLY readings_sensor_idx ON public\\.readings \\(sensor\\)."
    --stdout "CREATE INDEX CONCURRENTLY readings_2024_sensor_idx ON public\\.readings_2024 \\(sensor\\)."
    --stdout "CREATE INDEX CONCURRENTLY readings_2025_sensor_idx ON public\\.readings_2025 \\(sensor\\)."
    --stdout "readings_sensor_idx ON public\\.readings \\(sensor\\). \\(then 2 more on its inheritance children: see the finding\\) .* 2 statements"
    --stdout "readings has 2 inheritance children"
    --no-stdout "Create index [a-z_0-9]+ ON public\\.readings_202[45]"
    --no-stdout "too small for an index to pay \\(public\\.readings"
    -- $<TARGET_FILE:dbadvise> analyze --dsn @DSN:analytics@)

  # Every candidate considered is listed with its kind and what became of it: in the text
  # report with --verbose, always in the JSON report.
  dbadvise_pg_test(advisor_verbose_lists_candidates ${DBADVISE_PG_EXPECT}
    --stdout "Index candidates considered"
    --stdout "recommended: ON public\\.order_items \\(order_id\\)  -- [a-z-]+: recommended"
    --stdout "left out: +ON public\\.[a-z_]+ \\(.*\\)  -- (single|composite|join-pair|include|partial|or-arm|brin|hash|gin): "
    -- $<TARGET_FILE:dbadvise> analyze --dsn @DSN@ --verbose)
  dbadvise_pg_test(advisor_json_lists_candidates ${DBADVISE_PG_EXPECT}
    --stdout "\"index\": \"ON public\\.order_items \\(order_id\\)\""
    --stdout "\"kind\": \"(composite|join-pair)\""
    --stdout "\"status\": \"rejected\""
    -- $<TARGET_FILE:dbadvise> analyze --dsn @DSN@ --format json)

  # The index-types workload (testdata/workloads/types/README.md): BRIN for a time window of
  # an append-only table, hash for lookups by a wide token (both verified with HypoPG), GIN
  # for jsonb containment, array overlap and a trigram pattern (unverified, said so).
  dbadvise_pg_test(advisor_types_needs ${DBADVISE_PG_EXPECT}
    --stdout "Recommended indexes \\(verified with HypoPG\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.readings USING brin \\(taken_at\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.sessions USING hash \\(token\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.documents USING gin \\(attrs jsonb_path_ops\\).*\\(unverified: HypoPG cannot cost GIN\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.documents USING gin \\(tags\\).*\\(unverified: HypoPG cannot cost GIN\\)"
    --stdout "CREATE INDEX CONCURRENTLY [a-z_]+ ON public\\.documents USING gin \\(title gin_trgm_ops\\).*\\(unverified"
    --stdout "statements analyzed: [0-9]+ \\(failed 0\\)"
    -- ${bench} @DSN:types@)

  # Its traps: no BRIN on a column in random physical order, nothing on the 200-row table, no
  # btree beside the BRIN or the hash index on the same column.
  dbadvise_pg_test(advisor_types_traps ${DBADVISE_PG_EXPECT}
    --stdout "CREATE INDEX CONCURRENTLY"
    --no-stdout "USING brin \\(reading\\)"
    --no-stdout "ON public\\.settings"
    --no-stdout "ON public\\.readings \\(taken_at"
    --no-stdout "ON public\\.sessions \\(token"
    --no-stdout "statement-not-planned"
    -- ${bench} @DSN:types@)

  # The JSON candidate list names the kinds, and the GIN recommendation says it is unverified.
  dbadvise_pg_test(advisor_types_json ${DBADVISE_PG_EXPECT}
    --stdout "\"kind\": \"brin\""
    --stdout "\"kind\": \"hash\""
    --stdout "\"kind\": \"gin\""
    --stdout "HypoPG cannot create hypothetical GIN indexes"
    -- $<TARGET_FILE:dbadvise> analyze --dsn @DSN:types@ --format json)

  # The benchmark runs on the shop workload and prints its figures. Speed is judged by
  # reading them (bench/analyze_bench), not asserted here: shared machines are too noisy.
  dbadvise_pg_test(advisor_bench_prints_figures ${DBADVISE_PG_EXPECT}
    --stdout "wall time: [0-9]+\\.[0-9]+ s"
    --stdout "planner calls"
    -- ${bench} @DSN@)
endfunction()
cmake_language(DEFER CALL dbadvise_advisor_tests)
