-- Approvals and tokens (SPEC §5): approve, deny, grant_token, revoke_token with good and bad input, and
-- what a token lets through — exactly the approved statement, on the same objects, from the same login
-- role, in the same database, before it expires, as many times as approved, only while not revoked.
--
-- Everything runs in one transaction that is rolled back at the end (roles included). Pending requests
-- are inserted directly (as the audit worker would write them), with the statement hash computed by SQL's
-- sha256() over the normalised text: the extension must hash the same way.
--
-- The session logs in as the test superuser; it becomes guarded with SET ROLE to an agent. Tokens are
-- bound to the login role, so the "right role" below is session_user. What an agent does is captured in
-- psql variables and checked after RESET ROLE (pgTAP's own tables belong to the test user).

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
SET client_min_messages = warning;

SELECT plan(117);

-- Roles and objects -----------------------------------------------------------------------------------
CREATE ROLE ag_ap_bot LOGIN;
GRANT agentguard_agent TO ag_ap_bot;
CREATE ROLE ag_ap_superbot SUPERUSER LOGIN;
GRANT agentguard_agent TO ag_ap_superbot;
CREATE ROLE ag_ap_human LOGIN;
GRANT agentguard_approver TO ag_ap_human;
CREATE ROLE ag_ap_nobody LOGIN;
CREATE ROLE ag_ap_group NOLOGIN;

CREATE SCHEMA ag_ap1 AUTHORIZATION ag_ap_bot;
CREATE SCHEMA ag_ap2 AUTHORIZATION ag_ap_bot;
CREATE SCHEMA ag_ap_t;
GRANT USAGE ON SCHEMA ag_ap_t TO PUBLIC;

-- A pending request as the worker records it. stmt must already be in normalised form.
CREATE FUNCTION ag_ap_t.req(stmt text, objs oid[] DEFAULT NULL, agent_role oid DEFAULT NULL,
                            db oid DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO agentguard.requests (id, requested_at, agent, agent_oid, database_oid, command, statement,
                                     statement_hash, object_oids, reason)
    VALUES (nextval('agentguard.request_id_seq'), clock_timestamp(),
            coalesce((SELECT rolname FROM pg_roles WHERE oid = agent_role), session_user),
            coalesce(agent_role, (SELECT oid FROM pg_roles WHERE rolname = session_user)),
            coalesce(db, (SELECT oid FROM pg_database WHERE datname = current_database())),
            split_part(stmt, ' ', 1), stmt, sha256(convert_to(stmt, 'UTF8')), objs, 'test request')
    RETURNING id
$$;

-- Runs sql; 'ok' or the SQLSTATE of its error.
CREATE FUNCTION ag_ap_t.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;

-- Runs sql; 'ok' or the SQLSTATE and message of its error.
CREATE FUNCTION ag_ap_t.try_msg(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE FUNCTION ag_ap_t.rel_exists(name text) RETURNS boolean LANGUAGE sql AS
    $$ SELECT to_regclass(name) IS NOT NULL $$;

-- One table per scenario, owned by the agent so that only the guard stands in its way.
SET ROLE ag_ap_bot;
CREATE TABLE ag_ap1.ok_t (i int);
CREATE TABLE ag_ap1.ws_t (i int);
CREATE TABLE ag_ap1.bad_t (i int);
CREATE TABLE ag_ap1.role_t (i int);
CREATE TABLE ag_ap1.db_t (i int);
CREATE TABLE ag_ap1.other_t (i int);
CREATE TABLE ag_ap1.victim (i int);
CREATE TABLE ag_ap2.victim (i int);
CREATE TABLE ag_ap1.re_t (i int);
CREATE TABLE ag_ap1.exp_t (i int);
CREATE TABLE ag_ap1.rev_t (i int);
CREATE TABLE ag_ap1.once_t (i int);
CREATE TABLE ag_ap1.twice_t (i int);
CREATE TABLE ag_ap1.granted_t (i int);
INSERT INTO ag_ap1.once_t VALUES (1), (2), (3);
INSERT INTO ag_ap1.twice_t VALUES (1), (2), (3);
RESET ROLE;

SELECT oid AS login_oid FROM pg_roles WHERE rolname = session_user \gset

-- Objects of the extension ------------------------------------------------------------------------------
SELECT has_function('agentguard', 'approve', ARRAY['bigint', 'interval', 'integer'], 'approve() exists');
SELECT has_function('agentguard', 'deny', ARRAY['bigint', 'text'], 'deny() exists');
SELECT has_function('agentguard', 'grant_token', ARRAY['regrole', 'text', 'interval', 'integer'], 'grant_token() exists');
SELECT has_function('agentguard', 'revoke_token', ARRAY['bigint'], 'revoke_token() exists');
SELECT columns_are('agentguard', 'pending', ARRAY['id', 'requested_at', 'agent', 'database', 'command', 'statement',
                                                 'objects', 'reason', 'expires_at',
                                                 'last_preview_at', 'last_preview'],
                   'pending has the documented columns');
SELECT columns_are('agentguard', 'tokens', ARRAY['id', 'request_id', 'agent', 'statement', 'created_by',
                   'created_at', 'expires_at', 'uses_left', 'revoked'], 'tokens never shows the secret hash');
SELECT is((SELECT count(*)::int FROM pg_extension e, unnest(e.extconfig) c
            WHERE e.extname = 'pg_agentguard'
              AND c IN ('agentguard.audit_log'::regclass, 'agentguard.requests'::regclass,
                        'agentguard.token_store'::regclass, 'agentguard.request_id_seq'::regclass)),
          4, 'records and the request sequence are extension configuration (pg_dump keeps them)');
SELECT ok(NOT has_function_privilege('public', 'agentguard.approve(bigint, interval, integer)', 'EXECUTE'),
          'PUBLIC cannot execute approve()');
SELECT ok(has_function_privilege('agentguard_approver', 'agentguard.approve(bigint, interval, integer)', 'EXECUTE'),
          'approvers can execute approve()');
SELECT ok(NOT has_table_privilege('agentguard_agent', 'agentguard.token_store', 'SELECT')
          AND NOT has_table_privilege('agentguard_agent', 'agentguard.tokens', 'SELECT'),
          'agents have no SELECT on the token data');
SELECT ok(has_table_privilege('agentguard_approver', 'agentguard.tokens', 'SELECT')
          AND has_table_privilege('agentguard_approver', 'agentguard.pending', 'SELECT')
          AND NOT has_table_privilege('agentguard_approver', 'agentguard.token_store', 'SELECT'),
          'approvers read the views, not the secret hashes');

-- approve(): bad input ----------------------------------------------------------------------------------
SELECT ag_ap_t.req('DROP TABLE ag_ap1.ok_t', ARRAY['ag_ap1.ok_t'::regclass::oid]) AS ok_id \gset

SELECT throws_ok('SELECT agentguard.approve(NULL)', '22004', 'request_id must not be NULL', 'approve(NULL)');
SELECT throws_ok('SELECT agentguard.approve(0)', '22023', NULL, 'approve(0)');
SELECT throws_ok('SELECT agentguard.approve(-7)', '22023', NULL, 'approve(negative)');
SELECT throws_ok(format('SELECT agentguard.approve(%s, NULL)', :ok_id), '22004', NULL, 'approve: valid_for NULL');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''0 seconds'')', :ok_id), '22023',
                 'valid_for must be a positive interval', 'approve: valid_for zero');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''-5 minutes'')', :ok_id), '22023', NULL,
                 'approve: valid_for negative');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''1 day -25 hours'')', :ok_id), '22023', NULL,
                 'approve: valid_for negative overall (mixed signs)');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''25 hours'')', :ok_id), '22023',
                 'valid_for must not exceed agentguard.max_valid_for (1d)', 'approve: valid_for over the cap');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''1 mon'')', :ok_id), '22023', NULL,
                 'approve: a month is over the default cap');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''100000 years'')', :ok_id), '22023', NULL,
                 'approve: absurd valid_for is refused, not overflowed');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''1 min'', NULL)', :ok_id), '22004', NULL, 'approve: uses NULL');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''1 min'', 0)', :ok_id), '22023', NULL, 'approve: uses zero');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''1 min'', -1)', :ok_id), '22023', NULL, 'approve: uses negative');
