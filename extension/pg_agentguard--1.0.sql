-- pg_agentguard 1.0 — objects of the extension in schema agentguard.
\echo Use "CREATE EXTENSION pg_agentguard" to load this file. \quit

-- The roles are cluster-wide: a second database reuses them.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'agentguard_agent') THEN
        CREATE ROLE agentguard_agent NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'agentguard_approver') THEN
        CREATE ROLE agentguard_approver NOLOGIN;
    END IF;
END
$roles$;

COMMENT ON ROLE agentguard_agent IS 'members are AI agents: pg_agentguard guards their sessions';
COMMENT ON ROLE agentguard_approver IS 'members may approve agents'' blocked statements';

REVOKE ALL ON SCHEMA agentguard FROM PUBLIC;
GRANT USAGE ON SCHEMA agentguard TO PUBLIC;

-- Request ids are reserved by the blocked backend itself (nextval survives the rollback of its
-- transaction); the row arrives through the audit worker.
CREATE SEQUENCE agentguard.request_id_seq AS bigint;

-- One row per intercepted statement. Written only by the audit worker.
CREATE TABLE agentguard.audit_log (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    logged_at        timestamptz NOT NULL,
    database         name        NOT NULL,
    session_role     name        NOT NULL,
    "current_role"   name        NOT NULL,
    application_name text,
    client_addr      inet,
    backend_pid      integer     NOT NULL,
    command          text        NOT NULL,
    statement        text,
    objects          text[],
    decision         text        NOT NULL CHECK (decision IN ('blocked', 'approved', 'warned')),
    reason           text,
    rows_affected    bigint,
    request_id       bigint,
    token_id         bigint
);
CREATE INDEX audit_log_logged_at_idx ON agentguard.audit_log (logged_at);
CREATE INDEX audit_log_request_id_idx ON agentguard.audit_log (request_id) WHERE request_id IS NOT NULL;

-- Blocked, approvable statements awaiting (or having received) a human's decision.
CREATE TABLE agentguard.requests (
    id               bigint      PRIMARY KEY,
    requested_at     timestamptz NOT NULL,
    agent            name        NOT NULL,      -- login role of the agent
    agent_oid        oid         NOT NULL,
    database_oid     oid         NOT NULL,
    command          text        NOT NULL,
    statement        text        NOT NULL,      -- redacted, for humans
    statement_hash   bytea       NOT NULL,      -- SHA-256 of the normalised full statement
    objects          text[],
    object_oids      oid[],
    reason           text,
    status           text        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'approved', 'denied')),
    decided_by       name,
    decided_at       timestamptz,
    deny_reason      text
);

-- Approval tokens. Only the SHA-256 of the secret is kept.
CREATE TABLE agentguard.token_store (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id       bigint REFERENCES agentguard.requests (id),
    agent            name        NOT NULL,
    agent_oid        oid         NOT NULL,
    database_oid     oid         NOT NULL,
    statement        text        NOT NULL,
    statement_hash   bytea       NOT NULL,
    object_oids      oid[],                     -- NULL: bound to the text only (grant_token)
    secret_hash      bytea       NOT NULL,
    created_by       name        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    expires_at       timestamptz NOT NULL,
    uses_left        integer     NOT NULL CHECK (uses_left >= 0),
    revoked          boolean     NOT NULL DEFAULT false
);

-- A human's views of the requests and tokens (the tokens view never shows the secret's hash).
CREATE VIEW agentguard.pending AS
    SELECT r.id, r.requested_at, r.agent, r.statement, r.reason
      FROM agentguard.requests AS r
     WHERE r.status OPERATOR(pg_catalog.=) 'pending';

CREATE VIEW agentguard.tokens AS
    SELECT t.id, t.request_id, t.agent, t.statement, t.created_by, t.created_at, t.expires_at,
           t.uses_left, t.revoked
      FROM agentguard.token_store AS t;

