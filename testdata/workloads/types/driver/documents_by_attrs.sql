-- Need (GIN, jsonb_path_ops: no statement tests for keys): jsonb containment.
\set c random(0, 199)
SELECT id, title FROM documents WHERE attrs @> '{"color": "c:c", "size": 3}';
