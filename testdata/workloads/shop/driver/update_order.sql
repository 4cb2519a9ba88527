-- Trap: primary-key update in a transaction (BEGIN and COMMIT are utility statements).
\set oid random(1, 1000000)
BEGIN;
UPDATE orders SET status = 'shipped' WHERE id = :oid;
COMMIT;
