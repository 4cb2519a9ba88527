-- Deterministic data for the captured plans (run once by capture.sh before the cases).
SELECT setseed(0.42);

CREATE TABLE customers (
    id          integer PRIMARY KEY,
    name        text NOT NULL,
    region_code text NOT NULL,
    payload     text NOT NULL
);
INSERT INTO customers
SELECT g, 'customer ' || g, 'R' || (g % 50), repeat(md5(g::text), 4)
FROM generate_series(1, 20000) AS g;

-- regions has no index on code: the inner side of nested_loop_inner_seq.
CREATE TABLE regions (code text NOT NULL, name text NOT NULL);
INSERT INTO regions SELECT 'R' || g, 'region ' || g FROM generate_series(0, 199) AS g;

-- city determines country (200 cities over 20 countries): the planner multiplies the two
-- selectivities and underestimates a filter on both by 20x without extended statistics.
CREATE TABLE orders (
    id          integer PRIMARY KEY,
    customer_id integer NOT NULL,
    status      text NOT NULL,
    amount      numeric(10, 2) NOT NULL,
    city        text NOT NULL,
    country     text NOT NULL,
    created_at  timestamp NOT NULL
);
INSERT INTO orders
SELECT g,
       1 + (g * 7919) % 20000,
       CASE WHEN g % 1000 = 0 THEN 'lost' WHEN g % 10 = 0 THEN 'open' ELSE 'shipped' END,
       round((random() * 1000)::numeric, 2),
       'city' || (g % 200),
       'country' || (g % 200 % 20),
       timestamp '2024-01-01' + (g % 365) * interval '1 day'
FROM generate_series(1, 200000) AS g;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);

-- Larger than shared_buffers (16MB): a sequential scan of it reads through a small ring.
CREATE TABLE big (id integer NOT NULL, filler text NOT NULL);
INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 150000) AS g;

-- Never vacuumed, so its visibility map is empty and index-only scans visit the heap.
CREATE TABLE readings (id integer NOT NULL, value integer NOT NULL);
INSERT INTO readings SELECT g, g % 97 FROM generate_series(1, 100000) AS g;
CREATE INDEX readings_id_idx ON readings (id);

-- Analyzed while small, then grown: stale statistics.
CREATE TABLE events (id integer NOT NULL, kind text NOT NULL);
INSERT INTO events SELECT g, 'old' FROM generate_series(1, 1000) AS g;
ANALYZE events;
INSERT INTO events SELECT g, 'new' FROM generate_series(1001, 101000) AS g;

ANALYZE customers;
ANALYZE regions;
ANALYZE orders;
ANALYZE big;
ANALYZE readings;
VACUUM (ANALYZE) customers;
VACUUM orders;
