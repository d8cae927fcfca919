-- A procedure that creates a partition, changes rows through the partitioned table and rolls back:
-- PostgreSQL frees the new partition's statistics entry at the rollback, and its memory is reused by
-- the next new table's. The guard must not read it through a pointer it kept (it would count the
-- other table's rows toward the partitioned table, or crash).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE sear_bot LOGIN;
GRANT agentguard_agent TO sear_bot;
CREATE SCHEMA sear AUTHORIZATION sear_bot;
ALTER ROLE sear_bot SET agentguard.max_rows = 50;
ALTER ROLE sear_bot SET agentguard.max_fraction = 1;

\c - sear_bot
SET client_min_messages = warning;
CREATE TABLE sear.p (id int, k int) PARTITION BY LIST (k);
CREATE TABLE sear.p0 PARTITION OF sear.p FOR VALUES IN (0);
INSERT INTO sear.p SELECT g, 0 FROM generate_series(1, 100) g;
CREATE PROCEDURE sear.work() LANGUAGE plpgsql AS $$
BEGIN
    CREATE TABLE sear.p1 PARTITION OF sear.p FOR VALUES IN (1);
    INSERT INTO sear.p SELECT g, 1 FROM generate_series(1, 100) g;
    DELETE FROM sear.p WHERE id <= 5;           -- 5 rows in p0, 5 in p1
    ROLLBACK;                                   -- p1 and its rows are gone
    CREATE TABLE sear.z (id int);
    INSERT INTO sear.z SELECT generate_series(1, 100);
    UPDATE sear.z SET id = id + 1 WHERE id <= 40;   -- 40 rows of another table
    DELETE FROM sear.p WHERE id > 55;           -- 45 rows of p0: within the limit of 50
    COMMIT;
    CREATE TABLE sear.y (id int);
    INSERT INTO sear.y SELECT generate_series(1, 100);
    UPDATE sear.y SET id = id + 1 WHERE id <= 45;
    DELETE FROM sear.p WHERE id > 50;           -- 5 more rows of p0: 50 in all
    ROLLBACK;
    DELETE FROM sear.p WHERE id > 50;           -- again, after a rollback that freed y's entry
END $$;
CALL sear.work();
SELECT count(*) FROM sear.p;
RESET client_min_messages;
\c - postgres
