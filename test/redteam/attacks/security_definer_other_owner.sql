-- Held: SECURITY DEFINER functions owned by a human do not lift the guard.
-- as: owner superuser
SELECT public.h_wipe('public.h_accounts');
SELECT public.h_drop('public.h_accounts');
-- expect: is blocked
