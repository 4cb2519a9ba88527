-- Deterministic rows for the analytics workload (setseed + generate_series, one session).
-- Timestamps count forward from a fixed instant. imports is left unanalyzed on purpose.
\set ON_ERROR_STOP on
SELECT setseed(0.17);

INSERT INTO accounts (id, name, region, phone)
SELECT i, 'Account ' || i, 'region-' || (i % 12), '+1-' || lpad((i * 7919 % 1000)::text, 3, '0') || '-' || lpad(i::text, 7, '0')
FROM generate_series(1, 20000) AS i;

-- 300,000 tickets over 2025; 70% closed; 400 assignees; priorities 1..5.
INSERT INTO tickets (id, account_id, status, priority, assignee, opened_at, amount)
SELECT i,
       1 + floor(random() * 20000)::integer,
       CASE WHEN random() < 0.7 THEN 'closed' WHEN random() < 0.5 THEN 'open' ELSE 'pending' END,
       1 + floor(random() * 5)::integer,
       1 + floor(random() * 400)::integer,
       timestamptz '2025-01-01 00:00:00+00' + i * interval '105 seconds',
       round((random() * 100)::numeric, 2)
FROM generate_series(1, 300000) AS i;

-- 400,000 events over 2025, spread over the four partitions.
INSERT INTO events (account_id, kind, at, value)
SELECT 1 + floor(random() * 20000)::integer,
       'kind-' || floor(random() * 1000)::integer,
       timestamptz '2025-01-01 00:00:00+00' + i * interval '78 seconds',
       round((random() * 50)::numeric, 2)
FROM generate_series(1, 400000) AS i;

-- 100,000 imported rows in 1,000 batches.
INSERT INTO imports (id, batch_id, payload)
SELECT i, 1 + (i % 1000), md5(i::text)
FROM generate_series(1, 100000) AS i;

-- 150,000 readings a year from 2,000 sensors, in the children only.
INSERT INTO readings_2024 (id, sensor, at, value)
SELECT i, 1 + floor(random() * 2000)::integer,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '210 seconds', random() * 100
FROM generate_series(1, 150000) AS i;
INSERT INTO readings_2025 (id, sensor, at, value)
SELECT i, 1 + floor(random() * 2000)::integer,
       timestamptz '2025-01-01 00:00:00+00' + i * interval '210 seconds', random() * 100
FROM generate_series(1, 150000) AS i;

ANALYZE accounts;
ANALYZE tickets;
ANALYZE events;
ANALYZE readings;
ANALYZE readings_2024;
ANALYZE readings_2025;
