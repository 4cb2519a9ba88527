-- Trap: the output alias n and the ordinal 1 are not columns; no index may name n.
\set acc random(1, 20000)
SELECT assignee AS n, count(*) FROM tickets WHERE account_id = :acc GROUP BY 1 ORDER BY n;
