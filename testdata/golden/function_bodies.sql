-- SQL inside function bodies is checked like the script's own, located in this file.
CREATE FUNCTION purge_events(p_days int) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    n bigint;
    recent CURSOR FOR SELECT * FROM events WHERE kind = NULL;
BEGIN
    SELECT count(*) INTO n FROM events WHERE id NOT IN (SELECT event_id FROM kept_events);
    PERFORM pg_notify('purge', n::text);
    DELETE FROM events;
    UPDATE sessions SET note = 'purged' WHERE lower(email) = 'ops@example.com';
    RETURN n;
END
$fn$;

DO $$
BEGIN
    UPDATE accounts SET balance = 0;
END $$;

CREATE FUNCTION open_orders() RETURNS SETOF bigint LANGUAGE sql AS
'SELECT id FROM orders WHERE status = ''open'' AND shipped_at = NULL';

CREATE FUNCTION order_count(c bigint) RETURNS bigint LANGUAGE sql
RETURN (SELECT count(*) FROM orders WHERE customer_id = c ORDER BY random());

CREATE PROCEDURE reset_carts() LANGUAGE sql
BEGIN ATOMIC
    DELETE FROM carts;
END;

CREATE FUNCTION broken() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    SELEC 1;
END $$;

CREATE FUNCTION next_batch() RETURNS int LANGUAGE plpgsql AS $$
DECLARE c refcursor;
BEGIN
    OPEN c FOR SELECT id FROM jobs;
    RETURN 1;
END $$;
