-- Issue 11: after SET SESSION AUTHORIZATION a superuser agent's statements were recorded as the human's.
-- The guard stays on, and the records name the agent.
-- as: superuser
--setup CREATE TABLE public.h_owned (id int); INSERT INTO public.h_owned SELECT generate_series(1, 10); ALTER TABLE public.h_owned OWNER TO rt_human
SET SESSION AUTHORIZATION rt_human;
DROP TABLE public.h_owned;
SET ROLE NONE;
TRUNCATE public.h_owned;
RESET SESSION AUTHORIZATION;
-- expect: is blocked
-- check: SELECT EXISTS (SELECT FROM agentguard.audit_log WHERE command = 'DROP TABLE' AND session_role = 'rt_super') AND NOT EXISTS (SELECT FROM agentguard.audit_log WHERE session_role = 'rt_human')
