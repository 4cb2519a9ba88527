-- Trap: substring(phone from $n for $m) holds parameters; it can be no index key.
SELECT id, name FROM accounts WHERE substring(phone from 4 for 3) = '123';
