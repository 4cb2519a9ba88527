-- Need on a table that was never analyzed (reltuples -1, relpages 0): imports (batch_id).
\set b random(1, 1000)
SELECT id, payload FROM imports WHERE batch_id = :b;
