-- A plan without ANALYZE: estimates only, no actual rows or times.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
EXPLAIN (FORMAT JSON)
SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.status = 'lost' ORDER BY o.amount;
