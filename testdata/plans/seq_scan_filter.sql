-- A sequential scan that discards 99.9% of the table: rule seq-scan-filter.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT id, amount FROM orders WHERE status = 'lost' AND amount > 10;