-- The approvers' functions. Not SECURITY DEFINER: the C code checks who calls (approvers only, never a
-- guarded session) and does its table work as the extension owner with a pinned search_path.
CREATE FUNCTION agentguard.approve(request_id bigint, valid_for interval DEFAULT '15 minutes',
                                   uses integer DEFAULT 1)
    RETURNS text
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'agentguard_approve';
COMMENT ON FUNCTION agentguard.approve(bigint, interval, integer) IS
    'approves a pending request; returns the token the agent sets in agentguard.token';

CREATE FUNCTION agentguard.deny(request_id bigint, reason text DEFAULT NULL)
    RETURNS void
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'agentguard_deny';
COMMENT ON FUNCTION agentguard.deny(bigint, text) IS 'denies a pending request';

CREATE FUNCTION agentguard.grant_token(agent regrole, statement text,
                                       valid_for interval DEFAULT '15 minutes', uses integer DEFAULT 1)
    RETURNS text
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'agentguard_grant_token';
COMMENT ON FUNCTION agentguard.grant_token(regrole, text, interval, integer) IS
    'grants an agent (its login role) a token for one statement, ahead of any request';

CREATE FUNCTION agentguard.revoke_token(token_id bigint)
    RETURNS boolean
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'agentguard_revoke_token';
COMMENT ON FUNCTION agentguard.revoke_token(bigint) IS
    'revokes a token; true when it was still usable';

-- Privileges: nobody but the owner by default; approvers read the records; agents get nothing here
-- (a superuser agent bypasses GRANTs, so reads of the token data are also refused by the executor hook).
REVOKE ALL ON TABLE agentguard.audit_log, agentguard.requests, agentguard.token_store,
                    agentguard.pending, agentguard.tokens FROM PUBLIC;
REVOKE ALL ON SEQUENCE agentguard.request_id_seq FROM PUBLIC;
GRANT SELECT ON TABLE agentguard.audit_log, agentguard.requests, agentguard.pending, agentguard.tokens
    TO agentguard_approver;

REVOKE ALL ON FUNCTION agentguard.approve(bigint, interval, integer),
                       agentguard.deny(bigint, text),
                       agentguard.grant_token(regrole, text, interval, integer),
                       agentguard.revoke_token(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION agentguard.approve(bigint, interval, integer),
                          agentguard.deny(bigint, text),
                          agentguard.grant_token(regrole, text, interval, integer),
                          agentguard.revoke_token(bigint) TO agentguard_approver;

-- The records survive pg_dump/pg_restore with their sequences (ids keep counting, no collisions).
SELECT pg_catalog.pg_extension_config_dump('agentguard.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('agentguard.requests', '');
SELECT pg_catalog.pg_extension_config_dump('agentguard.token_store', '');
SELECT pg_catalog.pg_extension_config_dump('agentguard.request_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('agentguard.audit_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('agentguard.token_store_id_seq', '');
-- ---------------------------------------------------------------------------------------------------
-- Audit queue counters (shared memory queue and audit worker, see src/pg/audit_queue.cpp).
-- enqueued: events queued; written: audit rows written; overflowed: events the full queue could not
-- take (their server-log line is the record); discarded: events of databases without the extension
-- (or that no longer exist), recorded only in the server log; write_failures: records the worker could
-- not write (corrupt, refused tables, errors); worker_restarts: abnormal exits of the audit workers;
-- pending: records waiting; queued_bytes / queue_bytes: ring use and size; writers: running writers;
-- launcher_pid: the launcher's process id (NULL when not running).
CREATE FUNCTION agentguard.queue_stats(
    OUT enqueued bigint, OUT written bigint, OUT overflowed bigint, OUT discarded bigint,
    OUT write_failures bigint, OUT worker_restarts bigint, OUT pending bigint,
    OUT queued_bytes bigint, OUT queue_bytes bigint, OUT writers integer, OUT launcher_pid integer)
RETURNS record
LANGUAGE C VOLATILE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ag_queue_stats';
REVOKE ALL ON FUNCTION agentguard.queue_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION agentguard.queue_stats() TO pg_monitor, agentguard_approver;
