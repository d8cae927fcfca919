-- Issue 11: ALTER SEQUENCE ... RESTART on a sequence of someone else (duplicate keys later).
-- as: superuser
ALTER SEQUENCE public.human_seq RESTART;
ALTER SEQUENCE public.human_seq RESTART WITH 1;
-- expect: is blocked
