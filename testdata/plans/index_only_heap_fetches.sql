-- readings was never vacuumed: its visibility map is empty and the index-only scan visits
-- the heap for every row (rule index-only-heap-fetches).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT id FROM readings WHERE id <= 50000;
