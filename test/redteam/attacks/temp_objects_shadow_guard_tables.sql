-- Held: temporary tables and views named like the guard's own, first on the search path, change nothing.
-- as: owner superuser
CREATE TEMP TABLE token_store (id bigint, statement_hash bytea, secret_hash bytea, uses_left int, revoked bool,
                               agent_oid oid, database_oid oid, object_oids oid[], expires_at timestamptz);
INSERT INTO token_store VALUES (1, '\x00', sha256(convert_to(repeat('a', 40), 'UTF8')), 9, false, 0, 0, NULL, 'infinity');
CREATE TEMP VIEW pending AS SELECT 1 AS id;
CREATE TEMP TABLE requests (id bigint);
SET search_path = pg_temp, agentguard, public;
SET agentguard.token = 'agt_1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
DROP TABLE app.orders CASCADE;
CREATE FUNCTION pg_temp.sha256(bytea) RETURNS bytea LANGUAGE sql AS $$ SELECT '\x00'::bytea $$;
DROP TABLE app.orders CASCADE;
-- expect: is blocked
