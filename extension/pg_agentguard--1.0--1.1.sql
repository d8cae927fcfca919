-- pg_agentguard 1.0 -> 1.1: ALTER EXTENSION pg_agentguard UPDATE; a fresh CREATE EXTENSION runs
-- pg_agentguard--1.0.sql and then this script. Each change of this version is one section below,
-- headed by what it is for; every statement follows the rules of pg_agentguard--1.0.sql (objects
-- schema-qualified, nothing that a hostile search_path could redirect).
\echo Use "ALTER EXTENSION pg_agentguard UPDATE TO '1.1'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------------
-- Approval integrity: a request records every object the blocked statement reached (objects named,
-- what CASCADE or DROP OWNED would drop or truncate with them, the members of partitioned and inherited
-- tables), and the approver sees them in agentguard.pending before approving. A denial reaches the
-- agent when it runs the same statement again: the latest decision per statement is found by its hash.
CREATE OR REPLACE VIEW agentguard.pending AS
    SELECT r.id, r.requested_at, r.agent, r.statement, r.reason, r.objects
      FROM agentguard.requests AS r
     WHERE r.status OPERATOR(pg_catalog.=) 'pending';
CREATE INDEX requests_decided_idx ON agentguard.requests (statement_hash)
    WHERE status OPERATOR(pg_catalog.<>) 'pending';

-- ---------------------------------------------------------------------------------------------------
-- Operations: the approvers' trail, the tamper-evident audit chain, retention, request expiry, the
-- pending view a DBA needs, ids that survive pg_dump/pg_restore, and a health check that works when the
-- library is not loaded (see src/pg/audit_chain.cpp and src/pg/human_audit.cpp).

-- Humans' actions are audit rows too; rows are hash-chained: row_hash = SHA-256 over prev_hash and the
-- row's values (src/pg/audit_chain.cpp defines the encoding). Rows written by version 1.0 have no hash.
ALTER TABLE agentguard.audit_log ADD COLUMN prev_hash bytea, ADD COLUMN row_hash bytea;
ALTER TABLE agentguard.audit_log DROP CONSTRAINT audit_log_decision_check;
ALTER TABLE agentguard.audit_log ADD CONSTRAINT audit_log_decision_check CHECK (decision IN (
    'blocked', 'approved', 'warned',
    'approve', 'deny', 'grant_token', 'revoke_token', 'setting', 'reset_breaker', 'trip_breaker',
    'restore', 'purge'));

-- Where each purge_audit() cut the chain: the first row after a purge links to boundary_hash.
CREATE TABLE agentguard.audit_purges (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purged_at        timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    purged_by        name        NOT NULL,
    older_than       interval    NOT NULL,
    up_to_id         bigint      NOT NULL,
    rows_deleted     bigint      NOT NULL,
    boundary_hash    bytea
);
REVOKE ALL ON TABLE agentguard.audit_purges FROM PUBLIC;
GRANT SELECT ON TABLE agentguard.audit_purges TO agentguard_approver;
SELECT pg_catalog.pg_extension_config_dump('agentguard.audit_purges', '');
SELECT pg_catalog.pg_extension_config_dump('agentguard.audit_purges_id_seq', '');

-- Requests expire after agentguard.request_ttl; the database is kept by name (a restore changes OIDs).
ALTER TABLE agentguard.requests DROP CONSTRAINT requests_status_check;
ALTER TABLE agentguard.requests ADD CONSTRAINT requests_status_check
    CHECK (status IN ('pending', 'approved', 'denied', 'expired'));
ALTER TABLE agentguard.requests ADD COLUMN database name NOT NULL DEFAULT pg_catalog.current_database();

-- The request lifetime in force for the reader (agentguard.request_ttl, 1 day when the library is not
-- loaded and the setting therefore unknown).
CREATE FUNCTION agentguard.request_ttl() RETURNS interval
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT coalesce(pg_catalog.current_setting('agentguard.request_ttl', true), '1d')::pg_catalog.interval $$;

