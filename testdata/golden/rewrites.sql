-- Mechanical rewrites: each finding carries SQL that parses.
SELECT id, email FROM customers
WHERE id IN (SELECT customer_id FROM orders WHERE status = 'open');

SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders);

SELECT * FROM customers WHERE id = 1;

SELECT id, email FROM customers WHERE name = NULL;

SELECT id, email FROM customers ORDER BY id LIMIT 20 OFFSET 50000;
