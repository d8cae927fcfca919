-- Destructive DDL by agents is blocked, by every route, and the objects stay; humans are untouched.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ag_bot LOGIN;
GRANT agentguard_agent TO ag_bot;
CREATE ROLE ag_human LOGIN;
CREATE SCHEMA bot AUTHORIZATION ag_bot;
GRANT USAGE, CREATE ON SCHEMA bot TO ag_human;

-- The agent builds its own objects: owning them does not let it destroy them.
SET SESSION AUTHORIZATION ag_bot;
CREATE TABLE bot.users (id int PRIMARY KEY, name text, email text, CONSTRAINT name_nn CHECK (name IS NOT NULL));
INSERT INTO bot.users SELECT g, 'u' || g, 'u' || g || '@x' FROM generate_series(1, 20) g;
CREATE TABLE bot.orders (id int PRIMARY KEY, user_id int REFERENCES bot.users);
CREATE VIEW bot.v_users AS SELECT * FROM bot.users;
CREATE MATERIALIZED VIEW bot.mv_users AS SELECT * FROM bot.users;
CREATE INDEX users_name_idx ON bot.users (name);
CREATE SEQUENCE bot.seq;
CREATE FUNCTION bot.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE bot.p() LANGUAGE sql AS 'SELECT 1';
CREATE TYPE bot.mood AS ENUM ('ok', 'sad');
CREATE DOMAIN bot.posint AS int CHECK (VALUE > 0);
CREATE FUNCTION bot.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER users_trg BEFORE INSERT ON bot.users FOR EACH ROW EXECUTE FUNCTION bot.trg();
CREATE RULE users_rule AS ON UPDATE TO bot.v_users DO INSTEAD NOTHING;
CREATE POLICY users_pol ON bot.users USING (true);

-- Every DROP kind.
DROP TABLE bot.users;
DROP TABLE bot.users CASCADE;
DROP TABLE IF EXISTS bot.users, bot.orders;
DROP VIEW bot.v_users;
DROP MATERIALIZED VIEW bot.mv_users;
DROP INDEX bot.users_name_idx;
DROP SEQUENCE bot.seq;
DROP FUNCTION bot.f();
DROP PROCEDURE bot.p();
DROP ROUTINE bot.f;
DROP TYPE bot.mood;
DROP DOMAIN bot.posint;
DROP TRIGGER users_trg ON bot.users;
DROP RULE users_rule ON bot.v_users;
DROP POLICY users_pol ON bot.users;
DROP SCHEMA bot CASCADE;
DROP OWNED BY ag_bot;
DROP OWNED BY CURRENT_USER CASCADE;
DROP DATABASE contrib_regression_none;
DROP DATABASE IF EXISTS contrib_regression_none WITH (FORCE);
DROP ROLE ag_human;

-- TRUNCATE in every form.
TRUNCATE bot.orders;
TRUNCATE TABLE bot.users, bot.orders;
TRUNCATE bot.users CASCADE;
TRUNCATE ONLY bot.orders RESTART IDENTITY;

-- ALTER TABLE subcommands that destroy or rewrite data; harmless ones pass.
ALTER TABLE bot.users DROP COLUMN email;
ALTER TABLE bot.users ALTER COLUMN name TYPE varchar(5);
ALTER TABLE bot.users ALTER COLUMN id SET DATA TYPE bigint;
ALTER TABLE bot.users DROP CONSTRAINT name_nn;
ALTER TABLE bot.users ADD COLUMN note text, DROP COLUMN email;
ALTER TABLE bot.users ADD COLUMN note text;
ALTER TABLE bot.users RENAME COLUMN note TO remark;

-- bypass: a statement the utility hook lets pass that still drops an object: the object-access
-- backstop stops it while PostgreSQL drops it.
ALTER DOMAIN bot.posint ADD CONSTRAINT posint_small CHECK (VALUE < 1000000);
ALTER DOMAIN bot.posint DROP CONSTRAINT posint_small;
ALTER TABLE bot.users ALTER COLUMN name SET DEFAULT 'x';
ALTER TABLE bot.users ALTER COLUMN name DROP DEFAULT;

