-- A column DEFAULT calling an agent's function: a human's INSERT runs the agent's code, which is
-- counted and stopped like the agent's statement.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE adfn_bot LOGIN;
GRANT agentguard_agent TO adfn_bot;
CREATE ROLE adfn_human LOGIN;
CREATE SCHEMA adfn AUTHORIZATION adfn_bot;
GRANT USAGE ON SCHEMA adfn TO adfn_human;

SET SESSION AUTHORIZATION adfn_bot;
CREATE TABLE adfn.items (id int PRIMARY KEY);
INSERT INTO adfn.items SELECT generate_series(1, 10000);
ANALYZE adfn.items;
CREATE FUNCTION adfn.next_id() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM adfn.items WHERE id <= 5000;
    RETURN 1;
END $$;
CREATE TABLE adfn.log (id int DEFAULT adfn.next_id(), note text);
GRANT ALL ON adfn.items, adfn.log TO adfn_human;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION adfn_human;
INSERT INTO adfn.log (note) VALUES ('hello');
SELECT count(*) FROM adfn.items, (SELECT count(*) AS logged FROM adfn.log) l GROUP BY logged;
INSERT INTO adfn.log (id, note) VALUES (7, 'explicit id, no default');
SELECT count(*) FROM adfn.log;
RESET SESSION AUTHORIZATION;
