-- EXPLAIN ANALYZE with TIMING OFF: actual rows and loops, no times.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON)
SELECT id, amount FROM orders WHERE status = 'lost' AND amount > 10;
