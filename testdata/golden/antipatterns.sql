-- Anti-patterns without a mechanical rewrite.
SELECT id, name FROM customers WHERE name LIKE '%son';
SELECT id FROM customers WHERE lower(email) = 'a@example.com';
SELECT id FROM customers ORDER BY random() LIMIT 5;
SELECT c.id, o.id FROM customers c, orders o;
DELETE FROM orders;
SELECT id FROM orders WHERE status = 'open' OR customer_id = 7;
SELECT id FROM orders WHERE id IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,
    39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60,
    61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82,
    83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103);
SELECT id FROM customers UNION SELECT customer_id FROM orders;
SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c;
SELECT id FROM customers WHERE (SELECT count(*) FROM orders WHERE customer_id = 1) > 0;
SELECT id, email FROM customers ORDER BY created_at;
