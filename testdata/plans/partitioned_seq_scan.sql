-- The same filter discarding most rows on every partition of one table: one seq-scan-filter
-- finding about the partitioned table, with the SQL that indexes it without blocking writes.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
CREATE TABLE measurements (id integer NOT NULL, sensor text NOT NULL, at date NOT NULL)
    PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 PARTITION OF measurements
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO measurements
SELECT i, 'sensor-' || (i % 500), date '2024-01-01' + (i % 700) FROM generate_series(1, 60000) AS i;
ANALYZE measurements;
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
SELECT id FROM measurements WHERE sensor = 'sensor-7';