SELECT throws_ok(format('SELECT agentguard.approve(%s, ''1 min'', 1001)', :ok_id), '22023', NULL, 'approve: uses over 1000');
SELECT throws_ok('SELECT agentguard.approve(999999999)', '42704', 'request 999999999 does not exist in this database',
                 'approve: an id never issued does not exist');
-- Request ids come from the cluster-wide allocator now: a value of the old per-database sequence is
-- no request, and approve() has nothing to wait for (it writes its database's queued records itself).
SELECT nextval('agentguard.request_id_seq') AS unrecorded_id \gset
SELECT throws_ok(format('SELECT agentguard.approve(%s)', :unrecorded_id), '42704',
                 format('request %s does not exist in this database', :unrecorded_id),
                 'approve: an id that is no request does not exist, without waiting');
SELECT is((SELECT status FROM agentguard.requests WHERE id = :ok_id), 'pending',
          'failed approvals leave the request pending');
SELECT is((SELECT count(*)::int FROM agentguard.token_store WHERE request_id = :ok_id), 0,
          'failed approvals create no token');

-- approve(): a good approval ----------------------------------------------------------------------------
SELECT ok(:ok_id IN (SELECT id FROM agentguard.pending), 'the request is listed in agentguard.pending');
SELECT agentguard.approve(:ok_id) AS ok_tok \gset
SELECT matches(:'ok_tok'::text, '^agt_[0-9]+_[0-9a-f]{40}$', 'the token is agt_<id>_<40 hex digits> (160 bits)');
SELECT split_part(:'ok_tok', '_', 2)::bigint AS ok_tid \gset
SELECT is((SELECT secret_hash FROM agentguard.token_store WHERE id = :ok_tid),
          sha256(convert_to(split_part(:'ok_tok', '_', 3), 'UTF8')),
          'only the SHA-256 of the secret is stored');
SELECT is((SELECT count(*)::int FROM agentguard.token_store t
            WHERE t.id = :ok_tid AND position(split_part(:'ok_tok', '_', 3) IN t::text) > 0), 0,
          'the secret itself is stored nowhere in the row');
SELECT results_eq(format('SELECT status, decided_by::text, decided_at IS NOT NULL FROM agentguard.requests WHERE id = %s', :ok_id),
                  $$ VALUES ('approved', session_user::text, true) $$, 'the request is marked approved, by whom, when');
SELECT ok(:ok_id NOT IN (SELECT id FROM agentguard.pending), 'an approved request leaves agentguard.pending');
SELECT results_eq(format('SELECT request_id, uses_left, revoked, expires_at > clock_timestamp() + interval ''14 minutes'','
                         ' expires_at <= clock_timestamp() + interval ''15 minutes'' FROM agentguard.tokens WHERE id = %s', :ok_tid),
                  format('VALUES (%s::bigint, 1, false, true, true)', :ok_id),
                  'defaults: 15 minutes, one use');
SELECT throws_ok(format('SELECT agentguard.approve(%s)', :ok_id), '55000', NULL, 'approve twice: not pending');
SELECT throws_ok(format('SELECT agentguard.deny(%s)', :ok_id), '55000', NULL, 'deny after approve: not pending');

-- The agent without, then with the token; then replay.
SET ROLE ag_ap_bot;
SELECT ag_ap_t.try('DROP TABLE ag_ap1.ok_t') AS r_none \gset
SET agentguard.token = :'ok_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.ok_t') AS r_tok \gset
RESET agentguard.token;
RESET ROLE;
SELECT is(:'r_none'::text, 'ZG001', 'without a token the statement is blocked');
SELECT is(:'r_tok'::text, 'ok', 'with the token the approved statement runs');
SELECT ok(NOT ag_ap_t.rel_exists('ag_ap1.ok_t'), 'the table is really dropped');
SELECT is((SELECT uses_left FROM agentguard.tokens WHERE id = :ok_tid), 0, 'the use is consumed');

