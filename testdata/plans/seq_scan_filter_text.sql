-- The seq_scan_filter case in the default text format, as psql prints it.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
EXPLAIN (ANALYZE, BUFFERS)
SELECT id, amount FROM orders WHERE status = 'lost' AND amount > 10;
