# Integration tests of the checks beyond indexes (docs/checks.md) on the throwaway server of
# pg.cmake (this file sorts after it). The fixture `pg_beyond` creates the databases `beyond`
# (each check's condition planted: testdata/workloads/beyond/setup) and `calm` (a healthy
# workload); each test checks the JSON report with tests/health/check_report.py.

if(NOT COMMAND dbadvise_pg_test)
  return()
endif()
set(dbadvise_bin $<TARGET_FILE:dbadvise>)
set(check ${PROJECT_SOURCE_DIR}/tests/health/check_report.py)

add_test(NAME pg_beyond_setup COMMAND ${DBADVISE_PG_DIR}/beyond_setup)
set_tests_properties(pg_beyond_setup PROPERTIES FIXTURES_SETUP pg_beyond FIXTURES_REQUIRED pg_shop
                     SKIP_RETURN_CODE 77 TIMEOUT 300 ENVIRONMENT "DBADVISE_PG_STATE=${DBADVISE_PG_STATE}")
function(dbadvise_beyond_test name)
  dbadvise_pg_test(${name} ${ARGN})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "pg_shop;pg_beyond")
endfunction()
# analyze --format json on database DB, checked by check_report.py with the remaining arguments.
function(dbadvise_beyond_report name db)
  list(JOIN ARGN " " checks)
  dbadvise_beyond_test(${name} ${DBADVISE_PG_EXPECT} --stdout "^ok: " --
    sh -c "${dbadvise_bin} analyze --dsn '@DSN:${db}@' --format json | python3 ${check} ${checks}")
endfunction()

# Batching: the N+1 loop of one-row lookups and the single-row INSERT loop; the range read of
# 21 rows per call and the statements inside functions are no N+1.
dbadvise_beyond_report(pg_beyond_batching beyond
  "--finding 'rule=batchable-lookup&category=application&query.text~FROM lookup WHERE id = [$]1&evidence.round_trips=2000&suggestion.rewritten_query~id = ANY[(][$]1[)]'"
  "--finding 'rule=single-row-insert&query.text~^INSERT INTO events&evidence.round_trips=2000'"
  "--no-finding 'rule=batchable-lookup&query.text~BETWEEN'"
  "--no-finding 'rule=batchable-lookup&query.text~FROM skew'")

# Caching: the config table read whole and the lookups of a table nobody writes; never the
# reads of events, which is written 2,000 times.
dbadvise_beyond_report(pg_beyond_caching beyond
  "--finding 'rule=cacheable-result&category=application&query.text~FROM config&evidence.writes_per_s=0.0&evidence.ttl_s=3600.0'"
  "--finding 'rule=cacheable-result&query.text~FROM lookup WHERE id'"
  "--no-finding 'rule=cacheable-result&query.text~events'")

# Planning: the 8-way join planned on every call (track_planning is on for `beyond`); the
# setting's own finding only where it is off (the shop database).
dbadvise_beyond_report(pg_beyond_planning beyond
  "--finding 'rule=planning-time&category=plan&query.text~FROM j1 JOIN j2'"
  "--no-finding 'rule=track-planning-off'"
  "--no-finding 'rule=planning-time&query.text~FROM lookup'")
dbadvise_pg_test(pg_beyond_track_planning_off ${DBADVISE_PG_EXPECT} --stdout "^ok: " --
  sh -c "${dbadvise_bin} analyze --dsn '@DSN@' --format json | python3 ${check} --finding 'rule=track-planning-off&category=config&evidence.track_planning=off' --no-finding 'rule=planning-time'")

# Variable time: counts of a skewed column, alternating a value in 90% of the rows and a rare one.
# The generic plan (an index scan, for a value as rare as the average) differs from the custom
# plan for the common value, and a prepared statement would keep it: force_custom_plan.
dbadvise_beyond_report(pg_beyond_variable_time beyond
  "--finding 'rule=variable-time&category=plan&query.text~FROM skew WHERE k = [$]1&evidence.plan_depends_on_values=True&evidence.generic_plan~skew&evidence.custom_plans~most common values: .*skew&suggestion.sql~^SET plan_cache_mode = force_custom_plan'"
  "--no-finding 'rule=variable-time&query.text~FROM lookup'")

