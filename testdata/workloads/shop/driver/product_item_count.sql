-- Trap: served by the existing index order_items_product_id_idx.
\set pid random(1, 10000)
SELECT count(*) FROM order_items WHERE product_id = :pid;
