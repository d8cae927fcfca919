-- Issue 11: ALTER TABLE ... SET UNLOGGED empties the table at the next crash and hides it from standbys.
-- as: owner superuser
ALTER TABLE app.ledger SET UNLOGGED;
ALTER TABLE app.notes SET UNLOGGED;
ALTER TABLE IF EXISTS app.docs SET UNLOGGED;
-- expect: is blocked
