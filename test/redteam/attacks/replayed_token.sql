-- Held: a one-use token works once; used again, even for the same text on a new object, it is refused.
-- as: owner
--setup CREATE TABLE scratch.tmp1 (id int); ALTER TABLE scratch.tmp1 OWNER TO rt_agent
--setup CREATE TABLE public.rt_tok AS SELECT agentguard.grant_token('rt_agent'::regrole, 'DROP TABLE scratch.tmp1', '1 hour', 1) AS t
--setup GRANT SELECT ON public.rt_tok TO rt_agent
SELECT set_config('agentguard.token', t, false) FROM public.rt_tok;
DROP TABLE scratch.tmp1;
CREATE TABLE scratch.tmp1 (id int);
DROP TABLE scratch.tmp1;
-- expect: is blocked
-- check: SELECT to_regclass('scratch.tmp1') IS NOT NULL
