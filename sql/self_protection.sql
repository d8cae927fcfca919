-- An agent, even a superuser agent, cannot switch the guard off or touch it; no token can allow it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ag_bot LOGIN;
GRANT agentguard_agent TO ag_bot;
CREATE ROLE ag_super SUPERUSER LOGIN;
GRANT agentguard_agent TO ag_super;
-- DBA-set values an agent must keep.
ALTER ROLE ag_super SET agentguard.max_rows = 50;

\c - ag_super
\set VERBOSITY terse
SHOW agentguard.max_rows;
SHOW agentguard.mode;
-- bypass: SET / SET LOCAL / RESET / SET TO DEFAULT
SET agentguard.mode = 'off';
SET agentguard.max_rows = 1000000;
BEGIN; SET LOCAL agentguard.mode = 'off'; SHOW agentguard.mode; ROLLBACK;
RESET agentguard.max_rows;
SET agentguard.max_rows TO DEFAULT;
-- bypass: RESET ALL (poolers send it) leaves the DBA's values
RESET ALL;
SHOW agentguard.max_rows;
-- bypass: set_config(), also local
SELECT set_config('agentguard.mode', 'off', false);
SELECT set_config('agentguard.block_unqualified', 'off', true);
-- bypass: a function created LANGUAGE internal AS 'set_config_by_name'
CREATE FUNCTION public.my_set(text, text, bool) RETURNS text LANGUAGE internal AS 'set_config_by_name';
SELECT public.my_set('agentguard.mode', 'off', false);
-- bypass: UPDATE pg_settings
UPDATE pg_settings SET setting = 'off' WHERE name = 'agentguard.mode';
-- bypass: a function SET clause
CREATE FUNCTION public.guard_off() RETURNS text LANGUAGE sql SET agentguard.mode = 'off' AS $$ SELECT current_setting('agentguard.mode') $$;
-- bypass: ALTER ROLE / ALTER DATABASE / ALTER ROLE ALL ... SET
ALTER ROLE ag_super SET agentguard.mode = 'off';
ALTER ROLE ag_super RESET agentguard.max_rows;
ALTER ROLE ag_super RESET ALL;
ALTER ROLE ALL SET agentguard.mode = 'off';
ALTER DATABASE contrib_regression SET agentguard.mode = 'off';
ALTER DATABASE contrib_regression RESET ALL;
-- bypass: ALTER SYSTEM, LOAD, COPY ... PROGRAM
ALTER SYSTEM SET agentguard.mode = 'off';
ALTER SYSTEM SET shared_preload_libraries = '';
LOAD 'pg_agentguard';
COPY (SELECT 1) TO PROGRAM 'true';
COPY pg_temp.x FROM PROGRAM 'true';
-- bypass: writing the configuration through server files
COPY (SELECT 'agentguard.mode = off') TO '/nonexistent/postgresql.auto.conf';
COPY pg_temp.x FROM '/nonexistent/file';
SELECT lo_export(0, '/nonexistent/postgresql.auto.conf');
SELECT lo_import('/nonexistent/file');
-- bypass: DML on system catalogs
UPDATE pg_catalog.pg_authid SET rolsuper = false WHERE rolname = 'agentguard_agent';
DELETE FROM pg_catalog.pg_auth_members WHERE roleid = 'agentguard_agent'::regrole;
WITH d AS (DELETE FROM pg_catalog.pg_db_role_setting RETURNING 1) SELECT count(*) FROM d;
-- bypass: the extension, its schema, its objects, its roles
DROP EXTENSION pg_agentguard;
DROP EXTENSION pg_agentguard CASCADE;
ALTER EXTENSION pg_agentguard UPDATE;
DROP SCHEMA agentguard CASCADE;
ALTER SCHEMA agentguard RENAME TO ag_old;
DROP TABLE agentguard.audit_log;
TRUNCATE agentguard.audit_log;
ALTER TABLE agentguard.audit_log DISABLE TRIGGER ALL;
ALTER TABLE agentguard.audit_log SET SCHEMA public;
ALTER TABLE agentguard.audit_log OWNER TO ag_bot;
CREATE TABLE agentguard.evil (x int);
CREATE FUNCTION agentguard.evil() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TRIGGER evil BEFORE INSERT ON agentguard.audit_log FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE RULE evil AS ON INSERT TO agentguard.audit_log DO INSTEAD NOTHING;
GRANT ALL ON agentguard.token_store TO ag_bot;
GRANT ALL ON ALL TABLES IN SCHEMA agentguard TO ag_bot;
INSERT INTO agentguard.audit_log (logged_at, database, session_role, "current_role", backend_pid, command, decision)
    VALUES (now(), 'x', 'x', 'x', 1, 'x', 'approved');
DELETE FROM agentguard.audit_log;
UPDATE agentguard.requests SET status = 'approved';
DROP ROLE agentguard_agent;
ALTER ROLE agentguard_agent RENAME TO nobody;
REVOKE agentguard_agent FROM ag_super;
REVOKE agentguard_agent FROM ag_bot;
GRANT agentguard_approver TO ag_super;
-- bypass: moving a table into the guard's schema and out again
CREATE TABLE public.mine (x int);
ALTER TABLE public.mine SET SCHEMA agentguard;
-- Nothing changed.
SHOW agentguard.mode;
SHOW agentguard.max_rows;
\c - postgres
\set VERBOSITY terse
SELECT extname FROM pg_extension WHERE extname = 'pg_agentguard';
SELECT count(*) AS guard_tables FROM pg_class WHERE relnamespace = 'agentguard'::regnamespace AND relkind = 'r';
SELECT rolname FROM pg_roles WHERE rolname LIKE 'agentguard%' ORDER BY 1;
SELECT pg_has_role('ag_super', 'agentguard_agent', 'MEMBER') AS super_still_agent,
       pg_has_role('ag_bot', 'agentguard_agent', 'MEMBER') AS bot_still_agent,
       EXISTS (SELECT 1 FROM pg_auth_members WHERE roleid = 'agentguard_approver'::regrole
               AND member = 'ag_super'::regrole) AS super_approver;
SELECT count(*) AS settings FROM pg_db_role_setting WHERE 'agentguard.mode=off' = ANY (setconfig);
SELECT rolsuper FROM pg_authid WHERE rolname = 'agentguard_agent';
SELECT tgname FROM pg_trigger WHERE tgrelid = 'agentguard.audit_log'::regclass;
SELECT relname FROM pg_class WHERE relname = 'mine';

DROP FUNCTION IF EXISTS public.my_set(text, text, bool);
DROP TABLE public.mine;
DROP ROLE ag_super;
DROP ROLE ag_bot;
