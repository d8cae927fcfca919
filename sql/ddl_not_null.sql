-- Dropping a column's NOT NULL needs an approval on every version, however it is spelled. PostgreSQL 18
-- records column NOT NULLs as pg_constraint rows (named like t_name_not_null); 15 and 17 as a column
-- flag only. The verdict is DROP CONSTRAINT's: no data is lost, but a rule other code relies on is.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ag_nn_bot LOGIN;
GRANT agentguard_agent TO ag_nn_bot;
CREATE SCHEMA nn AUTHORIZATION ag_nn_bot;

SET SESSION AUTHORIZATION ag_nn_bot;
CREATE TABLE nn.t (id int PRIMARY KEY, name text NOT NULL, note text);
INSERT INTO nn.t VALUES (1, 'a', 'x');
-- adding a NOT NULL is harmless
ALTER TABLE nn.t ALTER COLUMN note SET NOT NULL;
-- dropping one is blocked, alone or next to a harmless subcommand
ALTER TABLE nn.t ALTER COLUMN name DROP NOT NULL;
ALTER TABLE nn.t ADD COLUMN extra int, ALTER COLUMN note DROP NOT NULL;
-- by the constraint's name (PostgreSQL 18): the same verdict, like every DROP CONSTRAINT
ALTER TABLE nn.t DROP CONSTRAINT t_name_not_null;
ALTER TABLE nn.t DROP CONSTRAINT IF EXISTS t_note_not_null;
-- the primary key's column
ALTER TABLE nn.t ALTER COLUMN id DROP NOT NULL;
-- through a DO block
DO $$ BEGIN EXECUTE 'ALTER TABLE nn.t ALTER COLUMN name DROP NOT NULL'; END $$;
RESET SESSION AUTHORIZATION;

-- Nothing changed: every column is still NOT NULL.
SELECT attname, attnotnull FROM pg_attribute
 WHERE attrelid = 'nn.t'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;

-- A human drops one as before.
ALTER TABLE nn.t ALTER COLUMN note DROP NOT NULL;
SELECT attname, attnotnull FROM pg_attribute
 WHERE attrelid = 'nn.t'::regclass AND attname = 'note';

DROP SCHEMA nn CASCADE;
DROP OWNED BY ag_nn_bot;
DROP ROLE ag_nn_bot;
