-- Trap: the predicate matches 90% of orders; no index beats the sequential scan.
SELECT date_trunc('month', created_at) AS month, count(*), sum(total) FROM orders WHERE status = 'delivered' GROUP BY 1 ORDER BY 1;
