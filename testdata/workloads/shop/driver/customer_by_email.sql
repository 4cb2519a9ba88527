-- Need: case-insensitive e-mail lookup, an expression index on lower(email).
\set cid random(1, 100000)
SELECT id, name, country_id FROM customers WHERE lower(email) = lower('User' || :cid || '@example.com');
