-- Trap: the newest customers by id, a backward scan of the primary key.
SELECT id, name, email FROM customers ORDER BY id DESC LIMIT 20;
