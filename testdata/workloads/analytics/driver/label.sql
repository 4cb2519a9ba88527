-- Trap and typing: a primary-key lookup with $n % $m inside a concatenation.
\set id random(1, 20000)
SELECT name || '-' || (42 % 5) FROM accounts WHERE id = :id;
