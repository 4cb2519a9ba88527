-- Trap: primary-key lookup.
\set oid random(1, 1000000)
SELECT id, customer_id, status, total, created_at FROM orders WHERE id = :oid;
