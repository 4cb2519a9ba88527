-- Need: a customer's latest orders, a composite index on (customer_id, created_at).
-- Customers are drawn with the same skew as the data: a few place most orders.
\set r random(0, 999999)
\set cid 1 + int(99999 * pow(:r / 1000000.0, 2))
SELECT id, status, total, created_at FROM orders WHERE customer_id = :cid ORDER BY created_at DESC LIMIT 10;
