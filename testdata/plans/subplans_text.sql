-- The subplans case in the default text format.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '4MB';
EXPLAIN (ANALYZE, BUFFERS)
WITH top_customers AS MATERIALIZED (
    SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id
)
SELECT c.id,
       (SELECT max(o.amount) FROM orders o WHERE o.customer_id = c.id) AS biggest,
       t.total
FROM customers c JOIN top_customers t ON t.customer_id = c.id
WHERE c.id <= 50 AND t.total > (SELECT avg(amount) FROM orders);
