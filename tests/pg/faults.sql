-- The `faults` database of the integration tests (run by tests/pg/setup as the superuser,
-- connected to `postgres`): other schemas, quoted identifiers, a partitioned table, a long
-- statement, utility statements, a statement on a table dropped since, one on a temporary
-- table, and roles for permission errors. Also `nostats`, a database without
-- pg_stat_statements, and `nohypo`, one without HypoPG.
\set ON_ERROR_STOP on
DROP DATABASE IF EXISTS faults;
DROP DATABASE IF EXISTS nostats;
DROP DATABASE IF EXISTS nohypo;
CREATE DATABASE faults;
CREATE DATABASE nostats;
CREATE DATABASE nohypo;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dbadvise_limited') THEN
        CREATE ROLE dbadvise_limited LOGIN;
    END IF;
END $$;

\connect nohypo
CREATE EXTENSION pg_stat_statements;

\connect faults
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
SELECT setseed(0.7);

CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Lines" (
    "Line Id"  integer PRIMARY KEY,
    "Order Id" integer NOT NULL,
    "Amount"   numeric(10, 2) NOT NULL
);
INSERT INTO "Sales"."Order Lines"
SELECT i, 1 + i / 3, round((random() * 100)::numeric, 2) FROM generate_series(1, 60000) AS i;

CREATE SCHEMA inventory;
CREATE TABLE inventory.stock (item_id integer, warehouse integer, qty integer);
INSERT INTO inventory.stock
SELECT i, i % 20, (random() * 1000)::integer FROM generate_series(1, 60000) AS i;

CREATE TABLE events (id bigint, at timestamptz NOT NULL, kind text NOT NULL)
    PARTITION BY RANGE (at);
CREATE TABLE events_2025a PARTITION OF events
    FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
CREATE TABLE events_2025b PARTITION OF events
    FOR VALUES FROM ('2025-07-01') TO ('2026-01-01');
INSERT INTO events
SELECT i, timestamptz '2025-01-01' + (i * interval '5 minutes'), 'kind-' || (i % 1000)
FROM generate_series(1, 100000) AS i;
CREATE INDEX events_at_idx ON events (at);

CREATE TABLE gone (id integer PRIMARY KEY, note text);
INSERT INTO gone SELECT i, 'n' || i FROM generate_series(1, 100) AS i;

-- For the rule registry's check (tests/cli/registry_check.sh): a duplicate index, an invalid
-- one (marked so directly: a failed CREATE INDEX CONCURRENTLY would print an error), and a
-- table with more dead than live rows and statistics older than its changes, kept so by
-- switching autovacuum off for it.
CREATE TABLE registry_demo (id integer PRIMARY KEY, owner integer NOT NULL, note text NOT NULL);
INSERT INTO registry_demo SELECT i, i % 500, 'n' || (i % 97) FROM generate_series(1, 20000) AS i;
CREATE INDEX registry_demo_owner_idx ON registry_demo (owner);
CREATE INDEX registry_demo_owner_copy_idx ON registry_demo (owner);
CREATE INDEX registry_demo_note_idx ON registry_demo (note);
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'registry_demo_note_idx'::regclass;
CREATE TABLE churn (id integer, payload text) WITH (autovacuum_enabled = off);
INSERT INTO churn SELECT i, repeat('x', 20) FROM generate_series(1, 30000) AS i;
-- A backend reports its row counts when it goes idle, at most once a second: without the
-- forced flush the inserts would be counted after ANALYZE, as modifications since it.
SELECT pg_stat_force_next_flush();
ANALYZE;
DELETE FROM churn WHERE id > 10000;
SELECT pg_stat_force_next_flush();

SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);

-- The workload.
SELECT "Line Id", "Amount" FROM "Sales"."Order Lines" WHERE "Order Id" = 4711;
SELECT "Line Id", "Amount" FROM "Sales"."Order Lines" WHERE "Order Id" = 815;
SELECT qty FROM inventory.stock WHERE item_id = 42;
SELECT count(*) FROM events WHERE kind = 'kind-7';
SELECT id FROM events WHERE at >= '2025-03-01' AND at < '2025-03-02';
SELECT note FROM gone WHERE note = 'n5';
SELECT * FROM registry_demo WHERE note = 'n7' ORDER BY random() LIMIT 3;
SELECT id FROM registry_demo ORDER BY id LIMIT 10 OFFSET 5000;
SELECT id FROM registry_demo WHERE owner NOT IN (SELECT item_id FROM inventory.stock WHERE warehouse = 1);
SELECT count(*) FROM registry_demo r, inventory.stock s WHERE r.owner = 1 AND s.warehouse = 2;
CREATE TEMPORARY TABLE scratch AS SELECT generate_series(1, 1000) AS n;
SELECT count(*) FROM scratch WHERE n = 17;
VACUUM inventory.stock;
SET work_mem = '8MB';
SHOW work_mem;
-- Longer than track_activity_query_size (1kB): complete text, must still be analyzed.
SELECT "Line Id" FROM "Sales"."Order Lines" WHERE "Order Id" IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20) AND "Amount" > 1 AND "Amount" < 1000000 AND "Line Id" > 0 AND "Line Id" < 100000000
    /* padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding */
    ORDER BY "Line Id";

DROP TABLE gone;
GRANT USAGE ON SCHEMA "Sales", inventory TO dbadvise_limited;
