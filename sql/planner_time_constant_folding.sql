-- An IMMUTABLE wrapper around a function that deletes rows, called with constant arguments, is
-- evaluated by the planner's constant folding before the statement's executor starts: every DELETE
-- it runs counts toward the statement being planned.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ptcf_bot LOGIN;
GRANT agentguard_agent TO ptcf_bot;
CREATE SCHEMA ptcf AUTHORIZATION ptcf_bot;

SET SESSION AUTHORIZATION ptcf_bot;
CREATE TABLE ptcf.t (id int PRIMARY KEY);
INSERT INTO ptcf.t SELECT generate_series(1, 5000);
ANALYZE ptcf.t;
CREATE FUNCTION ptcf.del_one(i int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ptcf.t WHERE id = i;
    RETURN 1;
END $$;
CREATE FUNCTION ptcf.wipe(a int, b int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
DECLARE
    n int := 0;
BEGIN
    FOR i IN a..b LOOP
        n := n + ptcf.del_one(i);
    END LOOP;
    RETURN n;
END $$;

-- folded at plan time: 5000 single-row DELETEs, one statement
SELECT 1 WHERE ptcf.wipe(1, 5000) > 0;
SELECT count(*) FROM ptcf.t;
-- the same folding inside a DELETE's WHERE: its own rows and the folded ones are one statement
DELETE FROM ptcf.t WHERE id > 4990 AND ptcf.wipe(1, 95) > 0;
SELECT count(*) FROM ptcf.t;
-- under the limit it runs
SELECT 1 WHERE ptcf.wipe(1, 10) > 0;
SELECT count(*) FROM ptcf.t;
-- prepared: planned when executed, inside the EXECUTE
PREPARE ptcf_p AS SELECT 1 WHERE ptcf.wipe(11, 5000) > 0;
EXECUTE ptcf_p;
SELECT count(*) FROM ptcf.t;
RESET SESSION AUTHORIZATION;
