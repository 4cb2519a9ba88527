-- Need: one day of orders, a range predicate on the timestamp orders.created_at.
\set t random(1704300000, 1767100000)
\set t2 :t + 86400
SELECT count(*), sum(total) FROM orders WHERE created_at BETWEEN to_timestamp(:t) AND to_timestamp(:t2);
