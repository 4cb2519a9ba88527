-- Need (GIN on the array): overlap with a set of tags.
\set t random(0, 299)
SELECT id FROM documents WHERE tags && '{t:t}';