-- Valid_for with months is converted on the calendar.
SET agentguard.max_valid_for = '40d';
SELECT ag_ap_t.req('DROP TABLE ag_ap1.other_t', ARRAY['ag_ap1.other_t'::regclass::oid]) AS mon_id \gset
SELECT split_part(agentguard.approve(:mon_id, '1 mon'), '_', 2)::bigint AS mon_tid \gset
SELECT ok((SELECT expires_at - created_at BETWEEN interval '27 days 23 hours' AND interval '31 days 1 hour'
             FROM agentguard.tokens WHERE id = :mon_tid), 'valid_for of one month lasts one calendar month');
RESET agentguard.max_valid_for;

-- deny() ------------------------------------------------------------------------------------------------
SELECT ag_ap_t.req('DROP TABLE ag_ap1.bad_t', ARRAY['ag_ap1.bad_t'::regclass::oid]) AS deny_id \gset
SELECT throws_ok('SELECT agentguard.deny(NULL)', '22004', NULL, 'deny(NULL)');
SELECT throws_ok('SELECT agentguard.deny(0)', '22023', NULL, 'deny(0)');
SELECT throws_ok('SELECT agentguard.deny(-1, ''no'')', '22023', NULL, 'deny(negative)');
SELECT throws_ok('SELECT agentguard.deny(999999998)', '42704', NULL, 'deny(unknown id)');
SELECT lives_ok(format('SELECT agentguard.deny(%s, ''too risky'')', :deny_id), 'deny a pending request');
SELECT results_eq(format('SELECT status, deny_reason, decided_by::text FROM agentguard.requests WHERE id = %s', :deny_id),
                  $$ VALUES ('denied', 'too risky', session_user::text) $$, 'denied with reason and decider');
