-- Held: a superuser agent cannot switch the guard off: settings, ALTER SYSTEM, server files, catalogs.
-- as: superuser
SET agentguard.mode = off;
SELECT set_config('agentguard.mode', 'off', false);
ALTER SYSTEM SET agentguard.mode = off;
COPY (SELECT 'agentguard.mode = off') TO '/tmp/rt_should_not_exist.conf';
SELECT lo_export(1001, '/tmp/rt_should_not_exist.conf');
UPDATE pg_catalog.pg_auth_members SET member = 10 WHERE false;
ALTER ROLE rt_super SET agentguard.mode = off;
REVOKE agentguard_agent FROM rt_super;
DROP EXTENSION pg_agentguard CASCADE;
-- expect: is blocked
