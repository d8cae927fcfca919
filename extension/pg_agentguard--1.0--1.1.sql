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
