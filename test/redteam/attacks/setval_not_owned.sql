-- Issue 11: setval() on a sequence of someone else (the agent has UPDATE on it).
-- as: owner superuser
SELECT setval('public.human_seq', 1);
SELECT setval('public.human_seq', 1, false);
DO $$ BEGIN PERFORM setval('public.human_seq', 2); END $$;
-- expect: is blocked