SELECT throws_ok(format('SELECT agentguard.deny(%s)', :deny_id), '55000', NULL, 'deny twice: not pending');
SELECT throws_ok(format('SELECT agentguard.approve(%s)', :deny_id), '55000',
                 format('request %s is not pending: it was already denied', :deny_id), 'approve after deny: not pending');
SELECT ag_ap_t.req('DROP TABLE ag_ap1.bad_t', NULL) AS deny2_id \gset
SELECT lives_ok(format('SELECT agentguard.deny(%s)', :deny2_id), 'deny without a reason');

-- Tokens that must not match ----------------------------------------------------------------------------
-- wrong statement
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE ag_ap1.other_t', ARRAY['ag_ap1.other_t'::regclass::oid])) AS other_tok \gset
-- wrong login role (bound to the agent role, but this session logged in as another role)
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE ag_ap1.role_t', ARRAY['ag_ap1.role_t'::regclass::oid],
                                      'ag_ap_bot'::regrole::oid)) AS role_tok \gset
-- wrong database: approve() refuses a request recorded for another database ...
SELECT ag_ap_t.req('DROP TABLE ag_ap1.db_t', ARRAY['ag_ap1.db_t'::regclass::oid], NULL,
                   (SELECT oid FROM pg_database WHERE datname = 'template1')) AS db_req \gset
SELECT throws_ok(format('SELECT agentguard.approve(%s)', :db_req), '55000', NULL,
                 'approve: a request of another database is refused');
-- ... so a token of this database is moved to another one by hand
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE ag_ap1.db_t', ARRAY['ag_ap1.db_t'::regclass::oid])) AS db_tok \gset
UPDATE agentguard.token_store SET database_oid = (SELECT oid FROM pg_database WHERE datname = 'template1')
 WHERE id = split_part(:'db_tok', '_', 2)::bigint;
-- objects: search_path and a recreated table
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE victim', ARRAY['ag_ap1.victim'::regclass::oid])) AS sp_tok \gset
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE ag_ap1.re_t', ARRAY['ag_ap1.re_t'::regclass::oid])) AS re_tok \gset
DROP TABLE ag_ap1.re_t;
CREATE TABLE ag_ap1.re_t (i int);
ALTER TABLE ag_ap1.re_t OWNER TO ag_ap_bot;
-- expired
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE ag_ap1.exp_t', ARRAY['ag_ap1.exp_t'::regclass::oid]), '1 second') AS exp_tok \gset
-- revoked
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE ag_ap1.rev_t', ARRAY['ag_ap1.rev_t'::regclass::oid])) AS rev_tok \gset
SELECT split_part(:'rev_tok', '_', 2)::bigint AS rev_tid \gset
-- a valid token whose secret is altered, truncated, or presented with another id
SELECT agentguard.approve(ag_ap_t.req('DROP TABLE ag_ap1.bad_t', ARRAY['ag_ap1.bad_t'::regclass::oid])) AS bad_tok \gset
SELECT split_part(:'bad_tok', '_', 2) AS bad_tid, split_part(:'bad_tok', '_', 3) AS bad_secret \gset

SELECT is(agentguard.revoke_token(:rev_tid), true, 'revoke_token of an active token returns true');
SELECT pg_sleep(1.3);

