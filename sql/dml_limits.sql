-- How the row limit of agents' DELETE/UPDATE is computed and applied: the exact boundary, the fraction
-- and its floor, partitioned and never-analysed tables, rows changed twice, per-role limits, warn mode,
-- humans, caught errors, and the loop of small deletes.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE dmll_bot LOGIN;
GRANT agentguard_agent TO dmll_bot;
CREATE ROLE dmll_human LOGIN;
CREATE SCHEMA dmll AUTHORIZATION dmll_bot;
GRANT USAGE ON SCHEMA dmll TO dmll_human;
ALTER DEFAULT PRIVILEGES FOR ROLE dmll_bot IN SCHEMA dmll GRANT ALL ON TABLES TO dmll_human;

SET SESSION AUTHORIZATION dmll_bot;
CREATE TABLE dmll.t (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO dmll.t SELECT g, g FROM generate_series(1, 20000) g;
ANALYZE dmll.t;
CREATE VIEW dmll.state AS SELECT count(*) AS n, sum(v) AS total FROM dmll.t;
SELECT * FROM dmll.state;

-- max_rows: exactly the limit passes, one more is stopped (defaults: 1000 rows, 1% above 100 rows)
RESET SESSION AUTHORIZATION;
SET agentguard.max_fraction = 1;
SET SESSION AUTHORIZATION dmll_bot;
BEGIN;
DELETE FROM dmll.t WHERE id <= 1000;
ROLLBACK;
DELETE FROM dmll.t WHERE id <= 1001;
UPDATE dmll.t SET v = 0 WHERE id <= 1001;
SELECT * FROM dmll.state;

-- the fraction: 1% of 20000 rows = 200
RESET SESSION AUTHORIZATION;
RESET agentguard.max_fraction;
SET SESSION AUTHORIZATION dmll_bot;
CREATE TABLE dmll.f (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO dmll.f SELECT g, g FROM generate_series(1, 20000) g;
ANALYZE dmll.f;
BEGIN;
DELETE FROM dmll.f WHERE id <= 200;
ROLLBACK;
DELETE FROM dmll.f WHERE id <= 201;
SELECT count(*), sum(v) FROM dmll.f;

-- the floor: on a 5000-row table 1% is 50, but up to fraction_min_rows = 100 rows pass
CREATE TABLE dmll.small (id int PRIMARY KEY);
INSERT INTO dmll.small SELECT g FROM generate_series(1, 5000) g;
ANALYZE dmll.small;
BEGIN;
DELETE FROM dmll.small WHERE id <= 100;
ROLLBACK;
DELETE FROM dmll.small WHERE id <= 101;
SELECT count(*) FROM dmll.small;

-- a table never analysed is sized from its pages, not taken as empty: 1% of about 20000 rows
-- (taken as empty, its limit would be the floor of 100 rows)
CREATE TABLE dmll.fresh (id int PRIMARY KEY) WITH (autovacuum_enabled = false);
INSERT INTO dmll.fresh SELECT g FROM generate_series(1, 20000) g;
SELECT reltuples < 0 AS never_analysed FROM pg_class WHERE oid = 'dmll.fresh'::regclass;
BEGIN;
DELETE FROM dmll.fresh WHERE id <= 150;
ROLLBACK;
DELETE FROM dmll.fresh WHERE id <= 300;
SELECT count(*) FROM dmll.fresh;

-- partitioned: rows in every partition count together, and the size is the sum of the partitions
RESET SESSION AUTHORIZATION;
SET agentguard.max_rows = 50;
SET agentguard.max_fraction = 1;
SET SESSION AUTHORIZATION dmll_bot;
CREATE TABLE dmll.p (id int, k int, v int) PARTITION BY LIST (k);
CREATE TABLE dmll.p0 PARTITION OF dmll.p FOR VALUES IN (0);
CREATE TABLE dmll.p1 PARTITION OF dmll.p FOR VALUES IN (1);
CREATE TABLE dmll.p2 PARTITION OF dmll.p FOR VALUES IN (2);
CREATE UNIQUE INDEX ON dmll.p (id, k);
INSERT INTO dmll.p SELECT g, g % 3, g FROM generate_series(1, 3000) g;
ANALYZE dmll.p;
BEGIN;
DELETE FROM dmll.p WHERE id <= 50;          -- 50 rows over three partitions
ROLLBACK;
DELETE FROM dmll.p WHERE id <= 51;
DELETE FROM dmll.p1 WHERE id <= 200;         -- a partition named directly counts toward its root
UPDATE dmll.p SET k = (k + 1) % 3 WHERE id <= 60;   -- rows moving between partitions
INSERT INTO dmll.p SELECT g, g % 3, 0 FROM generate_series(1, 60) g ON CONFLICT (id, k) DO UPDATE SET v = 0;
SELECT count(*), sum(v), sum(k) FROM dmll.p;
-- its size is the sum of its partitions: 1% of 3000 rows = 30
RESET SESSION AUTHORIZATION;
SET agentguard.max_rows = 1000;
RESET agentguard.max_fraction;
SET agentguard.fraction_min_rows = 10;
SET SESSION AUTHORIZATION dmll_bot;
BEGIN;
DELETE FROM dmll.p WHERE id <= 30;
ROLLBACK;
DELETE FROM dmll.p WHERE id <= 31;
SELECT count(*), sum(v), sum(k) FROM dmll.p;

-- a row updated twice by one statement is one row changed
RESET SESSION AUTHORIZATION;
SET agentguard.max_rows = 10;
SET agentguard.max_fraction = 1;
RESET agentguard.fraction_min_rows;
SET SESSION AUTHORIZATION dmll_bot;
CREATE TABLE dmll.dup (id int);
INSERT INTO dmll.dup SELECT g FROM generate_series(1, 10) g, generate_series(1, 5);
BEGIN;
UPDATE dmll.t SET v = -1 FROM dmll.dup WHERE dmll.t.id = dmll.dup.id;   -- 10 rows, 50 join rows
SELECT count(*) FROM dmll.t WHERE v = -1;
ROLLBACK;

-- caught errors: the stopped statement's rows are back, and the block goes on
BEGIN;
SAVEPOINT s;
DELETE FROM dmll.t WHERE id <= 11;
ROLLBACK TO SAVEPOINT s;
SELECT * FROM dmll.state;
COMMIT;
DO $$
BEGIN
  BEGIN
    DELETE FROM dmll.t WHERE id <= 500;
  EXCEPTION WHEN SQLSTATE 'ZG001' THEN
    RAISE NOTICE 'stopped: %', SQLERRM;
  END;
  DELETE FROM dmll.t WHERE id <= 5;   -- the stopped rows no longer count: 5 rows are within the limit
  RAISE NOTICE 'rows left %', (SELECT count(*) FROM dmll.t);
  RAISE EXCEPTION 'undo';
END$$;
SELECT * FROM dmll.state;

-- the loop of small deletes: one DO block (or one procedure call) is one statement
DO $$BEGIN FOR i IN 1..11 LOOP DELETE FROM dmll.t WHERE id = i; END LOOP; END$$;
CREATE PROCEDURE dmll.purge(n int) LANGUAGE plpgsql AS
  $$BEGIN FOR i IN 1..n LOOP DELETE FROM dmll.t WHERE id = i; END LOOP; END$$;
CALL dmll.purge(11);
SELECT * FROM dmll.state;
-- even when the procedure commits between the deletes
CREATE PROCEDURE dmll.purge_commit(n int) LANGUAGE plpgsql AS
  $$BEGIN FOR i IN 1..n LOOP DELETE FROM dmll.t WHERE id = i; COMMIT; END LOOP; END$$;
CALL dmll.purge_commit(11);
SELECT * FROM dmll.state;    -- the ten committed deletes stay: committed work cannot be undone
INSERT INTO dmll.t SELECT g, g FROM generate_series(1, 10) g;
SELECT * FROM dmll.state;

-- separate statements are judged on their own
DELETE FROM dmll.t WHERE id <= 6\; DELETE FROM dmll.t WHERE id BETWEEN 7 AND 12;
SELECT * FROM dmll.state;
INSERT INTO dmll.t SELECT g, g FROM generate_series(1, 12) g;

-- warn mode: the statement runs to the end and the WARNING tells the real count
RESET SESSION AUTHORIZATION;
SET agentguard.mode = warn;
SET SESSION AUTHORIZATION dmll_bot;
\set VERBOSITY default
BEGIN;
DELETE FROM dmll.t WHERE id <= 25;
DELETE FROM dmll.t;
SELECT * FROM dmll.state;
ROLLBACK;
\set VERBOSITY terse
RESET SESSION AUTHORIZATION;
RESET agentguard.mode;

-- per-role limits set by a DBA apply from the role's next login
ALTER ROLE dmll_bot SET agentguard.max_rows = 3;
ALTER ROLE dmll_bot SET agentguard.max_fraction = 1;
\c - dmll_bot
\set VERBOSITY terse
SHOW agentguard.max_rows;
BEGIN;
DELETE FROM dmll.t WHERE id <= 3;
ROLLBACK;
DELETE FROM dmll.t WHERE id <= 4;
SELECT * FROM dmll.state;
\c - postgres
\set VERBOSITY terse
ALTER ROLE dmll_bot RESET ALL;

-- humans are not counted
\c - dmll_human
\set VERBOSITY terse
BEGIN;
DELETE FROM dmll.t WHERE id <= 5000;
DELETE FROM dmll.p;
SELECT * FROM dmll.state;
ROLLBACK;
\c - postgres
\set VERBOSITY terse

DROP SCHEMA dmll CASCADE;
DROP OWNED BY dmll_human;
DROP ROLE dmll_bot;
DROP ROLE dmll_human;
