-- Typing: generate_series($1, $2) is ambiguous without types; it reads no table.
SELECT g, g * 2 FROM generate_series(1, 24) AS g;
