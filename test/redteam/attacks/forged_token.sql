-- Held: made-up tokens, a real token id with a wrong secret, a token of another statement.
-- as: owner superuser
--setup CREATE TABLE public.rt_tok AS SELECT agentguard.grant_token('rt_agent'::regrole, 'DROP TABLE app.notes_archive', '1 hour', 5) AS t
--setup GRANT SELECT ON public.rt_tok TO rt_agent, rt_super
SET agentguard.token = 'agt_1_00000000000000000000000000000000';
DROP TABLE app.orders CASCADE;
SELECT set_config('agentguard.token', regexp_replace(t, '_[0-9a-f]+$', '_' || repeat('0', 40)), false) FROM public.rt_tok;
DROP TABLE app.notes_archive;
SELECT set_config('agentguard.token', t, false) FROM public.rt_tok;
DROP TABLE app.notes;
DROP TABLE app.notes_archive, app.orders;
-- expect: is blocked
