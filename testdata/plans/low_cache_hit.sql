-- big is larger than shared_buffers and was just loaded: the scan reads nearly every page
-- from outside shared buffers (rule low-cache-hit).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT count(*) FROM big;
