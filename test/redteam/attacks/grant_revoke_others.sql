-- Issue 11: GRANT and REVOKE of object privileges to or from other roles.
-- as: owner superuser
GRANT ALL ON app.customers TO rt_reader;
REVOKE SELECT ON app.customers FROM rt_human;
REVOKE ALL ON ALL TABLES IN SCHEMA app FROM rt_human;
GRANT SELECT ON ALL TABLES IN SCHEMA app TO PUBLIC;
GRANT USAGE ON SCHEMA app TO PUBLIC;
REVOKE EXECUTE ON FUNCTION app.forbid_delete() FROM PUBLIC;
-- expect: is blocked
