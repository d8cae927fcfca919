-- A destructive statement is judged wherever it runs: functions, procedures, DO, EXECUTE,
-- multi-statement strings, SECURITY DEFINER, SET ROLE.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ag_bot LOGIN;
GRANT agentguard_agent TO ag_bot;
CREATE ROLE ag_human LOGIN;
GRANT ag_human TO ag_bot;
CREATE SCHEMA r AUTHORIZATION ag_bot;
CREATE TABLE r.t (id int);
INSERT INTO r.t SELECT generate_series(1, 10);
-- Owned by a human role the agent is a member of: without the guard, every route below would work.
GRANT USAGE ON SCHEMA r TO ag_human;
ALTER TABLE r.t OWNER TO ag_human;

-- Helpers created by a human: a SECURITY DEFINER function that drops, owned by the superuser.
CREATE FUNCTION public.definer_drop() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    AS $$ BEGIN EXECUTE 'DROP TABLE r.t'; END $$;
GRANT EXECUTE ON FUNCTION public.definer_drop() TO ag_bot;

SET SESSION AUTHORIZATION ag_bot;
CREATE FUNCTION r.plpgsql_drop() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE r.t; END $$;
CREATE FUNCTION r.dynamic_drop(tbl text) RETURNS void LANGUAGE plpgsql
    AS $$ BEGIN EXECUTE format('DROP TABLE %s', tbl); END $$;
CREATE FUNCTION r.sql_truncate() RETURNS void LANGUAGE sql AS 'TRUNCATE r.t';
CREATE PROCEDURE r.proc_drop() LANGUAGE plpgsql AS $$ BEGIN DROP TABLE r.t; END $$;

-- bypass: DO block
DO $$ BEGIN DROP TABLE r.t; END $$;
-- bypass: plpgsql function
SELECT r.plpgsql_drop();
-- bypass: dynamic SQL
SELECT r.dynamic_drop('r.t');
-- bypass: SQL-language function
SELECT r.sql_truncate();
-- bypass: procedure
CALL r.proc_drop();
-- bypass: SECURITY DEFINER function owned by a superuser
SELECT public.definer_drop();
-- bypass: catching the error and carrying on
DO $$ BEGIN DROP TABLE r.t; EXCEPTION WHEN others THEN RAISE NOTICE 'caught: %', SQLERRM; END $$;
-- bypass: hiding the DROP after a harmless statement in one query string
SELECT 1 AS harmless \; DROP TABLE r.t \; SELECT 2 AS never;
-- bypass: SET ROLE to a human role
SET ROLE ag_human;
SELECT current_user, session_user;
DROP TABLE r.t;
RESET ROLE;
-- bypass: search_path games
SET search_path = r, public;
DROP TABLE t;
RESET search_path;
RESET SESSION AUTHORIZATION;

SELECT count(*) AS rows_left, sum(id) AS id_sum FROM r.t;

-- A human logged in whose session switches to an agent role is guarded while it is that role.
SET ROLE ag_bot;
DROP TABLE r.t;
RESET ROLE;
SELECT count(*) AS rows_left FROM r.t;

-- bypass: SET SESSION AUTHORIZATION away from the agent (needs a superuser agent).
CREATE ROLE ag_super SUPERUSER LOGIN;
GRANT agentguard_agent TO ag_super;
\c - ag_super
\set VERBOSITY terse
SET SESSION AUTHORIZATION ag_human;
SELECT session_user, current_user;
DROP TABLE r.t;
RESET SESSION AUTHORIZATION;
\c - postgres
\set VERBOSITY terse
SELECT count(*) AS rows_left FROM r.t;

DROP SCHEMA r CASCADE;
DROP FUNCTION public.definer_drop();
DROP ROLE ag_super;
DROP ROLE ag_bot;
DROP ROLE ag_human;
