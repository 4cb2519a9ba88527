-- Trap: served by the existing index products_category_price_idx.
\set c random(0, 49)
SELECT id, name, price FROM products WHERE category = 'category-' || :c ORDER BY price LIMIT 20;