SET ROLE ag_ap_bot;
SET agentguard.token = :'other_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.ws_t') AS r_wrong_stmt \gset
SET agentguard.token = :'role_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.role_t') AS r_wrong_role \gset
SET agentguard.token = :'db_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.db_t') AS r_wrong_db \gset
SET agentguard.token = :'sp_tok';
SET search_path = ag_ap2, public;
SELECT ag_ap_t.try('DROP TABLE victim') AS r_wrong_path \gset
SET agentguard.token = :'re_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.re_t') AS r_recreated \gset
SET agentguard.token = :'exp_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.exp_t') AS r_expired \gset
SET agentguard.token = :'rev_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.rev_t') AS r_revoked \gset
SET agentguard.token = 'not a token';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.bad_t') AS r_garbage \gset
SELECT set_config('agentguard.token', left(:'bad_tok', length(:'bad_tok') - 10), false) IS NOT NULL AS x \gset
SELECT ag_ap_t.try('DROP TABLE ag_ap1.bad_t') AS r_truncated \gset
SELECT set_config('agentguard.token', left(:'bad_tok', length(:'bad_tok') - 2), false) IS NOT NULL AS x \gset
SELECT ag_ap_t.try('DROP TABLE ag_ap1.bad_t') AS r_short_secret \gset
SELECT set_config('agentguard.token', 'agt_' || :'bad_tid' || '_' ||
                  translate(:'bad_secret', '0123456789abcdef', '123456789abcdef0'), false) IS NOT NULL AS x \gset
SELECT ag_ap_t.try('DROP TABLE ag_ap1.bad_t') AS r_wrong_secret \gset
SELECT set_config('agentguard.token', 'agt_' || :rev_tid || '_' || :'bad_secret', false) IS NOT NULL AS x \gset
SELECT ag_ap_t.try('DROP TABLE ag_ap1.bad_t') AS r_wrong_id \gset
SELECT set_config('agentguard.token', 'agt_0_' || :'bad_secret', false) IS NOT NULL AS x \gset
SELECT ag_ap_t.try('DROP TABLE ag_ap1.bad_t') AS r_zero_id \gset
-- the good ones, to show the refusals above were about the token
SET agentguard.token = :'sp_tok';
SET search_path = ag_ap1, public;
SELECT ag_ap_t.try('DROP TABLE victim') AS r_right_path \gset
SELECT set_config('agentguard.token', '  agt_' || :'bad_tid' || '_' || upper(:'bad_secret') || '  ', false) IS NOT NULL AS x \gset
SELECT ag_ap_t.try('DROP TABLE ag_ap1.bad_t') AS r_upper \gset
RESET search_path;
RESET agentguard.token;
RESET ROLE;

SELECT is(:'r_wrong_stmt'::text, 'ZG001', 'a token for another statement does not match');
SELECT is(:'r_wrong_role'::text, 'ZG001', 'a token for another login role does not match');
SELECT is(:'r_wrong_db'::text, 'ZG001', 'a token for another database does not match');
SELECT is(:'r_wrong_path'::text, 'ZG001', 'same text under another search_path (other table) does not match');
SELECT is(:'r_recreated'::text, 'ZG001', 'a recreated table of the same name does not match');
SELECT is(:'r_expired'::text, 'ZG001', 'an expired token does not match (wall clock, inside one transaction)');
SELECT is(:'r_revoked'::text, 'ZG001', 'a revoked token does not match');
SELECT is(:'r_garbage'::text, 'ZG001', 'a malformed token is ignored: blocked');
SELECT is(:'r_truncated'::text, 'ZG001', 'a truncated token is refused');
SELECT is(:'r_short_secret'::text, 'ZG001', 'a token missing its last hex digits is refused');
SELECT is(:'r_wrong_secret'::text, 'ZG001', 'a wrong secret is refused');
SELECT is(:'r_wrong_id'::text, 'ZG001', 'a good secret under another token id is refused');
SELECT is(:'r_zero_id'::text, 'ZG001', 'token id 0 is refused');
SELECT ok(ag_ap_t.rel_exists('ag_ap1.ws_t') AND ag_ap_t.rel_exists('ag_ap1.role_t')
          AND ag_ap_t.rel_exists('ag_ap1.db_t') AND ag_ap_t.rel_exists('ag_ap2.victim')
          AND ag_ap_t.rel_exists('ag_ap1.re_t') AND ag_ap_t.rel_exists('ag_ap1.exp_t')
          AND ag_ap_t.rel_exists('ag_ap1.rev_t'), 'no refused statement dropped anything');
SELECT is(:'r_right_path'::text, 'ok', 'under the approved search_path the token matches');
SELECT ok(NOT ag_ap_t.rel_exists('ag_ap1.victim') AND ag_ap_t.rel_exists('ag_ap2.victim'),
          'exactly the approved table was dropped');
SELECT is(:'r_upper'::text, 'ok', 'surrounding white space and upper-case hex in the token are accepted');
SELECT is((SELECT uses_left FROM agentguard.tokens WHERE id = :'bad_tid'::bigint), 0,
          'failed presentations consumed nothing; the good one consumed its use');

