-- The same need on one child, met by the parent's index (built on every child): no index of
-- its own.
\set s random(1, 2000)
SELECT count(*) FROM readings_2025 WHERE sensor = :s;
