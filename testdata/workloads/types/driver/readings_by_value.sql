-- Trap (no BRIN): a range on reading, whose values are in random physical order.
\set v random(0, 990)
SELECT count(*) FROM readings WHERE reading BETWEEN :v AND :v + 1;
