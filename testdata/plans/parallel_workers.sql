-- A parallel plan whose workers did start: no workers-not-launched finding, and exclusive
-- times under Gather account for the workers.
SET max_parallel_workers = 8;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET jit = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT count(*) FROM orders WHERE amount > 500;
