-- Schema for rewrites.sql: lets select-star list the columns.
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    name text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint REFERENCES customers (id),
    status text NOT NULL,
    total numeric(12, 2)
);
