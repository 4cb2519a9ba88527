-- Need (GIN trigram, pg_trgm installed): a pattern no btree serves.
\set n random(1000, 9999)
SELECT id FROM documents WHERE title ILIKE '%:n%';
