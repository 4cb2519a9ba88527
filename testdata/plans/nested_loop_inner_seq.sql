-- regions has no index on code: each of the 2000 outer rows rescans it (rule
-- nested-loop-inner-scan).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT c.id, r.name FROM customers c JOIN regions r ON r.code = c.region_code
WHERE c.id <= 2000;
