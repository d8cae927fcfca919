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
