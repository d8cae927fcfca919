-- An approval means exactly what the human approved (SPEC §5): the request records the statement's reach
-- when it was blocked (CASCADE, DROP OWNED, inheritance and partitions), a token is refused once the
-- statement reaches more, non-table drops and grant_token() bind to objects, the agent is told why a
-- token did not apply and that a human denied its statement, permission errors come before the guard.
--
-- Runs without a wrapping transaction: blocked statements get their requests from the audit worker,
-- which must see the committed objects. Everything is dropped at the end. The session logs in as the
-- test superuser and is guarded after SET ROLE to an agent; tokens are bound to that login role.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
SET client_min_messages = warning;

SELECT plan(32);

CREATE ROLE ag_ts_bot LOGIN;
GRANT agentguard_agent TO ag_ts_bot;
CREATE SCHEMA ag_ts;
GRANT USAGE ON SCHEMA ag_ts TO PUBLIC;
CREATE SCHEMA ag_ts1 AUTHORIZATION ag_ts_bot;
CREATE SCHEMA ag_ts2 AUTHORIZATION ag_ts_bot;
CREATE SCHEMA ag_ts3 AUTHORIZATION ag_ts_bot;
CREATE SCHEMA ag_ts4 AUTHORIZATION ag_ts_bot;
CREATE SCHEMA ag_ts_human;
GRANT USAGE ON SCHEMA ag_ts_human TO ag_ts_bot;

