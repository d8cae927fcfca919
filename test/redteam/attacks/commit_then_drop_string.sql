-- Held: one query string with COMMIT in the middle: every statement is judged alone.
-- as: owner superuser
SELECT 1 \; COMMIT \; DROP TABLE app.orders CASCADE;
BEGIN \; SELECT 1 \; COMMIT \; TRUNCATE app.customers CASCADE \; SELECT 2;
SELECT 1 \; ROLLBACK \; DELETE FROM app.customers;
-- expect: is blocked
