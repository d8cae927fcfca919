-- Held: SET ROLE to an untagged role the agent belongs to does not lift the guard.
-- as: owner
--setup ALTER TABLE public.h_accounts OWNER TO rt_admin
SET ROLE rt_admin;
DROP TABLE public.h_accounts;
DELETE FROM public.h_accounts;
TRUNCATE public.h_accounts;
-- expect: is blocked
RESET ROLE;
