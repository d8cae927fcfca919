-- agentguard.mode: enforce (default), warn (runs, WARNING, recorded), off; per role, set by a DBA.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ag_bot LOGIN;
GRANT agentguard_agent TO ag_bot;
CREATE SCHEMA m AUTHORIZATION ag_bot;

ALTER ROLE ag_bot SET agentguard.mode = 'warn';
\c - ag_bot
\set VERBOSITY terse
SHOW agentguard.mode;
CREATE TABLE m.w1 (id int);
DROP TABLE m.w1;
SELECT count(*) AS w1_left FROM pg_class WHERE relname = 'w1';
-- Self-protection does not depend on the mode.
SET agentguard.mode = 'enforce';
DROP EXTENSION pg_agentguard;

\c - postgres
\set VERBOSITY terse
ALTER ROLE ag_bot SET agentguard.mode = 'off';
\c - ag_bot
\set VERBOSITY terse
SHOW agentguard.mode;
CREATE TABLE m.o1 (id int);
TRUNCATE m.o1;
DROP TABLE m.o1;
SELECT count(*) AS o1_left FROM pg_class WHERE relname = 'o1';
SET agentguard.mode = 'enforce';
ALTER SYSTEM SET work_mem = '1GB';

\c - postgres
\set VERBOSITY terse
ALTER ROLE ag_bot RESET agentguard.mode;
-- A database-level setting by the DBA applies too.
ALTER DATABASE contrib_regression SET agentguard.mode = 'warn';
\c - ag_bot
\set VERBOSITY terse
SHOW agentguard.mode;
CREATE TABLE m.d1 (id int);
DROP TABLE m.d1;
\c - postgres
\set VERBOSITY terse
ALTER DATABASE contrib_regression RESET agentguard.mode;
\c - ag_bot
\set VERBOSITY terse
SHOW agentguard.mode;
CREATE TABLE m.e1 (id int);
DROP TABLE m.e1;
\c - postgres
\set VERBOSITY terse
SELECT count(*) AS e1_left FROM pg_class WHERE relname = 'e1';

-- GRANT and REVOKE of the tag act without reconnecting.
CREATE ROLE ag_later LOGIN;
CREATE TABLE public.later (id int);
ALTER TABLE public.later OWNER TO ag_later;
SET SESSION AUTHORIZATION ag_later;
TRUNCATE public.later;
RESET SESSION AUTHORIZATION;
GRANT agentguard_agent TO ag_later;
SET SESSION AUTHORIZATION ag_later;
TRUNCATE public.later;
RESET SESSION AUTHORIZATION;
REVOKE agentguard_agent FROM ag_later;
SET SESSION AUTHORIZATION ag_later;
TRUNCATE public.later;
RESET SESSION AUTHORIZATION;
-- Membership through another role counts, whatever INHERIT says.
CREATE ROLE ag_team NOINHERIT;
GRANT agentguard_agent TO ag_team;
GRANT ag_team TO ag_later;
SET SESSION AUTHORIZATION ag_later;
DROP TABLE public.later;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS later_left FROM pg_class WHERE relname = 'later';

DROP TABLE public.later;
DROP SCHEMA m CASCADE;
DROP ROLE ag_later;
DROP ROLE ag_team;
DROP ROLE ag_bot;
