-- The index-types workload's schema: an append-only log ordered by time (BRIN), sessions
-- looked up by a wide token (hash), documents with jsonb attributes, tag arrays and names
-- searched by pattern (GIN), and the traps beside them. See README.md.
CREATE TABLE readings (
    id       bigint NOT NULL,
    taken_at timestamptz NOT NULL,
    sensor   integer NOT NULL,
    reading  double precision NOT NULL
);

CREATE TABLE sessions (
    id        bigint PRIMARY KEY,
    token     text NOT NULL,
    user_id   integer NOT NULL,
    last_seen timestamptz NOT NULL
);

CREATE TABLE documents (
    id    bigint PRIMARY KEY,
    attrs jsonb NOT NULL,
    tags  text[] NOT NULL,
    title text NOT NULL
);

-- Too small for any index to pay.
CREATE TABLE settings (
    id    integer PRIMARY KEY,
    attrs jsonb NOT NULL
);
