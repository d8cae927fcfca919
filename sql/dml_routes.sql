-- Agents' DELETE/UPDATE/MERGE/upsert are counted on every route they can take, and the data of a
-- stopped statement is intact afterwards. Limit here: 10 rows per statement and table.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE dml_bot LOGIN;
GRANT agentguard_agent TO dml_bot;
CREATE SCHEMA dml AUTHORIZATION dml_bot;

SET SESSION AUTHORIZATION dml_bot;
CREATE TABLE dml.acc (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO dml.acc SELECT g, g FROM generate_series(1, 1000) g;
CREATE TABLE dml.parent (id int PRIMARY KEY);
CREATE TABLE dml.child (id int PRIMARY KEY,
                        pid int REFERENCES dml.parent ON DELETE CASCADE ON UPDATE CASCADE);
INSERT INTO dml.parent SELECT g FROM generate_series(1, 10) g;
INSERT INTO dml.child SELECT g, (g - 1) / 5 + 1 FROM generate_series(1, 50) g;  -- 5 children each
CREATE TABLE dml.src (id int, v int);
INSERT INTO dml.src SELECT g, -g FROM generate_series(1, 100) g;
ANALYZE dml.acc, dml.parent, dml.child, dml.src;
RESET SESSION AUTHORIZATION;

SET agentguard.max_rows = 10;
SET agentguard.max_fraction = 1;
SET SESSION AUTHORIZATION dml_bot;
CREATE VIEW dml.state AS
  SELECT (SELECT count(*) FROM dml.acc) AS acc_rows, (SELECT sum(v) FROM dml.acc) AS acc_sum,
         (SELECT count(*) FROM dml.parent) AS parents, (SELECT count(*) FROM dml.child) AS children,
         (SELECT sum(pid) FROM dml.child) AS child_pid_sum;
SELECT * FROM dml.state;

-- top level: exactly the limit passes, one more is stopped
BEGIN;
DELETE FROM dml.acc WHERE id <= 10;
UPDATE dml.acc SET v = 0 WHERE id BETWEEN 11 AND 20;
ROLLBACK;
DELETE FROM dml.acc WHERE id <= 11;
UPDATE dml.acc SET v = 0 WHERE id BETWEEN 11 AND 21;
DELETE FROM dml.acc WHERE id % 2 = 0;
-- unqualified: refused whatever the size; WHERE true folds away and is unqualified too
DELETE FROM dml.acc;
UPDATE dml.acc SET v = v;
DELETE FROM dml.acc WHERE true;
SELECT * FROM dml.state;

-- writable CTEs, also under a SELECT that reads one row only
WITH d AS (DELETE FROM dml.acc WHERE id <= 50 RETURNING *) SELECT count(*) FROM d;
WITH d AS (DELETE FROM dml.acc WHERE id <= 50 RETURNING *) SELECT * FROM d LIMIT 1;
WITH u AS (UPDATE dml.acc SET v = 0 WHERE id <= 50 RETURNING *) SELECT 1;
WITH d AS (DELETE FROM dml.acc RETURNING *) SELECT 1;
SELECT * FROM dml.state;

-- MERGE: updates and deletes count, inserts do not
BEGIN;
MERGE INTO dml.acc a USING (SELECT g AS id FROM generate_series(1001, 1100) g) s ON a.id = s.id
  WHEN NOT MATCHED THEN INSERT VALUES (s.id, 0);
ROLLBACK;
MERGE INTO dml.acc a USING dml.src s ON a.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v;
MERGE INTO dml.acc a USING dml.src s ON a.id = s.id WHEN MATCHED THEN DELETE;
SELECT * FROM dml.state;

-- INSERT ... ON CONFLICT DO UPDATE
BEGIN;
INSERT INTO dml.acc SELECT g, 0 FROM generate_series(1, 10) g ON CONFLICT (id) DO UPDATE SET v = 0;
ROLLBACK;
INSERT INTO dml.acc SELECT g, 0 FROM generate_series(1, 11) g ON CONFLICT (id) DO UPDATE SET v = 0;
INSERT INTO dml.acc SELECT g, 0 FROM generate_series(1, 500) g ON CONFLICT (id) DO NOTHING;
SELECT * FROM dml.state;

-- COPY (DELETE ... RETURNING) TO
COPY (DELETE FROM dml.acc WHERE id <= 20 RETURNING id) TO STDOUT;
SELECT * FROM dml.state;

-- EXPLAIN ANALYZE runs the statement and is judged; plain EXPLAIN runs nothing and is not blocked
EXPLAIN (COSTS OFF) DELETE FROM dml.acc;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) DELETE FROM dml.acc WHERE id <= 20;
SELECT * FROM dml.state;

