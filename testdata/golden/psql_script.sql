-- A psql migration script: meta-commands, variables, COPY data and a BEGIN ATOMIC body
-- between the statements that lint checks.
\set ON_ERROR_STOP on
\set batch 500
\echo 'migrating' :batch 'rows'
BEGIN;

CREATE TABLE audit_log (id bigint PRIMARY KEY, happened_at timestamptz NOT NULL, note text);

COPY audit_log (id, happened_at, note) FROM stdin;
1	2024-01-01 00:00:00+00	it's; not SQL
2	2024-01-02 00:00:00+00	\N
\.

-- The variable parses as a placeholder; the statement is still checked.
DELETE FROM audit_log WHERE note = NULL AND id < :batch;

SELECT count(*) AS stale FROM audit_log WHERE happened_at < now() - interval '1 year' \gset
\if :stale
    UPDATE audit_log SET note = 'stale';
\endif

CREATE FUNCTION audit_count() RETURNS bigint
LANGUAGE sql
BEGIN ATOMIC
    SELECT count(*) FROM audit_log;
END;

SELECT * FROM audit_log ORDER BY id LIMIT 20 OFFSET 40000;
\gst
COMMIT;
\q
This is after \quit and never read.
