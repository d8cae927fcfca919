-- Issue 11: a superuser agent aliases a file-writing built-in with LANGUAGE internal (or loads any C
-- symbol with LANGUAGE c) to write agentguard.mode = off into postgresql.auto.conf.
-- as: superuser
CREATE FUNCTION scratch.export_lo(oid, text) RETURNS integer LANGUAGE internal STRICT AS 'be_lo_export';
CREATE FUNCTION public.export_lo2(oid, text) RETURNS integer LANGUAGE INTERNAL STRICT AS 'be_lo_export';
CREATE FUNCTION scratch.c_fn() RETURNS integer LANGUAGE c AS '$libdir/pg_agentguard', 'agentguard_approve';
CREATE OR REPLACE FUNCTION app.forbid_delete() RETURNS trigger LANGUAGE internal AS 'be_lo_export';
-- expect: is blocked
-- check: SELECT NOT EXISTS (SELECT FROM pg_proc WHERE proname IN ('export_lo', 'export_lo2', 'c_fn'))
