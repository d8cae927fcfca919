-- Held: a token granted to one agent does not work for another.
-- as: superuser
--setup CREATE TABLE public.rt_tok AS SELECT agentguard.grant_token('rt_agent'::regrole, 'DROP TABLE app.notes_archive', '1 hour', 5) AS t
--setup GRANT SELECT ON public.rt_tok TO rt_super
SELECT set_config('agentguard.token', t, false) FROM public.rt_tok;
DROP TABLE app.notes_archive;
-- expect: is blocked
