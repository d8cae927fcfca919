-- An event trigger whose function an agent owns: a human's DDL fires it, and what the agent's
-- function changes is counted and stopped like the agent's statement.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE aevt_bot LOGIN;
GRANT agentguard_agent TO aevt_bot;
CREATE ROLE aevt_human LOGIN;
CREATE SCHEMA aevt AUTHORIZATION aevt_bot;
GRANT USAGE, CREATE ON SCHEMA aevt TO aevt_human;

SET SESSION AUTHORIZATION aevt_bot;
CREATE TABLE aevt.items (id int PRIMARY KEY);
INSERT INTO aevt.items SELECT generate_series(1, 10000);
ANALYZE aevt.items;
GRANT ALL ON aevt.items TO aevt_human;
CREATE FUNCTION aevt.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM aevt.items WHERE id <= 5000;
END $$;
RESET SESSION AUTHORIZATION;
CREATE EVENT TRIGGER aevt_purge ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION aevt.on_ddl();

SET SESSION AUTHORIZATION aevt_human;
CREATE TABLE aevt.h1 (x int);
SELECT count(*) FROM aevt.items;
RESET SESSION AUTHORIZATION;
DROP EVENT TRIGGER aevt_purge;
