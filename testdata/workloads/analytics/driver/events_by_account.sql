-- Need on a partitioned table: an index on the parent events (account_id ...).
\set acc random(1, 20000)
SELECT count(*), sum(value) FROM events WHERE account_id = :acc AND at >= timestamptz '2025-07-01 00:00:00+00';
