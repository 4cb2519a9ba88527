-- A bitmap over most of orders' pages in 64kB of work_mem degrades to lossy pages (rule
-- lossy-bitmap).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '64kB';
SET enable_seqscan = off;
SET enable_indexscan = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT count(*) FROM orders WHERE customer_id <= 6000;
