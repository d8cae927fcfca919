-- REFRESH MATERIALIZED VIEW CONCURRENTLY of an agent-owned view, run by a DBA: PostgreSQL deletes and
-- inserts the changed rows as the view's owner; the DBA's statement is not an agent's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE rcav_bot LOGIN;
GRANT agentguard_agent TO rcav_bot;
CREATE SCHEMA rcav AUTHORIZATION rcav_bot;

SET SESSION AUTHORIZATION rcav_bot;
CREATE TABLE rcav.src (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO rcav.src SELECT g, 0 FROM generate_series(1, 5000) g;
CREATE MATERIALIZED VIEW rcav.mv AS SELECT id, v FROM rcav.src;
CREATE UNIQUE INDEX ON rcav.mv (id);
RESET SESSION AUTHORIZATION;
UPDATE rcav.src SET v = 1;

-- the DBA refreshes: every row of the view changes
REFRESH MATERIALIZED VIEW CONCURRENTLY rcav.mv;
SELECT sum(v) FROM rcav.mv;
