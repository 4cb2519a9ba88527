-- Typing: extract(year ...) loses its field keyword, CASE results and BETWEEN arithmetic lose their types.
\set acc random(1, 20000)
SELECT extract(year from opened_at) AS y, sum(CASE WHEN priority = 1 OR priority = 2 THEN 1 ELSE 0 END), count(*) FROM tickets WHERE account_id = :acc AND amount BETWEEN 50 - 45 AND 50 + 45 GROUP BY 1;
