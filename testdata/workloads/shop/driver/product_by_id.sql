-- Trap: primary-key lookup.
\set pid random(1, 10000)
SELECT id, sku, name, category, price FROM products WHERE id = :pid;