-- Exactly once; rollback gives the use back; uses = 2 --------------------------------------------------
SELECT agentguard.approve(ag_ap_t.req('TRUNCATE ag_ap1.once_t', ARRAY['ag_ap1.once_t'::regclass::oid])) AS once_tok \gset
SELECT agentguard.approve(ag_ap_t.req('TRUNCATE ag_ap1.twice_t', ARRAY['ag_ap1.twice_t'::regclass::oid]), '5 min', 2) AS twice_tok \gset
SET ROLE ag_ap_bot;
SET agentguard.token = :'once_tok';
SAVEPOINT before_use;
SELECT ag_ap_t.try('TRUNCATE ag_ap1.once_t') AS r_once_rolled_back \gset
ROLLBACK TO SAVEPOINT before_use;
SELECT count(*) AS once_after_rollback FROM ag_ap1.once_t \gset
SELECT ag_ap_t.try(' TRUNCATE   ag_ap1.once_t ; ') AS r_once \gset
SELECT count(*) AS once_after_use FROM ag_ap1.once_t \gset
INSERT INTO ag_ap1.once_t VALUES (4), (5);
SELECT ag_ap_t.try('TRUNCATE ag_ap1.once_t') AS r_replay \gset
SELECT count(*) AS once_after_replay FROM ag_ap1.once_t \gset
SET agentguard.token = :'twice_tok';
SELECT ag_ap_t.try('TRUNCATE ag_ap1.twice_t') AS r_twice1 \gset
INSERT INTO ag_ap1.twice_t VALUES (1);
SELECT ag_ap_t.try('TRUNCATE ag_ap1.twice_t') AS r_twice2 \gset
INSERT INTO ag_ap1.twice_t VALUES (1), (2);
SELECT ag_ap_t.try('TRUNCATE ag_ap1.twice_t') AS r_twice3 \gset
SELECT count(*) AS twice_after FROM ag_ap1.twice_t \gset
RESET agentguard.token;
RESET ROLE;
SELECT is(:'r_once_rolled_back'::text, 'ok', 'the approved TRUNCATE ran (then was rolled back)');
SELECT is(:once_after_rollback, 3, 'the rolled-back TRUNCATE changed nothing');
SELECT is(:'r_once'::text, 'ok', 'a rolled-back use is given back: the token still works (white space ignored)');
SELECT is(:once_after_use, 0, 'the approved TRUNCATE emptied the table');
SELECT is(:'r_replay'::text, 'ZG001', 'replaying a one-use token is refused');
SELECT is(:once_after_replay, 2, 'the replay changed nothing');
SELECT is(:'r_twice1' || ',' || :'r_twice2' || ',' || :'r_twice3', 'ok,ok,ZG001', 'uses = 2: two runs, the third refused');
SELECT is(:twice_after, 2, 'the refused third run changed nothing');

-- grant_token() ------------------------------------------------------------------------------------------
SELECT throws_ok('SELECT agentguard.grant_token(NULL, ''DROP TABLE ag_ap1.granted_t'')', '22004', NULL, 'grant_token: agent NULL');
SELECT throws_ok('SELECT agentguard.grant_token(session_user::regrole, NULL)', '22004', NULL, 'grant_token: statement NULL');
SELECT throws_ok('SELECT agentguard.grant_token(''-''::regrole, ''DROP TABLE x'')', '42704', NULL, 'grant_token: role 0');
SELECT throws_ok('SELECT agentguard.grant_token(''ag_ap_group'', ''DROP TABLE x'')', '22023', NULL,
                 'grant_token: a role that cannot log in');
