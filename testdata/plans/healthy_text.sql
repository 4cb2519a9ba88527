-- The healthy case in the default text format.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SELECT * FROM orders WHERE id = 42 \g /dev/null
EXPLAIN (ANALYZE, BUFFERS)
SELECT * FROM orders WHERE id = 42;
