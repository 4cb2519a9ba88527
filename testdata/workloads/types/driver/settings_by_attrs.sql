-- Trap: jsonb containment on a 200-row table; no index pays.
\set k random(0, 9)
SELECT id FROM settings WHERE attrs @> '{"k": "v:k"}';
