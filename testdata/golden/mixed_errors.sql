-- Good statements around ones the parser rejects: every statement is still checked.
SELECT id FROM customers WHERE id = 1;
SELECT id FORM customers;
SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders);
SELECT id FROM docs WHERE body IS JSON;
SELECT 'unterminated FROM customers;