SELECT throws_ok('SELECT agentguard.grant_token(session_user::regrole, '''')', '22023', NULL, 'grant_token: empty statement');
SELECT throws_ok('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE a; DROP TABLE b'')', '22023',
                 'statement must be exactly one SQL statement, not 2', 'grant_token: two statements');
SELECT throws_ok('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE ('')', '42601', NULL,
                 'grant_token: not SQL');
SELECT throws_ok('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE x'', ''0 s'')', '22023', NULL,
                 'grant_token: valid_for zero');
SELECT throws_ok('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE x'', ''2 days'')', '22023', NULL,
                 'grant_token: valid_for over the cap');
SELECT throws_ok('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE x'', ''1 min'', 0)', '22023', NULL,
                 'grant_token: uses zero');
SELECT agentguard.grant_token(session_user::regrole, '  DROP TABLE ag_ap1.granted_t  -- by hand
;') AS g_tok \gset
SELECT split_part(:'g_tok', '_', 2)::bigint AS g_tid \gset
SELECT results_eq(format('SELECT request_id IS NULL, object_oids = ARRAY[''ag_ap1.granted_t''::regclass::oid], statement_hash = sha256(convert_to(''DROP TABLE ag_ap1.granted_t'', ''UTF8'')) FROM agentguard.token_store WHERE id = %s', :g_tid),
                  $$ VALUES (true, true, true) $$, 'grant_token binds the normalised text and the objects it resolves, no request');
SELECT agentguard.grant_token(session_user::regrole, 'ALTER ROLE ag_ap_nobody PASSWORD ''hunter2secret''') AS pw_tok \gset
SELECT is((SELECT count(*)::int FROM agentguard.token_store WHERE statement LIKE '%hunter2secret%'), 0,
          'the password in a granted statement is redacted');
SET ROLE ag_ap_bot;
SET agentguard.token = :'g_tok';
SELECT ag_ap_t.try('DROP TABLE ag_ap1.granted_t') AS r_granted \gset
RESET agentguard.token;
RESET ROLE;
SELECT is(:'r_granted'::text, 'ok', 'a granted token lets the statement through');
SELECT ok(NOT ag_ap_t.rel_exists('ag_ap1.granted_t'), 'the granted statement really ran');

-- Self-protection is never approvable, whatever the token.
SELECT agentguard.grant_token(session_user::regrole, 'DROP EXTENSION pg_agentguard') AS self_tok \gset
SET ROLE ag_ap_bot;
SET agentguard.token = :'self_tok';
SELECT ag_ap_t.try('DROP EXTENSION pg_agentguard') AS r_self \gset
RESET agentguard.token;
RESET ROLE;
SELECT is(:'r_self'::text, 'ZG001', 'a token cannot approve self-protection statements');
SELECT is((SELECT uses_left FROM agentguard.tokens WHERE id = split_part(:'self_tok', '_', 2)::bigint), 1,
          'and its use is not consumed');

-- revoke_token() -----------------------------------------------------------------------------------------
SELECT throws_ok('SELECT agentguard.revoke_token(NULL)', '22004', NULL, 'revoke_token(NULL)');
SELECT throws_ok('SELECT agentguard.revoke_token(0)', '22023', NULL, 'revoke_token(0)');
SELECT throws_ok('SELECT agentguard.revoke_token(-3)', '22023', NULL, 'revoke_token(negative)');
SELECT throws_ok('SELECT agentguard.revoke_token(999999997)', '42704', 'token 999999997 does not exist', 'revoke_token(unknown id)');
SELECT is(agentguard.revoke_token(:rev_tid), false, 'revoke_token of a revoked token returns false');
SELECT is(agentguard.revoke_token(:ok_tid), false, 'revoke_token of a used-up token returns false');
SELECT is(agentguard.revoke_token(split_part(:'exp_tok', '_', 2)::bigint), false, 'revoke_token of an expired token returns false');

-- Who may call the functions ----------------------------------------------------------------------------
SELECT ag_ap_t.req('DROP TABLE ag_ap1.ws_t', ARRAY['ag_ap1.ws_t'::regclass::oid]) AS own_id \gset
CREATE FUNCTION ag_ap_t.definer_approve(bigint) RETURNS text SECURITY DEFINER LANGUAGE sql
    AS $$ SELECT agentguard.approve($1) $$;
CREATE FUNCTION ag_ap1.superbot_approve(bigint) RETURNS text SECURITY DEFINER LANGUAGE sql
    AS $$ SELECT agentguard.approve($1) $$;
ALTER FUNCTION ag_ap1.superbot_approve(bigint) OWNER TO ag_ap_superbot;

