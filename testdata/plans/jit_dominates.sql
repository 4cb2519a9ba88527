-- JIT compiles a cheap query because every JIT threshold is 0: compiling takes longer than
-- running (rule jit-dominates).
SET max_parallel_workers_per_gather = 0;
SET jit = on;
SET jit_above_cost = 0;
SET jit_inline_above_cost = 0;
SET jit_optimize_above_cost = 0;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT count(*), sum(amount) FROM orders WHERE id <= 100;
