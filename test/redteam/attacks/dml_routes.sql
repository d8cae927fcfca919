-- Held: oversized and unqualified DML through CTEs, MERGE, upserts, functions and partitions.
-- as: owner superuser
WITH d AS (DELETE FROM app.orders WHERE id > 0 RETURNING id) SELECT count(*) FROM d;
UPDATE app.events SET what = 'x' WHERE id > 0;
DELETE FROM app.events_2024;
INSERT INTO app.customers SELECT id, 'x' FROM app.customers ON CONFLICT (id) DO UPDATE SET name = 'gone';
MERGE INTO app.customers c USING app.customers s ON c.id = s.id WHEN MATCHED THEN DELETE;
EXPLAIN ANALYZE DELETE FROM app.notes WHERE id > 0;
-- expect: would change more than
