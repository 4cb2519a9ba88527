-- Trap: a tiny table (10 rows); a sequential scan is the best plan.
SELECT id, name FROM countries WHERE code = 'DE';
