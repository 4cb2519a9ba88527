-- Correct queries over the tables of schema.sql: `dbadvise lint` must report no warning or
-- error here. Most are the fixed forms of the statements in all_rules.sql.

SELECT o.id, c.name
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.total > 100;

SELECT EXISTS (SELECT 1 FROM orders WHERE customer_id = 42) AS has_orders;

SELECT count(*) FROM orders WHERE status = 'open';

SELECT region, count(*) AS customers
FROM customers
GROUP BY region
HAVING count(*) > 10
ORDER BY region
LIMIT 100;

SELECT id, total FROM orders
WHERE customer_id = 42 AND (created_at, id) < ($1, $2)
ORDER BY created_at DESC, id DESC
LIMIT 20;

SELECT id FROM orders ORDER BY id LIMIT 20 OFFSET 40;

SELECT id, name FROM customers c
WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.total > 1000);

SELECT id, name FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);

SELECT id, name FROM customers WHERE region NOT IN ('XX', 'YY');

SELECT id, email FROM customers WHERE email LIKE 'ann%';

SELECT id, status FROM orders WHERE id = ANY($1::bigint[]);

SELECT id, status FROM orders WHERE id IN (1001, 1002, 1003);

SELECT id, created_at FROM orders WHERE status = 'open' ORDER BY created_at LIMIT $1;

SELECT id, total FROM orders
WHERE created_at >= '2024-03-01'::date AND created_at < '2024-03-02'::date;

SELECT id, name FROM customers WHERE email = lower($1) AND deleted_at IS NULL;

SELECT id, name FROM customers WHERE phone IS NOT NULL AND deleted_at IS NULL;

SELECT id, name FROM customers
WHERE (region = 'EU' OR region = 'US') AND created_at > now() - interval '7 days';

SELECT id, name FROM products TABLESAMPLE SYSTEM (1) LIMIT 5;

SELECT c.id, c.name, o.last_order
FROM customers c
LEFT JOIN LATERAL (
    SELECT max(created_at) AS last_order FROM orders WHERE customer_id = c.id
) o ON true
WHERE c.region = 'EU';

SELECT c.id, (SELECT max(total) FROM orders) AS largest_order
FROM customers c
WHERE c.id = $1;

SELECT id, name, price FROM products WHERE id = 7;

SELECT p.id, s.n FROM products p CROSS JOIN generate_series(1, 3) AS s(n) WHERE p.id = 7;

DELETE FROM sessions WHERE expires_at < now();

UPDATE orders SET status = 'shipped', created_at = created_at WHERE id = $1;

INSERT INTO newsletter_subscribers (email, subscribed_at) VALUES ($1, now()) RETURNING *;

SELECT email FROM customers WHERE region = 'EU'
UNION ALL
SELECT email FROM newsletter_subscribers;
