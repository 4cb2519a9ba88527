-- Need on an inheritance parent: readings (sensor), built on the parent and on each child.
\set s random(1, 2000)
SELECT avg(value) FROM readings WHERE sensor = :s;