SET ROLE ag_ap_bot;
SELECT ag_ap_t.try(format('SELECT agentguard.approve(%s)', :own_id)) AS r_bot_approve \gset
SELECT ag_ap_t.try(format('SELECT agentguard.deny(%s)', :own_id)) AS r_bot_deny \gset
SELECT ag_ap_t.try(format('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE ag_ap1.ws_t'')')) AS r_bot_grant \gset
SELECT ag_ap_t.try(format('SELECT agentguard.revoke_token(%s)', :rev_tid)) AS r_bot_revoke \gset
SELECT ag_ap_t.try_msg(format('SELECT ag_ap_t.definer_approve(%s)', :own_id)) AS r_bot_definer \gset
SELECT ag_ap_t.try_msg(format('SELECT ag_ap1.superbot_approve(%s)', :own_id)) AS r_bot_superdefiner \gset
SELECT ag_ap_t.try('SELECT count(*) FROM agentguard.token_store') AS r_bot_read_store \gset
SELECT ag_ap_t.try('SELECT count(*) FROM agentguard.tokens') AS r_bot_read_view \gset
RESET ROLE;
SET ROLE ag_ap_superbot;
SELECT ag_ap_t.try_msg(format('SELECT agentguard.approve(%s)', :own_id)) AS r_super_approve \gset
SELECT ag_ap_t.try_msg(format('SELECT agentguard.grant_token(session_user::regrole, ''DROP TABLE ag_ap1.ws_t'')')) AS r_super_grant \gset
SELECT ag_ap_t.try_msg(format('SELECT agentguard.revoke_token(%s)', :g_tid)) AS r_super_revoke \gset
SELECT ag_ap_t.try('SELECT count(*) FROM agentguard.token_store') AS r_super_read_store \gset
SELECT ag_ap_t.try('SELECT secret_hash FROM agentguard.token_store LIMIT 1') AS r_super_read_hash \gset
SELECT ag_ap_t.try('SELECT count(*) FROM agentguard.tokens') AS r_super_read_view \gset
SELECT ag_ap_t.try('UPDATE agentguard.token_store SET uses_left = 99') AS r_super_forge \gset
SELECT ag_ap_t.try('INSERT INTO agentguard.token_store (agent, agent_oid, database_oid, statement, statement_hash, secret_hash, created_by, expires_at, uses_left) VALUES (''x'', 1, 1, ''x'', ''\x00'', ''\x00'', ''x'', now() + interval ''1 h'', 1)') AS r_super_insert \gset
RESET ROLE;
SET ROLE ag_ap_nobody;
SELECT ag_ap_t.try(format('SELECT agentguard.approve(%s)', :own_id)) AS r_nobody \gset
RESET ROLE;
SET ROLE ag_ap_human;
SELECT ag_ap_t.try(format('SELECT agentguard.deny(%s, ''checked by a human'')', :own_id)) AS r_human \gset
SELECT count(*) AS human_sees_tokens FROM agentguard.tokens \gset
RESET ROLE;

SELECT is(:'r_bot_approve' || :'r_bot_deny' || :'r_bot_grant' || :'r_bot_revoke', '42501425014250142501',
          'an agent cannot call approve, deny, grant_token, revoke_token');
SELECT matches(:'r_bot_definer'::text, '^42501: agents may not call agentguard.approve', 'not through a SECURITY DEFINER function of an approver');
SELECT matches(:'r_bot_superdefiner'::text, '^42501: agents may not call agentguard.approve',
               'not through a SECURITY DEFINER function owned by a superuser agent');
SELECT matches(:'r_super_approve'::text, '^42501: agents may not call agentguard.approve', 'a superuser agent cannot approve');
SELECT matches(:'r_super_grant'::text, '^42501: agents may not call agentguard.grant_token', 'a superuser agent cannot grant tokens');
SELECT matches(:'r_super_revoke'::text, '^42501: agents may not call agentguard.revoke_token', 'a superuser agent cannot revoke tokens');
SELECT is(:'r_bot_read_store' || ',' || :'r_bot_read_view', '42501,42501', 'an agent cannot read the token data');
SELECT is(:'r_super_read_store' || ',' || :'r_super_read_hash' || ',' || :'r_super_read_view', 'ZG001,ZG001,ZG001',
          'a superuser agent cannot read the token data either');
SELECT is(:'r_super_forge' || ',' || :'r_super_insert', 'ZG001,ZG001', 'a superuser agent cannot forge token rows');
SELECT is((SELECT count(*)::int FROM agentguard.token_store WHERE uses_left = 99 OR agent = 'x'), 0, 'no forged row exists');
SELECT is((SELECT status FROM agentguard.requests WHERE id = :own_id), 'denied',
          'only the human approver''s decision took effect');
SELECT is(:'r_nobody'::text, '42501', 'a role that is not an approver cannot approve');
SELECT is(:'r_human'::text, 'ok', 'a member of agentguard_approver can decide');
SELECT ok(:human_sees_tokens > 0, 'an approver reads agentguard.tokens');

SELECT * FROM finish();
ROLLBACK;
