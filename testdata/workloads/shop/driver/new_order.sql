-- A write: new orders make the table's indexes cost something to maintain.
\set r random(0, 999999)
\set cid 1 + int(99999 * pow(:r / 1000000.0, 2))
INSERT INTO orders (customer_id, status, total, created_at) VALUES (:cid, 'pending', 42.50, timestamptz '2026-01-01 12:00:00+00') RETURNING id;