# Maintenance: the integer serial at 2,100,000,000 of 2,147,483,647; the other sequences
# (events_id_seq at 2,000) are not reported.
dbadvise_beyond_report(pg_beyond_sequence_near_max beyond
  "--finding 'rule=sequence-near-max&category=maintenance&severity=error&evidence.sequence=public.items_id_seq&evidence.values_left=47483647&suggestion.sql~ALTER TABLE public.items ALTER COLUMN id TYPE bigint'"
  "--no-finding 'rule=sequence-near-max&evidence.sequence~events'")

# Autovacuum lag: churned, about 3,000 dead tuples with autovacuum off for it; many-dead-tuples
# leaves it to autovacuum-lag. Tables past their trigger but not twice it are not reported.
dbadvise_beyond_report(pg_beyond_autovacuum_lag beyond
  "--finding 'rule=autovacuum-lag&category=maintenance&severity=warning&evidence.table=public.churned&evidence.autovacuum=off (table)&evidence.autovacuum_trigger=250.0&evidence.n_dead_tup~^[23][0-9]{3}$&suggestion.sql~ALTER TABLE public.churned RESET [(]autovacuum_enabled[)]'"
  "--no-finding 'rule=many-dead-tuples&subject=public.churned'"
  "--no-finding 'rule=autovacuum-lag&evidence.table~lookup|events'")

# Index write cost: the unused index and the invalid one on events each followed its 2,000
# inserts; the primary key is never reported.
dbadvise_beyond_report(pg_beyond_index_write_cost beyond
  "--finding 'rule=unused-index&evidence.index=public.events_at_idx&evidence.index_writes=2000&evidence.table_inserts=2000&evidence.unused_or_invalid_on_table=2&message~2000 index entries written'"
  "--finding 'rule=invalid-index&evidence.index=public.events_kind_key&evidence.index_writes=2000&evidence.unused_or_invalid_on_table=2'"
  "--no-finding 'rule=unused-index&evidence.index=public.events_pkey'")

# Integer keys: tickets' integer primary key, filled near 1,900,000,000 without a sequence,
# estimated from its statistics; items' serial is sequence-near-max's, lookup's keys are small.
dbadvise_beyond_report(pg_beyond_integer_key_near_max beyond
  "--finding 'rule=integer-key-near-max&category=maintenance&severity=warning&evidence.table=public.tickets&evidence.max_value_in_statistics=1900001000&suggestion.sql~ALTER TABLE public.tickets ALTER COLUMN id TYPE bigint'"
  "--no-finding 'rule=integer-key-near-max&evidence.table~items|lookup|events'")

# Bloat: bloated keeps the pages of 600,000 rows for 60,000; skew's fresh 300,000 rows do not
# look bloated.
dbadvise_beyond_report(pg_beyond_table_bloat beyond
  "--finding 'rule=table-bloat&category=maintenance&severity=warning&evidence.table=public.bloated&evidence.wasted_share_low~^0[.][89]'"
  "--no-finding 'rule=table-bloat&evidence.table~skew|lookup'")
# Index bloat: bloated's primary key keeps the 1,648 pages of 600,000 entries for 60,000 (166
# expected); readings' fresh indexes (about 825 pages) and calm's (about 1,100) are not reported.
dbadvise_beyond_report(pg_beyond_index_bloat beyond
  "--finding 'rule=index-bloat&category=maintenance&severity=warning&evidence.index=public.bloated_pkey&evidence.table=public.bloated&evidence.expected_pages_high=166.0&evidence.wasted_share_low~^0[.][89]&suggestion.sql~^REINDEX INDEX CONCURRENTLY public[.]bloated_pkey'"
  "--no-finding 'rule=index-bloat&evidence.table~skew|lookup|readings|events'")

