-- The sort_spill case in the default text format.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '64kB';
EXPLAIN (ANALYZE, BUFFERS)
SELECT id, amount FROM orders ORDER BY amount;
