-- Statements of the shop application (testdata/workloads/shop), for analyze --queries.
-- calls: 500, ms: 40
  SELECT id, status, total FROM orders WHERE customer_id = 42;
-- calls: 20
SELECT count(*) FROM order_items WHERE order_id = 7;
SELECT id, status, total FROM orders WHERE customer_id = 9;
