-- A trigger an agent added to its table runs in a human's session when the human's application
-- inserts: what the agent's trigger function changes is counted and stopped like the agent's own
-- statement, and recorded as the agent's request.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE atih_bot LOGIN;
GRANT agentguard_agent TO atih_bot;
CREATE ROLE atih_human LOGIN;
CREATE SCHEMA atih AUTHORIZATION atih_bot;
GRANT USAGE ON SCHEMA atih TO atih_human;

SET SESSION AUTHORIZATION atih_bot;
CREATE TABLE atih.orders (id int PRIMARY KEY);
INSERT INTO atih.orders SELECT generate_series(1, 10000);
ANALYZE atih.orders;
CREATE TABLE atih.events (id int, n int);
GRANT ALL ON atih.orders, atih.events TO atih_human;
CREATE FUNCTION atih.cleanup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM atih.orders WHERE id <= NEW.n;
    RETURN NEW;
END $$;
CREATE TRIGGER cleanup AFTER INSERT ON atih.events FOR EACH ROW EXECUTE FUNCTION atih.cleanup();
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION atih_human;
-- 5000 rows: stopped, nothing changed
INSERT INTO atih.events VALUES (1, 5000);
SELECT count(*) FROM atih.orders;
-- 10 rows: runs
INSERT INTO atih.events VALUES (2, 10);
SELECT count(*) FROM atih.orders;
-- per-row calls of the agent's code add up within the transaction
INSERT INTO atih.events SELECT g, 10 + g FROM generate_series(1, 300) g;
SELECT count(*) FROM atih.orders;
-- the human's own statements are not judged
DELETE FROM atih.orders WHERE id > 5000;
SELECT count(*) FROM atih.orders;
RESET SESSION AUTHORIZATION;

-- recorded as the agent's requests (the worker records them a moment later: wait for them)
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN (SELECT count(*) FROM agentguard.requests WHERE agent = 'atih_bot') >= 2;
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT session_role, decision, command, objects
  FROM agentguard.audit_log WHERE statement LIKE 'INSERT INTO atih.events%' ORDER BY id;
SELECT agent, status, command, statement FROM agentguard.requests WHERE agent = 'atih_bot' ORDER BY id;