-- a rule that adds a DELETE
CREATE TABLE dml.log_rule (id int);
CREATE RULE log_purge AS ON INSERT TO dml.log_rule DO ALSO DELETE FROM dml.acc WHERE id <= NEW.id;
BEGIN;
INSERT INTO dml.log_rule VALUES (10);
SELECT * FROM dml.state;
ROLLBACK;
INSERT INTO dml.log_rule VALUES (50);
SELECT * FROM dml.state;

-- a trigger that deletes
CREATE TABLE dml.log_trg (id int);
CREATE FUNCTION dml.purge() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN DELETE FROM dml.acc WHERE id <= NEW.id; RETURN NEW; END$$;
CREATE TRIGGER log_purge AFTER INSERT ON dml.log_trg FOR EACH ROW EXECUTE FUNCTION dml.purge();
BEGIN;
INSERT INTO dml.log_trg VALUES (5);
SELECT * FROM dml.state;
ROLLBACK;
INSERT INTO dml.log_trg VALUES (50);
-- two rows, each within the limit, together beyond it: one statement
INSERT INTO dml.log_trg VALUES (6), (12);
SELECT * FROM dml.state;

-- SQL and plpgsql functions, DO blocks, dynamic SQL
CREATE FUNCTION dml.del_sql(n int) RETURNS void LANGUAGE sql AS 'DELETE FROM dml.acc WHERE id <= n';
CREATE FUNCTION dml.del_pl(n int) RETURNS void LANGUAGE plpgsql AS
  $$BEGIN DELETE FROM dml.acc WHERE id <= n; END$$;
CREATE FUNCTION dml.del_dyn(n int) RETURNS void LANGUAGE plpgsql AS
  $$BEGIN EXECUTE format('DELETE FROM dml.acc WHERE id <= %s', n); END$$;
CREATE FUNCTION dml.del_one(i int) RETURNS void LANGUAGE plpgsql AS
  $$BEGIN DELETE FROM dml.acc WHERE id = i; END$$;
SELECT dml.del_sql(50);
SELECT dml.del_pl(50);
SELECT dml.del_dyn(50);
DO $$BEGIN DELETE FROM dml.acc WHERE id <= 50; END$$;
DO $$BEGIN EXECUTE 'UPDATE dml.acc SET v = 0 WHERE id <= 50'; END$$;
SELECT * FROM dml.state;
-- one row per call, many calls in one statement: the statement is counted as a whole
SELECT dml.del_one(g) FROM generate_series(1, 50) g;
SELECT * FROM dml.state;

-- prepared statements
PREPARE del(int) AS DELETE FROM dml.acc WHERE id <= $1;
EXECUTE del(50);
BEGIN;
EXECUTE del(10);
ROLLBACK;
DEALLOCATE del;
SELECT * FROM dml.state;

-- cursors: WHERE CURRENT OF changes one row
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM dml.acc WHERE id <= 30 ORDER BY id FOR UPDATE;
FETCH 5 FROM c;
DELETE FROM dml.acc WHERE CURRENT OF c;
UPDATE dml.acc SET v = 0 WHERE CURRENT OF c;
SELECT count(*) AS acc_rows FROM dml.acc;
ROLLBACK;

-- foreign-key actions count toward the statement that caused them
BEGIN;
DELETE FROM dml.parent WHERE id <= 2;       -- 2 parents, 10 children: within the limit
SELECT * FROM dml.state;
ROLLBACK;
DELETE FROM dml.parent WHERE id <= 5;       -- 5 parents, 25 children: stopped
UPDATE dml.parent SET id = id + 100 WHERE id <= 5;
SELECT * FROM dml.state;

-- the same statements from a human change the rows
RESET SESSION AUTHORIZATION;
CREATE ROLE dml_human LOGIN;
GRANT USAGE ON SCHEMA dml TO dml_human;
GRANT ALL ON ALL TABLES IN SCHEMA dml TO dml_human;
SET SESSION AUTHORIZATION dml_human;
BEGIN;
DELETE FROM dml.parent WHERE id <= 5;
DELETE FROM dml.acc WHERE id % 2 = 0;
WITH d AS (DELETE FROM dml.acc WHERE id <= 50 RETURNING *) SELECT count(*) FROM d;
DELETE FROM dml.acc;
SELECT * FROM dml.state;
ROLLBACK;

RESET SESSION AUTHORIZATION;
RESET agentguard.max_rows;
RESET agentguard.max_fraction;
DROP SCHEMA dml CASCADE;
DROP ROLE dml_bot;
DROP ROLE dml_human;
