-- Issue 11: after SET SESSION AUTHORIZATION a superuser agent's statements were recorded as the human's.
-- The guard stays on, and the records name the agent.
-- as: superuser
SET SESSION AUTHORIZATION rt_human;
DROP TABLE app.orders CASCADE;
SET ROLE NONE;
TRUNCATE app.customers CASCADE;
RESET SESSION AUTHORIZATION;
-- expect: is blocked
-- check: SELECT EXISTS (SELECT FROM agentguard.audit_log WHERE command = 'DROP TABLE' AND session_role = 'rt_super') AND NOT EXISTS (SELECT FROM agentguard.audit_log WHERE session_role = 'rt_human')