-- The pending view a human decides from (SPEC §6): what, by whom, where, on which objects (the
-- statement's reach), why, and until when it can be approved.
DROP VIEW agentguard.pending;
CREATE VIEW agentguard.pending AS
    SELECT r.id, r.requested_at, r.agent, r.database, r.command, r.statement, r.objects, r.reason,
           r.requested_at OPERATOR(pg_catalog.+) agentguard.request_ttl() AS expires_at
      FROM agentguard.requests AS r
     WHERE r.status OPERATOR(pg_catalog.=) 'pending'
       AND r.requested_at OPERATOR(pg_catalog.+) agentguard.request_ttl()
           OPERATOR(pg_catalog.>) pg_catalog.now();
REVOKE ALL ON TABLE agentguard.pending FROM PUBLIC;
GRANT SELECT ON TABLE agentguard.pending TO agentguard_approver;

-- Tamper evidence: walks the chain in id order and reports the first broken link.
CREATE FUNCTION agentguard.verify_audit(
    OUT ok boolean, OUT rows_checked bigint, OUT unchained_rows bigint, OUT first_broken_id bigint,
    OUT problem text, OUT last_id bigint, OUT last_hash text)
RETURNS record
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'agentguard_verify_audit';
COMMENT ON FUNCTION agentguard.verify_audit() IS
    'checks the hash chain of agentguard.audit_log; reports the first row that was changed, deleted or inserted by hand';

-- Retention: deletes audit rows logged before now() - older_than, keeps the chain verifiable (the cut
-- is recorded in agentguard.audit_purges), marks overdue requests expired, and is itself audited.
CREATE FUNCTION agentguard.purge_audit(older_than interval)
RETURNS bigint
LANGUAGE C VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'agentguard_purge_audit';
COMMENT ON FUNCTION agentguard.purge_audit(interval) IS
    'deletes audit rows older than the interval (approvers); returns how many';

-- Health: true when the pg_agentguard library is loaded in this server. Plain SQL, so that it answers
-- (false) exactly when the guard is off: the library's settings then exist only as placeholders, which
-- pg_settings shows as type string, never enum.
CREATE FUNCTION agentguard.library_loaded() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_settings
                          WHERE name OPERATOR(pg_catalog.=) 'agentguard.mode'
                            AND vartype OPERATOR(pg_catalog.=) 'enum') $$;
COMMENT ON FUNCTION agentguard.library_loaded() IS
    'false when the extension exists but the library is not in shared_preload_libraries: the guard is off';

