-- events was analyzed at 1000 rows, then grew to 101000: stale statistics (rule
-- row-misestimate, suggesting ANALYZE).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT count(*) FROM events WHERE kind = 'new';
