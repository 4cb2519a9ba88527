-- The hash table of customers does not fit work_mem x hash_mem_multiplier: several batches
-- (rule hash-batches).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON)
SELECT o.id, c.name, c.payload FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.status = 'open';