REVOKE ALL ON FUNCTION agentguard.verify_audit(), agentguard.purge_audit(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION agentguard.verify_audit() TO agentguard_approver, pg_monitor;
GRANT EXECUTE ON FUNCTION agentguard.purge_audit(interval) TO agentguard_approver;
GRANT EXECUTE ON FUNCTION agentguard.library_loaded(), agentguard.request_ttl() TO PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- Monitoring in one row (SPEC §6): whether the library is loaded, the library's and the extension's
-- versions, the mode in force, the audit workers and the queue. PL/pgSQL so that it still answers when
-- the library is not loaded: then library_loaded is false and the library's columns are NULL.
CREATE FUNCTION agentguard.library_version() RETURNS text
    LANGUAGE C STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'ag_library_version';

CREATE FUNCTION agentguard.status(
    OUT library_loaded boolean, OUT library_version text, OUT extension_version text, OUT mode text,
    OUT launcher_pid integer, OUT writers integer, OUT queue_pending bigint, OUT queue_overflowed bigint,
    OUT write_failures bigint)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    library_loaded := agentguard.library_loaded();
    SELECT e.extversion INTO extension_version FROM pg_catalog.pg_extension e
     WHERE e.extname OPERATOR(pg_catalog.=) 'pg_agentguard';
    IF NOT library_loaded THEN
        RETURN;
    END IF;
    library_version := agentguard.library_version();
    mode := pg_catalog.current_setting('agentguard.mode');
    SELECT q.launcher_pid, q.writers, q.pending, q.overflowed, q.write_failures
      INTO launcher_pid, writers, queue_pending, queue_overflowed, write_failures
      FROM agentguard.queue_stats() AS q;
END
$$;
COMMENT ON FUNCTION agentguard.status() IS
    'library loaded, versions, mode, audit workers and queue, for monitoring';
REVOKE ALL ON FUNCTION agentguard.status(), agentguard.library_version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION agentguard.status(), agentguard.library_version() TO pg_monitor, agentguard_approver;

-- Circuit breaker and preview (SPEC §8; src/pg/breaker.cpp, src/pg/breaker_sql.cpp, src/pg/preview.cpp).
-- The state of the breakers lives in shared memory (and pg_stat/pg_agentguard_breakers.stat across
-- restarts), not in a table: it is cluster-wide, while a table would be per database.

-- The audit log records every decision SPEC §6 names, humans' actions included.
ALTER TABLE agentguard.audit_log DROP CONSTRAINT IF EXISTS audit_log_decision_check;
ALTER TABLE agentguard.audit_log ADD CONSTRAINT audit_log_decision_check CHECK (decision IN (
    'blocked', 'approved', 'warned', 'approve', 'deny', 'grant_token', 'revoke_token', 'setting',
    'reset_breaker', 'trip_breaker', 'restore', 'purge', 'breaker', 'previewed'));

-- agentguard.pending shows the last preview an approver ran of a request (preview_request()).
ALTER TABLE agentguard.requests ADD COLUMN last_preview jsonb, ADD COLUMN last_preview_at timestamptz;
DROP VIEW agentguard.pending;
CREATE VIEW agentguard.pending AS
    SELECT r.id, r.requested_at, r.agent, r.database, r.command, r.statement, r.objects, r.reason,
           r.requested_at OPERATOR(pg_catalog.+) agentguard.request_ttl() AS expires_at,
           r.last_preview_at, r.last_preview
      FROM agentguard.requests AS r
     WHERE r.status OPERATOR(pg_catalog.=) 'pending'
       AND r.requested_at OPERATOR(pg_catalog.+) agentguard.request_ttl()
           OPERATOR(pg_catalog.>) pg_catalog.now();
REVOKE ALL ON TABLE agentguard.pending FROM PUBLIC;
GRANT SELECT ON TABLE agentguard.pending TO agentguard_approver;

CREATE FUNCTION agentguard._breakers(
    OUT role oid, OUT state text, OUT tripped_at timestamptz, OUT reason text,
    OUT rows_in_window bigint, OUT refusals_in_window bigint, OUT budget_window interval)
RETURNS SETOF record
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'ag_breakers';

-- One row per agent role the breakers know (every agent that changed rows or was refused recently).
CREATE VIEW agentguard.breakers AS
    SELECT b.role::pg_catalog.regrole AS role, b.state, b.tripped_at, b.reason,
           b.rows_in_window, b.refusals_in_window, b.budget_window
      FROM agentguard._breakers() AS b;

CREATE FUNCTION agentguard.reset_breaker(agent regrole)
    RETURNS boolean
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'ag_reset_breaker';
COMMENT ON FUNCTION agentguard.reset_breaker(regrole) IS
    'closes the circuit breaker of an agent and starts its window afresh; true when it was open';

CREATE FUNCTION agentguard.trip_breaker(agent regrole, reason text)
    RETURNS boolean
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'ag_trip_breaker';
COMMENT ON FUNCTION agentguard.trip_breaker(regrole, text) IS
    'opens the circuit breaker of an agent: its writes and DDL are refused until reset_breaker(); true when it was closed';

-- For tests of the rolling window: moves the breakers' clock forward (superusers that are not agents).
CREATE FUNCTION agentguard._breaker_clock_advance(by interval)
    RETURNS interval
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'ag_breaker_clock_advance';

CREATE FUNCTION agentguard.preview(statement text)
    RETURNS TABLE (object text, command text, rows bigint, via text)
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'ag_preview';
COMMENT ON FUNCTION agentguard.preview(text) IS
    'dry run: runs one statement in a subtransaction that is always rolled back and returns what it would change';

CREATE FUNCTION agentguard.preview_request(request_id bigint)
    RETURNS TABLE (object text, command text, rows bigint, via text)
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'ag_preview_request';
COMMENT ON FUNCTION agentguard.preview_request(bigint) IS
    'previews a pending request for an approver: what its statement would change now';

REVOKE ALL ON FUNCTION agentguard._breakers(), agentguard.reset_breaker(regrole),
                       agentguard.trip_breaker(regrole, text), agentguard._breaker_clock_advance(interval),
                       agentguard.preview(text), agentguard.preview_request(bigint) FROM PUBLIC;
REVOKE ALL ON TABLE agentguard.breakers FROM PUBLIC;
GRANT SELECT ON TABLE agentguard.breakers TO agentguard_approver, pg_monitor;
GRANT EXECUTE ON FUNCTION agentguard._breakers() TO agentguard_approver, pg_monitor;
GRANT EXECUTE ON FUNCTION agentguard.reset_breaker(regrole), agentguard.trip_breaker(regrole, text),
                          agentguard.preview_request(bigint) TO agentguard_approver;
GRANT EXECUTE ON FUNCTION agentguard.preview(text) TO agentguard_agent, agentguard_approver;
