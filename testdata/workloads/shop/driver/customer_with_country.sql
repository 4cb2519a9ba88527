-- Trap: primary-key lookup joined to a tiny table.
\set cid random(1, 100000)
SELECT c.name, co.name AS country FROM customers c JOIN countries co ON co.id = c.country_id WHERE c.id = :cid;
