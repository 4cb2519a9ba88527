-- Need (BRIN): a one-hour window of a large table whose rows lie in taken_at order.
\set t random(1735689600, 1750000000)
SELECT count(*), avg(reading) FROM readings
WHERE taken_at >= to_timestamp(:t) AND taken_at < to_timestamp(:t + 3600);