# Partitioning: readings, larger than shared_buffers, read by day ranges of taken_at and its
# oldest days deleted by it: range partitions of a week (the 104 days its statistics span);
# bloated (nine rows in ten deleted by id) and skew are no candidates. calm's visits, read by
# time ranges but never deleted from, is checked by pg_beyond_quiet_when_healthy.
dbadvise_beyond_report(pg_beyond_partition_candidate beyond
  "--finding 'rule=partition-candidate&category=schema&severity=info&evidence.table=public.readings&evidence.partition_key=taken_at&evidence.partitioning=range&evidence.partition_interval=1 week&evidence.rows_deleted=46079&query.text~^DELETE FROM readings WHERE taken_at <&suggestion.sql~PARTITION BY RANGE [(]taken_at[)]'"
  "--no-finding 'rule=partition-candidate&evidence.table~bloated|skew|lookup|events'")

# Sessions: idle in transaction, a lock wait and its chain, a snapshot holding the horizon and
# a table past its freeze age because of it, a prepared transaction left open, a table past its
# multixact freeze age. Then connections near the limit and churn; this
# one holds most connection slots, so it runs alone.
dbadvise_beyond_test(pg_beyond_sessions ${DBADVISE_PG_DIR}/beyond_sessions ${dbadvise_bin})
# It plants server-wide state (an idle transaction, a lock chain, a prepared transaction) that
# other tests' reports would see: see RESOURCE_LOCK pg_cluster_activity in tests/pg_fleet.cmake.
set_tests_properties(pg_beyond_sessions PROPERTIES RESOURCE_LOCK pg_cluster_activity)
dbadvise_beyond_test(pg_beyond_connections ${DBADVISE_PG_DIR}/beyond_connections ${dbadvise_bin})
set_tests_properties(pg_beyond_connections PROPERTIES RUN_SERIAL TRUE)

# A healthy database stays quiet: no finding of any of these rules (and the report is not
# empty: its cache section is there).
dbadvise_beyond_report(pg_beyond_quiet_when_healthy calm
  "--section 'Cache and health'"
  "--no-finding 'rule=batchable-lookup'" "--no-finding 'rule=single-row-insert'"
  "--no-finding 'rule=cacheable-result'" "--no-finding 'rule=connections-near-limit'"
  "--no-finding 'rule=connection-churn'" "--no-finding 'rule=idle-in-transaction'"
  "--no-finding 'rule=long-transaction'" "--no-finding 'rule=lock-wait'"
  "--no-finding 'rule=xid-wraparound'" "--no-finding 'rule=multixact-wraparound'"
  "--no-finding 'rule=prepared-transaction-open'" "--no-finding 'rule=autovacuum-lag'"
  "--no-finding 'rule=integer-key-near-max'" "--no-finding 'rule=table-bloat'"
  "--no-finding 'rule=sequence-near-max'" "--no-finding 'rule=partition-candidate'"
  "--no-finding 'rule=index-bloat'"
  "--no-finding 'rule=planning-time'" "--no-finding 'rule=track-planning-off'"
  "--no-finding 'rule=variable-time'")
set_tests_properties(pg_beyond_quiet_when_healthy PROPERTIES DEPENDS "pg_beyond_sessions;pg_beyond_connections")
# Its rules (lock waits, idle and long transactions) read server-wide activity.
set_tests_properties(pg_beyond_quiet_when_healthy PROPERTIES RESOURCE_LOCK pg_cluster_activity)

# The shop demo shows the batching, caching and connection findings on its workload.
dbadvise_pg_test(pg_beyond_shop_demo ${DBADVISE_PG_EXPECT} --stdout "^ok: " --
  sh -c "${dbadvise_bin} analyze --dsn '@DSN@' --format json | python3 ${check} --finding 'rule=batchable-lookup&query.text~FROM customers WHERE id = [$]1' --finding 'rule=cacheable-result&query.text~FROM countries' --finding 'rule=connection-churn' --no-finding 'rule=cacheable-result&query.text~FROM orders'")
