-- Correct queries: no warning or error expected.
SELECT id, email FROM customers WHERE id = $1;
SELECT c.id, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = 7;
SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);
SELECT id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);
SELECT id FROM orders WHERE status NOT IN ('cancelled', 'refunded');
SELECT id FROM customers WHERE name IS NULL;
SELECT id, email FROM customers ORDER BY id LIMIT 20 OFFSET 40;
SELECT id, email FROM customers WHERE id > $1 ORDER BY id LIMIT 20;
SELECT id FROM customers WHERE email LIKE 'ann%';
UPDATE orders SET status = 'shipped' WHERE id = 42;
DELETE FROM orders WHERE id = 43;
SELECT id FROM customers UNION ALL SELECT customer_id FROM orders;
