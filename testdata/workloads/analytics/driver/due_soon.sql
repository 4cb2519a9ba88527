-- Typing: date $n + $m (date + integer).
\set acc random(1, 20000)
SELECT count(*) FROM tickets WHERE account_id = :acc AND opened_at < date '2025-06-01' + 30;
