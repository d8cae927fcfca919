-- A rule an agent put on its table (DO ALSO DELETE ...): a human's INSERT runs the rule's action,
-- which is judged as the agent's statement (the rule's owner is the agent).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ardo_bot LOGIN;
GRANT agentguard_agent TO ardo_bot;
CREATE ROLE ardo_human LOGIN;
CREATE SCHEMA ardo AUTHORIZATION ardo_bot;
GRANT USAGE ON SCHEMA ardo TO ardo_human;

SET SESSION AUTHORIZATION ardo_bot;
CREATE TABLE ardo.orders (id int PRIMARY KEY);
INSERT INTO ardo.orders SELECT generate_series(1, 10000);
ANALYZE ardo.orders;
CREATE TABLE ardo.events (n int);
CREATE RULE purge AS ON INSERT TO ardo.events DO ALSO DELETE FROM ardo.orders WHERE id <= NEW.n;
GRANT ALL ON ardo.orders, ardo.events TO ardo_human;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION ardo_human;
INSERT INTO ardo.events VALUES (5000);
SELECT count(*) FROM ardo.orders;
INSERT INTO ardo.events VALUES (10);
SELECT count(*) FROM ardo.orders;
-- the human's own DELETE of the same table is the human's
DELETE FROM ardo.orders WHERE id > 5000;
SELECT count(*) FROM ardo.orders;
RESET SESSION AUTHORIZATION;
