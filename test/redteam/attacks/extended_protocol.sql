-- Held: the extended query protocol (as drivers send it) and prepared statements.
-- as: owner superuser
\! printf 'DELETE FROM app.orders WHERE id > 0;\n' | pgbench -n -M extended -t 1 -c 1 -U "$PGUSER" -f /dev/stdin 2>&1 | grep -o 'would change more than [0-9]* rows' | head -n 1
\! printf 'DROP TABLE app.orders CASCADE;\n' | pgbench -n -M prepared -t 1 -c 1 -U "$PGUSER" -f /dev/stdin 2>&1 | grep -o 'is blocked' | head -n 1
PREPARE p(int) AS DELETE FROM app.orders WHERE id > $1;
EXECUTE p(0);
-- expect: would change more than
-- expect: is blocked
