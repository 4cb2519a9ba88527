-- Deterministic rows for the shop workload (setseed + generate_series, one session), then
-- constraints, indexes and ANALYZE. Timestamps count back from a fixed instant so that every
-- load produces the same rows.
\set ON_ERROR_STOP on
SELECT setseed(0.42);

INSERT INTO countries (id, code, name) VALUES
    (1, 'US', 'United States'), (2, 'DE', 'Germany'), (3, 'FR', 'France'),
    (4, 'GB', 'United Kingdom'), (5, 'JP', 'Japan'), (6, 'BR', 'Brazil'),
    (7, 'IN', 'India'), (8, 'CA', 'Canada'), (9, 'AU', 'Australia'), (10, 'ES', 'Spain');

-- Mixed-case e-mail addresses: the application looks them up with lower().
INSERT INTO customers (id, email, name, country_id, created_at)
SELECT i,
       'User' || i || '@Example.com',
       'Customer ' || i,
       1 + (i % 10),
       timestamptz '2026-01-01 00:00:00+00' - random() * interval '1000 days'
FROM generate_series(1, 100000) AS i;

INSERT INTO products (id, sku, name, category, price, created_at)
SELECT i,
       'SKU-' || lpad(i::text, 6, '0'),
       'Product ' || i,
       'category-' || (i % 50),
       round((1 + random() * 499)::numeric, 2),
       timestamptz '2026-01-01 00:00:00+00' - random() * interval '1500 days'
FROM generate_series(1, 10000) AS i;

-- Orders arrive over two years (created_at rises with id). Customers are skewed: the
-- first few hundred place hundreds of orders each, most place a handful. 90% are delivered.
INSERT INTO orders (id, customer_id, status, total, created_at)
SELECT r.i,
       1 + floor(99999 * r.c ^ 2)::bigint,
       CASE WHEN r.s < 0.90 THEN 'delivered'
            WHEN r.s < 0.95 THEN 'shipped'
            WHEN r.s < 0.98 THEN 'pending'
            ELSE 'cancelled' END,
       round((5 + random() * 495)::numeric, 2),
       timestamptz '2026-01-01 00:00:00+00' - (1000000 - r.i) * interval '63 seconds'
                                            - random() * interval '60 seconds'
FROM (SELECT i, random() AS c, random() AS s FROM generate_series(1, 1000000) AS i) AS r;

-- Two items per order.
INSERT INTO order_items (id, order_id, product_id, quantity, unit_price)
SELECT i,
       (i + 1) / 2,
       1 + floor(random() * 10000)::integer,
       1 + floor(random() * 4)::integer,
       round((1 + random() * 499)::numeric, 2)
FROM generate_series(1, 2000000) AS i;

SELECT setval(pg_get_serial_sequence('customers', 'id'), 100000);
SELECT setval(pg_get_serial_sequence('products', 'id'), 10000);
SELECT setval(pg_get_serial_sequence('orders', 'id'), 1000000);
SELECT setval(pg_get_serial_sequence('order_items', 'id'), 2000000);

-- Foreign keys. Planted need: neither orders.customer_id nor order_items.order_id gets an
-- index; order_items.product_id does.
ALTER TABLE customers ADD CONSTRAINT customers_country_id_fkey
    FOREIGN KEY (country_id) REFERENCES countries (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
    FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey
    FOREIGN KEY (product_id) REFERENCES products (id);

ALTER TABLE products ADD CONSTRAINT products_sku_key UNIQUE (sku);
-- Serves the category listing (trap: nothing more is needed for it).
CREATE INDEX products_category_price_idx ON products (category, price);
-- Redundant: a prefix of products_category_price_idx.
CREATE INDEX products_category_idx ON products (category);
-- Serves the per-product item count (trap).
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
-- Unused: no statement filters or sorts customers by created_at.
CREATE INDEX customers_created_at_idx ON customers (created_at);

VACUUM ANALYZE;
