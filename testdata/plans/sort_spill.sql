-- A sort larger than work_mem spills to disk: rule sort-spill.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '64kB';
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT id, amount FROM orders ORDER BY amount;
