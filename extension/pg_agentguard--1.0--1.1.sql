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
