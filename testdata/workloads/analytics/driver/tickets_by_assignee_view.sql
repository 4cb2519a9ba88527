-- Need through a view: open_tickets filters tickets; the index belongs on tickets (assignee).
\set a random(1, 400)
SELECT id, priority, opened_at FROM open_tickets WHERE assignee = :a;
