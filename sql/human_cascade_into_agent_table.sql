-- A DBA's DELETE on a parent table cascades to 5000 rows of an agent-owned child table. PostgreSQL
-- runs the cascade as the child's owner; that does not make the DBA's statement an agent's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE hcat_bot LOGIN;
GRANT agentguard_agent TO hcat_bot;
CREATE SCHEMA hcat;
GRANT USAGE, CREATE ON SCHEMA hcat TO hcat_bot;
CREATE TABLE hcat.parent (id int PRIMARY KEY);
INSERT INTO hcat.parent VALUES (1), (2);
GRANT SELECT, REFERENCES ON hcat.parent TO hcat_bot;

SET SESSION AUTHORIZATION hcat_bot;
CREATE TABLE hcat.child (id int PRIMARY KEY, pid int NOT NULL REFERENCES hcat.parent ON DELETE CASCADE ON UPDATE CASCADE);
INSERT INTO hcat.child SELECT g, 1 + g % 2 FROM generate_series(1, 10000) g;
ANALYZE hcat.child;
RESET SESSION AUTHORIZATION;

-- the DBA: 5000 rows of the agent's table are deleted, 5000 updated by the cascades
DELETE FROM hcat.parent WHERE id = 1;
UPDATE hcat.parent SET id = 3 WHERE id = 2;
SELECT pid, count(*) FROM hcat.child GROUP BY pid;

-- the agent itself is still judged when its own DELETE cascades
INSERT INTO hcat.parent VALUES (4);
SET SESSION AUTHORIZATION hcat_bot;
INSERT INTO hcat.child SELECT g, 4 FROM generate_series(20001, 25000) g;
RESET SESSION AUTHORIZATION;
GRANT DELETE ON hcat.parent TO hcat_bot;
SET SESSION AUTHORIZATION hcat_bot;
DELETE FROM hcat.parent WHERE id = 4;
RESET SESSION AUTHORIZATION;
SELECT pid, count(*) FROM hcat.child GROUP BY pid ORDER BY pid;
