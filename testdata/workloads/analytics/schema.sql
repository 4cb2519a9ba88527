-- The analytics workload's schema: tickets behind a view, a partitioned event table and a
-- bulk-loaded table nobody analyzed. See README.md for what is planted where.
CREATE TABLE accounts (
    id     integer PRIMARY KEY,
    name   text NOT NULL,
    region text NOT NULL,
    phone  text NOT NULL
);

CREATE TABLE tickets (
    id         bigint PRIMARY KEY,
    account_id integer NOT NULL,
    status     text NOT NULL,
    priority   integer NOT NULL,
    assignee   integer NOT NULL,
    opened_at  timestamptz NOT NULL,
    amount     numeric(10, 2) NOT NULL
);

-- Statements filter the view's columns: the indexes they need are on tickets.
CREATE VIEW open_tickets AS
    SELECT id, account_id, assignee, priority, opened_at FROM tickets WHERE status <> 'closed';

-- Partitioned by quarter: indexes belong on the parent.
CREATE TABLE events (
    account_id integer NOT NULL,
    kind       text NOT NULL,
    at         timestamptz NOT NULL,
    value      numeric(10, 2) NOT NULL
) PARTITION BY RANGE (at);
CREATE TABLE events_2025q1 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-04-01');
CREATE TABLE events_2025q2 PARTITION OF events FOR VALUES FROM ('2025-04-01') TO ('2025-07-01');
CREATE TABLE events_2025q3 PARTITION OF events FOR VALUES FROM ('2025-07-01') TO ('2025-10-01');
CREATE TABLE events_2025q4 PARTITION OF events FOR VALUES FROM ('2025-10-01') TO ('2026-01-01');

-- Bulk-loaded and never analyzed (reltuples -1, relpages 0): no index, autovacuum off, so
-- nothing updates its statistics.
CREATE TABLE imports (
    id       bigint NOT NULL,
    batch_id integer NOT NULL,
    payload  text NOT NULL
) WITH (autovacuum_enabled = false);

-- Table inheritance (INHERITS, partitioning as it was done before PostgreSQL 10): the parent
-- holds no row, each year is a child. A statement on the parent reads every child, and an
-- index on the parent covers none of them.
CREATE TABLE readings (
    id     bigint NOT NULL,
    sensor integer NOT NULL,
    at     timestamptz NOT NULL,
    value  double precision NOT NULL
);
CREATE TABLE readings_2024 () INHERITS (readings);
CREATE TABLE readings_2025 () INHERITS (readings);
