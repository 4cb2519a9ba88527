-- A primary-key lookup on a warm cache: no finding.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SELECT * FROM orders WHERE id = 42 \g /dev/null
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT * FROM orders WHERE id = 42;
