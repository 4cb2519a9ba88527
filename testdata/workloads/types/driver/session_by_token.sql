-- Need (hash): equality lookups on a 64-character token, never read in order.
\set id random(1, 150000)
SELECT user_id, last_seen FROM sessions WHERE token = md5(:id::text) || md5((:id + 1)::text);
