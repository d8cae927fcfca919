-- A token approves the over-limit rows of the tables its request named, nothing else (SPEC §5): every
-- other table the same statement changes — a writable CTE, a foreign-key cascade, a trigger's function,
-- even one rewritten after the approval — is still counted against its own limit, and blocking on it makes
-- a new request that names both tables.
--
-- Runs without a wrapping transaction (the audit worker must see the committed tables); everything is
-- dropped at the end. The session logs in as the test superuser and is guarded after SET ROLE.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
SET client_min_messages = warning;

SELECT plan(13);

CREATE ROLE ag_tp_bot LOGIN;
GRANT agentguard_agent TO ag_tp_bot;
CREATE SCHEMA ag_tpx;
GRANT USAGE ON SCHEMA ag_tpx TO PUBLIC;
CREATE SCHEMA ag_tp AUTHORIZATION ag_tp_bot;

CREATE FUNCTION ag_tpx.run(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || ' | ' || coalesce(d, '');
END $$;
CREATE FUNCTION ag_tpx.req(result text) RETURNS bigint LANGUAGE sql AS
    $$ SELECT substring(result FROM 'Request id: ([0-9]+)')::bigint $$;
CREATE FUNCTION ag_tpx.objects_of(id bigint) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE o text[];
BEGIN
    FOR i IN 1..200 LOOP
        SELECT p.objects INTO o FROM agentguard.pending p WHERE p.id = objects_of.id;
        IF FOUND THEN RETURN o; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN NULL;
END $$;

SET ROLE ag_tp_bot;
CREATE TABLE ag_tp.a (id int PRIMARY KEY);
CREATE TABLE ag_tp.b (id int PRIMARY KEY);
INSERT INTO ag_tp.a SELECT generate_series(1, 3000);
INSERT INTO ag_tp.b SELECT generate_series(1, 6000);
CREATE TABLE ag_tp.pa (id int PRIMARY KEY);
CREATE TABLE ag_tp.ch (pa_id int REFERENCES ag_tp.pa ON DELETE CASCADE);
INSERT INTO ag_tp.pa SELECT generate_series(1, 3000);
INSERT INTO ag_tp.ch SELECT g FROM generate_series(1, 3000) g, generate_series(1, 3);
CREATE TABLE ag_tp.t (id int PRIMARY KEY);
CREATE TABLE ag_tp.c (id int PRIMARY KEY);
INSERT INTO ag_tp.t SELECT generate_series(1, 3000);
INSERT INTO ag_tp.c SELECT generate_series(1, 6000);
CREATE FUNCTION ag_tp.side() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN DELETE FROM ag_tp.c WHERE false; RETURN NULL; END $$;
CREATE TRIGGER side AFTER DELETE ON ag_tp.t FOR EACH STATEMENT EXECUTE FUNCTION ag_tp.side();
RESET ROLE;

-- A writable CTE on b inside the approved DELETE on a ------------------------------------------------
\set cte 'WITH x AS (DELETE FROM ag_tp.b WHERE id <= 5000) DELETE FROM ag_tp.a WHERE id <= 2000'
SET ROLE ag_tp_bot;
SELECT ag_tpx.run(:'cte') AS r \gset
RESET ROLE;
SELECT ok(ag_tpx.objects_of(ag_tpx.req(:'r')) = ARRAY['ag_tp.a'], 'writable_cte_other_table: blocked first on a alone');
SELECT agentguard.approve(ag_tpx.req(:'r')) AS tok \gset
SET ROLE ag_tp_bot;
SET agentguard.token = :'tok';
SELECT ag_tpx.run(:'cte') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r'::text, '^ZG001: DELETE on ag_tp.b, ag_tp.a would change more than',
               'writable_cte_other_table: a token for 2,000 rows of a does not let a CTE delete 5,000 rows of b');
SELECT ok(ARRAY['ag_tp.a', 'ag_tp.b'] <@ ag_tpx.objects_of(ag_tpx.req(:'r')),
          'writable_cte_other_table: the new request names both tables');
SELECT is((SELECT count(*)::int FROM ag_tp.b), 6000, 'writable_cte_other_table: b keeps its rows');
SELECT agentguard.approve(ag_tpx.req(:'r')) AS tok \gset
SET ROLE ag_tp_bot;
SET agentguard.token = :'tok';
SELECT ag_tpx.run(:'cte') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT is(:'r'::text, 'ok', 'writable_cte_other_table: the request naming both lets the statement through');
SELECT is((SELECT count(*)::int FROM ag_tp.b), 1000, 'writable_cte_other_table: and it ran');

-- A foreign-key cascade into a child table -------------------------------------------------------------
SET ROLE ag_tp_bot;
SELECT ag_tpx.run('DELETE FROM ag_tp.pa WHERE id <= 2000') AS r \gset
RESET ROLE;
SELECT agentguard.approve(ag_tpx.req(:'r')) AS tok \gset
SET ROLE ag_tp_bot;
SET agentguard.token = :'tok';
SELECT ag_tpx.run('DELETE FROM ag_tp.pa WHERE id <= 2000') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r'::text, '^ZG001: DELETE on ag_tp.ch, ag_tp.pa would change more than',
               'cascade_into_child_table: the cascade into ch is counted against ch''s own limit');
SELECT ok(ARRAY['ag_tp.pa', 'ag_tp.ch'] <@ ag_tpx.objects_of(ag_tpx.req(:'r')),
          'cascade_into_child_table: the new request names both tables');
SELECT is((SELECT count(*)::int FROM ag_tp.ch), 9000, 'cascade_into_child_table: ch keeps its rows');

-- A trigger's function deleting from c, rewritten after the approval ---------------------------------
SET ROLE ag_tp_bot;
SELECT ag_tpx.run('DELETE FROM ag_tp.t WHERE id <= 2000') AS r \gset
RESET ROLE;
SELECT agentguard.approve(ag_tpx.req(:'r'), uses => 2) AS tok \gset
SET ROLE ag_tp_bot;
CREATE OR REPLACE FUNCTION ag_tp.side() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN DELETE FROM ag_tp.c WHERE id <= 5000; RETURN NULL; END $$;
SET agentguard.token = :'tok';
SELECT ag_tpx.run('DELETE FROM ag_tp.t WHERE id <= 2000') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT matches(:'r'::text, '^ZG001: DELETE on ag_tp.c, ag_tp.t would change more than',
               'trigger_function_rewritten_after_approval: the function''s rows in c are counted against c''s limit');
SELECT ok(ARRAY['ag_tp.t', 'ag_tp.c'] <@ ag_tpx.objects_of(ag_tpx.req(:'r')),
          'trigger_function_rewritten_after_approval: the new request names both tables');
SELECT is((SELECT count(*)::int FROM ag_tp.c), 6000, 'trigger_function_rewritten_after_approval: c keeps its rows');
SET ROLE ag_tp_bot;
CREATE OR REPLACE FUNCTION ag_tp.side() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN DELETE FROM ag_tp.c WHERE false; RETURN NULL; END $$;
SET agentguard.token = :'tok';
SELECT ag_tpx.run('DELETE FROM ag_tp.t WHERE id <= 2000') AS r \gset
RESET agentguard.token;
RESET ROLE;
SELECT is(:'r'::text, 'ok', 'trigger_function_rewritten_after_approval: the approved rows of t alone still go through');

SELECT * FROM finish();

DROP SCHEMA ag_tpx, ag_tp CASCADE;
DROP OWNED BY ag_tp_bot;
DROP ROLE ag_tp_bot;
