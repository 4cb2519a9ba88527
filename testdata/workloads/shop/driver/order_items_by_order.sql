-- Need: the items of one order, an index on the foreign key order_items.order_id.
\set oid random(1, 1000000)
SELECT p.name, oi.quantity, oi.unit_price FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE oi.order_id = :oid;