-- Role and membership DDL.
CREATE ROLE ag_new;
ALTER ROLE ag_bot CREATEDB;
ALTER ROLE ag_bot RENAME TO ag_bot2;
GRANT ag_human TO ag_bot;
REVOKE agentguard_agent FROM ag_bot;

RESET SESSION AUTHORIZATION;
-- Nothing above changed anything.
SELECT count(*) AS users, sum(id) AS id_sum FROM bot.users;
SELECT relname FROM pg_class WHERE relnamespace = 'bot'::regnamespace ORDER BY relname;
SELECT attname FROM pg_attribute WHERE attrelid = 'bot.users'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'bot.users'::regclass AND attname = 'name';
-- (contype 'n': PostgreSQL 18 records column NOT NULLs as constraints too; see ddl_not_null)
SELECT conname FROM pg_constraint WHERE conrelid = 'bot.users'::regclass AND contype <> 'n' ORDER BY conname;
SELECT proname FROM pg_proc WHERE pronamespace = 'bot'::regnamespace ORDER BY proname;
SELECT typname FROM pg_type WHERE typnamespace = 'bot'::regnamespace AND typtype IN ('e', 'd') ORDER BY typname;
SELECT conname FROM pg_constraint WHERE contypid = 'bot.posint'::regtype ORDER BY conname;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'bot.users'::regclass AND NOT tgisinternal;
SELECT rulename FROM pg_rewrite WHERE ev_class = 'bot.v_users'::regclass AND rulename <> '_RETURN';
SELECT polname FROM pg_policy WHERE polrelid = 'bot.users'::regclass;
SELECT rolname, rolcreatedb FROM pg_roles WHERE rolname IN ('ag_bot', 'ag_new', 'ag_human') ORDER BY rolname;
SELECT pg_has_role('ag_bot', 'agentguard_agent', 'MEMBER') AS still_agent, pg_has_role('ag_bot', 'ag_human', 'MEMBER') AS got_human;

-- The SQLSTATE is the guard's own.
SET SESSION AUTHORIZATION ag_bot;
\set VERBOSITY sqlstate
DROP TABLE bot.users;
\set VERBOSITY default
-- The full text an agent reads (the request id varies with the run: shown as N).
DO $$
DECLARE m text; d text; h text; st text;
BEGIN
    DROP TABLE bot.users;
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT, st = RETURNED_SQLSTATE;
    RAISE NOTICE E'sqlstate: %\nmessage: %\ndetail: %\nhint: %', st, m,
        regexp_replace(d, '[0-9]+', 'N', 'g'), regexp_replace(h, '[0-9]+', 'N', 'g');
END $$;
\set VERBOSITY terse

-- Temporary objects of the session may be dropped and truncated.
CREATE TEMP TABLE scratch (x int);
INSERT INTO scratch VALUES (1);
TRUNCATE scratch;
DROP TABLE scratch;
CREATE TEMP TABLE scratch2 (x int);
-- ... but not together with a permanent one.
DROP TABLE scratch2, bot.orders;
DROP TABLE scratch2;
RESET SESSION AUTHORIZATION;
SELECT count(*) FROM pg_class WHERE relname = 'orders' AND relnamespace = 'bot'::regnamespace;

-- allow_temp_drops = off blocks them too.
ALTER ROLE ag_bot SET agentguard.allow_temp_drops = off;
\c - ag_bot
\set VERBOSITY terse
SHOW agentguard.allow_temp_drops;
CREATE TEMP TABLE scratch3 (x int);
DROP TABLE scratch3;
\c - postgres
\set VERBOSITY terse
ALTER ROLE ag_bot RESET agentguard.allow_temp_drops;

-- A human (untagged) runs the same statements as without the extension.
SET SESSION AUTHORIZATION ag_human;
CREATE TABLE bot.h (id int, c text);
INSERT INTO bot.h VALUES (1, 'a');
ALTER TABLE bot.h DROP COLUMN c;
TRUNCATE bot.h;
DROP TABLE bot.h;
RESET SESSION AUTHORIZATION;
-- So does a superuser that is no agent (an approver).
CREATE TABLE bot.s (id int);
DROP TABLE bot.s;
CREATE ROLE ag_tmp;
DROP ROLE ag_tmp;

-- Cleanup.
DROP SCHEMA bot CASCADE;
DROP ROLE ag_bot;
DROP ROLE ag_human;
