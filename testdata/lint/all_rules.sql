-- One instance of every lint rule, one statement each, over the tables of schema.sql.
-- Used by the unit tests and the golden tests of `dbadvise lint`: keep each statement
-- triggering exactly its own rule.

-- cartesian-product: the join condition between orders and customers is missing.
SELECT o.id, c.name
FROM orders o, customers c
WHERE o.total > 100;

-- count-for-existence
SELECT count(*) > 0 AS has_orders FROM orders WHERE customer_id = 42;

-- deep-offset
SELECT id, total FROM orders WHERE customer_id = 42
ORDER BY created_at DESC, id DESC
LIMIT 20 OFFSET 10000;

-- in-subquery
SELECT id, name FROM customers c
WHERE c.id IN (SELECT customer_id FROM orders WHERE total > 1000);

-- leading-wildcard-like
SELECT id, email FROM customers WHERE email LIKE '%@example.com';

-- long-in-list
SELECT id, status FROM orders WHERE id IN (
    1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013,
    1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026,
    1027, 1028, 1029, 1030, 1031, 1032, 1033, 1034, 1035, 1036, 1037, 1038, 1039,
    1040, 1041, 1042, 1043, 1044, 1045, 1046, 1047, 1048, 1049, 1050, 1051, 1052,
    1053, 1054, 1055, 1056, 1057, 1058, 1059, 1060);

-- missing-limit
SELECT id, created_at FROM orders WHERE status = 'open' ORDER BY created_at;

-- non-sargable-predicate
SELECT id, total FROM orders WHERE created_at::date = '2024-03-01';

-- not-in-subquery
SELECT id, name FROM customers c
WHERE c.id NOT IN (SELECT customer_id FROM orders);

-- null-comparison
SELECT id, name FROM customers WHERE deleted_at = NULL;

-- or-across-columns
SELECT id, name FROM customers WHERE email = 'ann@example.com' OR phone = '555-0100';

-- order-by-random
SELECT id, name FROM products ORDER BY random() LIMIT 5;

-- scalar-subquery-in-select
SELECT c.id, c.name,
       (SELECT max(o.created_at) FROM orders o WHERE o.customer_id = c.id) AS last_order
FROM customers c
WHERE c.region = 'EU';

-- select-star
SELECT * FROM products WHERE id = 7;

-- unfiltered-write
DELETE FROM sessions;

-- union-vs-union-all
SELECT email FROM customers WHERE region = 'EU'
UNION
SELECT email FROM newsletter_subscribers;
