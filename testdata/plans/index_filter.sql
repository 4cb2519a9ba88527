-- The index finds 2000 orders by customer_id, then the filter on status drops nearly all of
-- them (rule index-filter).
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET enable_bitmapscan = off;
SET enable_seqscan = off;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT id FROM orders WHERE customer_id <= 200 AND status = 'lost';
