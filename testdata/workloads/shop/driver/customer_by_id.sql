-- Trap: primary-key lookup.
\set cid random(1, 100000)
SELECT id, email, name, country_id, created_at FROM customers WHERE id = :cid;
