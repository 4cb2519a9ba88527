-- Deterministic rows for the index-types workload (setseed + generate_series, one session).
\set ON_ERROR_STOP on
SELECT setseed(0.31);

-- 500,000 readings, one every 30 seconds from 2025-01-01 in insertion order (taken_at is
-- physically ordered: correlation 1); reading is random (correlation near 0).
INSERT INTO readings (id, taken_at, sensor, reading)
SELECT i, timestamptz '2025-01-01 00:00:00+00' + i * interval '30 seconds',
       1 + floor(random() * 500)::integer, random() * 1000
FROM generate_series(1, 500000) AS i;

-- 150,000 sessions with 64-character tokens, looked up only by equality.
INSERT INTO sessions (id, token, user_id, last_seen)
SELECT i, md5(i::text) || md5((i + 1)::text), 1 + floor(random() * 20000)::integer,
       timestamptz '2025-06-01 00:00:00+00' + random() * interval '30 days'
FROM generate_series(1, 150000) AS i;

-- 150,000 documents: a jsonb object with a colour out of 200 and a size, two tags out of 300,
-- a title.
INSERT INTO documents (id, attrs, tags, title)
SELECT i,
       jsonb_build_object('color', 'c' || floor(random() * 200)::integer, 'size', floor(random() * 10)::integer,
                          'flags', jsonb_build_array('f' || (i % 7), 'g' || (i % 11))),
       ARRAY['t' || floor(random() * 300)::integer, 't' || floor(random() * 300)::integer],
       'document ' || md5(i::text)
FROM generate_series(1, 150000) AS i;

INSERT INTO settings (id, attrs)
SELECT i, jsonb_build_object('k', 'v' || (i % 10)) FROM generate_series(1, 200) AS i;

ANALYZE readings, sessions, documents, settings;
