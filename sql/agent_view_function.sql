-- A view an agent created that selects from an agent's function: a human reading the view runs the
-- agent's code, which is counted and stopped like the agent's statement.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE avfn_bot LOGIN;
GRANT agentguard_agent TO avfn_bot;
CREATE ROLE avfn_human LOGIN;
CREATE SCHEMA avfn AUTHORIZATION avfn_bot;
GRANT USAGE ON SCHEMA avfn TO avfn_human;

SET SESSION AUTHORIZATION avfn_bot;
CREATE TABLE avfn.items (id int PRIMARY KEY);
INSERT INTO avfn.items SELECT generate_series(1, 10000);
ANALYZE avfn.items;
CREATE FUNCTION avfn.stats() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM avfn.items WHERE id <= 5000;
    RETURN (SELECT count(*) FROM avfn.items);
END $$;
CREATE VIEW avfn.summary AS SELECT avfn.stats() AS n;
GRANT ALL ON avfn.items, avfn.summary TO avfn_human;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION avfn_human;
SELECT * FROM avfn.summary;
SELECT count(*) FROM avfn.items;
RESET SESSION AUTHORIZATION;
