-- Need on a partitioned table: events (kind) on the parent, not one per partition.
\set k random(0, 999)
SELECT count(*) FROM events WHERE kind = 'kind-' || :k;
