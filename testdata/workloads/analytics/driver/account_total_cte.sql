-- Need through an inlined CTE: tickets (account_id).
\set acc random(1, 20000)
WITH t AS (SELECT account_id, amount FROM tickets) SELECT sum(amount) FROM t WHERE account_id = :acc;
