-- Two correlated columns of one table: the planner multiplies their selectivities and
-- underestimates by 20x (rule row-misestimate, suggesting CREATE STATISTICS).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT count(*) FROM orders WHERE city = 'city7' AND country = 'country7';
