-- Need through a subquery in FROM: one day of tickets, a range on tickets (opened_at).
\set t random(1735689600, 1766880000)
\set t2 :t + 86400
SELECT s.id, s.amount FROM (SELECT id, amount, opened_at FROM tickets) AS s WHERE s.opened_at BETWEEN to_timestamp(:t) AND to_timestamp(:t2);
