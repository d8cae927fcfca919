-- A DEFERRABLE INITIALLY DEFERRED constraint trigger fires at COMMIT, outside any statement: the rows
-- its function changes count toward the transaction, with the same limits, and a stop aborts it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE dtac_bot LOGIN;
GRANT agentguard_agent TO dtac_bot;
CREATE SCHEMA dtac AUTHORIZATION dtac_bot;

SET SESSION AUTHORIZATION dtac_bot;
CREATE TABLE dtac.real (id int PRIMARY KEY);
INSERT INTO dtac.real SELECT generate_series(1, 5000);
ANALYZE dtac.real;
CREATE TABLE dtac.scratch (id int);
CREATE FUNCTION dtac.f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM dtac.real WHERE id = NEW.id;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER t AFTER INSERT ON dtac.scratch DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION dtac.f();

-- one statement, its implicit commit deletes 5000 rows
INSERT INTO dtac.scratch SELECT generate_series(1, 5000);
SELECT count(*) FROM dtac.real, (SELECT count(*) AS scratch FROM dtac.scratch) s GROUP BY scratch;
-- many small statements, one COMMIT
BEGIN;
INSERT INTO dtac.scratch SELECT generate_series(1, 2500);
INSERT INTO dtac.scratch SELECT generate_series(2501, 5000);
COMMIT;
SELECT count(*) FROM dtac.real;
-- SET CONSTRAINTS ... IMMEDIATE fires them inside a statement
BEGIN;
INSERT INTO dtac.scratch SELECT generate_series(1, 5000);
SET CONSTRAINTS ALL IMMEDIATE;
ROLLBACK;
SELECT count(*) FROM dtac.real;
-- under the limit, at commit, it runs
BEGIN;
INSERT INTO dtac.scratch SELECT generate_series(1, 5);
INSERT INTO dtac.scratch SELECT generate_series(6, 10);
COMMIT;
SELECT count(*) FROM dtac.real;
RESET SESSION AUTHORIZATION;
