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
CREATE OR REPLACE VIEW agentguard.pending AS
    SELECT r.id, r.requested_at, r.agent, r.statement, r.reason, r.objects, r.last_preview_at, r.last_preview
      FROM agentguard.requests AS r
     WHERE r.status OPERATOR(pg_catalog.=) 'pending';

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
