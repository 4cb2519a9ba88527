-- Captured by --analyze-plans from the shop workload (testdata/workloads/shop) on the test
-- server (PostgreSQL 15, shared_buffers 16MB), for the check_captured_plans unit tests:
--   EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) <statement> with $1 = '26544' (orders.customer_id
--   histogram median) and $2 = '10' (LIMIT), in a read-only transaction that was rolled back.
SELECT id, status, total, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2