-- 'ok', or SQLSTATE: message | detail of the error.
CREATE FUNCTION ag_ts.run(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || ' | ' || coalesce(d, '');
END $$;
CREATE FUNCTION ag_ts.req(result text) RETURNS bigint LANGUAGE sql AS
    $$ SELECT substring(result FROM 'Request id: ([0-9]+)')::bigint $$;
-- Waits (at most 10 s) until the audit worker wrote the request; its objects.
CREATE FUNCTION ag_ts.objects_of(id bigint) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE o text[];
BEGIN
    FOR i IN 1..200 LOOP
        SELECT p.objects INTO o FROM agentguard.pending p WHERE p.id = objects_of.id;
        IF FOUND THEN RETURN o; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN NULL;
END $$;
CREATE FUNCTION ag_ts.uses_left(tok text) RETURNS integer LANGUAGE sql AS
    $$ SELECT uses_left FROM agentguard.tokens WHERE id = split_part(tok, '_', 2)::bigint $$;

SET ROLE ag_ts_bot;
CREATE TABLE ag_ts1.a (id int PRIMARY KEY);
CREATE TABLE ag_ts1.b (a_id int REFERENCES ag_ts1.a);
INSERT INTO ag_ts1.a VALUES (1), (2);
INSERT INTO ag_ts1.b VALUES (1);
CREATE TABLE ag_ts2.t1 (i int);
CREATE TABLE ag_ts1.moved (i int);
INSERT INTO ag_ts1.moved VALUES (1);
CREATE TABLE ag_ts1.parent (i int);
INSERT INTO ag_ts1.parent VALUES (1);
CREATE TABLE ag_ts1.pt (i int) PARTITION BY RANGE (i);
CREATE TABLE ag_ts1.pt_1 PARTITION OF ag_ts1.pt FOR VALUES FROM (0) TO (10);
CREATE FUNCTION ag_ts3.f() RETURNS int LANGUAGE sql AS 'SELECT 3';
CREATE FUNCTION ag_ts4.f() RETURNS int LANGUAGE sql AS 'SELECT 4';
CREATE TABLE ag_ts1.den (i int);
CREATE TABLE ag_ts1.reasons (i int);
RESET ROLE;
CREATE TABLE ag_ts_human.notmine (i int, j int);
INSERT INTO ag_ts_human.notmine VALUES (1, 1);
GRANT SELECT ON ag_ts_human.notmine TO ag_ts_bot;

-- TRUNCATE ... CASCADE approved, then a new table with a foreign key ---------------------------------
SET ROLE ag_ts_bot;
SELECT ag_ts.run('TRUNCATE ag_ts1.a CASCADE') AS r \gset
RESET ROLE;
SELECT ag_ts.req(:'r') AS trunc_req \gset
SELECT ok('ag_ts1.b' = ANY (ag_ts.objects_of(:trunc_req)),
          'truncate_cascade_reach_shown: agentguard.pending lists the table the cascade reaches');
SELECT agentguard.approve(:trunc_req) AS trunc_tok \gset
SET ROLE ag_ts_bot;
CREATE TABLE ag_ts1.c (a_id int REFERENCES ag_ts1.a);
INSERT INTO ag_ts1.c VALUES (2);
SET agentguard.token = :'trunc_tok';
SELECT ag_ts.run('TRUNCATE ag_ts1.a CASCADE') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r'::text, '^ZG001: ', 'truncate_cascade_new_fk_table: an approved TRUNCATE CASCADE whose reach grew is refused');
SELECT matches(:'r'::text, 'Request id: [0-9]+', 'truncate_cascade_new_fk_table: and gets a new request');
SELECT ok('ag_ts1.c' = ANY (ag_ts.objects_of(ag_ts.req(:'r'))),
          'truncate_cascade_new_fk_table: the new request shows the new table');
SELECT is((SELECT count(*)::int FROM ag_ts1.c), 1, 'truncate_cascade_new_fk_table: the new table keeps its rows');
SELECT is(ag_ts.uses_left(:'trunc_tok'), 1, 'truncate_cascade_new_fk_table: the token is not used up');

-- DROP SCHEMA ... CASCADE approved, then another table moved into the schema ----------------------------
SET ROLE ag_ts_bot;
SELECT ag_ts.run('DROP SCHEMA ag_ts2 CASCADE') AS r \gset
RESET ROLE;
SELECT agentguard.approve(ag_ts.req(:'r')) AS schema_tok \gset
SET ROLE ag_ts_bot;
ALTER TABLE ag_ts1.moved SET SCHEMA ag_ts2;
SET agentguard.token = :'schema_tok';
SELECT ag_ts.run('DROP SCHEMA ag_ts2 CASCADE') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r'::text, '^ZG001: ', 'drop_schema_cascade_table_moved_in: refused once another table was moved in');
SELECT ok('ag_ts2.moved' = ANY (ag_ts.objects_of(ag_ts.req(:'r'))),
          'drop_schema_cascade_table_moved_in: the new request shows the moved table');
SELECT ok(to_regclass('ag_ts2.moved') IS NOT NULL, 'drop_schema_cascade_table_moved_in: nothing was dropped');

-- New inheritance child, new partition ----------------------------------------------------------------
SET ROLE ag_ts_bot;
SELECT ag_ts.run('TRUNCATE ag_ts1.parent') AS r \gset
RESET ROLE;
SELECT agentguard.approve(ag_ts.req(:'r')) AS inh_tok \gset
SET ROLE ag_ts_bot;
CREATE TABLE ag_ts1.kid () INHERITS (ag_ts1.parent);
INSERT INTO ag_ts1.kid VALUES (7);
SET agentguard.token = :'inh_tok';
SELECT ag_ts.run('TRUNCATE ag_ts1.parent') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r'::text, '^ZG001: ', 'truncate_new_inheritance_child: refused once a child table was added');
SELECT is((SELECT count(*)::int FROM ag_ts1.kid), 1, 'truncate_new_inheritance_child: the child keeps its rows');

SET ROLE ag_ts_bot;
SELECT ag_ts.run('DROP TABLE ag_ts1.pt') AS r \gset
RESET ROLE;
SELECT agentguard.approve(ag_ts.req(:'r')) AS part_tok \gset
SET ROLE ag_ts_bot;
CREATE TABLE ag_ts1.pt_2 PARTITION OF ag_ts1.pt FOR VALUES FROM (10) TO (20);
SET agentguard.token = :'part_tok';
SELECT ag_ts.run('DROP TABLE ag_ts1.pt') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r'::text, '^ZG001: ', 'drop_partitioned_new_partition: refused once a partition was added');
SELECT ok(to_regclass('ag_ts1.pt_2') IS NOT NULL, 'drop_partitioned_new_partition: nothing was dropped');

-- DROP FUNCTION f() under another search_path -----------------------------------------------------------
SET ROLE ag_ts_bot;
SET search_path = ag_ts3;
SELECT ag_ts.run('DROP FUNCTION f()') AS r \gset
RESET search_path;
RESET ROLE;
SELECT agentguard.approve(ag_ts.req(:'r')) AS fn_tok \gset
SET ROLE ag_ts_bot;
SET search_path = ag_ts4;
SET agentguard.token = :'fn_tok';
SELECT ag_ts.run('DROP FUNCTION f()') AS r_other \gset
SET search_path = ag_ts3;
SELECT ag_ts.run('DROP FUNCTION f()') AS r_same \gset
RESET agentguard.token;
RESET search_path;
RESET ROLE;
SELECT matches(:'r_other'::text, '^ZG001: ', 'drop_function_other_search_path: the token does not drop another schema''s f()');
SELECT ok(to_regprocedure('ag_ts4.f()') IS NOT NULL, 'drop_function_other_search_path: ag_ts4.f() still exists');
SELECT is(:'r_same'::text, 'ok', 'drop_function_other_search_path: the approved function is dropped');

-- grant_token() resolves with the agent role's own search_path -------------------------------------------
CREATE FUNCTION ag_ts3.g() RETURNS int LANGUAGE sql AS 'SELECT 3';
CREATE FUNCTION ag_ts4.g() RETURNS int LANGUAGE sql AS 'SELECT 4';
ALTER FUNCTION ag_ts3.g() OWNER TO ag_ts_bot;
ALTER FUNCTION ag_ts4.g() OWNER TO ag_ts_bot;
SELECT format('ALTER ROLE %I IN DATABASE %I SET search_path = ag_ts4', session_user, current_database()) AS set_path \gset
SELECT format('ALTER ROLE %I IN DATABASE %I RESET search_path', session_user, current_database()) AS reset_path \gset
:set_path;
SET search_path = ag_ts3, public;   -- the approver's own path must not matter
SELECT agentguard.grant_token(session_user::regrole, 'DROP FUNCTION g()') AS g_tok \gset
SELECT ag_ts.run('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE no_such_table'')') AS r_missing \gset
RESET search_path;
:reset_path;
SET ROLE ag_ts_bot;
SET agentguard.token = :'g_tok';
SET search_path = ag_ts3;
SELECT ag_ts.run('DROP FUNCTION g()') AS r_g3 \gset
SET search_path = ag_ts4;
SELECT ag_ts.run('DROP FUNCTION g()') AS r_g4 \gset
RESET search_path;
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r_g3'::text, '^ZG001: ', 'grant_token_binds_objects: a granted DROP FUNCTION g() does not drop the approver''s g()');
SELECT is(:'r_g4'::text, 'ok', 'grant_token_binds_objects: it drops the g() the agent''s own search_path finds');
SELECT matches(:'r_missing'::text, '^42704: ', 'grant_token_unresolvable: a statement naming a missing object is refused');

-- Why a token did not apply ---------------------------------------------------------------------------
SELECT agentguard.grant_token(session_user::regrole, 'DROP TABLE ag_ts1.reasons', '10 minutes', 2) AS rs_tok \gset
SET ROLE ag_ts_bot;
SET agentguard.token = 'agt_nonsense';
SELECT ag_ts.run('DROP TABLE ag_ts1.reasons') AS r_malformed \gset
SET agentguard.token = :'rs_tok';
SELECT ag_ts.run('DROP TABLE ag_ts1.den') AS r_other_stmt \gset
SELECT set_config('agentguard.token', regexp_replace(:'rs_tok', '.$', CASE WHEN right(:'rs_tok', 1) = '0' THEN '1' ELSE '0' END), false) AS x \gset
SELECT ag_ts.run('DROP TABLE ag_ts1.reasons') AS r_wrong_secret \gset
RESET ROLE;
UPDATE agentguard.token_store SET expires_at = clock_timestamp() - interval '1 minute'
 WHERE id = split_part(:'rs_tok', '_', 2)::bigint;
SET ROLE ag_ts_bot;
SET agentguard.token = :'rs_tok';
SELECT ag_ts.run('DROP TABLE ag_ts1.reasons') AS r_expired \gset
RESET ROLE;
UPDATE agentguard.token_store SET expires_at = clock_timestamp() + interval '1 minute',
       agent_oid = 'ag_ts_bot'::regrole WHERE id = split_part(:'rs_tok', '_', 2)::bigint;
SET ROLE ag_ts_bot;
SELECT ag_ts.run('DROP TABLE ag_ts1.reasons') AS r_other_role \gset
RESET ROLE;
UPDATE agentguard.token_store SET agent_oid = (SELECT oid FROM pg_roles WHERE rolname = session_user)
 WHERE id = split_part(:'rs_tok', '_', 2)::bigint;
SELECT agentguard.revoke_token(split_part(:'rs_tok', '_', 2)::bigint) AS x \gset
SET ROLE ag_ts_bot;
SELECT ag_ts.run('DROP TABLE ag_ts1.reasons') AS r_revoked \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r_malformed'::text, 'token in agentguard.token was not used: it is malformed', 'token_failure_reason: malformed');
SELECT matches(:'r_other_stmt'::text, 'was not used: it was approved for another statement', 'token_failure_reason: another statement');
SELECT matches(:'r_wrong_secret'::text, 'was not used: it is not a valid token', 'token_failure_reason: a wrong secret says nothing about the token');
SELECT matches(:'r_expired'::text, 'was not used: it expired at ', 'token_failure_reason: expired');
SELECT matches(:'r_other_role'::text, 'was not used: it was issued to another role', 'token_failure_reason: another role');
SELECT matches(:'r_revoked'::text, 'was not used: it was revoked', 'token_failure_reason: revoked');

-- A fully upper-cased token is the same token -----------------------------------------------------------
SELECT agentguard.grant_token(session_user::regrole, 'DROP TABLE ag_ts1.reasons') AS up_tok \gset
SET ROLE ag_ts_bot;
SELECT set_config('agentguard.token', upper(:'up_tok'), false) AS x \gset
SELECT ag_ts.run('DROP TABLE ag_ts1.reasons') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT is(:'r'::text, 'ok', 'token_upper_cased: a fully upper-cased valid token is accepted');

-- A denial reaches the agent ----------------------------------------------------------------------------
SET ROLE ag_ts_bot;
SELECT ag_ts.run('DROP TABLE ag_ts1.den') AS r \gset
RESET ROLE;
SELECT ag_ts.objects_of(ag_ts.req(:'r')) AS x \gset
SELECT agentguard.deny(ag_ts.req(:'r'), 'too broad') AS x \gset
SET ROLE ag_ts_bot;
SELECT ag_ts.run('DROP TABLE ag_ts1.den') AS r \gset
RESET ROLE;
SELECT matches(:'r'::text, 'denied this statement on .* because: too broad\. Do not retry it\.',
               'denied_statement_retried: the agent is told a human denied it, and why');

-- approve() in a read-only transaction -----------------------------------------------------------------
BEGIN READ ONLY;
SELECT ag_ts.run(format('SELECT agentguard.approve(%s)', ag_ts.req(:'r'))) AS r_ro \gset
COMMIT;
SELECT matches(:'r_ro'::text, '^25006: cannot call agentguard.approve\(\) in a read-only transaction',
               'approve_in_read_only_transaction: a clear error');

-- Permission errors come before the guard ---------------------------------------------------------------
SET ROLE ag_ts_bot;
SELECT ag_ts.run('DROP TABLE ag_ts_human.notmine') AS r_drop \gset
SELECT ag_ts.run('TRUNCATE ag_ts_human.notmine') AS r_trunc \gset
SELECT ag_ts.run('ALTER TABLE ag_ts_human.notmine DROP COLUMN j') AS r_alter \gset
SELECT ag_ts.run('DELETE FROM ag_ts_human.notmine') AS r_delete \gset
RESET ROLE;
SELECT matches(:'r_drop'::text, '^42501: ', 'not_owner_drop: PostgreSQL''s permission error, no request');
SELECT matches(:'r_trunc'::text, '^42501: ', 'no_privilege_truncate: PostgreSQL''s permission error, no request');
SELECT matches(:'r_alter'::text, '^42501: ', 'not_owner_alter_table: PostgreSQL''s permission error, no request');
SELECT matches(:'r_delete'::text, '^42501: ', 'unqualified_delete_without_privilege: the permission error comes before the unqualified refusal');

SELECT * FROM finish();

-- Clean up ---------------------------------------------------------------------------------------------
DROP SCHEMA ag_ts, ag_ts1, ag_ts2, ag_ts3, ag_ts4, ag_ts_human CASCADE;
DROP OWNED BY ag_ts_bot;
DROP ROLE ag_ts_bot;
