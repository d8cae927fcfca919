-- An agent's own temporary tables are never counted: DELETE and UPDATE of any size, qualified or not,
-- decided on the relation's persistence when the statement runs.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE attl_bot LOGIN;
GRANT agentguard_agent TO attl_bot;
CREATE SCHEMA attl AUTHORIZATION attl_bot;

SET SESSION AUTHORIZATION attl_bot;
CREATE TEMP TABLE scratch (id int PRIMARY KEY, v int);
INSERT INTO scratch SELECT g, 0 FROM generate_series(1, 5000) g;
UPDATE scratch SET v = 1 WHERE id > 0;
DELETE FROM scratch WHERE id > 100;
UPDATE scratch SET v = 2;
DELETE FROM scratch;
SELECT count(*) FROM scratch;
-- a permanent table named like it, in a schema searched first, is still counted
CREATE TABLE attl.scratch (id int PRIMARY KEY);
INSERT INTO attl.scratch SELECT generate_series(1, 5000);
ANALYZE attl.scratch;
DELETE FROM attl.scratch WHERE id > 100;
SELECT count(*) FROM attl.scratch;
RESET SESSION AUTHORIZATION;
