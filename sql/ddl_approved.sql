-- An approved statement runs, including the cascade it names; no approval reaches the guard's own
-- objects, not even through a cascade.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE ag_bot LOGIN;
GRANT agentguard_agent TO ag_bot;
CREATE TABLE public.cas (id int);
ALTER TABLE public.cas OWNER TO ag_bot;
-- A human's view in the guard's schema depends on the agent's table.
CREATE VIEW agentguard.cas_v AS SELECT * FROM public.cas;
CREATE TABLE public.cas2 (id int);
CREATE VIEW public.cas2_v AS SELECT * FROM public.cas2;
ALTER TABLE public.cas2 OWNER TO ag_bot;
ALTER VIEW public.cas2_v OWNER TO ag_bot;

SELECT agentguard.grant_token('ag_bot', 'DROP TABLE public.cas CASCADE') AS tok1 \gset
SELECT agentguard.grant_token('ag_bot', 'DROP TABLE public.cas2 CASCADE') AS tok2 \gset

\c - ag_bot
\set VERBOSITY terse
-- bypass: an approved DROP ... CASCADE that reaches into schema agentguard
-- (the pooler-safe way: the token and the statement in one transaction)
SET agentguard.token = :'tok1' \; DROP TABLE public.cas CASCADE;
-- An approved DROP ... CASCADE that reaches an ordinary view: the approval covers the cascade.
SET agentguard.token = :'tok2' \; DROP TABLE public.cas2   CASCADE ;
\c - postgres
CREATE TABLE public.cas2 (id int);
ALTER TABLE public.cas2 OWNER TO ag_bot;
\c - ag_bot
\set VERBOSITY terse
-- bypass: replaying the same text: the one use is spent.
SET agentguard.token = :'tok2' \; DROP TABLE public.cas2 CASCADE;
-- A token is cleared when its transaction commits.
SHOW agentguard.token;
\c - postgres
\set VERBOSITY terse
SELECT relname FROM pg_class WHERE relname IN ('cas', 'cas_v', 'cas2', 'cas2_v') ORDER BY relname;
SELECT uses_left FROM agentguard.tokens ORDER BY id;

DROP VIEW agentguard.cas_v;
DROP TABLE public.cas;
DROP TABLE public.cas2;
DROP ROLE ag_bot;
