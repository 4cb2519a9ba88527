-- The planner plans two workers but max_parallel_workers = 0 lets none start (rule
-- workers-not-launched).
SET max_parallel_workers = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET jit = off;
EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON)
SELECT count(*) FROM orders WHERE amount > 500;
